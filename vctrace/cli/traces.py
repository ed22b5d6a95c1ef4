"""Trace commands: ``validate`` (no database), ``ingest`` (transactional or ``--bulk``) and
``show``."""

from __future__ import annotations

from typing import Any, Iterable

import click

from ..app import Progress, traces as use_cases
from ..app.traces import FileTally
from ..settings import Settings
from .render import (EXIT_INVALID, EXIT_OK, EXIT_UNUSABLE, error, json_text,
                     no_progress_option, progress_bars, say, seconds_text)

FILES = click.argument("files", nargs=-1, required=True, metavar="FILE...")


def finding_line(path: str, finding: Any) -> str:
    """``path:record N:field:line N: severity code: message`` (the line editors and grep
    understand)."""
    return (f"{path}:{finding.location()}: {finding.severity.value} {finding.code.value}: "
            f"{finding.message}")


def exit_status(unreadable: list[str], invalid: int) -> int:
    """2 when a file could not be read, else 1 when a record was invalid, else 0."""
    if unreadable:
        return EXIT_UNUSABLE
    return EXIT_INVALID if invalid else EXIT_OK


def ingest_exit_status(result: use_cases.IngestResult) -> int:
    """2 when nothing could be read, else 1 when a file could not be read (or not to its
    end), a record was invalid or could not be stored, else 0."""
    if result.nothing_read:
        return EXIT_UNUSABLE
    total = result.total
    return EXIT_INVALID if result.unreadable or total.invalid or total.failed else EXIT_OK


def _print_rejected(files: Iterable[FileTally]) -> None:
    for tally in files:
        for rejected in tally.rejected:
            for finding in rejected.errors:
                say("  " + finding_line(rejected.path, finding))


@click.command()
@FILES
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.option("--min-severity", type=click.Choice(use_cases.SEVERITIES), default="info",
              help="hide findings below this severity (default: show all)")
@no_progress_option
def validate(files: tuple[str, ...], fmt: str, min_severity: str, no_progress: bool) -> int:
    """Parse and structurally validate trace files (.jsonl, .json, .parquet, .csv, .txt); no
    database. Prints each finding as PATH:record N:FIELD:line N: SEVERITY CODE: MESSAGE and a
    summary line per file (--format json: one report).

    Exit status: 0 every record is valid, 1 some are invalid, 2 a file cannot be read."""
    result = use_cases.validate(list(files), min_severity,
                                progress=progress_bars(not no_progress))
    for message in result.unreadable:
        error(message)
    if fmt == "json":
        say(json_text(result.model_dump(mode="json")))
    else:
        for report in result.files:
            for trace in report.traces:
                for finding in trace.findings:
                    say(finding_line(report.path, finding))
            counts = report.severity_counts
            say(f"{report.path}: {report.records} records, {report.valid} valid, "
                f"{report.invalid} invalid ({counts.get('error', 0)} errors, "
                f"{counts.get('warning', 0)} warnings, {counts.get('info', 0)} info)")
    return exit_status(result.unreadable, sum(f.invalid for f in result.files))


@click.command()
@FILES
@click.option("--batch-size", type=click.IntRange(min=1), metavar="N",
              help="traces per write transaction (default VCTRACE_BATCH_SIZE, 200)")
@click.option("--bulk", is_flag=True,
              help="first load into an EMPTY local database with neo4j-admin import (stops and "
              "restarts the server; several times faster)")
@no_progress_option
@click.pass_obj
def ingest(settings: Settings, files: tuple[str, ...], batch_size: int | None, bulk: bool,
           no_progress: bool) -> int:
    """Write the valid traces of each file into Neo4j as subgraphs (batched transactions,
    idempotent: traces already stored are skipped), then ground their new mentions. Invalid
    records are reported with their errors and not written; valid ones in the same file
    are. A valid record Neo4j refuses to store is reported (file, record, reason) and
    skipped; the rest of its batch and the later files are written. Prints a line per file
    and a total.

    Exit status: 0 every record was written (or already stored), 1 some were invalid, not
    stored, or a file could not be read, 2 nothing could be read or the database cannot be
    used (--bulk: 2 when a file cannot be read)."""
    progress = progress_bars(not no_progress)
    if bulk:
        if batch_size is not None:
            raise click.UsageError("--batch-size applies to the transactional ingest, not "
                                   "--bulk")
        return _bulk(settings, files, progress)
    return render_ingest(use_cases.ingest(settings, list(files), batch_size=batch_size,
                                          progress=progress))


def render_ingest(result: use_cases.IngestResult) -> int:
    """Print a transactional ingest (a line per file with its rejected records, the total, the
    grounding of new mentions; unreadable files on stderr); its exit status."""
    for tally in result.files:
        if tally.error:
            error(tally.error)
        if tally.error is None or tally.records:
            failed = f", {tally.failed} not stored" if tally.failed else ""
            ids = f", {tally.ids_added} new ids for stored traces" if tally.ids_added else ""
            say(f"{tally.path}: {tally.records} records, {tally.written} written, "
                f"{tally.existing} already stored, {tally.invalid} invalid (not written)"
                f"{failed}{ids}")
            _print_rejected([tally])
            for failure in tally.failures:
                say(f"  {failure}")
    total, grounding = result.total, result.grounding
    rate = total.written / result.seconds if result.seconds else 0.0
    say(f"total: {total.written} traces written ({total.actions:,} actions, "
        f"{total.edges:,} edges), {total.existing} already stored, {total.invalid} invalid, "
        + (f"{total.failed} not stored, " if total.failed else "")
        + (f"{total.ids_added} new ids, " if total.ids_added else "")
        + f"in {result.seconds:.1f} s ({rate:,.0f} traces/s)")
    if grounding.mentions:
        say(f"grounding: {grounding.grounded:,} of {grounding.mentions:,} ungrounded mentions "
            "now link to knowledge-graph entities (vctrace ground for the table)")
    return ingest_exit_status(result)


def _bulk(settings: Settings, files: tuple[str, ...], progress: Progress) -> int:
    result = use_cases.bulk_ingest(settings, list(files), progress=progress)
    for message in result.unreadable:
        error(message)
    _print_rejected(result.files)
    say(f"bulk import: {result.traces} traces ({result.actions:,} actions, "
        f"{result.edges:,} edges, {result.claims:,} claims), {result.invalid} invalid "
        f"records not written, in {result.seconds:.1f} s ({seconds_text(result.step_seconds)})")
    return exit_status(result.unreadable, result.invalid)


@click.command()
@click.argument("trace", metavar="TRACE")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "dot"]), default="text",
              show_default=True)
@click.pass_obj
def show(settings: Settings, trace: str, fmt: str) -> int:
    """Print a stored trace, named by its key, a key prefix or any id it was ingested under
    (the header lists every id): as explain/dag text, as its JSON form (what ingest reads
    back), or as a Graphviz picture (--format dot | dot -Tsvg > trace.svg).

    Exit status: 1 no stored trace matches TRACE, or several do (an id given to different
    contents: their keys are listed), 2 the database cannot be used."""
    shown = use_cases.show(settings, trace)
    if fmt == "json":
        say(json_text(use_cases.trace_json_form(shown)))
    else:
        say(use_cases.render_trace(shown, fmt))
    return EXIT_OK


COMMANDS = [validate, ingest, show]
