// Trace arguments per primitive and role, and how many of them ground to an entity.
MATCH (a:Action)-[:ASSERTS]->(:Claim)-[r:MENTIONS]->(m:Mention)
WITH a.primitive AS primitive, r.role AS role, EXISTS { (m)-[:REFERS_TO]->() } AS grounded
RETURN primitive, role, count(*) AS arguments, sum(CASE WHEN grounded THEN 1 ELSE 0 END) AS grounded
ORDER BY primitive, role
