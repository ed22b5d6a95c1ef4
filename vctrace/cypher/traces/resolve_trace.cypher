// Trace keys matching $ref (at most $limit), each with its rank: 2 the full key, 1 one of its
// ids (trace_id through its index, any of trace_ids through the keyword full-text index
// trace_ids_exact: a RANGE index on a list indexes the whole list and serves no IN), 0 a key or
// trace_id prefix, looked for only when nothing matches exactly (callers keep the best rank).
// Best rank first.
CALL () {
  MATCH (t:Trace {key: $ref}) RETURN t, 2 AS rank
  UNION
  MATCH (t:Trace {trace_id: $ref}) RETURN t, 1 AS rank
  UNION
  CALL db.index.fulltext.queryNodes('trace_ids_exact',
       '"' + replace(replace($ref, '\\', '\\\\'), '"', '\\"') + '"') YIELD node AS t
  WITH t WHERE t:Trace AND $ref IN t.trace_ids
  RETURN t, 1 AS rank
}
WITH collect({t: t, rank: rank}) AS exact
CALL (exact) {
  UNWIND exact AS hit
  RETURN hit.t AS t, hit.rank AS rank
  UNION
  WITH exact WHERE size(exact) = 0
  MATCH (t:Trace) WHERE t.key STARTS WITH $ref OR t.trace_id STARTS WITH $ref
  RETURN t, 0 AS rank
}
WITH t, max(rank) AS rank
RETURN t.key AS key, rank
ORDER BY rank DESC, key
LIMIT $limit
