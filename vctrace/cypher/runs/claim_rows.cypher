// Claims as verifiers see them: arguments, context, and each entity mention with the KG
// entities it grounds to (the label is the entity's kind, not Entity/OntologyTerm; the match
// kind and score of the grounding link). One record
// holding the whole batch: the driver's per-record cost dominates otherwise.
UNWIND $keys AS k
MATCH (c:Claim {key: k})
RETURN collect({
  key: c.key, primitive: c.primitive, args_json: c.args_json, drug: c.drug,
  cell_line: c.cell_line,
  mentions: [(c)-[m:MENTIONS]->(x:Mention) | {role: m.role, text: x.text,
    entities: [(x)-[g:REFERS_TO]->(e:Entity) |
      {key: e.key, label: [l IN labels(e) WHERE NOT l IN ['Entity', 'OntologyTerm']][0],
       match: g.match, score: g.score}]}]
}) AS rows
