// Entity mentions: one Mention per distinct normalised name; actions link to them by role.
UNWIND $mentions AS m
MERGE (x:Mention {key: m.key})
ON CREATE SET x.text = m.text
WITH x, m
UNWIND m.links AS link
MATCH (a:Action {key: link.action})
CREATE (a)-[:MENTIONS {role: link.role, position: link.position}]->(x)
