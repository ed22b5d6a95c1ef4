// The outcome of each trace of a run under one policy: refined version key and discard
// reasons (both null when the trace stays as it is, or when the run was not refined with it).
MATCH (r:VerificationRun {key: $run})-[:COVERS]->(t:Trace)
OPTIONAL MATCH (n:Trace)-[:REFINES {run: $run, policy_json: $policy}]->(t)
OPTIONAL MATCH (r)-[d:DISCARDED {policy_json: $policy}]->(t)
RETURN t.key AS trace, n.key AS refined, d.reasons_json AS discarded
ORDER BY trace
