// Genes by normalised symbol; the loading source is added to their sources.
UNWIND $rows AS r
MERGE (g:Gene {key: r.key})
ON CREATE SET g.symbol = r.symbol
SET g:Entity,
    g.ensembl_id = coalesce(r.ensembl_id, g.ensembl_id),
    g.sources = CASE WHEN $source IN coalesce(g.sources, []) THEN g.sources
                     ELSE coalesce(g.sources, []) + $source END
