// For each mention ($rows: key, a Lucene query of its words with fuzzy terms, the labels its
// roles expect), the alias forms the full-text index finds closest and the entities of those
// labels they name. One record for the whole batch.
UNWIND $rows AS r
CALL db.index.fulltext.queryNodes('alias_text', r.query, {limit: $limit}) YIELD node
MATCH (node)-[:ALIAS_OF]->(e:Entity)
WITH r, node, e, [x IN labels(e) WHERE x IN r.labels] AS labels
WHERE size(labels) > 0
RETURN collect({mention: r.key, form: node.key, key: e.key, labels: labels}) AS rows
