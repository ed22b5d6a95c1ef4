// The traces a run covers, linked in batches of $batch_size (one transaction each: a run over
// hundreds of thousands of traces does not hold them all in one transaction's memory). MERGE:
// a linking that was interrupted is completed by running this again. The filters are
// parameters: null means "any". Refined versions written by `vctrace refine` are only covered
// when named in $traces. Runs in an implicit transaction (Graph.auto_commit).
MATCH (r:VerificationRun {key: $run})
MATCH (t:Trace)
WHERE ($drug IS NULL OR EXISTS { (t)-[:PERTURBED_BY]->(:Drug {key: $drug}) })
  AND ($cell_line IS NULL OR EXISTS { (t)-[:IN_CELL_LINE]->(:CellLine {key: $cell_line}) })
  AND ($traces IS NULL OR t.key IN $traces OR t.trace_id IN $traces)
  AND ($traces IS NOT NULL OR NOT t:RefinedVersion)
CALL (r, t) {
  MERGE (r)-[:COVERS]->(t)
} IN TRANSACTIONS OF $batch_size ROWS
