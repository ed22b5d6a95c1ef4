"""The database lifecycle: the local Neo4j server vctrace manages (start, stop, status) and the
schema of any Neo4j it uses (init).

With ``VCTRACE_NEO4J_URI`` set, that server is used as it is: there is nothing to start or
stop, and ``status`` only connects to it.
"""

from __future__ import annotations

import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from pydantic import BaseModel, Field

from ..errors import VctraceError
from ..kg.schema import init_schema
from ..kg.server import LocalNeo4j, ServerError
from ..kg.trace_store import graph_has_data, graph_summary
from ..settings import Settings
from .graph_session import open_graph


class LocalServer(BaseModel):
    """The local server as configured (nothing is started or connected to find this out)."""

    uri: str
    server_dir: Path = Field(description="conf, data, logs and password of the server")
    version: str
    password_file: Path
    pid: int | None = None

    @property
    def running(self) -> bool:
        return self.pid is not None


class DbStatus(BaseModel):
    """Where the database stands after a lifecycle use case.

    ``local`` is the local server vctrace manages, ``None`` when ``VCTRACE_NEO4J_URI`` names
    another server. ``summary`` (what the graph holds) is filled by :func:`status` when the
    database can be reached; ``schema_statements`` by :func:`start` and :func:`init`.
    """

    uri: str
    local: LocalServer | None = None
    was_running: bool | None = Field(None, description="start: it was running already")
    start_seconds: float | None = Field(None, description="start: how long starting took")
    stopped: bool | None = Field(None, description="stop: false when it was not running")
    schema_statements: int | None = None
    summary: dict[str, int] | None = None


def local_server(settings: Settings) -> LocalServer | None:
    """The local server of ``settings`` and its pid if it runs; ``None`` when
    ``VCTRACE_NEO4J_URI`` names another server."""
    if not settings.uses_local_server:
        return None
    server = LocalNeo4j.from_settings(settings)
    return LocalServer(uri=server.uri, server_dir=server.root, version=server.version,
                       password_file=server.password_file, pid=server.pid())


def start(settings: Settings) -> DbStatus:
    """Install the local server if needed, start it, wait until it answers and create the
    schema (idempotent). Nothing to do with ``VCTRACE_NEO4J_URI`` set."""
    if not settings.uses_local_server:
        return DbStatus(uri=settings.uri)
    server = LocalNeo4j.from_settings(settings)
    was_running = server.is_running()
    started = time.monotonic()
    _start(server)
    seconds = time.monotonic() - started
    count = init(settings).schema_statements
    return DbStatus(uri=settings.uri, local=local_server(settings), was_running=was_running,
                    start_seconds=None if was_running else seconds, schema_statements=count)


def stop(settings: Settings) -> DbStatus:
    """Stop the local server cleanly (SIGTERM, SIGKILL after 60 s); ``stopped`` is false when
    it was not running. Nothing to do with ``VCTRACE_NEO4J_URI`` set."""
    if not settings.uses_local_server:
        return DbStatus(uri=settings.uri)
    stopped = LocalNeo4j.from_settings(settings).stop()
    return DbStatus(uri=settings.uri, local=local_server(settings), stopped=stopped)


def status(settings: Settings) -> DbStatus:
    """Whether the local server runs (its pid) and, when the database can be reached, what the
    graph holds (counts of traces, actions, edges, claims, mentions, drugs, cell lines). A
    local server that is not running is reported, not raised; an unreachable configured server
    raises :class:`~vctrace.kg.graph.NoServerError`."""
    local = local_server(settings)
    if local is not None and not local.running:
        return DbStatus(uri=settings.uri, local=local)
    with open_graph(settings) as graph:
        summary = graph_summary(graph)
    return DbStatus(uri=settings.uri, local=local, summary=summary)


def ping(settings: Settings) -> None:
    """Check that the database answers a query; raises
    :class:`~vctrace.kg.graph.NoServerError` (or ``GraphUnavailable``) when it does not."""
    with open_graph(settings) as graph:
        graph.read("kg/ping")


def init(settings: Settings) -> DbStatus:
    """Create every constraint and index (idempotent); ``schema_statements`` is how many
    statements ran."""
    with open_graph(settings) as graph:
        count = init_schema(graph)
    return DbStatus(uri=settings.uri, schema_statements=count)


def empty_local_server(settings: Settings) -> LocalNeo4j:
    """The started local server, when its database is empty: what the offline bulk paths
    (``ingest --bulk``, ``load primekg --bulk``) replace. Refuses another server and a
    database that holds data."""
    if not settings.uses_local_server:
        raise VctraceError("--bulk imports into the local server only (VCTRACE_NEO4J_URI is "
                           "set)")
    server = LocalNeo4j.from_settings(settings)
    _start(server)
    with open_graph(settings) as graph:
        if graph_has_data(graph):
            raise VctraceError("--bulk needs an empty database (it replaces the store); this "
                               "one holds data: load without --bulk to add to it")
    return server


@contextmanager
def import_folder(server: LocalNeo4j) -> Iterator[Path]:
    """A temporary folder for neo4j-admin import files, inside the server's import folder
    (removed afterwards)."""
    with tempfile.TemporaryDirectory(prefix="vctrace-import-", dir=server.root / "import") as folder:
        yield Path(folder)


def _start(server: LocalNeo4j) -> None:
    try:
        server.start()
    except OSError as exc:  # conf, data or log folders that cannot be written
        raise ServerError(f"cannot start Neo4j under {server.root}: {exc}") from exc
