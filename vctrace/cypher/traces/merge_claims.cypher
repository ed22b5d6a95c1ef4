// The claims of a batch that are not stored yet, each with the entity mentions of its
// arguments (MERGE throughout: running it twice changes nothing). Sent before the traces that
// assert them, so create_traces only has to find them.
UNWIND $claims AS c
MERGE (cl:Claim {key: c.key})
ON CREATE SET cl += c.props, cl.created_at = datetime()
FOREACH (m IN c.mentions |
  MERGE (x:Mention {key: m.key})
  ON CREATE SET x.text = m.text
  MERGE (cl)-[:MENTIONS {role: m.role}]->(x))
