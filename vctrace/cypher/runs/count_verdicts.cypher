// Verdicts of a run per verifier and status.
MATCH (v:Verdict {run: $run})
RETURN v.verifier AS verifier, v.status AS status, count(*) AS n
