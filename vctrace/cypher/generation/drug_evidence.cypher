// What the knowledge-graph constructor may explain a drug through ($drugs: drug keys): its
// curated targets (Tahoe-100M TARGETS; PrimeKG DRUG_PROTEIN whose display relation is
// 'target', not enzymes, carriers or transporters) and, per target, the Reactome pathways
// and GO processes it is annotated to (PrimeKG PATHWAY_PROTEIN, BIOPROCESS_PROTEIN) with
// their member counts. Only these relationship types are read: never differential
// expression, which is what DE claims are verified against.
UNWIND $drugs AS key
MATCH (d:Drug {key: key})-[e:TARGETS|DRUG_PROTEIN]-(g:Gene)
WHERE type(e) = 'TARGETS' OR e.display_relation = 'target'
WITH d, g, collect({relationship: type(e), display: e.display_relation, source: e.source,
                    release: e.release}) AS links
CALL (g) {
  OPTIONAL MATCH (g)-[m:PATHWAY_PROTEIN|BIOPROCESS_PROTEIN]-(t:Pathway|BiologicalProcess)
  WITH t, m
  ORDER BY t.key
  RETURN collect(CASE WHEN t IS NULL THEN null ELSE
    {key: t.key, name: t.name, label: CASE WHEN t:Pathway THEN 'Pathway'
                                           ELSE 'BiologicalProcess' END,
     relationship: type(m), source: m.source, release: m.release,
     members: COUNT { (t)-[:PATHWAY_PROTEIN|BIOPROCESS_PROTEIN]-(:Gene) }} END)[..$max_terms]
    AS terms
}
WITH d, collect({key: g.key, symbol: coalesce(g.symbol, g.name, g.key), links: links,
                 terms: terms}) AS targets
RETURN d.key AS drug, targets
