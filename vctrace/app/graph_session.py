"""Opening the graph for a use case: the one place the application layer connects.

Each use case opens the graph it needs and closes it afterwards, which suits one-shot commands.
A long-lived face (the HTTP service) wraps its life in :func:`shared_connections`: meanwhile
every use case for the same server reuses one driver (its connection pool), connected on first
use, instead of connecting per request.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Iterator

from ..kg.graph import Graph
from ..kg.schema import init_schema
from ..kg.server import ensure_free_space
from ..settings import Settings

_shared: dict[tuple[str, str, str], Graph | None] = {}
_shared_lock = threading.Lock()


def _key(settings: Settings) -> tuple[str, str, str]:
    return settings.uri, settings.neo4j_user, settings.neo4j_database


def check_free_space(settings: Settings) -> None:
    """Refuse (``ServerError``, a ``VctraceError``) to write into the local server when the
    filesystem of its data directory has less than ``settings.min_free_mb`` free. Nothing to
    check with ``VCTRACE_NEO4J_URI`` set (the store is not on this machine)."""
    if settings.uses_local_server:
        ensure_free_space(settings.server_dir / "data", settings.min_free_mb)


@contextmanager
def shared_connections(settings: Settings) -> Iterator[None]:
    """While inside, :func:`open_graph` for this server reuses one connected graph (made on
    first use, so the database may come up later); it is closed on exit."""
    key = _key(settings)
    with _shared_lock:
        _shared.setdefault(key, None)
    try:
        yield
    finally:
        with _shared_lock:
            graph = _shared.pop(key, None)
        if graph is not None:
            graph.close()


def _shared_graph(settings: Settings) -> Graph | None:
    key = _key(settings)
    with _shared_lock:
        if key not in _shared:
            return None
        if _shared[key] is None:
            _shared[key] = Graph.connect(settings)
        return _shared[key]


@contextmanager
def open_graph(settings: Settings, *, schema: bool = False) -> Iterator[Graph]:
    """A connected :class:`Graph` for ``settings`` (closed afterwards, unless it is shared);
    with ``schema`` (what every write path asks for) the free space is checked first
    (:func:`check_free_space`) and the constraints and indexes are created (idempotent)."""
    if schema:
        check_free_space(settings)
    shared = _shared_graph(settings)
    if shared is not None:
        if schema and not shared.schema_ready:
            init_schema(shared)  # once per shared connection, not per request
            shared.schema_ready = True
        yield shared
        return
    with Graph.connect(settings) as graph:
        if schema:
            init_schema(graph)
        yield graph
