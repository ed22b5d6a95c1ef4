// Claims asserted by at least $min_traces traces (default 2), most shared first.
// Parameters: min_traces (optional).
// n_traces is kept by ingest (index claim_n_traces), so this reads no trace.
MATCH (c:Claim)
WHERE c.n_traces >= coalesce($min_traces, 2)
RETURN c.key AS claim, c.primitive AS primitive, c.args_json AS arguments,
       c.n_traces AS traces
ORDER BY traces DESC, claim
