// New traces as whole subgraphs, one query per batch (the keys were checked absent in the same
// transaction, so nodes of the trace are CREATEd; shared nodes are MERGEd on their key):
// the trace, its drug and cell line, its actions linked to the claim each asserts (written
// just before by merge_claims), and the LEADS_TO edges, whose endpoints are taken from the
// trace's own list of new actions (ordered by position) rather than looked up.
// The per-primitive labels are static: the FOREACH line is repeated once per primitive label
// of the registry (the ACTION_LABEL placeholder, never from input): a dynamic label (SET n:$(…)) would force the
// planner to materialise every row before each later MERGE, several times slower.
UNWIND $traces AS tr
CREATE (t:Trace)
SET t = tr.props, t.ingested_at = datetime()
WITH t, tr
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
CALL (t, tr) {
  UNWIND tr.actions AS a
  CREATE (t)-[:HAS_ACTION]->(n:Action)
  SET n = a.props
  WITH n, a
  MATCH (c:Claim {key: a.claim_key})
  CREATE (n)-[:ASSERTS]->(c)
  FOREACH (_ IN CASE WHEN a.label = '$$ACTION_LABEL$$' THEN [1] ELSE [] END | SET n:$$ACTION_LABEL$$)
  WITH n, a ORDER BY a.props.idx
  RETURN collect(n) AS nodes
}
CALL (tr, nodes) {
  UNWIND tr.edges AS e
  WITH e, nodes[e.source] AS a, nodes[e.target] AS b
  CREATE (a)-[r:LEADS_TO]->(b)
  SET r = e.props
}
