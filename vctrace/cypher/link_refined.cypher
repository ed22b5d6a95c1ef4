// Record a run's policy outcome per trace: the refined version (REFINES) or the discard.
MATCH (r:VerificationRun {key: $run})
UNWIND $rows AS row
MATCH (o:Trace {key: row.original})
CALL (r, o, row) {
  WITH r, o, row WHERE row.refined IS NOT NULL
  MATCH (n:Trace {key: row.refined})
  MERGE (n)-[x:REFINES {run: $run}]->(o)
  SET x.policy_json = $policy, x.pruned_json = row.pruned_json
}
CALL (r, o, row) {
  WITH r, o, row WHERE row.discarded IS NOT NULL
  MERGE (r)-[x:DISCARDED]->(o)
  SET x.reasons_json = row.discarded, x.policy_json = $policy
}
