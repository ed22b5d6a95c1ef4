// TahoeQA: the stored significant calls and the tested-gene bitmap of given DE experiments.
UNWIND $keys AS k
MATCH (e:DEExperiment {key: k})
RETURN e.key AS key, e.tested_bitmap AS tested_bitmap, e.universe AS universe,
       COLLECT { MATCH (e)-[r:DE]->(g:Gene)
                 RETURN {gene: coalesce(g.symbol, g.name, g.key), log2fc: r.log2fc,
                         padj: r.padj} } AS calls
