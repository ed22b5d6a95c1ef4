// Traces as trace-level verifiers see them (one record for the batch).
UNWIND $keys AS k
MATCH (t:Trace {key: k})
RETURN collect({key: t.key, findings_json: t.findings_json}) AS rows
