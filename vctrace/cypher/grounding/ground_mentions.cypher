// Link mentions to the entities their alias form names; returns the mentions grounded.
UNWIND $rows AS r
MATCH (m:Mention {key: r.key})
MATCH (:Alias {key: r.alias})-[:ALIAS_OF]->(e:Entity)
MERGE (m)-[g:REFERS_TO]->(e)
SET g.match = $kind
RETURN DISTINCT m.key AS key
