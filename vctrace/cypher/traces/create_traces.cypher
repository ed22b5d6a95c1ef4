// One batch of new traces as whole subgraphs, in one statement. The keys were checked in the
// same transaction (existing_keys): the traces and the claims in $claims are new, so they are
// CREATEd; only nodes that other traces share (mentions, drugs, cell lines, input records) are
// MERGEd, each distinct one once per batch, not once per row. Every shared node is resolved
// first, into a list, and rows name it by position (a.claim, tr.drug, m.i…): after those
// look-ups the statement only creates, so the planner has no read to keep apart from the
// writes of earlier rows (a look-up per row after a write costs a full materialisation of the
// rows, an Eager, per conflicting clause). Properties go in with += (no Eager, unlike =) on
// nodes that have none yet. collect keeps the order of the actions, which edges address by
// position. Action labels are static, from the registry (the ACTION_LABEL line is repeated
// once per primitive label, never filled from input), set last, once per trace and label on
// the actions listed under that label in tr.labels (not a test of every label on every action).
CALL () {
  UNWIND $mentions AS m
  MERGE (x:Mention {key: m.key})
  ON CREATE SET x.text = m.text
  RETURN collect(x) AS mentions
}
CALL () {
  UNWIND $drugs AS d
  MERGE (x:Drug {key: d.key})
  ON CREATE SET x.name = d.name, x.source = 'trace'
  RETURN collect(x) AS drugs
}
CALL () {
  UNWIND $cell_lines AS c
  MERGE (x:CellLine {key: c.key})
  ON CREATE SET x.name = c.name, x.source = 'trace'
  RETURN collect(x) AS cell_lines
}
CALL () {
  UNWIND $inputs AS i
  MERGE (r:InputRecord {key: i.key})
  ON CREATE SET r += i.props, r.read_at = datetime()
  RETURN collect(r) AS inputs
}
CALL () {
  // claims already stored: one list element each, in order (a missing one stays a [null]
  // and makes the CREATE below fail rather than shift the positions); s.n more traces
  // assert each
  UNWIND $stored_claims AS s
  OPTIONAL MATCH (c:Claim {key: s.key})
  SET c.n_traces = c.n_traces + s.n
  RETURN collect([c]) AS stored
}
CALL (mentions) {
  UNWIND $claims AS c
  CREATE (cl:Claim {key: c.key})
  SET cl += c.props, cl.created_at = datetime()
  WITH cl, c
  CALL (cl, c, mentions) {
    UNWIND c.mentions AS m
    WITH m, mentions[m.i] AS x
    CREATE (cl)-[:MENTIONS {role: m.role}]->(x)
  }
  RETURN collect([cl]) AS created
}
WITH drugs, cell_lines, inputs, stored + created AS claims
UNWIND $traces AS tr
CREATE (t:Trace)
SET t += tr.props, t.ingested_at = datetime()
WITH *
CALL (t, tr, drugs) {
  WITH t, drugs[tr.drug] AS d WHERE d IS NOT NULL
  CREATE (t)-[:PERTURBED_BY]->(d)
}
CALL (t, tr, cell_lines) {
  WITH t, cell_lines[tr.cell_line] AS c WHERE c IS NOT NULL
  CREATE (t)-[:IN_CELL_LINE]->(c)
}
CALL (t, tr, inputs) {
  UNWIND tr.inputs AS i
  WITH t, inputs[i] AS r
  CREATE (t)-[:READ_FROM]->(r)
}
CALL (t, tr, claims) {
  UNWIND tr.actions AS a
  WITH a, claims[a.claim][0] AS c
  CREATE (t)-[:HAS_ACTION]->(n:Action:$(a.label))-[:ASSERTS]->(c)
  SET n += a.props
  RETURN collect(n) AS nodes
}
CALL (tr, nodes) {
  UNWIND tr.edges AS e
  WITH e, nodes[e.source] AS a, nodes[e.target] AS b
  CREATE (a)-[r:LEADS_TO]->(b)
  SET r += e.props
}
