// Record a run's policy outcome per trace: the refined version (REFINES) or the discard. Both
// are keyed by the policy (its JSON), so refining a run again with another policy adds that
// policy's outcome next to the first instead of mixing them.
MATCH (r:VerificationRun {key: $run})
UNWIND $rows AS row
MATCH (o:Trace {key: row.original})
CALL (r, o, row) {
  WITH r, o, row WHERE row.refined IS NOT NULL
  MATCH (n:Trace {key: row.refined})
  MERGE (n)-[x:REFINES {run: $run, policy_json: $policy}]->(o)
  SET x.pruned_json = row.pruned_json
}
CALL (r, o, row) {
  WITH r, o, row WHERE row.discarded IS NOT NULL
  MERGE (r)-[x:DISCARDED {policy_json: $policy}]->(o)
  SET x.reasons_json = row.discarded
}
