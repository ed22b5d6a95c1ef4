"""vctrace: verify mechanistic explanations of how drugs act on cells, in a Neo4j graph."""

__version__ = "0.1.0"
