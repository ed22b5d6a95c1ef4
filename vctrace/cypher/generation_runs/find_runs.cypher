// Generation runs, newest first (or the one with key $key), with the number of stored traces
// linked to each.
MATCH (g:GenerationRun)
WHERE $key IS NULL OR g.key = $key
CALL (g) {
  OPTIONAL MATCH (t:Trace)-[:GENERATED_IN]->(g)
  RETURN count(t) AS stored
}
RETURN g {.*, created_at: toString(g.created_at), recorded_at: toString(g.recorded_at),
          stored: stored} AS run
ORDER BY g.created_at DESC, g.key
LIMIT $limit
