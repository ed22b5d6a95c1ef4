// How many terms of one kind ($$LABEL$$ / $$REL$$) have gene members.
MATCH (t:$$LABEL$$) WHERE EXISTS { (t)-[:$$REL$$]-(:Gene) }
RETURN count(t) AS terms
