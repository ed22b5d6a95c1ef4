// Cache Boltz-2 results by pair id (content hash of sequence and SMILES): never predicted twice.
UNWIND $rows AS r
MERGE (s:BoltzScore {key: r.key})
ON CREATE SET s += r.props, s.created_at = datetime()
