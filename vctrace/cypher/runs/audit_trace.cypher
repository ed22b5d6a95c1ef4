// A trace (by key or trace id): its input record, the claims of its actions in order, its own
// verdicts (structure) and the versions linked to it (refined from / refined into).
MATCH (t:Trace) WHERE t.key = $ref OR t.trace_id = $ref
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
RETURN t {.key, .trace_id, .drug, .cell_line, .n_actions, .n_edges,
          ingested_at: toString(t.ingested_at)} AS trace,
       i {.file, .sha256, .record, .format} AS input, actions, verdicts, refines, refined_into
LIMIT 1
