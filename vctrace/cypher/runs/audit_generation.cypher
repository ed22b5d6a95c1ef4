// How generated traces came to be: per trace key, the generation fields of the trace, its
// generation run (when recorded) and every evidence item the generator saw, with its id in
// that trace, whether the report cites it and the ids of the trace's actions it supports.
// Traces that were not generated return no row.
UNWIND $keys AS key
MATCH (t:Trace {key: key})
WHERE t.constructor IS NOT NULL OR t.generation_run IS NOT NULL OR EXISTS { (t)-[:SAW]->() }
OPTIONAL MATCH (g:GenerationRun {key: t.generation_run})
CALL (t) {
  OPTIONAL MATCH (t)-[s:SAW]->(ev:Evidence)
  CALL (t, s, ev) {
    OPTIONAL MATCH (t)-[:HAS_ACTION]->(a:Action)-[:SUPPORTED_BY {id: s.id}]->(ev)
    RETURN collect(a.id) AS supports
  }
  RETURN collect(CASE WHEN ev IS NULL THEN null ELSE
    ev {.key, .source, .source_id, .text, .kind, .data_json, id: s.id, cited: s.cited,
        supports: supports} END) AS evidence
}
RETURN t.key AS trace,
       t {.constructor, .constructor_version, .model, run: t.generation_run} AS generation,
       g {.key, .constructor, .model, .cost_usd, .requests, .traces} AS run, evidence
