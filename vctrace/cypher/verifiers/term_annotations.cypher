// Set-wise gene annotations to terms of one kind ($$LABEL$$ / $$REL$$, from the pathway
// verifier's fixed table) for a whole batch: each claimed term ($terms) once, with its name
// and member count, and each gene ($genes) once, with its annotation count and its
// annotations in the order the graph holds them, each with the claimed terms it reaches
// through the ontology's IS_A edges (descendant -> ancestor, at most 12 steps). The verifier
// pairs genes and terms itself (one statement instead of one annotation walk per pair).
CALL () {
  UNWIND $terms AS k
  MATCH (t:$$LABEL$$ {key: k})
  RETURN collect({key: k, name: t.name, members: COUNT { (t)-[:$$REL$$]-() }}) AS terms
}
CALL () {
  UNWIND $genes AS k
  MATCH (g:Gene {key: k})
  RETURN collect({gene: k, annotations: COUNT { (g)-[:$$REL$$]-() },
    hits: [(g)-[m:$$REL$$]-(a:$$LABEL$$) | {term: a.key, name: a.name, release: m.release,
      reaches: COLLECT { MATCH (a)-[:IS_A*1..12]->(x:$$LABEL$$) WHERE x.key IN $terms
                         RETURN DISTINCT x.key }}]}) AS genes
}
RETURN terms, genes
