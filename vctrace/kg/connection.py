"""Opening the Neo4j driver from settings: the configured server, or the local one."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from neo4j import Driver, GraphDatabase

from ..settings import Settings


class NoServerError(RuntimeError):
    """No usable Neo4j connection (no password for the local server, say)."""


def open_driver(settings: Settings) -> Driver:
    """A driver for the configured Neo4j (``VCTRACE_NEO4J_URI``) or the local server."""
    password = settings.password()
    if password is None and settings.uses_local_server:
        raise NoServerError(f"no local Neo4j under {settings.server_dir}: run "
                               "`vctrace db start` first (or set VCTRACE_NEO4J_URI)")
    auth = (settings.neo4j_user, password) if password is not None else None
    return GraphDatabase.driver(settings.uri, auth=auth, notifications_min_severity="OFF")


@contextmanager
def driver_for(settings: Settings) -> Iterator[Driver]:
    driver = open_driver(settings)
    try:
        yield driver
    finally:
        driver.close()
