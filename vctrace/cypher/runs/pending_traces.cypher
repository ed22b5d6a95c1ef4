// The run's traces (the engine subtracts those a trace-level verifier has already judged).
MATCH (:VerificationRun {key: $run})-[:COVERS]->(t:Trace)
RETURN collect([t.key, '', '']) AS keys
