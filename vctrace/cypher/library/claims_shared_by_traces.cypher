// Claims asserted by at least $min_traces traces (default 2), most shared first.
// Parameters: min_traces (optional).
MATCH (t:Trace)-[:HAS_ACTION]->(:Action)-[:ASSERTS]->(c:Claim)
WITH c, count(DISTINCT t) AS traces
WHERE traces >= coalesce($min_traces, 2)
RETURN c.key AS claim, c.primitive AS primitive, c.args_json AS arguments, traces
ORDER BY traces DESC, claim
