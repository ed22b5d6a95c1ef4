// Traces of a drug (any of its names, case-insensitive). Parameters: drug.
MATCH (t:Trace)-[:PERTURBED_BY]->(d:Drug)
WHERE d.key = toLower(trim($drug)) OR toLower(trim($drug)) IN coalesce(d.names, [])
RETURN t.key AS trace, t.trace_id AS trace_id, coalesce(t.trace_ids, []) AS trace_ids,
       d.name AS drug, t.cell_line AS cell_line,
       t.n_actions AS actions
ORDER BY cell_line, trace
