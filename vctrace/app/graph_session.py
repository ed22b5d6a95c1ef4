"""Opening the graph for a use case: the one place the application layer connects."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from ..kg.graph import Graph
from ..kg.schema import init_schema
from ..kg.server import ensure_free_space
from ..settings import Settings


def check_free_space(settings: Settings) -> None:
    """Refuse (``ServerError``, a ``VctraceError``) to write into the local server when the
    filesystem of its data directory has less than ``settings.min_free_mb`` free. Nothing to
    check with ``VCTRACE_NEO4J_URI`` set (the store is not on this machine)."""
    if settings.uses_local_server:
        ensure_free_space(settings.server_dir / "data", settings.min_free_mb)


@contextmanager
def open_graph(settings: Settings, *, schema: bool = False) -> Iterator[Graph]:
    """A connected :class:`Graph` for ``settings`` (closed afterwards); with ``schema`` (what
    every write path asks for) the free space is checked first (:func:`check_free_space`) and
    the constraints and indexes are created (idempotent)."""
    if schema:
        check_free_space(settings)
    with Graph.connect(settings) as graph:
        if schema:
            init_schema(graph)
        yield graph
