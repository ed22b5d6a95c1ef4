// Harmonizome attributes of genes ($genes: gene keys; HAS_ATTRIBUTE, when a Harmonizome
// dataset is loaded), at most $max_attributes per gene: the strongest association first
// (absolute weight), then by dataset and attribute name. Reads no differential expression.
UNWIND $genes AS key
MATCH (g:Gene {key: key})
CALL (g) {
  OPTIONAL MATCH (g)-[h:HAS_ATTRIBUTE]->(a:HarmonizomeAttribute)
  WITH h, a
  ORDER BY abs(coalesce(h.weight, 0.0)) DESC, h.dataset, a.name, a.key
  RETURN collect(CASE WHEN a IS NULL THEN null ELSE
    {key: a.key, name: a.name, description: a.description, dataset: h.dataset,
     weight: h.weight, sign: h.sign, source: h.source, release: h.release} END
  )[..$max_attributes] AS attributes
}
RETURN g.key AS gene, coalesce(g.symbol, g.key) AS symbol, attributes
ORDER BY gene
