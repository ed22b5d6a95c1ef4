// Tahoe-100M cell lines (one row per driver alteration) and their driver genes.
UNWIND $rows AS r
MERGE (c:CellLine {key: r.key})
SET c:Entity, c.name = r.name, c.depmap_id = r.depmap_id,
    c.cellosaurus_id = r.cellosaurus_id, c.organ = r.organ,
    c.sources = CASE WHEN $source IN coalesce(c.sources, []) THEN c.sources
                     ELSE coalesce(c.sources, []) + $source END
WITH c, r
WHERE r.driver IS NOT NULL
MERGE (g:Gene {key: r.driver.key})
ON CREATE SET g:Entity, g.symbol = r.driver.symbol, g.sources = [$source]
MERGE (c)-[h:HAS_DRIVER {effect: r.driver.effect}]->(g)
SET h.mechanism = r.driver.mechanism, h.gene_type = r.driver.gene_type,
    h.var_type = r.driver.var_type, h.zygosity = r.driver.zygosity,
    h.source = $source, h.release = $release
