// Every id of one trace, the first one first (traces stored before trace_ids: their trace_id).
MATCH (t:Trace {key: $key})
RETURN coalesce(t.trace_ids, CASE WHEN t.trace_id IS NULL THEN [] ELSE [t.trace_id] END) AS ids
