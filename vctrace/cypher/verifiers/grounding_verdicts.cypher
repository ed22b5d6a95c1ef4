// grounding, judged and stored inside the graph (GroundingVerifier.store_in_graph): for each
// pending claim ($rows: subject = claim key, key = its verdict key, computed by the engine), the
// statement reads the claim's mentions and their grounding links, decides, and CREATEs the
// verdict with its JUDGES edge: no claim row travels to Python. It writes what the Python judge
// (GroundingVerifier.judge, then create_verdicts) writes, property by property:
//   no mention              supported / no_entity_arguments, evidence {}, no score
//   every mention grounded  supported / all_grounded, score 1.0
//   otherwise               unverifiable / ungrounded_entities, score 1 - ungrounded/mentions
// evidence_json is json.dumps({"mentions": n, "ungrounded": sorted "role=text"}, sort_keys=True)
// spelled out. That spelling is exact only for printable ASCII without '"' and '\' (what
// json.dumps leaves unescaped, and where string order is code-point order), so a claim with any
// other character in a mention's role or text ($safe does not match) is not judged here: its key
// is returned in `left`, and the engine judges it in Python.
// A link counts when its match kind is accepted ($all_kinds, else g.match IN $kinds) and its
// entity has a kind label (a label other than Entity/OntologyTerm), as in claim_rows.
UNWIND $rows AS row
MATCH (c:Claim {key: row.subject})
WITH row, c, [(c)-[m:MENTIONS]->(x:Mention) | {label: m.role + '=' + x.text,
  safe: coalesce(m.role =~ $safe AND x.text =~ $safe, false),
  grounded: EXISTS { MATCH (x)-[g:REFERS_TO]->(e:Entity)
                     WHERE ($all_kinds OR g.match IN $kinds)
                       AND any(l IN labels(e) WHERE NOT l IN ['Entity', 'OntologyTerm']) }}]
  AS ms
WITH row, c, size(ms) AS n, all(m IN ms WHERE m.safe) AS safe,
     [m IN ms WHERE NOT m.grounded | m.label] AS bad
CALL (row, c, n, safe, bad) {
  WITH * WHERE safe
  UNWIND (CASE WHEN bad = [] THEN [null] ELSE bad END) AS u
  WITH row, c, n, u ORDER BY u
  WITH row, c, n, [b IN collect(u) WHERE b IS NOT NULL] AS ungrounded
  WITH row, c, n, ungrounded,
       CASE WHEN n = 0 THEN $codes.supported WHEN ungrounded = [] THEN $codes.supported
            ELSE $codes.unverifiable END AS status,
       CASE WHEN n = 0 THEN $codes.no_entity_arguments WHEN ungrounded = []
            THEN $codes.all_grounded ELSE $codes.ungrounded_entities END AS reason,
       CASE WHEN n = 0 THEN null ELSE 1 - toFloat(size(ungrounded)) / n END AS score,
       CASE WHEN n = 0 THEN '{}' ELSE '{"mentions": ' + toString(n) + ', "ungrounded": [' +
         reduce(s = '', i IN range(0, size(ungrounded) - 1) |
                s + CASE i WHEN 0 THEN '' ELSE ', ' END + '"' + ungrounded[i] + '"') + ']}'
       END AS evidence_json
  CREATE (x:Verdict {key: row.key, run: $run, verifier: $verifier, version: $version,
                     subject: row.subject, status: status, reason: reason,
                     evidence_json: evidence_json, created_at: datetime()})
  SET x.score = score
  CREATE (x)-[:JUDGES]->(c)
}
RETURN count(CASE WHEN safe THEN 1 END) AS created,
       collect(CASE WHEN NOT safe THEN row.subject END) AS left
