// How many genes with a symbol the graph holds (the pool counterfactual genes are drawn from).
MATCH (g:Gene) WHERE g.symbol IS NOT NULL
RETURN count(g) AS genes
