// A verification run and the traces it covers (the scope is fixed when the run is created, so
// a resumed run judges exactly the traces the first attempt chose), linked to the source
// releases loaded at that time. The filters are parameters: null means "any". Refined
// versions written by `vctrace refine` are only covered when named in $traces.
CREATE (r:VerificationRun)
SET r = $props, r.status = 'running', r.created_at = datetime()
WITH r
CALL (r) {
  MATCH (t:Trace)
  WHERE ($drug IS NULL OR EXISTS { (t)-[:PERTURBED_BY]->(:Drug {key: $drug}) })
    AND ($cell_line IS NULL OR EXISTS { (t)-[:IN_CELL_LINE]->(:CellLine {key: $cell_line}) })
    AND ($traces IS NULL OR t.key IN $traces OR t.trace_id IN $traces)
    AND ($traces IS NOT NULL OR NOT t:RefinedVersion)
  CREATE (r)-[:COVERS]->(t)
  RETURN count(t) AS traces
}
CALL (r) {
  MATCH (s:SourceRelease)
  CREATE (r)-[:USED_SOURCE]->(s)
  RETURN count(s) AS sources
}
SET r.traces = traces
RETURN traces, sources
