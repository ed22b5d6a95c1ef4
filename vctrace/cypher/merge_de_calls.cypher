// Significant differential-expression calls of one batch (experiment properties are set at
// the end of the load by merge_de_experiments).
UNWIND $rows AS r
MERGE (e:DEExperiment {key: r.experiment})
MERGE (g:Gene {key: r.gene_key})
ON CREATE SET g:Entity, g.symbol = r.gene, g.sources = [$source]
MERGE (e)-[d:DE]->(g)
SET d.log2fc = r.log2fc, d.padj = r.padj, d.pvalue = r.pvalue, d.base_mean = r.base_mean,
    d.lfc_se = r.lfc_se, d.stat = r.stat, d.direction = r.direction, d.source = $source,
    d.release = $release
