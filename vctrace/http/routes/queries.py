"""Queries: the library of named queries, and ad-hoc read-only Cypher through the query
gate. Both need only a read token: the gate refuses anything but a read."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from ...app import queries
from ..auth import Reader
from ..context import AppSettings
from ..problems import responses

router = APIRouter(tags=["queries"])

_LIMIT = Field(None, ge=1, le=1_000_000, description="rows returned at most (default and "
               "largest: the service's row cap; a larger value is lowered to it)")
_TIMEOUT = Field(None, gt=0, le=86_400, description="transaction timeout in seconds "
                 "(default and largest: the service's query timeout)")


class QueryRun(BaseModel):
    """A run of a library query."""

    params: dict[Annotated[str, Field(max_length=200)], Any] = Field(
        default_factory=dict, max_length=100,
        description="parameter values by name; a parameter not given is null")
    limit: int | None = _LIMIT
    timeout_s: float | None = _TIMEOUT


class CypherRun(QueryRun):
    """A read-only Cypher query."""

    query: str = Field(min_length=1, max_length=100_000)


def _caps(settings, run: QueryRun) -> dict[str, Any]:
    return {"limit": min(run.limit or settings.http_row_limit, settings.http_row_limit),
            "timeout_s": min(run.timeout_s or settings.http_timeout_s,
                             settings.http_timeout_s)}


@router.get("/queries", response_model=list[queries.QueryInfo], responses=responses(401))
def library(_: Reader):
    """The named queries: name, what each returns and its parameters."""
    return queries.library()


@router.post("/queries/{name}", response_model=queries.QueryResult,
             responses=responses(401, 404, 413, 422, 503))
def run_query(settings: AppSettings, _: Reader, run: QueryRun,
              name: Annotated[str, Path(min_length=1, max_length=200)]):
    """Run a library query: columns, rows (nodes and relationships as maps), `truncated`
    when there were more rows than `limit`. 404 for an unknown name; 422 when it fails."""
    result = queries.run_named(settings, name, run.params, **_caps(settings, run))
    return queries.strict_json(result)


@router.post("/cypher", response_model=queries.QueryResult,
             responses=responses(401, 413, 422, 503))
def run_cypher(settings: AppSettings, _: Reader, run: CypherRun):
    """Run ad-hoc Cypher through the query gate: refused (422) unless its plan only reads
    (no writes, administration, LOAD CSV or procedures off the allow-list); 503 with
    Retry-After when too many ad-hoc queries run. Columns and rows as for library queries."""
    result = queries.run_cypher(settings, run.query, run.params, **_caps(settings, run))
    return queries.strict_json(result)
