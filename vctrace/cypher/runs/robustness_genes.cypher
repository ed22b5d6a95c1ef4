// A window of the genes with a symbol, in key order (a seeded offset makes the draw
// deterministic without sorting the graph at random).
MATCH (g:Gene) WHERE g.symbol IS NOT NULL
RETURN g.key AS key, g.symbol AS symbol
ORDER BY key SKIP $skip LIMIT $limit
