// Counts for the summary printed by `vctrace db status` and the demo.
CALL () { MATCH (t:Trace) RETURN count(t) AS traces }
CALL () { MATCH (a:Action) RETURN count(a) AS actions }
CALL () { MATCH (:Action)-[r:LEADS_TO]->() RETURN count(r) AS edges }
CALL () { MATCH (c:Claim) RETURN count(c) AS claims }
CALL () { MATCH (m:Mention) RETURN count(m) AS mentions }
CALL () { MATCH (d:Drug) RETURN count(d) AS drugs }
CALL () { MATCH (c:CellLine) RETURN count(c) AS cell_lines }
RETURN traces, actions, edges, claims, mentions, drugs, cell_lines
