// For (term, drug) pairs: the drug's curated targets (Tahoe targets, PrimeKG drug_protein)
// that are annotated to the term or one of its descendants ($$LABEL$$ / $$REL$$ as in
// term_membership). $pairs: {term, drug (as the claim names it), drugs (its key forms)}.
UNWIND $pairs AS p
MATCH (t:$$LABEL$$ {key: p.term})
CALL (p, t) {
  UNWIND p.drugs AS drug
  MATCH (d:Drug {key: drug})-[:TARGETS|DRUG_PROTEIN]-(g:Gene)-[m:$$REL$$]-(a:$$LABEL$$)
  WHERE a = t OR EXISTS { (a)-[:IS_A*1..12]->(t) }
  RETURN collect(DISTINCT {gene: coalesce(g.symbol, g.name, g.key), drug: d.key,
                           term: a.key, release: m.release}) AS hits
}
RETURN p.term AS term, p.drug AS drug, t.name AS term_name, hits[..10] AS hits,
       COUNT { (t)-[:$$REL$$]-() } AS term_members
