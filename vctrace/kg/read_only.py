"""Running user-supplied Cypher read-only.

The query runs in a READ access-mode transaction, so a write (CREATE, MERGE, SET, DELETE,
schema changes, write procedures) is refused by the database itself — never by inspecting the
query text, which would be easy to get around.
"""

from __future__ import annotations

from typing import Any

import neo4j

from ..errors import InvalidRequest
from .graph import Graph


class QueryRefused(InvalidRequest):
    """The database refused the query (a write in read-only mode, a syntax error…)."""


def run_read_only(graph: Graph, text: str, params: dict[str, Any] | None = None, *,
                  timeout_s: float = 60.0,
                  limit: int = 10_000) -> tuple[list[str], list[list[Any]]]:
    """Run ``text`` read-only; return (column names, rows), at most ``limit`` rows."""
    @neo4j.unit_of_work(timeout=timeout_s)
    def work(tx: neo4j.ManagedTransaction) -> tuple[list[str], list[list[Any]]]:
        result = tx.run(text, params or {})
        keys = list(result.keys())
        rows = []
        for record in result:
            if len(rows) >= limit:
                break
            rows.append([_plain(v) for v in record.values()])
        result.consume()
        return keys, rows

    try:
        with graph.session(read_only=True) as session:
            return session.execute_read(work)
    except neo4j.exceptions.ClientError as exc:
        raise QueryRefused(f"{exc.code}: {exc.message}") from exc


def _plain(value: Any) -> Any:
    """Nodes, relationships and paths as plain maps (for JSON and CSV output)."""
    if isinstance(value, neo4j.graph.Node):
        return {"labels": sorted(value.labels), **dict(value)}
    if isinstance(value, neo4j.graph.Relationship):
        return {"type": value.type, **dict(value)}
    if isinstance(value, neo4j.graph.Path):
        return [_plain(n) for n in value.nodes]
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, bytes):
        return value.hex()
    if hasattr(value, "iso_format"):
        return value.iso_format()
    return value
