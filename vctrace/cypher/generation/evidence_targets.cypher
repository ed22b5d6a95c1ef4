// Evidence about a drug's curated targets ($drug: a drug key): each target (Tahoe-100M
// TARGETS; PrimeKG DRUG_PROTEIN with display relation 'target') with its links, and its
// PrimeKG neighbourhood, bounded and ranked:
// - terms ($max_terms): Reactome pathways and GO processes (PATHWAY_PROTEIN,
//   BIOPROCESS_PROTEIN), pathways first, then the more specific (fewer member genes), then
//   by name;
// - interactors ($max_interactors): PROTEIN_PROTEIN partners, the drug's other targets and
//   the genes whose symbol or key is in $focus (the cell line's drivers) first, then
//   those interacting with more of the drug's targets, then the better connected, then by
//   symbol.
// Reads no differential expression (it is what DE claims are verified against).
MATCH (d:Drug {key: $drug})-[e:TARGETS|DRUG_PROTEIN]-(g:Gene)
WHERE type(e) = 'TARGETS' OR e.display_relation = 'target'
WITH g, collect({relationship: type(e), display: e.display_relation, source: e.source,
                 release: e.release}) AS links
WITH collect({gene: g, links: links}) AS found
WITH found, [f IN found | f.gene] AS genes
UNWIND found AS f
WITH genes, f.gene AS g, f.links AS links
CALL (g) {
  OPTIONAL MATCH (g)-[m:PATHWAY_PROTEIN|BIOPROCESS_PROTEIN]-(t:Pathway|BiologicalProcess)
  WITH t, collect(m)[0] AS m
  WITH t, m, COUNT { (t)-[:PATHWAY_PROTEIN|BIOPROCESS_PROTEIN]-(:Gene) } AS members
  ORDER BY CASE WHEN t:Pathway THEN 0 ELSE 1 END, members, t.name, t.key
  RETURN collect(CASE WHEN t IS NULL THEN null ELSE
    {key: t.key, name: t.name, label: CASE WHEN t:Pathway THEN 'Pathway'
                                           ELSE 'BiologicalProcess' END,
     relationship: type(m), source: m.source, release: m.release, members: members} END
  )[..$max_terms] AS terms
}
CALL (g, genes) {
  OPTIONAL MATCH (g)-[p:PROTEIN_PROTEIN]-(o:Gene)
  WHERE o <> g
  WITH o, collect(p)[0] AS p
  WITH o, p, size([x IN genes WHERE EXISTS { (x)-[:PROTEIN_PROTEIN]-(o) }]) AS shared,
       COUNT { (o)-[:PROTEIN_PROTEIN]-(:Gene) } AS degree
  ORDER BY CASE WHEN o IN genes OR o.key IN $focus OR o.symbol IN $focus THEN 0 ELSE 1 END,
           shared DESC, degree DESC, coalesce(o.symbol, o.key), o.key
  RETURN collect(CASE WHEN o IS NULL THEN null ELSE
    {key: o.key, symbol: coalesce(o.symbol, o.name, o.key), display: p.display_relation,
     source: p.source, release: p.release, shared: shared, degree: degree} END
  )[..$max_interactors] AS interactors
}
RETURN g.key AS key, coalesce(g.symbol, g.name, g.key) AS symbol, links, terms, interactors
ORDER BY key
