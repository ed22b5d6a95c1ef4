// The verdicts of one batch ($$LABEL$$: Claim or Trace, from the verifier's class). CREATE, not
// MERGE: the engine only judges subjects without a verdict of this run and verifier, a batch
// is one transaction, and the unique constraint on Verdict.key would refuse a duplicate.
// A verdict names its run by key (Verdict.run, indexed with the verifier) rather than by a
// relationship to the run node: hundreds of thousands of edges on one node cost write time
// and add nothing a lookup by key does not give.
UNWIND $rows AS v
MATCH (s:$$LABEL$$ {key: v.subject})
CREATE (x:Verdict {key: v.key, run: $run, verifier: $verifier, version: $version,
                   subject: v.subject, status: v.status, reason: v.reason,
                   evidence_json: v.evidence_json, created_at: datetime()})
SET x.part = v.part, x.score = v.score, x.threshold = v.threshold
CREATE (x)-[:JUDGES]->(s)
