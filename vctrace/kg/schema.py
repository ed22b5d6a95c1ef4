"""Constraints and indexes of the graph, created idempotently before any data."""

from __future__ import annotations

from .graph import Graph


def init_schema(graph: Graph) -> int:
    """Create every constraint and index that does not exist yet and wait until they are
    online. Returns the number of statements run (all are ``IF NOT EXISTS``)."""
    count = graph.write_each("kg/schema")
    graph.write("kg/await_indexes")
    return count


def schema_names(graph: Graph) -> set[str]:
    """Names of the constraints and indexes present."""
    return {r["name"] for name in ("kg/constraint_names", "kg/index_names")
            for r in graph.read(name)}
