// Protein-protein interaction edges (PrimeKG protein_protein) among given gene pairs.
UNWIND $pairs AS p
MATCH (a:Gene {key: p.a})-[e:PROTEIN_PROTEIN]-(b:Gene {key: p.b})
RETURN DISTINCT p.a AS a, p.b AS b, e.display_relation AS relation, e.source AS source,
       e.release AS release
