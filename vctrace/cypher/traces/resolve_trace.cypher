// Trace keys matching $ref (at most $limit), each with its rank: 2 the full key, 1 one of its
// ids (trace_id, indexed, or any of trace_ids, scanned: a RANGE index on a list indexes the
// whole list, serves no IN and refuses lists past ~8 kB, so there is none), 0 a key or
// trace_id prefix. Best rank first.
CALL () {
  MATCH (t:Trace {key: $ref}) RETURN t, 2 AS rank
  UNION
  MATCH (t:Trace {trace_id: $ref}) RETURN t, 1 AS rank
  UNION
  MATCH (t:Trace) WHERE $ref IN t.trace_ids RETURN t, 1 AS rank
  UNION
  MATCH (t:Trace) WHERE t.key STARTS WITH $ref OR t.trace_id STARTS WITH $ref RETURN t, 0 AS rank
}
WITH t, max(rank) AS rank
RETURN t.key AS key, rank
ORDER BY rank DESC, key
LIMIT $limit
