// Distinct claims of the run's traces, each with the primitive of the actions asserting it
// (the engine reads them once per run, keeps those of each verifier's primitives and subtracts
// those it has already judged, see judged_subjects). One record: [key, drug, cell line,
// primitive] quadruples, so that the engine can batch claims of the same context together.
MATCH (:VerificationRun {key: $run})-[:COVERS]->(:Trace)-[:HAS_ACTION]->(a:Action)
      -[:ASSERTS]->(c:Claim)
RETURN collect(DISTINCT [c.key, coalesce(c.drug, ''), coalesce(c.cell_line, ''), a.primitive])
  AS keys
