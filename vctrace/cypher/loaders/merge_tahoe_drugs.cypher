// Tahoe-100M drugs (keyed by normalised full name) and their listed targets.
UNWIND $rows AS r
MERGE (d:Drug {key: r.key})
SET d:Entity, d.name = r.name, d.original_name = r.original_name, d.base_name = r.base_name,
    d.names = r.names, d.moa_broad = r.moa_broad, d.moa_fine = r.moa_fine,
    d.human_approved = r.human_approved, d.clinical_trials = r.clinical_trials,
    d.smiles = r.smiles, d.pubchem_cid = r.pubchem_cid,
    d.sources = CASE WHEN $source IN coalesce(d.sources, []) THEN d.sources
                     ELSE coalesce(d.sources, []) + $source END
WITH d, r
UNWIND r.targets AS t
MERGE (g:Gene {key: t.key})
ON CREATE SET g:Entity, g.symbol = t.symbol, g.sources = [$source]
MERGE (d)-[rel:TARGETS]->(g)
SET rel.source = $source, rel.release = $release
