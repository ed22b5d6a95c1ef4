// Close a run: its counts, timings and metrics (JSON) and the time it finished.
MATCH (r:VerificationRun {key: $run})
SET r += $props, r.finished_at = datetime()
