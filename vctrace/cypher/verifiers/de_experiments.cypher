// The DE experiments (all concentrations) of each (drug, cell line) context, the names
// matched by entity key or by any alias form, with the options of the load they came from.
UNWIND $contexts AS q
CALL (q) {
  MATCH (d:Drug) WHERE d.key IN q.drug_forms RETURN d
  UNION
  MATCH (a:Alias)-[:ALIAS_OF]->(d:Drug) WHERE a.key IN q.drug_forms RETURN d
}
CALL (q) {
  MATCH (c:CellLine) WHERE c.key IN q.cell_forms RETURN c
  UNION
  MATCH (a:Alias)-[:ALIAS_OF]->(c:CellLine) WHERE a.key IN q.cell_forms RETURN c
}
MATCH (d)<-[:OF_DRUG]-(e:DEExperiment)-[:IN_CELL_LINE]->(c)
OPTIONAL MATCH (s:SourceRelease {key: e.release})
RETURN q.id AS id, collect(DISTINCT e {.key, .concentration, .unit, .tested_bitmap, .universe,
       .release, .drug, .cell_line, options_json: s.options_json}) AS experiments
