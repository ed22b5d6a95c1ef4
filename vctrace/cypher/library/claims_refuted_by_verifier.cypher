// Claims a verifier refuted in a run (default: the newest run with verdicts of that verifier),
// with reason, part and how many actions assert each. Parameters: verifier, run (optional).
CALL () {
  MATCH (r:VerificationRun)
  WHERE ($run IS NULL OR r.key = $run) AND $verifier IN r.verifier_names
  RETURN r ORDER BY r.created_at DESC LIMIT 1
}
MATCH (v:Verdict {run: r.key, verifier: $verifier})
WHERE v.status = 'refuted'
MATCH (v)-[:JUDGES]->(c:Claim)
RETURN r.key AS run, c.key AS claim, c.primitive AS primitive, v.part AS part,
       v.reason AS reason, v.score AS score, c.drug AS drug, c.cell_line AS cell_line,
       COUNT { (c)<-[:ASSERTS]-(:Action) } AS actions
ORDER BY actions DESC, claim, part
