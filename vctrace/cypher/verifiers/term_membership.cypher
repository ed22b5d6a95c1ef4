// Gene annotations to a term or to any of its descendants ($$LABEL$$ / $$REL$$: a term kind
// and its PrimeKG gene relationship, from the verifier's fixed table). Descendants are found
// through the ontology's IS_A edges when the ontology is loaded; PrimeKG's own term-term
// edges are undirected and are not used for this. Also how many annotations the gene and the
// term have at all (the closed-world test of "not annotated").
UNWIND $pairs AS p
MATCH (t:$$LABEL$$ {key: p.term})
MATCH (g:Gene {key: p.gene})
OPTIONAL MATCH (g)-[m:$$REL$$]-(a:$$LABEL$$)
WHERE a = t OR EXISTS { (a)-[:IS_A*1..12]->(t) }
WITH p, t, g, collect(DISTINCT CASE WHEN a IS NULL THEN null ELSE
  {term: a.key, name: a.name, release: m.release} END) AS hits
RETURN p.gene AS gene, p.term AS term, t.name AS term_name, hits[..5] AS hits,
       COUNT { (g)-[:$$REL$$]-() } AS gene_annotations,
       COUNT { (t)-[:$$REL$$]-() } AS term_members
