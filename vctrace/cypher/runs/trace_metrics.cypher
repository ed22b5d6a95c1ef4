// Per trace of a run: the counts its quality metrics are computed from (see
// vctrace/runs/metrics.py for the definitions), and the constructor that generated the trace
// (null: an imported trace). $truth: the verifiers that judge truth.
// Verdicts are reached from the claim (only verdicts have JUDGES edges): no :Verdict label, so
// the planner cannot turn the lookup into a scan of the verdict index per claim.
MATCH (:VerificationRun {key: $run})-[:COVERS]->(t:Trace)
CALL (t) {
  OPTIONAL MATCH (t)<-[:JUDGES]-(v {run: $run, verifier: 'structure'})
  RETURN v.status AS structure
}
CALL (t) {
  MATCH (t)-[:HAS_ACTION]->(a:Action)-[:ASSERTS]->(c:Claim)
  WHERE a.primitive <> 'set_context'
  WITH DISTINCT c
  RETURN count(c) AS claims,
         count(CASE WHEN EXISTS { (c)<-[:JUDGES]-(v {run: $run})
                                  WHERE v.verifier IN $truth
                                    AND v.status IN ['supported', 'refuted'] }
               THEN 1 END) AS judged
}
CALL (t) {
  MATCH (t)-[:HAS_ACTION]->(a:Action {primitive: 'binds_to'})-[:ASSERTS]->(c:Claim)
  OPTIONAL MATCH (c)<-[:JUDGES]-(b {run: $run, verifier: 'dti-boltz'})
  WHERE b.score IS NOT NULL
  OPTIONAL MATCH (c)<-[:JUDGES]-(k {run: $run, verifier: 'dti-kg'})
  WHERE k.reason IN $binding_reasons
  WITH a, coalesce(b.score, k.score) AS value, coalesce(b.status, k.status) AS status
  RETURN avg(value) AS dti, count(value) AS dti_judged,
         count(CASE WHEN status = 'refuted' THEN 1 END) AS dti_refuted
}
CALL (t) {
  MATCH (t)-[:HAS_ACTION]->(a:Action {primitive: 'regulates_expression'})-[:ASSERTS]->(c:Claim)
  OPTIONAL MATCH (c)<-[:JUDGES]-(v {run: $run, verifier: 'de'})
  WITH a, count(CASE WHEN v.status = 'supported' THEN 1 END) AS up,
       count(CASE WHEN v.status = 'refuted' THEN 1 END) AS down,
       count(CASE WHEN v.reason = $conflicting THEN 1 END) AS conflicting
  RETURN sum(up) AS de_supported, sum(down) AS de_refuted, sum(conflicting) AS de_conflicting,
         count(a) AS de_actions,
         count(CASE WHEN up + down > 0 THEN 1 END) AS de_judged_actions,
         count(CASE WHEN down > 0 THEN 1 END) AS de_refined_actions
}
RETURN t.key AS trace, t.trace_id AS trace_id, t.drug AS drug, t.cell_line AS cell_line,
       t.constructor AS constructor, structure, claims, judged, dti, dti_judged, dti_refuted,
       de_supported, de_refuted, de_conflicting, de_actions, de_judged_actions,
       de_refined_actions
ORDER BY trace
