// Which of the given claim keys are already stored.
UNWIND $keys AS key
MATCH (c:Claim {key: key})
RETURN c.key AS key
