// Per trace of a run, what the policy acts on: its refuted drug-target bindings (a Boltz-2
// verdict takes precedence over the curated one) and the genes of its regulates_expression
// actions whose DE verdict has one of the $prune reasons.
// Verdicts are reached from the claim (only verdicts have JUDGES edges): no :Verdict label, so
// the planner cannot turn the lookup into a scan of the verdict index per claim.
MATCH (:VerificationRun {key: $run})-[:COVERS]->(t:Trace)
CALL (t) {
  OPTIONAL MATCH (t)-[:HAS_ACTION]->(a:Action {primitive: 'binds_to'})-[:ASSERTS]->(c:Claim)
  OPTIONAL MATCH (c)<-[:JUDGES]-(b {run: $run, verifier: 'dti-boltz'})
  WHERE b.status IN ['supported', 'refuted']
  OPTIONAL MATCH (c)<-[:JUDGES]-(k {run: $run, verifier: 'dti-kg'})
  WHERE k.reason IN $binding_reasons
  WITH a, coalesce(b, k) AS v
  RETURN collect(CASE WHEN v.status = 'refuted' THEN
    {action: a.id, verdict: v.key, verifier: v.verifier, reason: v.reason} END) AS refuted
}
CALL (t) {
  OPTIONAL MATCH (t)-[:HAS_ACTION]->(a:Action {primitive: 'regulates_expression'})
        -[:ASSERTS]->(:Claim)<-[:JUDGES]-(v {run: $run, verifier: 'de'})
  WHERE v.reason IN $prune
  RETURN collect(CASE WHEN v IS NOT NULL THEN
    {index: a.idx, gene: v.part, reason: v.reason, verdict: v.key} END) AS prune
}
RETURN t.key AS trace, refuted, prune
ORDER BY trace
