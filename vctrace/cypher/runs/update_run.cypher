// Update properties of a run (progress of a verifier, status).
MATCH (r:VerificationRun {key: $run})
SET r += $props
