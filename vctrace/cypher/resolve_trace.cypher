// Trace keys matching a key, a key prefix or a trace_id (at most $limit).
MATCH (t:Trace)
WHERE t.key STARTS WITH $ref OR t.trace_id = $ref
RETURN t.key AS key
LIMIT $limit
