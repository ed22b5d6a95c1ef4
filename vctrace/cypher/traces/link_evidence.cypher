// What each new generated trace saw: (trace)-[:SAW {id, cited}]->(evidence) per item (id: the
// item's id in that trace, cited: whether its report cites it), and for the knowledge-graph
// constructor's support map (action)-[:SUPPORTED_BY {id}]->(evidence). The traces were created
// in this transaction (so CREATE: nothing to duplicate) and the evidence merged just before.
UNWIND $traces AS tr
MATCH (t:Trace {key: tr.trace_key})
CALL (t, tr) {
  UNWIND tr.items AS it
  MATCH (ev:Evidence {key: it.key})
  CREATE (t)-[:SAW {id: it.id, cited: it.cited}]->(ev)
}
CALL (t, tr) {
  UNWIND tr.support AS s
  MATCH (t)-[:HAS_ACTION]->(a:Action {idx: s.idx})
  MATCH (ev:Evidence {key: s.key})
  CREATE (a)-[:SUPPORTED_BY {id: s.id}]->(ev)
}
