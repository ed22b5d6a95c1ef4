// Distinct claims of the run's traces that a verifier judges (the engine subtracts those it
// has already judged in this run, see judged_subjects). One record: a list of keys.
MATCH (:VerificationRun {key: $run})-[:COVERS]->(:Trace)-[:HAS_ACTION]->(a:Action)
WHERE a.primitive IN $primitives
MATCH (a)-[:ASSERTS]->(c:Claim)
RETURN collect(DISTINCT c.key) AS keys
