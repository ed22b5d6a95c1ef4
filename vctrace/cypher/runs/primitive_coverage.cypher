// Per primitive, in a run: actions, distinct claims, and actions whose claim a truth verifier
// judged (supported or refuted).
// Verdicts are reached from the claim (only verdicts have JUDGES edges): no :Verdict label, so
// the planner cannot turn the lookup into a scan of the verdict index per claim.
MATCH (:VerificationRun {key: $run})-[:COVERS]->(:Trace)-[:HAS_ACTION]->(a:Action)
      -[:ASSERTS]->(c:Claim)
WITH a.primitive AS primitive, c,
     EXISTS { (c)<-[:JUDGES]-(v {run: $run}) WHERE v.verifier IN $truth
              AND v.status IN ['supported', 'refuted'] } AS judged
RETURN primitive, count(*) AS actions, count(DISTINCT c) AS claims,
       count(CASE WHEN judged THEN 1 END) AS judged_actions
ORDER BY actions DESC, primitive
