// Traces using a primitive, with how many of their actions do. Parameters: primitive.
// The counts are kept on each trace (primitive_counts, in the order of primitives).
MATCH (t:Trace)
WHERE $primitive IN t.primitives
WITH t, [i IN range(0, size(t.primitives) - 1) WHERE t.primitives[i] = $primitive
         | t.primitive_counts[i]][0] AS actions
RETURN t.key AS trace, t.trace_id AS trace_id, coalesce(t.trace_ids, []) AS trace_ids,
       t.drug AS drug, t.cell_line AS cell_line, actions
ORDER BY actions DESC, trace
