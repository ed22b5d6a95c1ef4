// The run's traces are linked: fix the scope (its trace count, from the node's degree) and
// clear `creating`.
MATCH (r:VerificationRun {key: $run})
SET r.traces = COUNT { (r)-[:COVERS]->(:Trace) }
REMOVE r.creating
RETURN r.traces AS traces
