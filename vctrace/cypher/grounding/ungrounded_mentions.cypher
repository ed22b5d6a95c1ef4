// Mentions not linked to any entity yet, with the argument roles they are used in.
MATCH (m:Mention)
WHERE NOT (m)-[:REFERS_TO]->()
RETURN m.key AS key, m.text AS text, COLLECT { MATCH (:Claim)-[r:MENTIONS]->(m)
                                             RETURN DISTINCT r.role } AS roles
