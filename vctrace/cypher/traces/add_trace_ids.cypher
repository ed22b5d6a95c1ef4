// Record more ids on stored traces: each row is one trace key with its ids in order (one row
// per key, so that no row reads what another row of the same statement writes). Ids already
// in trace_ids (or, for traces stored before trace_ids, their trace_id) are left out; the first id becomes trace_id where the trace had none.
// Returns how many ids were added (0 when every id was already recorded).
UNWIND $rows AS row
MATCH (t:Trace {key: row.key})
WITH t, row, coalesce(t.trace_ids, CASE WHEN t.trace_id IS NULL THEN [] ELSE [t.trace_id] END) AS old
WITH t, old, [i IN row.ids WHERE NOT i IN old] AS new
WHERE size(new) > 0
SET t.trace_ids = old + new,
    t.trace_id = coalesce(t.trace_id, new[0])
RETURN count(t) AS traces, sum(size(new)) AS added
