"""Opening the graph for a use case: the one place the application layer connects."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from ..kg.graph import Graph
from ..kg.schema import init_schema
from ..settings import Settings


@contextmanager
def open_graph(settings: Settings, *, schema: bool = False) -> Iterator[Graph]:
    """A connected :class:`Graph` for ``settings`` (closed afterwards); with ``schema`` the
    constraints and indexes are created first (idempotent), as every write path needs."""
    with Graph.connect(settings) as graph:
        if schema:
            init_schema(graph)
        yield graph
