// Where each trace was read from (file checksum + record); re-reading adds nothing.
UNWIND $inputs AS i
MATCH (t:Trace {key: i.trace_key})
MERGE (r:InputRecord {key: i.key})
ON CREATE SET r += i.props, r.read_at = datetime()
MERGE (t)-[:READ_FROM]->(r)
