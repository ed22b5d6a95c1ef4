// Names of the indexes present.
SHOW INDEXES YIELD name
