// The Tahoe-100M metadata of drugs ($keys): name, mechanism of action, SMILES and the listed
// targets (TARGETS, from drug_metadata), for their VC-TRACES perturbation records.
UNWIND $keys AS key
MATCH (d:Drug {key: key})
OPTIONAL MATCH (d)-[:TARGETS]->(g:Gene)
WITH d, collect(DISTINCT coalesce(g.symbol, g.key)) AS targets
RETURN d.key AS key, d.name AS name, d.moa_fine AS moa_fine, d.moa_broad AS moa_broad,
       d.smiles AS smiles, targets
