// The dictionary of entity recognition: every alias of the index (normalised form; the
// compact form is derived in code) of an entity with one of $labels, with the entity's
// label among $labels, key and display spellings (symbol, name). Reads only Alias, ALIAS_OF
// and Entity nodes: never differential expression.
MATCH (a:Alias)-[l:ALIAS_OF]->(e:Entity)
WHERE l.kind = 'exact' AND any(label IN labels(e) WHERE label IN $labels)
RETURN a.key AS alias, e.key AS key, [label IN labels(e) WHERE label IN $labels][0] AS label,
       coalesce(e.symbol, e.name, e.key) AS name, [n IN [e.symbol, e.name] WHERE n IS NOT NULL]
       AS spellings
