// Traces in a cell line (case-insensitive). Parameters: cell_line.
MATCH (t:Trace)-[:IN_CELL_LINE]->(c:CellLine)
WHERE c.key = toLower(trim($cell_line)) OR toLower(trim($cell_line)) IN coalesce(c.names, [])
RETURN t.key AS trace, t.trace_id AS trace_id, coalesce(t.trace_ids, []) AS trace_ids,
       t.drug AS drug, c.name AS cell_line,
       t.n_actions AS actions
ORDER BY drug, trace
