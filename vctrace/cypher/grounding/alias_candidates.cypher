// The entities the alias forms $keys name, with how (the alias kind) and the entity's kinds
// among $labels. One record for the whole batch (the per-record cost dominates otherwise).
UNWIND $keys AS k
MATCH (:Alias {key: k})-[l:ALIAS_OF]->(e:Entity)
RETURN collect({form: k, kind: l.kind, key: e.key,
                labels: [x IN labels(e) WHERE x IN $labels]}) AS rows
