"""The ``vctrace`` command line.

Exit status, for every sub-command: 0 success; 1 the input was read but some of it is invalid
(or a trace was not found); 2 a file or the database could not be used at all. Messages go to
stderr, results to stdout, so ``vctrace show KEY --format json | jq`` works.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from importlib import resources
from pathlib import Path
from typing import Any, Iterable, Iterator

from tqdm import tqdm

from .kg.connection import NoServerError
from .settings import Settings
from .traces.findings import Severity
from .traces.models import Trace
from .traces.records import FileReadError, read_traces, to_json_form
from .traces.render import to_dot
from .traces.text import write_dag, write_explain
from .traces.identity import trace_key
from .traces.validation import is_valid

EXIT_OK, EXIT_INVALID, EXIT_UNUSABLE = 0, 1, 2


def _err(message: str) -> None:
    print(f"vctrace: {message}", file=sys.stderr)


# ---------------------------------------------------------------- validate


def _finding_line(path: str, finding) -> str:
    where = finding.location()
    return (f"{path}:{where}: {finding.severity.value} {finding.code.value}: "
            f"{finding.message}")


def _file_report(path: str, traces: Iterable[Trace], min_rank: int,
                 echo: bool) -> dict[str, Any]:
    report = {"path": path, "records": 0, "valid": 0, "invalid": 0,
              "severity_counts": Counter(), "traces": []}
    for trace in traces:
        valid = is_valid(trace)
        report["records"] += 1
        report["valid" if valid else "invalid"] += 1
        shown = [f for f in trace.findings if f.severity.rank >= min_rank]
        report["severity_counts"].update(f.severity.value for f in trace.findings)
        report["traces"].append({
            "record": trace.provenance.record, "valid": valid,
            "trace_key": trace_key(trace) if valid else None, "drug": trace.drug,
            "cell_line": trace.cell_line, "actions": len(trace.actions),
            "edges": len(trace.edges),
            "findings": [f.model_dump(mode="json") for f in shown]})
        if echo:
            for finding in shown:
                print(_finding_line(path, finding))
    report["severity_counts"] = dict(report["severity_counts"])
    return report


def cmd_validate(args: argparse.Namespace, settings: Settings) -> int:
    min_rank = Severity(args.min_severity).rank
    reports, unreadable = [], []
    for path in args.files:
        try:
            report = _file_report(path, read_traces(path), min_rank, args.format == "text")
        except FileReadError as exc:
            unreadable.append(str(exc))
            if args.format == "text":
                _err(str(exc))
            continue
        reports.append(report)
        if args.format == "text":
            counts = report["severity_counts"]
            print(f"{path}: {report['records']} records, {report['valid']} valid, "
                  f"{report['invalid']} invalid ({counts.get('error', 0)} errors, "
                  f"{counts.get('warning', 0)} warnings, {counts.get('info', 0)} info)")
    if args.format == "json":
        json.dump({"files": reports, "unreadable": unreadable,
                   "valid": not unreadable and all(r["invalid"] == 0 for r in reports)},
                  sys.stdout, indent=2, ensure_ascii=False)
        print()
    if unreadable:
        return EXIT_UNUSABLE
    return EXIT_INVALID if any(r["invalid"] for r in reports) else EXIT_OK


# ---------------------------------------------------------------- db


def _local(settings: Settings):
    from .kg.server import LocalNeo4j
    return LocalNeo4j.from_settings(settings)


def cmd_db(args: argparse.Namespace, settings: Settings) -> int:
    from .kg.connection import driver_for
    from .kg.schema import init_schema
    from .kg.server import ServerError
    from .kg.trace_store import graph_summary

    action = args.db_command
    if action in ("start", "stop") and not settings.uses_local_server:
        print(f"using the Neo4j at {settings.uri} (VCTRACE_NEO4J_URI); nothing to {action}")
        return EXIT_OK
    try:
        if action == "start":
            server = _local(settings)
            already = server.is_running()
            t0 = time.monotonic()
            if not already:
                print(f"starting Neo4j {settings.neo4j_version} on {server.uri} "
                      f"(home {server.root}) …", file=sys.stderr)
            server.start()
            state = "already running" if already else f"started in {time.monotonic() - t0:.1f} s"
            print(f"Neo4j {state}: {server.uri}, pid {server.pid()}, user neo4j, password in "
                  f"{server.password_file}")
            with driver_for(settings) as driver:
                init_schema(driver, settings.neo4j_database)
            return EXIT_OK
        if action == "stop":
            stopped = _local(settings).stop()
            print("Neo4j stopped" if stopped else "Neo4j was not running")
            return EXIT_OK
        if action == "init":
            with driver_for(settings) as driver:
                count = init_schema(driver, settings.neo4j_database)
            print(f"schema ready on {settings.uri}: {count} constraints and indexes")
            return EXIT_OK
        # status
        if settings.uses_local_server:
            server = _local(settings)
            pid = server.pid()
            if pid is None:
                print(f"local Neo4j: not running (home {server.root})")
                return EXIT_INVALID
            print(f"local Neo4j: running, pid {pid}, {server.uri}")
        with driver_for(settings) as driver:
            summary = graph_summary(driver, database=settings.neo4j_database)
        print(f"connected to {settings.uri}: " +
              ", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in summary.items()))
        return EXIT_OK
    except (ServerError, OSError) as exc:
        _err(str(exc))
        return EXIT_UNUSABLE
    except NoServerError:
        raise
    except Exception as exc:  # other driver errors
        _err(f"cannot use Neo4j at {settings.uri}: {type(exc).__name__}: {exc}")
        return EXIT_UNUSABLE


# ---------------------------------------------------------------- ingest


class _IngestTally:
    def __init__(self) -> None:
        self.records = self.valid = self.invalid = 0
        self.written = self.existing = self.actions = self.edges = 0
        self.rejected: list[tuple[str, Trace]] = []


def _valid_only(path: str, traces: Iterator[Trace], tally: _IngestTally,
                bar: tqdm) -> Iterator[Trace]:
    for trace in traces:
        tally.records += 1
        bar.update(1)
        if is_valid(trace):
            tally.valid += 1
            yield trace
        else:
            tally.invalid += 1
            tally.rejected.append((path, trace))


def ingest_files(paths: list[str], settings: Settings, *, progress: bool = True,
                 out=None) -> int:
    """Ingest trace files into Neo4j; print a summary; return the exit status."""
    out = out or sys.stdout
    from .kg.connection import driver_for
    from .kg.grounding import ground
    from .kg.schema import init_schema
    from .kg.trace_store import write_traces

    tally, unreadable = _IngestTally(), []
    t0 = time.monotonic()
    with driver_for(settings) as driver:
        init_schema(driver, settings.neo4j_database)
        for path in paths:
            file_tally = _IngestTally()
            with tqdm(desc=Path(path).name, unit=" traces", disable=not progress or None,
                      file=sys.stderr, leave=False) as bar:
                try:
                    stream = _valid_only(path, read_traces(path), file_tally, bar)
                    for result in write_traces(driver, stream, database=settings.neo4j_database,
                                               batch_size=settings.batch_size):
                        file_tally.written += result.traces_written
                        file_tally.existing += result.traces_existing
                        file_tally.actions += result.actions_written
                        file_tally.edges += result.edges_written
                except FileReadError as exc:
                    unreadable.append(str(exc))
                    _err(str(exc))
                    continue
            print(f"{path}: {file_tally.records} records, {file_tally.written} written, "
                  f"{file_tally.existing} already stored, {file_tally.invalid} invalid "
                  "(not written)", file=out)
            for fpath, trace in file_tally.rejected:
                errors = [f for f in trace.findings if f.severity is Severity.ERROR]
                for finding in errors:
                    print("  " + _finding_line(fpath, finding), file=out)
            for name in ("records", "valid", "invalid", "written", "existing", "actions",
                         "edges"):
                setattr(tally, name, getattr(tally, name) + getattr(file_tally, name))
        grounding = ground(driver, settings.neo4j_database)
    elapsed = time.monotonic() - t0
    rate = tally.written / elapsed if elapsed else 0.0
    print(f"total: {tally.written} traces written ({tally.actions:,} actions, "
          f"{tally.edges:,} edges), {tally.existing} already stored, {tally.invalid} invalid, "
          f"in {elapsed:.1f} s ({rate:,.0f} traces/s)", file=out)
    if grounding.mentions:
        print(f"grounding: {grounding.grounded:,} of {grounding.mentions:,} ungrounded mentions "
              "now link to knowledge-graph entities (vctrace ground for the table)", file=out)
    if unreadable:
        return EXIT_UNUSABLE
    return EXIT_INVALID if tally.invalid else EXIT_OK


def _empty_local_server(settings: Settings):
    """The started local server if its database is empty (what --bulk replaces), else None
    after saying why."""
    from .kg.connection import driver_for

    if not settings.uses_local_server:
        _err("--bulk imports into the local server only (VCTRACE_NEO4J_URI is set)")
        return None
    server = _local(settings)
    server.start()
    with driver_for(settings) as driver:
        records, _, _ = driver.execute_query("MATCH (n) RETURN count(n) > 0 AS used",
                                             database_=settings.neo4j_database)
    if records[0]["used"]:
        _err("--bulk needs an empty database (it replaces the store); this one holds data: "
             "load without --bulk to add to it")
        return None
    return server


def bulk_ingest_files(paths: list[str], settings: Settings, *, progress: bool = True) -> int:
    """First load into an empty local database with neo4j-admin import (see kg/bulk_import)."""
    import tempfile

    from .kg.bulk_import import BulkImportError, bulk_import
    from .kg.connection import driver_for
    from .kg.schema import init_schema
    from .kg.server import ServerError

    t0 = time.monotonic()
    try:
        server = _empty_local_server(settings)
        if server is None:
            return EXIT_UNUSABLE
        tally, unreadable = _IngestTally(), []

        def valid_traces() -> Iterator[Trace]:
            for path in paths:
                with tqdm(desc=Path(path).name, unit=" traces", file=sys.stderr, leave=False,
                          disable=not progress or None) as bar:
                    try:
                        yield from _valid_only(path, read_traces(path), tally, bar)
                    except FileReadError as exc:
                        unreadable.append(str(exc))
                        _err(str(exc))

        with tempfile.TemporaryDirectory(prefix="vctrace-import-",
                                         dir=server.root / "import") as folder:
            result = bulk_import(server, valid_traces(), Path(folder))
        with driver_for(settings) as driver:
            init_schema(driver, settings.neo4j_database)
    except (ServerError, BulkImportError, OSError) as exc:
        _err(str(exc))
        return EXIT_UNUSABLE
    for path, trace in tally.rejected:
        for finding in trace.findings:
            if finding.severity is Severity.ERROR:
                print("  " + _finding_line(path, finding))
    elapsed = time.monotonic() - t0
    steps = ", ".join(f"{name} {secs:.1f} s" for name, secs in result.seconds.items())
    print(f"bulk import: {result.traces} traces ({result.actions:,} actions, "
          f"{result.edges:,} edges, {result.claims:,} claims), {tally.invalid} invalid "
          f"records not written, in {elapsed:.1f} s ({steps})")
    if unreadable:
        return EXIT_UNUSABLE
    return EXIT_INVALID if tally.invalid else EXIT_OK


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    if args.bulk:
        return bulk_ingest_files(args.files, settings, progress=not args.no_progress)
    try:
        return ingest_files(args.files, settings, progress=not args.no_progress)
    except NoServerError:
        raise
    except Exception as exc:  # other driver errors
        _err(f"cannot use Neo4j at {settings.uri}: {type(exc).__name__}: {exc}")
        return EXIT_UNUSABLE


# ---------------------------------------------------------------- show


def format_trace_text(trace: Trace, key: str) -> str:
    header = [f"# trace {key}" + (f" ({trace.trace_id})" if trace.trace_id else ""),
              f"# drug: {trace.drug or '-'}; cell line: {trace.cell_line or '-'}; "
              f"{len(trace.actions)} actions, {len(trace.edges)} edges"]
    if trace.provenance.source_file:
        header.append(f"# from {trace.provenance.source_file}, record {trace.provenance.record}")
    return "\n".join(header + [write_explain(trace.actions), "", write_dag(trace.edges)])


def cmd_show(args: argparse.Namespace, settings: Settings) -> int:
    from .kg.connection import driver_for
    from .kg.trace_store import read_traces as read_stored, resolve_trace_keys

    try:
        with driver_for(settings) as driver:
            keys = resolve_trace_keys(driver, args.trace, database=settings.neo4j_database)
            if len(keys) != 1:
                _err(f"no stored trace matches {args.trace!r}" if not keys else
                     f"{args.trace!r} matches several traces; give more of the key")
                return EXIT_INVALID
            trace = read_stored(driver, keys, database=settings.neo4j_database)[0]
    except NoServerError:
        raise
    except Exception as exc:  # other driver errors
        _err(f"cannot use Neo4j at {settings.uri}: {type(exc).__name__}: {exc}")
        return EXIT_UNUSABLE
    if args.format == "json":
        print(json.dumps(dict(to_json_form(trace), trace_key=keys[0]), indent=2,
                         ensure_ascii=False))
    elif args.format == "dot":
        print(to_dot(trace, title=f"{trace.drug or '?'} in {trace.cell_line or '?'} ({keys[0]})"))
    else:
        print(format_trace_text(trace, keys[0]))
    return EXIT_OK


# ---------------------------------------------------------------- knowledge


def cmd_load(args: argparse.Namespace, settings: Settings) -> int:
    from .kg.connection import driver_for
    from .kg.grounding import ground
    from .kg.schema import init_schema
    from .loaders import REGISTRY, SourceFileError

    loader_class = REGISTRY[args.source]
    options = {name: value for name, value in (
        ("padj", args.padj), ("min_abs_lfc", args.min_abs_lfc),
        ("conditions", args.conditions), ("dataset", args.dataset)) if value is not None}
    applies = {"padj": "tahoe-de", "min_abs_lfc": "tahoe-de", "conditions": "tahoe-de",
               "dataset": "harmonizome"}
    misplaced = [name for name in options if applies[name] != args.source]
    if misplaced:
        _err(f"--{misplaced[0].replace('_', '-')} applies to {applies[misplaced[0]]}, "
             f"not {args.source}")
        return EXIT_UNUSABLE
    t0 = time.monotonic()
    paths = [Path(p) for p in args.paths]
    if args.bulk:
        if args.source != "primekg":
            _err(f"--bulk applies to primekg, not {args.source}")
            return EXIT_UNUSABLE
        import tempfile

        from .kg.bulk_import import BulkImportError
        from .kg.server import ServerError
        from .loaders.primekg import bulk_load
        try:
            server = _empty_local_server(settings)
            if server is None:
                return EXIT_UNUSABLE
            with tempfile.TemporaryDirectory(prefix="vctrace-import-",
                                             dir=server.root / "import") as folder:
                release, seconds = bulk_load(server, paths, Path(folder),
                                             source_version=args.source_version)
        except (SourceFileError, BulkImportError, ServerError) as exc:
            _err(str(exc))
            return EXIT_UNUSABLE
        print("bulk: " + ", ".join(f"{k} {v:.1f} s" for k, v in seconds.items()))
    with driver_for(settings) as driver:
        init_schema(driver, settings.neo4j_database)
        loader = loader_class(driver, settings.neo4j_database)
        try:
            if args.bulk:
                loader.record(release)
            else:
                release = loader.load(paths, source_version=args.source_version, **options)
        except SourceFileError as exc:
            _err(str(exc))
            return EXIT_UNUSABLE
        grounding = ground(driver, settings.neo4j_database, rebuild=True)
    for problem in release.problems:
        print(f"  {problem}")
    print(f"{args.source}: {release.rows_read:,} rows read, {release.rows_loaded:,} loaded, "
          f"{release.rows_rejected:,} rejected, in {time.monotonic() - t0:.1f} s "
          f"(release {release.key}, source {release.source} {release.version})")
    print(f"re-grounded all traces: {grounding.grounded:,} of {grounding.mentions:,} mentions "
          f"link to entities ({grounding.aliases:,} aliases indexed)")
    return EXIT_INVALID if release.rows_rejected else EXIT_OK


def print_grounding(result, report, out=None) -> None:
    out = out or sys.stdout
    print(f"grounding: {result.grounded:,} of {result.mentions:,} ungrounded mentions linked "
          f"({result.grounded_exact:,} by exact name, {result.grounded_compact:,} by compact "
          f"form" + (f"; {result.aliases:,} aliases indexed" if result.aliases else "") + ")",
          file=out)
    print_report(report, out)


def print_report(report, out=None) -> None:
    """The per primitive / role grounding table."""
    out = out or sys.stdout
    if report:
        print(f"  {'primitive':<34}{'role':<16}{'arguments':>10}{'grounded':>10}{'share':>8}",
              file=out)
        for row in report:
            share = row["grounded"] / row["arguments"] if row["arguments"] else 0.0
            print(f"  {row['primitive']:<34}{row['role']:<16}{row['arguments']:>10,}"
                  f"{row['grounded']:>10,}{share:>8.1%}", file=out)


def cmd_ground(args: argparse.Namespace, settings: Settings) -> int:
    from .kg.connection import driver_for
    from .kg.grounding import ground, grounding_report
    from .kg.schema import init_schema

    with driver_for(settings) as driver:
        init_schema(driver, settings.neo4j_database)
        result = ground(driver, settings.neo4j_database, rebuild=args.rebuild)
        report = grounding_report(driver, settings.neo4j_database)
    if args.format == "json":
        print(json.dumps({"mentions": result.mentions, "grounded_exact": result.grounded_exact,
                          "grounded_compact": result.grounded_compact,
                          "aliases": result.aliases, "by_role": report}, indent=2))
    else:
        print_grounding(result, report)
    return EXIT_OK


def cmd_sources(args: argparse.Namespace, settings: Settings) -> int:
    from .kg.connection import driver_for
    from .loaders import list_releases

    with driver_for(settings) as driver:
        releases = list_releases(driver, settings.neo4j_database)
    if args.format == "json":
        print(json.dumps(releases, indent=2, default=str))
        return EXIT_OK
    if not releases:
        print("no knowledge loaded yet (vctrace load --help)")
    for r in releases:
        files = ", ".join(json.loads(r["files_json"]))
        print(f"{r['source']} {r['version']}  {r['started_at'][:19]}  read {r['rows_read']:,}, "
              f"loaded {r['rows_loaded']:,}, rejected {r['rows_rejected']:,}  [{files}]  "
              f"{r['key']}")
    return EXIT_OK


# ---------------------------------------------------------------- queries


def _param(text: str) -> tuple[str, Any]:
    name, sep, value = text.partition("=")
    if not sep or not name.isidentifier():
        raise argparse.ArgumentTypeError(f"--param wants name=value, got {text!r}")
    try:
        return name, json.loads(value)  # numbers, booleans, lists, quoted strings
    except json.JSONDecodeError:
        return name, value


def _print_rows(keys: list[str], rows: list[list[Any]], fmt: str) -> None:
    import csv
    if fmt == "json":
        print(json.dumps([dict(zip(keys, row)) for row in rows], indent=2, ensure_ascii=False,
                         default=str))
        return
    if fmt == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(keys)
        writer.writerows([json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list))
                          else v for v in row] for row in rows)
        return
    cells = [[str(k) for k in keys]] + [[_cell(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(keys))]
    for n, row in enumerate(cells):
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))
    print(f"({len(rows)} row{'s' if len(rows) != 1 else ''})", file=sys.stderr)


def _cell(value: Any, width: int = 60) -> str:
    text = "" if value is None else (json.dumps(value, ensure_ascii=False, default=str)
                                     if isinstance(value, (dict, list)) else str(value))
    return text if len(text) <= width else text[:width - 1] + "…"


def _run_query(text: str, params: dict[str, Any], settings: Settings, fmt: str) -> int:
    from .kg.connection import driver_for
    from .kg.read_only import QueryRefused, run_read_only

    with driver_for(settings) as driver:
        try:
            keys, rows = run_read_only(driver, text, params, database=settings.neo4j_database)
        except QueryRefused as exc:
            _err(f"query refused: {exc}")
            return EXIT_INVALID
    _print_rows(keys, rows, fmt)
    return EXIT_OK


def cmd_cypher(args: argparse.Namespace, settings: Settings) -> int:
    return _run_query(args.query, dict(args.param or []), settings, args.format)


def cmd_query(args: argparse.Namespace, settings: Settings) -> int:
    from . import cypher
    if args.name is None:
        for name, about in cypher.library().items():
            print(f"{name:<28}{about}")
        return EXIT_OK
    try:
        text = cypher.library_query(args.name)
    except cypher.UnknownQuery:
        _err(f"no query named {args.name!r}; `vctrace query` lists them")
        return EXIT_UNUSABLE
    params = dict(args.param or [])
    for name in re.findall(r"\$([A-Za-z_][A-Za-z0-9_]*)", text):
        params.setdefault(name, None)  # optional parameters default to null
    return _run_query(text, params, settings, args.format)


# ---------------------------------------------------------------- demo


DEMO_KNOWLEDGE = (  # (loader, files under examples/knowledge), loaded in this order
    ("tahoe-metadata", ("tahoe/drug_metadata.demo.parquet",
                        "tahoe/cell_line_metadata.demo.parquet")),
    ("primekg", ("primekg/kg.csv",)),
    ("hgnc", ("hgnc/hgnc_complete_set.txt",)),
    ("tahoe-de", ("tahoe_de/demo_de_SYNTHETIC.parquet",)),
)


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from .kg.connection import driver_for
    from .kg.grounding import ground, grounding_report
    from .kg.schema import init_schema
    from .kg.server import ServerError
    from .kg.trace_store import graph_summary, primitive_counts
    from .loaders import REGISTRY

    examples = resources.files("vctrace.examples")
    files = [str(examples / "demo_traces.jsonl"), str(examples / "broken_traces.jsonl")]
    print("== vctrace demo ==")
    if settings.uses_local_server:
        try:
            server = _local(settings)
            print(f"1. local Neo4j {settings.neo4j_version} (jars from Maven Central on first "
                  f"run) at {server.uri} …")
            server.start()
        except ServerError as exc:
            _err(str(exc))
            return EXIT_UNUSABLE
    else:
        print(f"1. using the Neo4j at {settings.uri}")
    print("2. loading the demo knowledge set (real Tahoe-100M metadata of 20 drugs and 5 cell "
          "lines, PrimeKG-format targets and pathways, HGNC aliases; a SYNTHETIC DE table):")
    with driver_for(settings) as driver:
        init_schema(driver, settings.neo4j_database)
        for source, names in DEMO_KNOWLEDGE:
            paths = [Path(str(examples / "knowledge" / name)) for name in names]
            release = REGISTRY[source](driver, settings.neo4j_database).load(
                paths, source_version="vctrace-demo")
            print(f"   {source:<16}{release.rows_loaded:>6,} rows loaded")
        ground(driver, settings.neo4j_database, rebuild=True)  # index the entities' names
    print("3. ingesting example traces for Tahoe-100M drugs (one file of valid traces, one of "
          "deliberately broken ones):")
    status = cmd_ingest(argparse.Namespace(files=files, no_progress=True, bulk=False),
                        settings)
    if status == EXIT_UNUSABLE:
        return status
    with driver_for(settings) as driver:
        report = grounding_report(driver, settings.neo4j_database)
        summary = graph_summary(driver, database=settings.neo4j_database)
        counts = primitive_counts(driver, database=settings.neo4j_database)
    print("4. the graph now holds: " +
          ", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in summary.items()))
    print("   actions per primitive:")
    for row in counts:
        print(f"     {row['primitive']:<34}{row['actions']:>5} actions in {row['traces']} traces")
    print("   trace arguments grounded to knowledge-graph entities, per primitive and role:")
    print_report(report)
    from .cli_verify import demo_verification
    run = demo_verification(settings)
    print("next, try:\n  vctrace show demo-trametinib-c32\n  vctrace audit demo-trametinib-c32\n"
          f"  vctrace query claims_refuted_by_verifier --param verifier=de\n"
          f"  vctrace export {run} verified.jsonl\n"
          f"  vctrace validate {files[1]}\n  vctrace db stop")
    return EXIT_OK


# ---------------------------------------------------------------- parser


def _query_options(p: argparse.ArgumentParser) -> None:
    """--param and --format, shared by `query` and `cypher`."""
    p.add_argument("--param", action="append", type=_param, metavar="NAME=VALUE",
                   help="a query parameter (repeatable); values are read as JSON when they "
                   "parse, else as text")
    p.add_argument("--format", choices=("table", "json", "csv"), default="table")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vctrace",
        description="Verify mechanistic explanations (traces) of how drugs act on cells, "
                    "stored as subgraphs in Neo4j. Settings come from VCTRACE_* environment "
                    "variables; the options below override them.")
    parser.add_argument("--home", type=Path, help="vctrace home (VCTRACE_HOME): local Neo4j "
                        "jars, data and password")
    parser.add_argument("--neo4j-uri", help="use this Neo4j instead of the local one "
                        "(VCTRACE_NEO4J_URI; password from VCTRACE_NEO4J_PASSWORD)")
    parser.add_argument("--neo4j-user", help="user for --neo4j-uri (VCTRACE_NEO4J_USER)")
    parser.add_argument("--bolt-port", type=int, help="port of the local Neo4j "
                        "(VCTRACE_BOLT_PORT, default 7687)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("validate", help="parse and validate trace files (no database)",
                       description="Parse and structurally validate trace files (.jsonl, .json, "
                       ".parquet, .csv, .txt). Exit 0 when every record is valid, 1 when some "
                       "are invalid, 2 when a file cannot be read.")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--min-severity", choices=("info", "warning", "error"), default="info",
                   help="hide findings below this severity (default: show all)")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("db", help="start, stop, check or initialise the Neo4j database",
                       description="Manage the local Neo4j 5.26 Community server (resolved "
                       "from Maven Central, bound to 127.0.0.1, authentication on). With "
                       "VCTRACE_NEO4J_URI set, that server is used and start/stop do nothing.")
    db_sub = p.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    for name, text in (("start", "install if needed, start, wait until ready, create schema"),
                       ("stop", "stop the local server cleanly"),
                       ("status", "is it running; what does the graph hold"),
                       ("init", "create constraints and indexes (idempotent)")):
        db_sub.add_parser(name, help=text, description=text)
    p.set_defaults(func=cmd_db)

    p = sub.add_parser("ingest", help="write valid traces into Neo4j",
                       description="Write the valid traces of each file into Neo4j as "
                       "subgraphs (batched, idempotent). Invalid records are reported and not "
                       "written. Exit 0 when all were valid, 1 when some were invalid, 2 when "
                       "a file or the database cannot be used.")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--batch-size", type=int, help="traces per transaction (default 500)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--bulk", action="store_true",
                   help="first load into an EMPTY local database with neo4j-admin import "
                   "(stops and restarts the server; several times faster)")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("show", help="print a stored trace",
                       description="Read a trace back from Neo4j by key, key prefix or "
                       "trace_id and print it as explain/dag text, as JSON, or as a Graphviz "
                       "picture (--format dot | dot -Tsvg > trace.svg).")
    p.add_argument("trace", metavar="TRACE")
    p.add_argument("--format", choices=("text", "json", "dot"), default="text")
    p.set_defaults(func=cmd_show)

    from .loaders import REGISTRY as LOADERS
    p = sub.add_parser("load", help="load a knowledge source into Neo4j",
                       description="Load a knowledge source's files (streamed, idempotent, "
                       "with a provenance record). Sources: " +
                       "; ".join(f"{name}: {cls.description}" for name, cls in LOADERS.items())
                       + ". Exit 0 when every row loaded, 1 when some were rejected, 2 when a "
                       "file is not of the source's format.")
    p.add_argument("source", choices=sorted(LOADERS), metavar="SOURCE",
                   help=f"one of: {', '.join(sorted(LOADERS))}")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--source-version", default="unversioned",
                   help="the source's release, recorded with the load")
    p.add_argument("--padj", type=float, help="tahoe-de: keep calls with padj below this "
                   "(default 0.05)")
    p.add_argument("--min-abs-lfc", type=float, help="tahoe-de: keep calls with |log2FC| at "
                   "least this (default 0.5)")
    p.add_argument("--conditions", choices=("all", "traces"),
                   help="tahoe-de: every condition, or those of ingested traces (default all)")
    p.add_argument("--dataset", help="harmonizome: the dataset's name (default: the name of "
                   "the folder holding the file)")
    p.add_argument("--bulk", action="store_true",
                   help="primekg: first load into an EMPTY local database with neo4j-admin "
                   "import (stops and restarts the server; for the full 8.1 M-row file)")
    p.set_defaults(func=cmd_load)

    p = sub.add_parser("ground", help="link trace mentions to knowledge-graph entities",
                       description="Ground the entity names of trace arguments to loaded "
                       "entities (exact, then punctuation-free form) and print how many "
                       "arguments ground, per primitive and role. Runs by itself after ingest "
                       "(new mentions) and load (everything, with --rebuild).")
    p.add_argument("--rebuild", action="store_true",
                   help="re-index every entity and ground every mention again")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=cmd_ground)

    p = sub.add_parser("query", help="run a named query of the library (no NAME: list them)",
                       description="Run a named, parameterised query from vctrace/cypher/"
                       "library (read-only). Without NAME, list the queries.")
    p.add_argument("name", nargs="?", metavar="NAME")
    _query_options(p)
    p.set_defaults(func=cmd_query)

    p = sub.add_parser("cypher", help="run ad-hoc Cypher, read-only",
                       description="Run a Cypher query in a read-only transaction: writes are "
                       "refused by the database. Exit 1 when the database refuses the query.")
    p.add_argument("query", metavar="QUERY")
    _query_options(p)
    p.set_defaults(func=cmd_cypher)

    p = sub.add_parser("sources", help="list the knowledge loads recorded",
                       description="List every recorded load (source release) with counts.")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=cmd_sources)

    p = sub.add_parser("demo", help="start Neo4j, ingest example traces, print a summary",
                       description="Start the local Neo4j (or use VCTRACE_NEO4J_URI), ingest "
                       "the bundled example traces for Tahoe-100M drugs and print a summary.")
    p.set_defaults(func=cmd_demo)

    from .cli_verify import add_commands
    add_commands(sub)
    return parser


def make_settings(args: argparse.Namespace) -> Settings:
    overrides = {name: value for name, value in (
        ("home", args.home), ("neo4j_uri", args.neo4j_uri), ("neo4j_user", args.neo4j_user),
        ("bolt_port", args.bolt_port), ("batch_size", getattr(args, "batch_size", None)))
        if value is not None}
    return Settings(**overrides)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = make_settings(args)
    except Exception as exc:  # pydantic validation of env/flags
        _err(f"bad settings: {exc}")
        return EXIT_UNUSABLE
    try:
        return args.func(args, settings)
    except NoServerError as exc:
        _err(str(exc))
        return EXIT_UNUSABLE
    except KeyboardInterrupt:
        _err("interrupted")
        return 130
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
