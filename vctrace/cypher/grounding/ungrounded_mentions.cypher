// Mentions not linked to any entity yet.
MATCH (m:Mention)
WHERE NOT (m)-[:REFERS_TO]->()
RETURN m.key AS key
