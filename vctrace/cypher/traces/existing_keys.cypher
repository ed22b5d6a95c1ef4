// Which of the given trace keys and claim keys are already stored (one round trip, run inside
// the write transaction so that a retried batch sees what an earlier attempt committed).
RETURN COLLECT { UNWIND $traces AS key MATCH (t:Trace {key: key}) RETURN key } AS traces,
       COLLECT { UNWIND $claims AS key MATCH (c:Claim {key: key}) RETURN key } AS claims
