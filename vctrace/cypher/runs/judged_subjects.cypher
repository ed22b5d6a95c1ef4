// Subjects a verifier has judged in a run (a subject with at least one verdict counts as done:
// the verdicts of a batch are written in one transaction). A separate lookup on the verdict
// index, not an anti-join: with an empty Verdict store the planner would otherwise scan the
// index once per claim.
MATCH (v:Verdict {run: $run, verifier: $verifier})
RETURN collect(DISTINCT v.subject) AS keys
