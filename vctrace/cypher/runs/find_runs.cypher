// Verification runs, newest first (optionally only those with a given fingerprint); with the
// seconds since the owner's last heartbeat.
MATCH (r:VerificationRun)
WHERE $fingerprint IS NULL OR r.fingerprint = $fingerprint
RETURN r {.*, created_at: toString(r.created_at), finished_at: toString(r.finished_at),
          heartbeat_at: toString(r.heartbeat_at),
          heartbeat_age_s: CASE WHEN r.heartbeat_at IS NULL THEN null
                           ELSE duration.inSeconds(r.heartbeat_at, datetime()).seconds END}
       AS run
ORDER BY r.created_at DESC
