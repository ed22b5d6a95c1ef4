// LEADS_TO between the actions of new traces.
UNWIND $edges AS e
MATCH (a:Action {key: e.source})
MATCH (b:Action {key: e.target})
CREATE (a)-[r:LEADS_TO]->(b)
SET r = e.props
