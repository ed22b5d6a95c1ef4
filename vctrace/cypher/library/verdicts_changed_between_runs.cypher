// Verdicts whose status differs between two runs (same verifier, subject and part), and the
// traces affected. Parameters: run_a, run_b.
MATCH (a:Verdict {run: $run_a})-[:JUDGES]->(s)<-[:JUDGES]-(b)
WHERE b.run = $run_b AND b.verifier = a.verifier
  AND coalesce(b.part, '') = coalesce(a.part, '') AND a.status <> b.status
WITH a, b, s,
     CASE WHEN s:Trace THEN [s.key]
          ELSE COLLECT { MATCH (s)<-[:ASSERTS]-(:Action)<-[:HAS_ACTION]-(t:Trace)
                         RETURN DISTINCT t.key } END AS traces
RETURN a.verifier AS verifier, a.subject AS subject, a.part AS part,
       a.status AS status_a, a.reason AS reason_a, b.status AS status_b,
       b.reason AS reason_b, size(traces) AS n_traces, traces[..5] AS traces
ORDER BY verifier, subject, part
