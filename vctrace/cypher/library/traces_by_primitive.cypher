// Traces using a primitive, with how many of their actions do. Parameters: primitive.
MATCH (t:Trace)
WHERE $primitive IN t.primitives
WITH t, COUNT { (t)-[:HAS_ACTION]->(:Action {primitive: $primitive}) } AS actions
RETURN t.key AS trace, t.trace_id AS trace_id, coalesce(t.trace_ids, []) AS trace_ids,
       t.drug AS drug, t.cell_line AS cell_line, actions
ORDER BY actions DESC, trace
