// Which of the given trace keys are already stored.
UNWIND $keys AS key
MATCH (t:Trace {key: key})
RETURN t.key AS key
