// The process working on a run is alive (after each stored batch): a run whose heartbeat is
// old, and whose process cannot be checked on this machine, may be taken over.
MATCH (r:VerificationRun {key: $run})
WHERE r.owner = $owner
SET r.heartbeat_at = datetime()
