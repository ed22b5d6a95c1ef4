// A page of stored traces (ordered by key) matching every filter given, and how many match in
// all. $filter is one map of strings, an empty one being no filter (one map, never nulls: the
// plan cache keys on parameter types and string sizes, so separate parameters would plan the
// statement again for each combination of filters). drug_key / cell_line_key: normalised
// names (the keys of the trace's Drug and CellLine nodes); primitive: a primitive some action
// uses; mention_key / entity: the normalised text of a mention of one of its claims, or the
// key of an entity such a mention grounds to; run / status: a verdict (of that run, of that
// status) on one of its claims. The candidates come from the most selective filter given,
// through its index (the UNION branches exclude each other, so exactly one yields rows); the
// other filters are checked on each candidate.
CALL () {
  WITH $filter.drug_key AS k WHERE k <> ''
  MATCH (:Drug {key: k})<-[:PERTURBED_BY]-(t:Trace)
  RETURN t
  UNION
  WITH $filter.cell_line_key AS k WHERE k <> '' AND $filter.drug_key = ''
  MATCH (:CellLine {key: k})<-[:IN_CELL_LINE]-(t:Trace)
  RETURN t
  UNION
  WITH $filter.mention_key AS k WHERE k <> '' AND $filter.drug_key = '' AND $filter.cell_line_key = ''
  CALL (k) {
    MATCH (m:Mention {key: k})
    RETURN m
    UNION
    MATCH (m:Mention)-[:REFERS_TO]->(e:Entity)
    WHERE e.key = $filter.entity
    RETURN m
  }
  MATCH (m)<-[:MENTIONS]-(:Claim)<-[:ASSERTS]-(:Action)<-[:HAS_ACTION]-(t:Trace)
  RETURN t
  UNION
  WITH $filter.run AS k
  WHERE k <> '' AND $filter.drug_key = '' AND $filter.cell_line_key = '' AND $filter.mention_key = ''
  MATCH (v:Verdict)
  WHERE v.run = k AND v.verifier IS NOT NULL AND ($filter.status = '' OR v.status = $filter.status)
  MATCH (v)-[:JUDGES]->(:Claim)<-[:ASSERTS]-(:Action)<-[:HAS_ACTION]-(t:Trace)
  RETURN t
  UNION
  WITH $filter.run AS k
  WHERE k = '' AND $filter.drug_key = '' AND $filter.cell_line_key = '' AND $filter.mention_key = ''
  MATCH (t:Trace)
  RETURN t
}
WITH DISTINCT t
WHERE ($filter.cell_line_key = '' OR EXISTS { (t)-[:IN_CELL_LINE]->(:CellLine {key: $filter.cell_line_key}) })
  AND ($filter.primitive = '' OR $filter.primitive IN t.primitives)
  AND ($filter.mention_key = '' OR EXISTS {
        MATCH (t)-[:HAS_ACTION]->(:Action)-[:ASSERTS]->(:Claim)-[:MENTIONS]->(m:Mention)
        WHERE m.key = $filter.mention_key OR EXISTS { (m)-[:REFERS_TO]->(e:Entity) WHERE e.key = $filter.entity } })
  AND ($filter.run = '' AND $filter.status = '' OR EXISTS {
        MATCH (t)-[:HAS_ACTION]->(:Action)-[:ASSERTS]->(:Claim)<-[:JUDGES]-(v:Verdict)
        WHERE ($filter.run = '' OR v.run = $filter.run) AND ($filter.status = '' OR v.status = $filter.status) })
WITH t.key AS key
ORDER BY key
WITH collect(key) AS keys
CALL (keys) {
  UNWIND keys[$offset..($offset + $limit)] AS key
  MATCH (t:Trace {key: key})
  RETURN collect(t {.key, .trace_id, .drug, .cell_line, actions: t.n_actions,
                    edges: t.n_edges}) AS items
}
RETURN size(keys) AS total, items
