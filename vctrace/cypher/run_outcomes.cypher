// The policy outcome of each trace of a run: refined version key and discard reasons (null
// when the trace stays as it is).
MATCH (r:VerificationRun {key: $run})-[:COVERS]->(t:Trace)
OPTIONAL MATCH (n:Trace)-[:REFINES {run: $run}]->(t)
OPTIONAL MATCH (r)-[d:DISCARDED]->(t)
RETURN t.key AS trace, n.key AS refined, d.reasons_json AS discarded
ORDER BY trace
