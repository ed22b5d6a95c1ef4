// The fields of entities of one label that name them ($$LABEL$$: from a fixed list in code):
// the identifying fields (exact aliases), and the other names and ontology synonyms.
MATCH (e:$$LABEL$$)
RETURN e {.key, .name, .symbol, .base_name, .primekg_id, .entrez_id, .ensembl_id,
          .cellosaurus_id, .depmap_id} AS e, e.names AS names, e.synonyms AS synonyms
