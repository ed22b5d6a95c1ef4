// The evidence items a batch of generated traces saw, one node per distinct item (keyed by a
// content hash, so an item seen by many traces, or ingested twice, is one node).
UNWIND $evidence AS e
MERGE (ev:Evidence {key: e.key})
ON CREATE SET ev += e.props, ev.created_at = datetime()
