// Trace keys matching a key, a key prefix, a trace_id or a trace_id prefix (at most $limit).
// An exact trace_id match wins over prefix matches.
MATCH (t:Trace)
WHERE t.key STARTS WITH $ref OR t.trace_id STARTS WITH $ref
WITH t, (coalesce(t.trace_id = $ref, false) OR t.key = $ref) AS exact
RETURN t.key AS key, exact
ORDER BY exact DESC
LIMIT $limit
