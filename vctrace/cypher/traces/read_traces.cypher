// Traces with their actions and edges, in order, for the model readers.
UNWIND $keys AS key
MATCH (t:Trace {key: key})
CALL (t) {
  MATCH (t)-[:HAS_ACTION]->(a:Action)
  WITH a ORDER BY a.idx
  RETURN collect(properties(a)) AS actions
}
CALL (t) {
  MATCH (t)-[:HAS_ACTION]->(a:Action)-[r:LEADS_TO]->(b:Action)
  WITH r, a, b ORDER BY r.idx
  RETURN collect({source: a.id, target: b.id, relation: r.relation}) AS edges
}
RETURN t {.*} AS trace, actions, edges
