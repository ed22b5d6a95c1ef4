// Which of the mentions $keys are not linked to any entity yet (after an ingest: the mentions
// of the claims it stored), with the argument roles they are used in.
UNWIND $keys AS key
MATCH (m:Mention {key: key})
WHERE NOT (m)-[:REFERS_TO]->()
RETURN m.key AS key, m.text AS text, COLLECT { MATCH (:Claim)-[r:MENTIONS]->(m)
                                             RETURN DISTINCT r.role } AS roles
