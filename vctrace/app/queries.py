"""Query use cases: the library of named, parameterised queries (``vctrace/cypher/library``)
and ad-hoc Cypher. Both run in a read-only transaction, so a write is refused by the database
itself (:class:`QueryRefused`), never by inspecting the text.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, Field

from .. import cypher
from ..errors import VctraceError
from ..kg.read_only import QueryRefused, run_read_only
from ..settings import Settings
from .graph_session import open_graph

__all__ = ["QueryInfo", "QueryRefused", "QueryResult", "ROW_LIMIT", "UnknownQuery", "library",
           "run_cypher", "run_query"]

ROW_LIMIT = 10_000
_PARAMETER = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


class UnknownQuery(VctraceError):
    """No library query of that name (the message lists the known ones)."""


class QueryInfo(BaseModel):
    """A library query: its name, what it returns (its leading comment) and its parameters
    (each optional: a parameter not given is null)."""

    name: str
    description: str
    parameters: list[str]


class QueryResult(BaseModel):
    """Column names and rows (nodes and relationships as maps); at most :data:`ROW_LIMIT`
    rows, ``truncated`` when the query returned more."""

    columns: list[str]
    rows: list[list[Any]]
    truncated: bool = Field(False, description=f"more than {ROW_LIMIT:,} rows; the rest left out")


def _parameters(text: str) -> list[str]:
    return sorted(set(_PARAMETER.findall(text)))


def _description(text: str) -> str:
    """The leading comment of a query, without its ``Parameters:`` sentence."""
    lines = []
    for line in text.splitlines():
        if not line.startswith("//"):
            break
        lines.append(line.lstrip("/ ").strip())
    return " ".join(lines).split(" Parameters:")[0].strip()


def library() -> list[QueryInfo]:
    """The named queries, by name."""
    return [_info(name) for name in sorted(cypher.library())]


def _info(name: str) -> QueryInfo:
    text = cypher.library_query(name)
    return QueryInfo(name=name, description=_description(text), parameters=_parameters(text))


def run_query(settings: Settings, name: str, params: dict[str, Any] | None = None
              ) -> QueryResult:
    """Run library query ``name`` with ``params``; parameters not given are null (each
    query treats null as "any" or uses its default)."""
    if name not in cypher.library():
        raise UnknownQuery(f"no library query named {name!r}; known: "
                           f"{', '.join(sorted(cypher.library()))}")
    text = cypher.library_query(name)
    return run_cypher(settings, text, {**dict.fromkeys(_parameters(text)), **(params or {})})


def run_cypher(settings: Settings, text: str, params: dict[str, Any] | None = None
               ) -> QueryResult:
    """Run ``text`` in a read-only transaction; :class:`QueryRefused` (kind ``invalid``) when
    the database refuses it (a write, a syntax error)."""
    with open_graph(settings) as graph:
        try:
            columns, rows = run_read_only(graph, text, params, limit=ROW_LIMIT + 1)
        except QueryRefused as exc:
            raise QueryRefused(f"query refused: {exc}") from exc
    return QueryResult(columns=columns, rows=rows[:ROW_LIMIT], truncated=len(rows) > ROW_LIMIT)
