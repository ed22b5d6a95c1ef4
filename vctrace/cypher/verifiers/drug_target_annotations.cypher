// Set-wise curated targets of drugs annotated to terms of one kind ($$LABEL$$ / $$REL$$ as
// in term_annotations) for a whole batch: each claimed term ($terms) once, with its name and
// member count, and each drug key form ($drugs) once, with its curated targets' (Tahoe
// targets, PrimeKG drug_protein) annotations in the order the graph holds them, each with
// the claimed terms it reaches through IS_A (at most 12 steps).
CALL () {
  UNWIND $terms AS k
  MATCH (t:$$LABEL$$ {key: k})
  RETURN collect({key: k, name: t.name, members: COUNT { (t)-[:$$REL$$]-() }}) AS terms
}
CALL () {
  UNWIND $drugs AS k
  MATCH (d:Drug {key: k})
  RETURN collect({drug: k, hits: [(d)-[:TARGETS|DRUG_PROTEIN]-(g:Gene)-[m:$$REL$$]-(a:$$LABEL$$) |
    {gene: coalesce(g.symbol, g.name, g.key), drug: d.key, term: a.key, release: m.release,
     reaches: COLLECT { MATCH (a)-[:IS_A*1..12]->(x:$$LABEL$$) WHERE x.key IN $terms
                        RETURN DISTINCT x.key }}]}) AS drugs
}
RETURN terms, drugs
