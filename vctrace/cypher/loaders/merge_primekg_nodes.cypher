// PrimeKG nodes of one type; $$LABEL$$ is replaced by a label from the loader's fixed table.
UNWIND $rows AS r
MERGE (n:$$LABEL$$ {key: r.key})
ON CREATE SET n.name = r.name
SET n:Entity, n.primekg_id = r.primekg_id, n.primekg_source = r.primekg_source,
    n.sources = CASE WHEN $source IN coalesce(n.sources, []) THEN n.sources
                     ELSE coalesce(n.sources, []) + $source END
