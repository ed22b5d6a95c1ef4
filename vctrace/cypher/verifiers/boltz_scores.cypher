// Cached Boltz-2 results by pair id.
UNWIND $keys AS k
MATCH (s:BoltzScore {key: k})
RETURN s {.*, created_at: toString(s.created_at)} AS score
