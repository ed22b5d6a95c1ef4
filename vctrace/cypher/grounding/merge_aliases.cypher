// Alias index entries of entities of one label ($$LABEL$$: from a fixed list in code).
UNWIND $rows AS r
MATCH (e:$$LABEL$$ {key: r.key})
UNWIND r.aliases AS alias
MERGE (a:Alias {key: alias.key})
MERGE (a)-[l:ALIAS_OF]->(e)
SET l.kind = alias.kind
