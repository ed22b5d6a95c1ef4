// Claims as verifiers see them: arguments, context, and each entity mention with the KG
// entities it grounds to (the label is the entity's kind, not Entity/OntologyTerm).
UNWIND $keys AS k
MATCH (c:Claim {key: k})
OPTIONAL MATCH (c)-[m:MENTIONS]->(x:Mention)
OPTIONAL MATCH (x)-[:REFERS_TO]->(e:Entity)
WITH c, m, x, collect(CASE WHEN e IS NULL THEN null ELSE
  {key: e.key, label: [l IN labels(e) WHERE NOT l IN ['Entity', 'OntologyTerm']][0]} END) AS ents
WITH c, collect(CASE WHEN x IS NULL THEN null ELSE
  {role: m.role, text: x.text, entities: ents} END) AS mentions
RETURN c.key AS key, c.primitive AS primitive, c.args_json AS args_json, c.drug AS drug,
       c.cell_line AS cell_line, mentions
