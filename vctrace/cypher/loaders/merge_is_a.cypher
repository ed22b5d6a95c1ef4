// is_a parents between ontology terms (both ends loaded; a parent outside the file is skipped).
UNWIND $rows AS r
MATCH (c:OntologyTerm {curie: r.child})
MATCH (p:OntologyTerm {curie: r.parent})
MERGE (c)-[e:IS_A]->(p)
SET e.source = $source, e.release = $release
