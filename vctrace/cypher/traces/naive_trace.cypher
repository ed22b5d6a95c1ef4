// The naive write path, for the ingest benchmark's baseline only (bench/ingest.py): one trace
// node, its drug and cell line, MERGEd one statement at a time.
MERGE (t:Trace {key: $row.props.key})
ON CREATE SET t += $row.props, t.ingested_at = datetime()
FOREACH (_ IN CASE WHEN $row.drug_key IS NULL THEN [] ELSE [1] END |
  MERGE (d:Drug {key: $row.drug_key}) ON CREATE SET d.name = $row.drug, d.source = 'trace'
  MERGE (t)-[:PERTURBED_BY]->(d))
FOREACH (_ IN CASE WHEN $row.cell_line_key IS NULL THEN [] ELSE [1] END |
  MERGE (c:CellLine {key: $row.cell_line_key}) ON CREATE SET c.name = $row.cell_line, c.source = 'trace'
  MERGE (t)-[:IN_CELL_LINE]->(c))
