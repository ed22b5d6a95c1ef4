// Distinct claims of the run's traces that a verifier judges (the engine subtracts those it
// has already judged in this run, see judged_subjects). One record: [key, drug, cell line]
// triples, so that the engine can batch claims of the same context together.
MATCH (:VerificationRun {key: $run})-[:COVERS]->(:Trace)-[:HAS_ACTION]->(a:Action)
WHERE a.primitive IN $primitives
MATCH (a)-[:ASSERTS]->(c:Claim)
RETURN collect(DISTINCT [c.key, coalesce(c.drug, ''), coalesce(c.cell_line, '')]) AS keys
