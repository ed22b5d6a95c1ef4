// Claims stored before claims kept a count of the traces asserting them (n_traces) get it,
// in batches; once every claim has one this only scans (ingest keeps the counts since).
MATCH (c:Claim) WHERE c.n_traces IS NULL
CALL (c) {
  SET c.n_traces = size(COLLECT {
    MATCH (t:Trace)-[:HAS_ACTION]->(:Action)-[:ASSERTS]->(c) RETURN DISTINCT t
  })
} IN TRANSACTIONS OF 5000 ROWS
