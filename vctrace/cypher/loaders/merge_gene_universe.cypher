// The ordered gene list that the tested_bitmap of a DE load indexes into.
MERGE (u:GeneUniverse {key: $key})
SET u.genes = $genes, u.source = $source, u.release = $release
