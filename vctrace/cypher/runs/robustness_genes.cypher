// A window of the genes with a name (HGNC symbol, else the loaded name), in key order (a
// seeded offset makes the draw deterministic without sorting the graph at random).
MATCH (g:Gene) WHERE coalesce(g.symbol, g.name) IS NOT NULL
RETURN g.key AS key, coalesce(g.symbol, g.name) AS symbol
ORDER BY key SKIP $skip LIMIT $limit
