// Distinct claims of the run's traces that a verifier judges and has not judged in this run
// yet (a claim with at least one verdict from it counts as done: verdicts of a batch are
// written in one transaction).
MATCH (:VerificationRun {key: $run})-[:COVERS]->(:Trace)-[:HAS_ACTION]->(a:Action)
WHERE a.primitive IN $primitives
MATCH (a)-[:ASSERTS]->(c:Claim)
WITH DISTINCT c
WHERE NOT EXISTS { (c)<-[:JUDGES]-(:Verdict {run: $run, verifier: $verifier}) }
RETURN c.key AS key
ORDER BY key
