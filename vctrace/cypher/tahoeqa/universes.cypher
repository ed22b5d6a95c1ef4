// TahoeQA: the gene lists that the experiments' tested bitmaps index into, with the DE load
// (release and its options: padj and |log2FC| thresholds) each comes from.
MATCH (u:GeneUniverse) WHERE u.key IN $keys
OPTIONAL MATCH (s:SourceRelease {key: u.release})
RETURN u.key AS key, u.genes AS genes, u.release AS release, s.options_json AS options_json
