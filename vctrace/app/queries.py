"""Query use cases: the library of named, parameterised queries (``vctrace/cypher/library``)
and ad-hoc Cypher. Both go through the query gate (:mod:`vctrace.kg.read_only`): planned with
EXPLAIN first and refused (:class:`QueryRefused`) unless the plan is a read without
administration commands, LOAD CSV or procedures off the allow-list; then run in a read-only
transaction with a transaction timeout (:class:`QueryTimedOut`) and a row cap.
"""

from __future__ import annotations

import math
import re
from typing import Any

from pydantic import BaseModel, Field

from .. import cypher
from ..errors import InvalidRequest, NotFound, VctraceError
from ..kg.read_only import (ALLOWED_PROCEDURES, QueryBusy, QueryRefused, QueryTimedOut, check,
                            run_read_only)
from ..settings import Settings
from .graph_session import open_graph

__all__ = ["ALLOWED_PROCEDURES", "InvalidLimit", "QueryInfo", "QueryRefused", "QueryResult", "QueryTimedOut",
           "ROW_LIMIT", "TIMEOUT_S", "UnknownQuery", "check_cypher", "library", "run_cypher",
           "run_query", "NoSuchQuery", "query_info", "run_named", "strict_json"]

#: Rows returned at most by default (``--limit``); a result cut there is ``truncated``.
ROW_LIMIT = 10_000
#: The default transaction timeout of a user query, in seconds (``--timeout-s``).
TIMEOUT_S = 60.0
_PARAMETER = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


class UnknownQuery(VctraceError):
    """No library query of that name (the message lists the known ones)."""


class InvalidLimit(VctraceError):
    """A row limit below 1 or a timeout that is not positive (kind ``unusable``: an option)."""


class QueryInfo(BaseModel):
    """A library query: its name, what it returns (its leading comment) and its parameters
    (each optional: a parameter not given is null)."""

    name: str
    description: str
    parameters: list[str]


class QueryResult(BaseModel):
    """Column names and rows (nodes and relationships as maps); at most ``limit`` rows,
    ``truncated`` when the query returned more."""

    columns: list[str]
    rows: list[list[Any]]
    truncated: bool = Field(False, description="more than `limit` rows; the rest left out")
    limit: int = Field(ROW_LIMIT, description="the row cap the query ran with")


class NoSuchQuery(UnknownQuery, NotFound):
    """No library query of that name, as a :class:`~vctrace.errors.NotFound` (what
    :func:`run_named` raises: the service answers 404)."""


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


def run_query(settings: Settings, name: str, params: dict[str, Any] | None = None, *,
              limit: int = ROW_LIMIT, timeout_s: float = TIMEOUT_S) -> QueryResult:
    """Run library query ``name`` with ``params``; parameters not given are null (each
    query treats null as "any" or uses its default)."""
    if name not in cypher.library():
        raise UnknownQuery(f"no library query named {name!r}; known: "
                           f"{', '.join(sorted(cypher.library()))}")
    text = cypher.library_query(name)
    return _run_gated(settings, text,
                      {**dict.fromkeys(_parameters(text)), **(params or {})},
                      limit=limit, timeout_s=timeout_s, adhoc=False)


def query_info(name: str) -> QueryInfo:
    """The library query ``name``; :class:`NoSuchQuery` when there is none."""
    if name not in cypher.library():
        raise NoSuchQuery(f"no library query named {name!r}; known: "
                          f"{', '.join(sorted(cypher.library()))}")
    return _info(name)


def run_named(settings: Settings, name: str, params: dict[str, Any] | None = None, *,
              limit: int = ROW_LIMIT, timeout_s: float = TIMEOUT_S) -> QueryResult:
    """:func:`run_query`, with :class:`NoSuchQuery` (a not-found error) for an unknown
    name."""
    query_info(name)
    return run_query(settings, name, params, limit=limit, timeout_s=timeout_s)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list):
        return [_finite(v) for v in value]
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    return value


def strict_json(result: QueryResult) -> QueryResult:
    """``result`` with NaN and infinite numbers made null (strict JSON, RFC 8259)."""
    return result.model_copy(update={"rows": _finite(result.rows)})


_INT64 = 2 ** 63


def _check_value(value: Any, where: str, depth: int = 0) -> None:
    if depth > 32:
        raise InvalidRequest(f"parameter {where} is nested more than 32 levels deep")
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, int):
        if not -_INT64 <= value < _INT64:
            raise InvalidRequest(f"parameter {where}: {value} does not fit Neo4j's 64-bit "
                                 "integers")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidRequest(f"parameter {where} is not a finite number")
    elif isinstance(value, str):
        _check_text(value, f"parameter {where}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_value(item, f"{where}[{i}]", depth + 1)
    elif isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidRequest(f"parameter {where}: map keys must be strings")
            _check_text(key, f"a key of parameter {where}")
            _check_value(item, f"{where}.{key}", depth + 1)
    else:
        raise InvalidRequest(f"parameter {where}: a {type(value).__name__} cannot be sent to "
                             "Neo4j")


def _check_text(text: str, what: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidRequest(f"{what} is not valid Unicode text (a lone surrogate at "
                             f"{exc.start})") from None


def check_cypher(settings: Settings, text: str, params: dict[str, Any] | None = None) -> None:
    """The gate alone: :class:`QueryRefused` unless ``text`` may run (nothing runs)."""
    with open_graph(settings) as graph:
        try:
            check(graph, text, params)
        except QueryRefused as exc:
            raise type(exc)(f"query refused: {exc}") from exc


def run_cypher(settings: Settings, text: str, params: dict[str, Any] | None = None, *,
               limit: int = ROW_LIMIT, timeout_s: float = TIMEOUT_S) -> QueryResult:
    """Run user Cypher through the query gate: at most ``limit`` rows (``truncated`` when
    there were more), a ``timeout_s`` transaction timeout. :class:`QueryRefused` (kind
    ``invalid``) when the gate or the database refuses it (not a read, an administration
    command, LOAD CSV, a procedure off the allow-list, a syntax error) or it fails while
    running; :class:`QueryTimedOut` when it runs past its timeout; :class:`QueryBusy` (kind
    ``busy``) when too many ad-hoc queries run or a terminated one is still finishing."""
    return _run_gated(settings, text, params, limit=limit, timeout_s=timeout_s, adhoc=True)


def _run_gated(settings: Settings, text: str, params: dict[str, Any] | None, *, limit: int,
               timeout_s: float, adhoc: bool) -> QueryResult:
    if limit < 1:
        raise InvalidLimit(f"the row limit must be at least 1, got {limit}")
    if not timeout_s > 0:
        raise InvalidLimit(f"the timeout must be positive, got {timeout_s}")
    _check_text(text, "the query")
    for name, value in (params or {}).items():
        _check_text(name, "a parameter name")
        _check_value(value, f"${name}")
    with open_graph(settings) as graph:
        try:
            columns, rows = run_read_only(graph, text, params, limit=limit + 1,
                                          timeout_s=timeout_s, adhoc=adhoc,
                                          max_adhoc=settings.max_adhoc_queries)
        except QueryRefused as exc:
            raise type(exc)(f"query refused: {exc}") from exc
    return QueryResult(columns=columns, rows=rows[:limit], truncated=len(rows) > limit,
                       limit=limit)
