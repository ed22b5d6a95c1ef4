// One Claim node per distinct claim key, shared by every action asserting it.
UNWIND $claims AS c
MERGE (cl:Claim {key: c.key})
ON CREATE SET cl += c.props, cl.created_at = datetime()
WITH cl, c
UNWIND c.actions AS action_key
MATCH (a:Action {key: action_key})
CREATE (a)-[:ASSERTS]->(cl)
