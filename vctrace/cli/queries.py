"""``vctrace query`` (the named query library) and ``vctrace cypher`` (ad-hoc Cypher), both
read-only."""

from __future__ import annotations

import csv
import json
import sys
from typing import Any, Callable

import click

from ..app import queries
from ..app.queries import QueryResult
from ..settings import Settings
from .render import EXIT_OK, json_text, note, say, table


def _params(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
            ) -> dict[str, Any]:
    """``--param name=value`` pairs; values are read as JSON when they parse (numbers,
    booleans, lists, quoted strings), else as text."""
    out: dict[str, Any] = {}
    for text in values:
        name, sep, value = text.partition("=")
        if not sep or not name.isidentifier():
            raise click.BadParameter(f"wants NAME=VALUE, got {text!r}", ctx, param)
        try:
            out[name] = json.loads(value)
        except json.JSONDecodeError:
            out[name] = value
    return out


def query_options(command: Callable) -> Callable:
    """``--param``, ``--format``, ``--limit`` and ``--timeout-s``, shared by ``query`` and
    ``cypher``."""
    command = click.option("--timeout-s", "timeout_s", type=click.FloatRange(min=0,
                           min_open=True), default=queries.TIMEOUT_S, show_default=True,
                           help="transaction timeout: the server stops the query after "
                           "this many seconds")(command)
    command = click.option("--limit", type=click.IntRange(min=1), default=queries.ROW_LIMIT,
                           show_default=True,
                           help="return at most this many rows (stderr says when the "
                           "result was cut)")(command)
    command = click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]),
                           default="table", show_default=True)(command)
    return click.option("--param", "params", multiple=True, callback=_params,
                        metavar="NAME=VALUE",
                        help="a query parameter (repeatable); values are read as JSON when "
                        "they parse, else as text")(command)


def print_rows(result: QueryResult, fmt: str) -> None:
    """Rows as a table (the row count on stderr), JSON (a list of objects) or CSV (maps and
    lists as JSON)."""
    if fmt == "json":
        say(json_text([dict(zip(result.columns, row)) for row in result.rows]))
    elif fmt == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(result.columns)
        writer.writerows([json.dumps(v, ensure_ascii=False, default=str)
                          if isinstance(v, (dict, list)) else v for v in row]
                         for row in result.rows)
    else:
        table(result.columns, result.rows, numeric=_numeric_columns(result))
        count = len(result.rows)
        note(f"({count:,} row{'s' if count != 1 else ''})")
    if result.truncated:
        note(f"(only the first {result.limit:,} rows; add a LIMIT, narrow the query or "
             "raise --limit)")


def _numeric_columns(result: QueryResult) -> list[str]:
    """Columns whose values are all numbers (right-aligned)."""
    return [name for i, name in enumerate(result.columns)
            if all(isinstance(row[i], (int, float)) and not isinstance(row[i], bool)
                   for row in result.rows if row[i] is not None)]


@click.command()
@click.argument("name", required=False, metavar="[NAME]")
@query_options
@click.pass_obj
def query(settings: Settings, name: str | None, params: dict[str, Any], fmt: str, limit: int,
          timeout_s: float) -> int:
    """Run a named, parameterised query from vctrace/cypher/library (read-only); parameters
    not given are null. Without NAME, list the queries with their parameters.

    Exit status: 1 the query is refused or times out, 2 no query has that NAME or the database
    cannot be used."""
    if name is None:
        table(("name", "parameters", "description"),
              [(q.name, ", ".join(q.parameters), q.description) for q in queries.library()],
              width=200)
        return EXIT_OK
    print_rows(queries.run_query(settings, name, params, limit=limit, timeout_s=timeout_s), fmt)
    return EXIT_OK


@click.command()
@click.argument("text", metavar="QUERY")
@query_options
@click.pass_obj
def cypher(settings: Settings, text: str, params: dict[str, Any], fmt: str, limit: int,
           timeout_s: float) -> int:
    """Run a read-only Cypher query through the query gate: its plan (EXPLAIN) must be a
    read, without administration commands (SHOW TRANSACTIONS/SETTINGS/USERS, TERMINATE…),
    LOAD CSV, CALL … IN TRANSACTIONS, or procedures other than db.labels,
    db.relationshipTypes, db.propertyKeys, db.schema.*, db.index.fulltext/vector queries and
    db.ping; SHOW INDEXES and SHOW CONSTRAINTS are allowed. It runs in a read-only
    transaction with a timeout (--timeout-s); at most --limit rows are printed.

    Exit status: 1 the database refuses the query (its plan is not an allowed read, a syntax
    error) or it times out, 2 the database cannot be used."""
    print_rows(queries.run_cypher(settings, text, params, limit=limit, timeout_s=timeout_s),
               fmt)
    return EXIT_OK


COMMANDS = [query, cypher]
