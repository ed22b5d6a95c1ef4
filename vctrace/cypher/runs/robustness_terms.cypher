// Terms of one kind ($$LABEL$$, with its gene relationship $$REL$$, from the pathway
// verifier's fixed table) that have gene members but none of $genes, and are not one of
// $exclude: the replacements of a swapped pathway or term, in key order from a seeded offset.
MATCH (t:$$LABEL$$)
WHERE NOT t.key IN $exclude AND EXISTS { (t)-[:$$REL$$]-(:Gene) }
  AND NOT EXISTS { MATCH (t)-[:$$REL$$]-(g:Gene) WHERE g.key IN $genes }
RETURN t.key AS key, t.name AS name
ORDER BY key SKIP $skip LIMIT $limit
