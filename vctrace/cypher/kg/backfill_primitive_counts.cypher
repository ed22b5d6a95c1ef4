// Traces stored before traces kept how many of their actions use each primitive
// (primitive_counts, in the order of primitives) get it, in batches; once every trace has
// it this only scans (ingest writes it since).
MATCH (t:Trace) WHERE t.primitive_counts IS NULL
CALL (t) {
  SET t.primitive_counts = [p IN coalesce(t.primitives, []) |
                            COUNT { (t)-[:HAS_ACTION]->(:Action {primitive: p}) }]
} IN TRANSACTIONS OF 5000 ROWS
