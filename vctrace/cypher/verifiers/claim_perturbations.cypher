// For each claim key: the distinct perturbation records (JSON) of the traces asserting it
// (the DE verifier reads a stated dose from them). One record holding the whole batch: the
// driver's per-record cost dominates otherwise.
UNWIND $keys AS k
MATCH (c:Claim {key: k})<-[:ASSERTS]-(:Action)<-[:HAS_ACTION]-(t:Trace)
WITH k, collect(DISTINCT t.perturbation_json) AS perturbations
RETURN collect({key: k, perturbations: perturbations}) AS rows
