// The (drug, cell line) pairs of ingested traces.
MATCH (t:Trace)
WHERE t.drug IS NOT NULL AND t.cell_line IS NOT NULL
RETURN DISTINCT t.drug AS drug, t.cell_line AS cell_line
