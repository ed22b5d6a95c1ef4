// Verification runs, newest first (optionally only those with a given fingerprint).
MATCH (r:VerificationRun)
WHERE $fingerprint IS NULL OR r.fingerprint = $fingerprint
RETURN r {.*, created_at: toString(r.created_at), finished_at: toString(r.finished_at)} AS run
ORDER BY r.created_at DESC
