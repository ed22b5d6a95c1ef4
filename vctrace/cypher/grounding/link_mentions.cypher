// Link mentions to entities of one label ($$LABEL$$: from a fixed list in code), recording
// the match kind, its score and the form that matched.
UNWIND $rows AS r
MATCH (m:Mention {key: r.mention})
MATCH (e:$$LABEL$$ {key: r.entity})
MERGE (m)-[g:REFERS_TO]->(e)
SET g.match = r.match, g.score = r.score, g.form = r.form
