// Verdicts of a run per verifier, status and reason.
MATCH (v:Verdict {run: $run})
RETURN v.verifier AS verifier, v.status AS status, v.reason AS reason, count(*) AS verdicts
ORDER BY verifier, status, verdicts DESC
