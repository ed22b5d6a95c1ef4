// Traces as trace-level verifiers see them.
UNWIND $keys AS k
MATCH (t:Trace {key: k})
RETURN t.key AS key, t.findings_json AS findings_json
