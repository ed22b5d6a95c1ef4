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
    """``--param`` and ``--format``, shared by ``query`` and ``cypher``."""
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
        note(f"(only the first {queries.ROW_LIMIT:,} rows; add a LIMIT or narrow the query)")


def _numeric_columns(result: QueryResult) -> list[str]:
    """Columns whose values are all numbers (right-aligned)."""
    return [name for i, name in enumerate(result.columns)
            if all(isinstance(row[i], (int, float)) and not isinstance(row[i], bool)
                   for row in result.rows if row[i] is not None)]


@click.command()
@click.argument("name", required=False, metavar="[NAME]")
@query_options
@click.pass_obj
def query(settings: Settings, name: str | None, params: dict[str, Any], fmt: str) -> int:
    """Run a named, parameterised query from vctrace/cypher/library (read-only); parameters
    not given are null. Without NAME, list the queries with their parameters.

    Exit status: 1 the database refuses the query, 2 no query has that NAME or the database
    cannot be used."""
    if name is None:
        table(("name", "parameters", "description"),
              [(q.name, ", ".join(q.parameters), q.description) for q in queries.library()],
              width=200)
        return EXIT_OK
    print_rows(queries.run_query(settings, name, params), fmt)
    return EXIT_OK


@click.command()
@click.argument("text", metavar="QUERY")
@query_options
@click.pass_obj
def cypher(settings: Settings, text: str, params: dict[str, Any], fmt: str) -> int:
    """Run a Cypher query in a read-only transaction: writes are refused by the database
    itself. At most 10,000 rows are printed.

    Exit status: 1 the database refuses the query (a write, a syntax error), 2 the database
    cannot be used."""
    print_rows(queries.run_cypher(settings, text, params), fmt)
    return EXIT_OK


COMMANDS = [query, cypher]
