// Names of the constraints present.
SHOW CONSTRAINTS YIELD name
