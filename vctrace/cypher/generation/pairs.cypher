// (drug, cell line) pairs of the loaded Tahoe-100M metadata, in key order: drugs and cell
// lines that the metadata loader wrote ($source in their sources; the vehicle control left
// out), optionally only those named in $drugs / $cell_lines (keys or drug names). A drug with
// conditions of the atlas (TESTED_IN, from obs_cell_grid) pairs with the cell lines it was
// tested in; one without pairs with every cell line. Reads no differential expression.
MATCH (d:Drug)
WHERE $source IN coalesce(d.sources, []) AND coalesce(d.is_control, false) = false
  AND ($drugs IS NULL OR d.key IN $drugs OR any(n IN coalesce(d.names, []) WHERE n IN $drugs))
MATCH (c:CellLine)
WHERE $source IN coalesce(c.sources, [])
  AND ($cell_lines IS NULL OR c.key IN $cell_lines)
  AND (NOT EXISTS { (d)-[:TESTED_IN]->(:CellLine) } OR EXISTS { (d)-[:TESTED_IN]->(c) })
RETURN d.key AS drug, c.key AS cell_line
ORDER BY drug, cell_line
LIMIT $limit
