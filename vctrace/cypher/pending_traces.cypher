// The run's traces that a trace-level verifier has not judged in this run yet.
MATCH (:VerificationRun {key: $run})-[:COVERS]->(t:Trace)
WHERE NOT EXISTS { (t)<-[:JUDGES]-(:Verdict {run: $run, verifier: $verifier}) }
RETURN t.key AS key
ORDER BY key
