// HGNC approved symbols: gene identifiers and every alias / previous symbol as a name.
UNWIND $rows AS r
MERGE (g:Gene {key: r.key})
ON CREATE SET g.symbol = r.symbol
SET g:Entity, g.hgnc_id = r.hgnc_id, g.entrez_id = coalesce(g.entrez_id, r.entrez_id),
    g.ensembl_id = coalesce(g.ensembl_id, r.ensembl_id), g.uniprot_ids = r.uniprot_ids,
    g.names = coalesce(g.names, []) + [n IN r.names WHERE NOT n IN coalesce(g.names, [])],
    g.sources = CASE WHEN $source IN coalesce(g.sources, []) THEN g.sources
                     ELSE coalesce(g.sources, []) + $source END
