"""Constraints and indexes of the graph, created idempotently before any data."""

from __future__ import annotations

from neo4j import Driver

from .. import cypher


def init_schema(driver: Driver, database: str = "neo4j") -> int:
    """Create every constraint and index that does not exist yet and wait until they are
    online. Returns the number of statements run (all are ``IF NOT EXISTS``)."""
    statements = cypher.statements("schema")
    for statement in statements:
        driver.execute_query(statement, database_=database)
    driver.execute_query("CALL db.awaitIndexes(300)", database_=database)
    return len(statements)


def schema_names(driver: Driver, database: str = "neo4j") -> set[str]:
    """Names of the constraints and indexes present."""
    names = set()
    for query in ("SHOW CONSTRAINTS YIELD name", "SHOW INDEXES YIELD name"):
        records, _, _ = driver.execute_query(query, database_=database)
        names.update(r["name"] for r in records)
    return names
