// Traces with their actions and edges, in order, for the model readers.
UNWIND $keys AS key
MATCH (t:Trace {key: key})
CALL (t) {
  MATCH (t)-[:HAS_ACTION]->(a:Action)
  WITH a ORDER BY a.idx
  RETURN collect(a {.id, .primitive, .args_json, .line, .source_line}) AS actions
}
CALL (t) {
  MATCH (t)-[:HAS_ACTION]->(:Action)-[r:LEADS_TO]->(:Action)
  WITH r ORDER BY r.idx
  RETURN collect(r {.source, .target, .relation, .line, .source_line}) AS edges
}
RETURN t {.*} AS trace, actions, edges
