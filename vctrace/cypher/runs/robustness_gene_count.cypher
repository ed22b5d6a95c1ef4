// How many genes with a name (HGNC symbol, else the loaded name) the graph holds: the pool
// counterfactual genes are drawn from.
MATCH (g:Gene) WHERE coalesce(g.symbol, g.name) IS NOT NULL
RETURN count(g) AS genes
