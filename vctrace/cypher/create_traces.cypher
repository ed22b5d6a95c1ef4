// New traces as whole subgraphs, one query per batch (the keys were checked absent in the same
// transaction, so nodes of the trace are CREATEd; shared nodes are MERGEd on their key):
// the trace, its actions (label from the primitive registry, never from input), the claim
// each action asserts, the entity mentions of its arguments, and the LEADS_TO edges, which
// find their endpoints in the trace's own list of new actions rather than through an index.
UNWIND $traces AS tr
CREATE (t:Trace)
SET t = tr.props, t.ingested_at = datetime()
WITH t, tr
CALL (t, tr) {
  UNWIND tr.actions AS a
  CREATE (t)-[:HAS_ACTION]->(n:Action)
  SET n = a.props
  SET n:$(a.label)
  MERGE (c:Claim {key: a.claim.key})
  ON CREATE SET c += a.claim.props, c.created_at = datetime()
  CREATE (n)-[:ASSERTS]->(c)
  FOREACH (m IN a.mentions |
    MERGE (x:Mention {key: m.key})
    ON CREATE SET x.text = m.text
    CREATE (n)-[:MENTIONS {role: m.role, position: m.position}]->(x))
  RETURN collect(n) AS nodes
}
CALL (tr, nodes) {
  UNWIND tr.edges AS e
  WITH e, [x IN nodes WHERE x.idx = e.source][0] AS a, [x IN nodes WHERE x.idx = e.target][0] AS b
  CREATE (a)-[r:LEADS_TO]->(b)
  SET r = e.props
}
CALL (t, tr) {
  WITH t, tr WHERE tr.drug_key IS NOT NULL
  MERGE (d:Drug {key: tr.drug_key})
  ON CREATE SET d.name = tr.drug, d.source = 'trace'
  CREATE (t)-[:PERTURBED_BY]->(d)
}
CALL (t, tr) {
  WITH t, tr WHERE tr.cell_line_key IS NOT NULL
  MERGE (c:CellLine {key: tr.cell_line_key})
  ON CREATE SET c.name = tr.cell_line, c.source = 'trace'
  CREATE (t)-[:IN_CELL_LINE]->(c)
}
