// The full provenance of a claim: each asserting action with its trace and input record, and
// each verdict with its run and the source releases of that run. Parameters: claim.
MATCH (c:Claim {key: $claim})
OPTIONAL MATCH (t:Trace)-[:HAS_ACTION]->(a:Action)-[:ASSERTS]->(c)
OPTIONAL MATCH (t)-[:READ_FROM]->(i:InputRecord)
WITH c, collect(DISTINCT CASE WHEN a IS NULL THEN null ELSE
  {trace: t.key, trace_id: t.trace_id, trace_ids: coalesce(t.trace_ids, []), action: a.id,
   file: i.file, record: i.record, sha256: i.sha256} END) AS asserted_by
OPTIONAL MATCH (v:Verdict)-[:JUDGES]->(c)
OPTIONAL MATCH (r:VerificationRun {key: v.run})
OPTIONAL MATCH (r)-[:USED_SOURCE]->(s:SourceRelease)
WITH c, asserted_by, v, r, collect(s.source + ' ' + s.version + ' (' + s.key + ')') AS sources
RETURN c.key AS claim, c.primitive AS primitive, c.args_json AS arguments, asserted_by,
       v.run AS run, v.verifier AS verifier, v.version AS version, v.part AS part,
       v.status AS status, v.reason AS reason, v.score AS score, v.threshold AS threshold,
       v.evidence_json AS evidence, r.status AS run_status, sources
ORDER BY run, verifier, part
