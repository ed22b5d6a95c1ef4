// Ontology terms of one kind ($$LABEL$$: from the loader's fixed table). Names and synonyms
// are added to the entity's names (normalised), the synonyms as written to its synonyms; the
// term's CURIE is unique across ontologies.
UNWIND $rows AS r
MERGE (t:$$LABEL$$ {key: r.key})
ON CREATE SET t.name = r.name
SET t:Entity:OntologyTerm, t.curie = r.curie, t.namespace = r.namespace,
    t.ontology = $ontology, t.definition = r.definition, t.obsolete = r.obsolete,
    t.cellosaurus_id = coalesce(r.cellosaurus_id, t.cellosaurus_id),
    t.names = coalesce(t.names, []) + [n IN r.names WHERE NOT n IN coalesce(t.names, [])],
    t.synonyms = coalesce(t.synonyms, []) + [n IN r.synonyms WHERE NOT n IN coalesce(t.synonyms, [])],
    t.sources = CASE WHEN $source IN coalesce(t.sources, []) THEN t.sources
                     ELSE coalesce(t.sources, []) + $source END
