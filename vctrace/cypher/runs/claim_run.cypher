// Take a run for this process: a compare-and-set on its owner. The write lock is taken first
// (SET/REMOVE of a dummy property), so the owner read after it is the committed one: of two
// processes claiming the same run, the second sees the first's owner and gets no row.
MATCH (r:VerificationRun {key: $run})
SET r._claim_lock = true
REMOVE r._claim_lock
WITH r
WHERE coalesce(r.owner, '') = $expected
SET r.owner = $owner, r.heartbeat_at = datetime()
RETURN r.key AS key
