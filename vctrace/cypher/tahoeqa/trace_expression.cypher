// TahoeQA trace-based predictor: the regulates_expression actions of stored traces (refined
// versions left out: their originals are read), with each trace's drug and cell line.
MATCH (t:Trace)-[:HAS_ACTION]->(a:Action)
WHERE a.primitive = 'regulates_expression' AND NOT t:RefinedVersion
RETURN t.key AS trace, t.drug AS drug, t.cell_line AS cell_line, a.gene_list AS gene_list,
       a.direction AS direction
