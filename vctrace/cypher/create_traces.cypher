// New traces with their actions (plain CREATE: the keys were checked absent in the same
// transaction). The action label comes from the primitive registry, never from input.
UNWIND $traces AS tr
CREATE (t:Trace)
SET t = tr.props, t.ingested_at = datetime()
WITH t, tr
UNWIND tr.actions AS a
CREATE (t)-[:HAS_ACTION]->(n:Action)
SET n = a.props
SET n:$(a.label)
