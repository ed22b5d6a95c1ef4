"""``vctrace serve`` (the HTTP service) and ``vctrace token create|list|revoke`` (its API
tokens)."""

from __future__ import annotations

import click

from ..app import database, tokens
from ..settings import Settings
from .render import EXIT_OK, json_text, note, say, table


@click.command()
@click.option("--host", help="address to bind (VCTRACE_HTTP_HOST, default 127.0.0.1: this "
              "machine only)")
@click.option("--port", type=int, help="port (VCTRACE_HTTP_PORT, default 8000)")
@click.pass_obj
def serve(settings: Settings, host: str | None, port: int | None) -> int:
    """Run the HTTP service: the API (OpenAPI at /docs) and the trace viewer (/viewer). The
    local Neo4j is started if it is not running. Every route but /health needs a token
    (`vctrace token create`). Stop with Ctrl-C."""
    from ..http.server import is_loopback, run

    settings = settings.model_copy(update={k: v for k, v in
                                           (("http_host", host), ("http_port", port)) if v})
    if settings.uses_local_server:
        database.start(settings)
    if not any(t.active for t in tokens.list_tokens(settings)):
        note("no API token yet: create one with `vctrace token create --role write`")
    if not is_loopback(settings.http_host):
        note(f"warning: listening on {settings.http_host}, reachable from the network; "
             "put TLS in front of it (a reverse proxy): tokens travel in every request")
    note(f"vctrace service on http://{settings.http_host}:{settings.http_port} "
         f"(API docs /docs, viewer /viewer), Neo4j {settings.uri}")
    run(settings)
    return EXIT_OK


@click.group()
def token() -> None:
    """API tokens of the HTTP service. Only their SHA-256 is kept (in VCTRACE_HOME/tokens.json,
    mode 600); a token is shown once, when created."""


@token.command()
@click.option("--role", type=click.Choice(tokens.ROLES), required=True,
              help="read: reads, queries, audit, reports; write: also ingest, verify, refine")
@click.option("--name", help="a name to recognise it by (default: role-id)")
@click.pass_obj
def create(settings: Settings, role: str, name: str | None) -> int:
    """Create a token and print it (on stdout, once; store it in a secret store)."""
    created = tokens.create(settings, role, name)
    note(f"token {created.info.id} ({created.info.name}, {role}); it is shown only now:")
    say(created.token)
    return EXIT_OK


@token.command(name="list")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.pass_obj
def list_(settings: Settings, fmt: str) -> int:
    """List tokens (ids, names, roles, dates; never the secrets)."""
    listed = tokens.list_tokens(settings)
    if fmt == "json":
        say(json_text([t.model_dump() for t in listed]))
    elif not listed:
        note("no tokens")
    else:
        table(["id", "name", "role", "created", "revoked"],
              [(t.id, t.name, t.role, t.created_at, t.revoked_at or "") for t in listed])
    return EXIT_OK


@token.command()
@click.argument("token_ref", metavar="ID_OR_NAME")
@click.pass_obj
def revoke(settings: Settings, token_ref: str) -> int:
    """Revoke a token (a running service refuses it from its next request)."""
    revoked = tokens.revoke(settings, token_ref)
    say(f"revoked token {revoked.id} ({revoked.name}) at {revoked.revoked_at}")
    return EXIT_OK


COMMANDS = [serve, token]
