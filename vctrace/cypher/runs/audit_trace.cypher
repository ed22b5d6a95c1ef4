// A trace (by key or by any of its ids: trace_id through its index, trace_ids through the
// keyword full-text index trace_ids_exact): its input record, the claims of its actions in order,
// its own verdicts (structure) and the versions linked to it (refined from / refined into).
// A key match wins; an id that names several contents gives the first by key, with the keys
// of the others in trace.also_named (callers that need one trace report the ambiguity).
CALL () {
  MATCH (t:Trace {key: $ref}) RETURN t, 1 AS rank
  UNION
  MATCH (t:Trace {trace_id: $ref}) RETURN t, 0 AS rank
  UNION
  CALL db.index.fulltext.queryNodes('trace_ids_exact',
       '"' + replace(replace($ref, '\\', '\\\\'), '"', '\\"') + '"') YIELD node AS t
  WITH t WHERE t:Trace AND $ref IN t.trace_ids
  RETURN t, 0 AS rank
}
WITH t, max(rank) AS rank
ORDER BY rank DESC, t.key
WITH collect(t) AS found
WHERE size(found) > 0
WITH found[0] AS t, [o IN found[1..] | o.key] AS others
OPTIONAL MATCH (t)-[:READ_FROM]->(i:InputRecord)
CALL (t) {
  MATCH (t)-[:HAS_ACTION]->(a:Action)-[:ASSERTS]->(c:Claim)
  WITH a, c ORDER BY a.idx
  RETURN collect({action: a.id, primitive: a.primitive, claim: c.key}) AS actions
}
CALL (t) {
  OPTIONAL MATCH (v:Verdict)-[:JUDGES]->(t)
  RETURN collect(v {.*, created_at: toString(v.created_at)}) AS verdicts
}
CALL (t) {
  OPTIONAL MATCH (t)-[r:REFINES]->(o:Trace)
  OPTIONAL MATCH (n:Trace)-[s:REFINES]->(t)
  RETURN collect(DISTINCT o {.key, run: r.run}) AS refines,
         collect(DISTINCT n {.key, run: s.run}) AS refined_into
}
RETURN t {.key, .trace_id, trace_ids: coalesce(t.trace_ids, CASE WHEN t.trace_id IS NULL THEN [] ELSE [t.trace_id] END), also_named: others, .drug, .cell_line, .n_actions, .n_edges,
          ingested_at: toString(t.ingested_at)} AS trace,
       i {.file, .sha256, .record, .format} AS input, actions, verdicts, refines, refined_into
LIMIT 1
