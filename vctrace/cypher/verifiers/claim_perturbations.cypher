// For each claim key: the distinct perturbation records (JSON) of the traces asserting it
// (the DE verifier reads a stated dose from them).
UNWIND $keys AS k
MATCH (c:Claim {key: k})<-[:ASSERTS]-(:Action)<-[:HAS_ACTION]-(t:Trace)
RETURN k AS key, collect(DISTINCT t.perturbation_json) AS perturbations
