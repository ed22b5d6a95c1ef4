// TahoeQA: the (drug, cell line) conditions of the loaded DE, each with its experiments (one
// per dose), and what the perturbation record of its questions shows: the drug's curated
// targets (Tahoe TARGETS, PrimeKG DRUG_PROTEIN), mechanism class and SMILES, the cell line's
// organ. Ordered by drug and cell line key.
MATCH (d:Drug)<-[:OF_DRUG]-(e:DEExperiment)-[:IN_CELL_LINE]->(c:CellLine)
WITH d, c, collect(e {.key, .concentration, .universe, .release}) AS experiments
ORDER BY d.key, c.key
RETURN d.key AS drug_key, coalesce(d.name, d.key) AS drug, c.key AS cell_line_key,
       coalesce(c.name, c.key) AS cell_line, experiments, d.moa_broad AS moa,
       d.smiles AS smiles, c.organ AS organ,
       COLLECT { MATCH (d)-[:TARGETS|DRUG_PROTEIN]-(g:Gene)
                 RETURN DISTINCT coalesce(g.symbol, g.name, g.key) } AS targets
