// Distinct claims of the run's traces that a verifier judges (the engine subtracts those it
// has already judged in this run, see judged_subjects).
MATCH (:VerificationRun {key: $run})-[:COVERS]->(:Trace)-[:HAS_ACTION]->(a:Action)
WHERE a.primitive IN $primitives
MATCH (a)-[:ASSERTS]->(c:Claim)
RETURN DISTINCT c.key AS key
