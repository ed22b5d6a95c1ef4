// The verdicts of one batch ($$LABEL$$: Claim or Trace, from the verifier's class). MERGE on
// the verdict key (run, verifier, subject, part): storing a batch twice changes nothing.
MATCH (r:VerificationRun {key: $run})
UNWIND $rows AS v
MATCH (s:$$LABEL$$ {key: v.subject})
MERGE (x:Verdict {key: v.key})
ON CREATE SET x.run = $run, x.verifier = $verifier, x.version = $version,
              x.subject = v.subject, x.part = v.part, x.status = v.status,
              x.reason = v.reason, x.score = v.score, x.threshold = v.threshold,
              x.evidence_json = v.evidence_json, x.created_at = datetime()
MERGE (x)-[:JUDGES]->(s)
MERGE (x)-[:IN_RUN]->(r)
