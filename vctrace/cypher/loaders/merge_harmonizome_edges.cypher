// Harmonizome gene-attribute associations of one dataset.
UNWIND $rows AS r
MERGE (g:Gene {key: r.gene_key})
ON CREATE SET g:Entity, g.symbol = r.symbol, g.sources = [$source]
SET g.entrez_id = coalesce(g.entrez_id, r.entrez_id)
MERGE (a:HarmonizomeAttribute {key: r.attribute_key})
ON CREATE SET a:Entity, a.name = r.attribute, a.dataset = $dataset,
              a.description = r.attribute_desc, a.attribute_id = r.attribute_id,
              a.sources = [$source]
MERGE (g)-[e:HAS_ATTRIBUTE {dataset: $dataset}]->(a)
SET e.weight = r.weight, e.sign = r.sign, e.source = $source, e.release = $release
