// The Tahoe-100M condition grid: which drug was tested in which cell line, at what dose.
UNWIND $rows AS r
MERGE (d:Drug {key: r.drug_key})
ON CREATE SET d:Entity, d.name = r.drug, d.sources = [$source]
SET d.is_control = r.is_control
MERGE (c:CellLine {key: r.cell_line_key})
ON CREATE SET c:Entity, c.name = r.cell_line, c.sources = [$source]
MERGE (d)-[t:TESTED_IN {conc: r.conc, plate: r.plate}]->(c)
SET t.n_cells = r.n_cells, t.source = $source, t.release = $release
