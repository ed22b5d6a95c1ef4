// Record a run's policy outcome per trace: the refined version (REFINES) or the discard,
// replacing what an earlier refine of the same run with the same policy recorded. Both are
// keyed by the policy (its JSON), so refining a run with another policy adds that policy's
// outcome next to the first instead of mixing them. $new: refined versions written by this
// call (not already stored as traces of their own), labelled RefinedVersion so that later
// runs leave them out unless asked for them.
MATCH (r:VerificationRun {key: $run})
UNWIND $rows AS row
MATCH (o:Trace {key: row.original})
CALL (o) {
  OPTIONAL MATCH (:Trace)-[old:REFINES {run: $run, policy_json: $policy}]->(o)
  DELETE old
}
CALL (r, o) {
  OPTIONAL MATCH (r)-[old:DISCARDED {policy_json: $policy}]->(o)
  DELETE old
}
CALL (r, o, row) {
  WITH r, o, row WHERE row.refined IS NOT NULL
  MATCH (n:Trace {key: row.refined})
  FOREACH (_ IN CASE WHEN n.key IN $new THEN [1] ELSE [] END | SET n:RefinedVersion)
  MERGE (n)-[x:REFINES {run: $run, policy_json: $policy}]->(o)
  SET x.pruned_json = row.pruned_json
}
CALL (r, o, row) {
  WITH r, o, row WHERE row.discarded IS NOT NULL
  MERGE (r)-[x:DISCARDED {policy_json: $policy}]->(o)
  SET x.reasons_json = row.discarded
}
