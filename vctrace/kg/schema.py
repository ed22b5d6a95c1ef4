"""Constraints and indexes of the graph, created idempotently before any data."""

from __future__ import annotations

from .graph import Graph


def init_schema(graph: Graph) -> int:
    """Create every constraint and index that does not exist yet and wait until they are
    online, then give nodes stored by an older vctrace the counts the library queries read
    (a scan when none lacks them). Returns the number of schema statements run (all are
    ``IF NOT EXISTS``)."""
    count = graph.write_each("kg/schema")
    graph.write("kg/await_indexes")
    for backfill in ("kg/backfill_claim_counts", "kg/backfill_primitive_counts"):
        graph.auto_commit(backfill)
    return count


def schema_names(graph: Graph) -> set[str]:
    """Names of the constraints and indexes present."""
    return {r["name"] for name in ("kg/constraint_names", "kg/index_names")
            for r in graph.read(name)}
