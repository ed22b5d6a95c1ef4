// PrimeKG relationships of one type between two labels (all three from the loader's fixed
// tables); MERGE, so the second direction of an undirected pair and reloads add nothing.
UNWIND $rows AS r
MATCH (a:$$A$$ {key: r.a})
MATCH (b:$$B$$ {key: r.b})
MERGE (a)-[e:$$TYPE$$]->(b)
SET e.display_relation = r.display_relation, e.source = $source, e.release = $release
