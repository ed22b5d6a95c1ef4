// The naive write path, for the ingest benchmark's baseline only (bench/ingest.py): one
// action, its claim and the claim's mentions, MERGEd in a statement of their own.
MATCH (t:Trace {key: $trace_key})
MERGE (c:Claim {key: $claim.key})
ON CREATE SET c += $claim.props, c.created_at = datetime()
MERGE (t)-[:HAS_ACTION]->(n:Action {idx: $action.props.idx})
ON CREATE SET n += $action.props, n:$($action.label)
MERGE (n)-[:ASSERTS]->(c)
FOREACH (m IN $claim.mentions |
  MERGE (x:Mention {key: m.key}) ON CREATE SET x.text = m.text
  MERGE (c)-[:MENTIONS {role: m.role}]->(x))
