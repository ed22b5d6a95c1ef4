// The Tahoe-100M metadata of cell lines ($keys): name, organ and driver alterations
// (HAS_DRIVER, from cell_line_metadata), for the context of their perturbation records.
UNWIND $keys AS key
MATCH (c:CellLine {key: key})
OPTIONAL MATCH (c)-[h:HAS_DRIVER]->(g:Gene)
WITH c, collect(CASE WHEN g IS NULL THEN null ELSE
  {symbol: coalesce(g.symbol, g.key), gene_type: h.gene_type, mechanism: h.mechanism,
   var_type: h.var_type, effect: h.effect} END) AS drivers
RETURN c.key AS key, c.name AS name, c.organ AS organ, drivers
