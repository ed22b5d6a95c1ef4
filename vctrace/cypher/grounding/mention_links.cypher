// How each of the mentions $keys is linked to its entities: the match kind and score of each
// link (what a verifier that accepts only some match kinds filters on).
UNWIND $keys AS k
MATCH (:Mention {key: k})-[g:REFERS_TO]->(e:Entity)
RETURN collect({mention: k, key: e.key, match: g.match, score: g.score}) AS rows
