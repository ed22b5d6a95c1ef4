// Per primitive, in a run: actions, distinct claims, and actions whose claim a truth verifier
// judged (supported or refuted).
MATCH (:VerificationRun {key: $run})-[:COVERS]->(:Trace)-[:HAS_ACTION]->(a:Action)
      -[:ASSERTS]->(c:Claim)
WITH a.primitive AS primitive, c,
     EXISTS { (c)<-[:JUDGES]-(v:Verdict {run: $run}) WHERE v.verifier IN $truth
              AND v.status IN ['supported', 'refuted'] } AS judged
RETURN primitive, count(*) AS actions, count(DISTINCT c) AS claims,
       count(CASE WHEN judged THEN 1 END) AS judged_actions
ORDER BY actions DESC, primitive
