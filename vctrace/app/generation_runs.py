"""Generation runs as graph records: what a run of ``vctrace generate`` (any constructor,
interactive or Message Batches) did and cost, stored as a ``GenerationRun`` node linked from
the traces it wrote (``(:Trace)-[:GENERATED_IN]->(:GenerationRun)``), and listed by
``vctrace generation-runs``.

A run gets its key (:func:`new_run_key`) before it writes any row, and each row's
``provenance.generation_run`` names it, so a stored trace says which run wrote it even when
the run record itself was never written (a killed run). :func:`record_run` writes (or
rewrites: a resumed run records again under the same key) the figures and links the run's
stored traces by content key.
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping

from pydantic import BaseModel, Field

from ..errors import NotFound
from ..settings import Settings
from ..traces.identity import trace_key
from ..traces.records import trace_from_record
from ..traces.validation import is_valid
from .graph_session import open_graph

__all__ = ["GenerationRun", "get_run", "list_runs", "new_run_key", "record_run",
           "stored_trace_keys"]

_MAX_LIST = 1_000


class GenerationRun(BaseModel):
    """One generation run's figures. Token counts and cost are totals over every call made,
    those of skipped pairs and re-asks included; ``stored`` (read back only) is the number of
    stored traces linked to the run."""

    key: str
    constructor: str
    constructor_version: str
    model: str | None = None
    batch: bool = False
    pairs: int = 0
    traces: int = 0
    skipped: int = 0
    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0
    cost_usd: float = 0.0
    output: str | None = None
    seconds: float = 0.0
    created_at: str | None = None
    recorded_at: str | None = None
    stored: int | None = Field(None, description="stored traces linked to the run (read back)")

    @property
    def cached_share(self) -> float | None:
        """The share of input tokens read from the prompt cache (None without input)."""
        total = self.input_tokens + self.cache_creation_input_tokens + \
            self.cache_read_input_tokens
        return self.cache_read_input_tokens / total if total else None


def new_run_key() -> str:
    """``g-<UTC time>-<random>``: unique, and sorting by key sorts by start time."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
    return f"g-{stamp}-{secrets.token_hex(4)}"


def stored_trace_keys(rows: Iterable[Mapping[str, Any]]) -> list[str]:
    """The content keys of the valid traces among generated rows (what ingest stores them
    under), read exactly as ingest reads a JSONL record."""
    keys = []
    for row in rows:
        trace = trace_from_record(json.loads(json.dumps(row, ensure_ascii=False, default=str)))
        if is_valid(trace):
            keys.append(trace_key(trace))
    return list(dict.fromkeys(keys))


def record_run(settings: Settings, run: GenerationRun,
               rows: Iterable[Mapping[str, Any]] = ()) -> int:
    """Write ``run``'s figures (replacing those of an earlier record of the same key) and
    link the stored traces of ``rows`` to it; the number of traces linked."""
    props = run.model_dump(mode="json", exclude={"key", "created_at", "recorded_at", "stored"},
                           exclude_none=True)
    with open_graph(settings) as graph:
        result = graph.write("generation_runs/record_run", key=run.key, props=props,
                             trace_keys=stored_trace_keys(rows))
    return result[0]["linked"] if result else 0


def list_runs(settings: Settings, *, limit: int = 100) -> list[GenerationRun]:
    """The generation runs, newest first (at most ``limit``, itself at most 1,000)."""
    with open_graph(settings) as graph:
        rows = graph.read("generation_runs/find_runs", key=None,
                          limit=max(0, min(limit, _MAX_LIST)))
    return [GenerationRun.model_validate(r["run"]) for r in rows]


def get_run(settings: Settings, key: str) -> GenerationRun:
    """The generation run of key ``key``; :class:`NotFound` when none is stored."""
    with open_graph(settings) as graph:
        rows = graph.read("generation_runs/find_runs", key=key, limit=1)
    if not rows:
        raise NotFound(f"no generation run {key!r}")
    return GenerationRun.model_validate(rows[0]["run"])
