// The naive write path, for the ingest benchmark's baseline only (bench/ingest.py): one edge
// between two actions of a trace, found by position, MERGEd in a statement of its own.
MATCH (t:Trace {key: $trace_key})-[:HAS_ACTION]->(a:Action {idx: $edge.source})
MATCH (t)-[:HAS_ACTION]->(b:Action {idx: $edge.target})
MERGE (a)-[r:LEADS_TO {idx: $edge.props.idx}]->(b)
ON CREATE SET r.relation = $edge.props.relation
