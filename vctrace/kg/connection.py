"""Opening the Neo4j driver from settings: the configured server, or the local one."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from neo4j import Driver, GraphDatabase
from neo4j.exceptions import AuthError, ServiceUnavailable

from ..settings import Settings


class NoServerError(RuntimeError):
    """No usable Neo4j: none configured or started, unreachable, or the credentials fail."""


def open_driver(settings: Settings) -> Driver:
    """A connected driver for the configured Neo4j (``VCTRACE_NEO4J_URI``) or the local
    server. Fails at once with :class:`NoServerError` rather than retrying for half a minute
    when the server is down."""
    password = settings.password()
    if password is None and settings.uses_local_server:
        raise NoServerError(f"no local Neo4j under {settings.server_dir}: run "
                            "`vctrace db start` first (or set VCTRACE_NEO4J_URI)")
    auth = (settings.neo4j_user, password) if password is not None else None
    driver = GraphDatabase.driver(settings.uri, auth=auth, notifications_min_severity="OFF")
    try:
        driver.verify_connectivity()
    except ServiceUnavailable as exc:
        driver.close()
        hint = "run `vctrace db start`" if settings.uses_local_server else "is it running?"
        raise NoServerError(f"cannot reach Neo4j at {settings.uri} ({hint})") from exc
    except AuthError as exc:
        driver.close()
        raise NoServerError(f"Neo4j at {settings.uri} refused the credentials of user "
                            f"{settings.neo4j_user!r}") from exc
    return driver


@contextmanager
def driver_for(settings: Settings) -> Iterator[Driver]:
    driver = open_driver(settings)
    try:
        yield driver
    finally:
        driver.close()
