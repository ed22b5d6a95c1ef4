// The provenance of claims: what they assert, the entities their mentions ground to, every
// action (and trace, and input record) asserting them, and every verdict on them.
UNWIND $keys AS key
MATCH (c:Claim {key: key})
CALL (c) {
  OPTIONAL MATCH (c)-[m:MENTIONS]->(x:Mention)
  OPTIONAL MATCH (x)-[g:REFERS_TO]->(e:Entity)
  WITH m, x, collect(CASE WHEN e IS NULL THEN null ELSE
    {key: e.key, name: coalesce(e.symbol, e.name), match: g.match,
     label: [l IN labels(e) WHERE NOT l IN ['Entity', 'OntologyTerm']][0]} END) AS entities
  RETURN collect(CASE WHEN x IS NULL THEN null ELSE
    {role: m.role, text: x.text, entities: entities} END) AS mentions
}
CALL (c) {
  OPTIONAL MATCH (t:Trace)-[:HAS_ACTION]->(a:Action)-[:ASSERTS]->(c)
  OPTIONAL MATCH (t)-[:READ_FROM]->(i:InputRecord)
  RETURN collect(CASE WHEN a IS NULL THEN null ELSE
    {trace: t.key, trace_id: t.trace_id, drug: t.drug, cell_line: t.cell_line, action: a.id,
     index: a.idx, input: i {.file, .sha256, .record, .format}} END) AS actions
}
CALL (c) {
  OPTIONAL MATCH (v:Verdict)-[:JUDGES]->(c)
  RETURN collect(v {.*, created_at: toString(v.created_at)}) AS verdicts
}
RETURN c {.*, created_at: toString(c.created_at)} AS claim, mentions, actions, verdicts
