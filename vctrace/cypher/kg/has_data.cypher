// Whether the database holds any node (the offline bulk paths only replace an empty one).
RETURN EXISTS { MATCH (n) } AS used
