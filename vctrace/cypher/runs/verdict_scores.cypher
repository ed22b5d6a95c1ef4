// The scores of a run's verdicts of one verifier (for distributions).
MATCH (v:Verdict {run: $run, verifier: $verifier})
WHERE v.score IS NOT NULL
RETURN v.score AS score, v.status AS status
