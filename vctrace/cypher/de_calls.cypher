// The stored significant DE calls of given genes in given experiments.
UNWIND $rows AS q
MATCH (e:DEExperiment {key: q.experiment})-[r:DE]->(g:Gene)
WHERE g.key IN q.genes
RETURN q.experiment AS experiment, g.key AS gene, r.log2fc AS log2fc, r.padj AS padj,
       r.base_mean AS base_mean
