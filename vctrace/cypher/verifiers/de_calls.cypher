// The stored significant DE calls of given genes in given experiments (one record).
UNWIND $rows AS q
MATCH (e:DEExperiment {key: q.experiment})-[r:DE]->(g:Gene)
WHERE g.key IN q.genes
RETURN collect({experiment: q.experiment, gene: g.key, log2fc: r.log2fc, padj: r.padj,
                base_mean: r.base_mean}) AS rows
