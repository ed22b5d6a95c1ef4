// The drug and cell line of new traces.
UNWIND $traces AS tr
MATCH (t:Trace {key: tr.key})
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
