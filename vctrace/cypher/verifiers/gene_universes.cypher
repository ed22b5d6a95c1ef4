// The gene lists that DE tested_bitmaps index into.
MATCH (u:GeneUniverse) WHERE u.key IN $keys
RETURN u.key AS key, u.genes AS genes
