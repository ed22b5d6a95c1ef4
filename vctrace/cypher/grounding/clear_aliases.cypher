// Drop the alias index (rebuilt from the entities by grounding.rebuild_aliases).
MATCH (a:Alias) CALL (a) { DETACH DELETE a } IN TRANSACTIONS OF 10000 ROWS
