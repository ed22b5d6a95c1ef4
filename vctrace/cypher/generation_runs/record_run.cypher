// A generation run: its figures (constructor, model, pairs, traces, requests, tokens, cost),
// linked to the stored traces it wrote (by content key; a trace already stored by an earlier
// run is linked to this one too, since this run wrote it again).
MERGE (g:GenerationRun {key: $key})
ON CREATE SET g.created_at = datetime()
SET g += $props, g.recorded_at = datetime()
WITH g
CALL (g) {
  UNWIND $trace_keys AS tkey
  MATCH (t:Trace {key: tkey})
  MERGE (t)-[:GENERATED_IN]->(g)
  RETURN count(t) AS linked
}
RETURN linked
