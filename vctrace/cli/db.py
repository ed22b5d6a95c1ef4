"""``vctrace db start|stop|status|init``: the local Neo4j server and the schema."""

from __future__ import annotations

import click

from ..app import database
from ..settings import Settings
from .render import EXIT_INVALID, EXIT_OK, counts_text, note, say


@click.group()
def db() -> None:
    """Manage the local Neo4j 5.26 Community server (resolved from Maven Central, bound to
    127.0.0.1, authentication on). With VCTRACE_NEO4J_URI set, that server is used and
    start/stop do nothing.

    Exit status: 2 when the server cannot be installed, started or reached."""


def _elsewhere(settings: Settings, action: str) -> None:
    say(f"using the Neo4j at {settings.uri} (VCTRACE_NEO4J_URI); nothing to {action}")


@db.command()
@click.pass_obj
def start(settings: Settings) -> int:
    """Install if needed, start, wait until ready, create the schema."""
    local = database.local_server(settings)
    if local is not None and not local.running:
        note(f"starting Neo4j {local.version} on {local.uri} (home {local.server_dir}) …")
    status = database.start(settings)
    if status.local is None:
        _elsewhere(settings, "start")
        return EXIT_OK
    state = ("already running" if status.was_running
             else f"started in {status.start_seconds:.1f} s")
    say(f"Neo4j {state}: {status.uri}, pid {status.local.pid}, user neo4j, password in "
        f"{status.local.password_file}")
    return EXIT_OK


@db.command()
@click.pass_obj
def stop(settings: Settings) -> int:
    """Stop the local server cleanly (SIGTERM, SIGKILL after 60 s)."""
    status = database.stop(settings)
    if status.local is None:
        _elsewhere(settings, "stop")
    else:
        say("Neo4j stopped" if status.stopped else "Neo4j was not running")
    return EXIT_OK


@db.command()
@click.pass_obj
def status(settings: Settings) -> int:
    """Is the local server running; what does the graph hold.

    Exit status: 1 the local server is not running, 2 the database cannot be reached."""
    result = database.status(settings)
    local = result.local
    if local is not None and not local.running:
        say(f"local Neo4j: not running (home {local.server_dir})")
        return EXIT_INVALID
    if local is not None:
        say(f"local Neo4j: running, pid {local.pid}, {local.uri}")
    say(f"connected to {result.uri}: {counts_text(result.summary or {})}")
    return EXIT_OK


@db.command()
@click.pass_obj
def init(settings: Settings) -> int:
    """Create the constraints and indexes (idempotent)."""
    result = database.init(settings)
    say(f"schema ready on {result.uri}: {result.schema_statements} constraints and indexes")
    return EXIT_OK


COMMANDS = [db]
