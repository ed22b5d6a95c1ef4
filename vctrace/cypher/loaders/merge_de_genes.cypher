// Genes named by DE calls; existing genes (from any source) are left as they are.
UNWIND $rows AS r
MERGE (g:Gene {key: r.key})
ON CREATE SET g:Entity, g.symbol = r.symbol, g.sources = [$source]
