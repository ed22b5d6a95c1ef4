// Verdicts whose status differs between two runs (same verifier, subject and part), and the
// traces affected. Parameters: run_a, run_b.
// The verdicts of the run with fewer traces are read through the (run, verifier) index and
// expanded to the other run's (reading the larger run's verdicts first would visit them all).
OPTIONAL MATCH (ra:VerificationRun {key: $run_a})
OPTIONAL MATCH (rb:VerificationRun {key: $run_b})
WITH coalesce(rb.traces, 0) < coalesce(ra.traces, 0) AS from_b
CALL (from_b) {
  WITH CASE WHEN from_b THEN null ELSE $run_a END AS first  // null: this branch finds nothing
  MATCH (a:Verdict)-[:JUDGES]->(s)<-[:JUDGES]-(b)
  USING INDEX a:Verdict(run, verifier)
  WHERE a.run = first AND a.verifier IS NOT NULL AND b.run = $run_b
    AND b.verifier = a.verifier AND coalesce(b.part, '') = coalesce(a.part, '')
    AND a.status <> b.status
  RETURN a, b, s
  UNION ALL
  WITH CASE WHEN from_b THEN $run_b END AS first
  MATCH (a)-[:JUDGES]->(s)<-[:JUDGES]-(b:Verdict)
  USING INDEX b:Verdict(run, verifier)
  WHERE b.run = first AND b.verifier IS NOT NULL AND a.run = $run_a AND a:Verdict
    AND a.verifier = b.verifier AND coalesce(b.part, '') = coalesce(a.part, '')
    AND a.status <> b.status
  RETURN a, b, s
}
WITH a, b, s,
     CASE WHEN s:Trace THEN [s.key]
          ELSE COLLECT { MATCH (s)<-[:ASSERTS]-(:Action)<-[:HAS_ACTION]-(t:Trace)
                         RETURN DISTINCT t.key } END AS traces
RETURN a.verifier AS verifier, a.subject AS subject, a.part AS part,
       a.status AS status_a, a.reason AS reason_a, b.status AS status_b,
       b.reason AS reason_b, size(traces) AS n_traces, traces[..5] AS traces
ORDER BY verifier, subject, part
