// Actions per primitive and the number of traces using each.
MATCH (t:Trace)-[:HAS_ACTION]->(a:Action)
RETURN a.primitive AS primitive, count(a) AS actions, count(DISTINCT t) AS traces
ORDER BY actions DESC
