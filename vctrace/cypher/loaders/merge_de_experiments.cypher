// One DEExperiment per condition (drug, cell line, concentration), linked to its drug and
// cell line, with the bitmap of tested genes over the load's gene universe.
UNWIND $rows AS r
MERGE (e:DEExperiment {key: r.key})
SET e.drug = r.drug, e.cell_line = r.cell_line, e.concentration = r.concentration,
    e.unit = r.unit, e.plate = r.plate, e.cellosaurus_id = r.cellosaurus_id,
    e.depmap_id = r.depmap_id, e.n_cells_trt = r.n_cells_trt, e.n_cells_ctrl = r.n_cells_ctrl,
    e.genes_tested = r.genes_tested, e.tested_bitmap = r.tested_bitmap,
    e.universe = $universe, e.source = $source, e.release = $release
MERGE (d:Drug {key: r.drug_key})
ON CREATE SET d:Entity, d.name = r.drug, d.sources = [$source]
MERGE (c:CellLine {key: r.cell_line_key})
ON CREATE SET c:Entity, c.name = r.cell_line, c.sources = [$source]
MERGE (e)-[:OF_DRUG]->(d)
MERGE (e)-[:IN_CELL_LINE]->(c)
