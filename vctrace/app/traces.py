"""Trace use cases: validate files (no database), ingest the valid traces of files (batched
transactions, or an offline bulk import into an empty local database), and show a stored trace.

Ingest orchestration lives here once: only valid traces are written; every file gets its
tallies (records, valid, invalid, written, already stored, actions, edges) and the error
findings of each rejected record; a file that cannot be read is reported and the others still
load; new mentions are grounded after the transactional ingest.
"""

from __future__ import annotations

import codecs
import tempfile
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator, Literal

from pydantic import BaseModel, Field

from ..errors import InvalidRequest, NotFound, VctraceError
from ..kg.bulk_import import BulkImportError, bulk_import
from ..kg.trace_store import (add_trace_ids, list_traces as list_stored,
                              read_traces as read_stored, resolve_trace_keys, stored_trace_ids,
                              write_traces)
from ..progress import Bar, Progress, no_progress
from ..runs.engine import RunError
from ..settings import Settings
from ..traces.findings import Code, Finding, Severity
from ..traces.identity import trace_key
from ..traces.models import Trace
from ..traces.records import FileReadError, read_traces, to_json_form
from ..traces.render import to_dot
from ..traces.text import write_dag, write_explain
from ..traces.validation import is_valid
from .database import empty_local_server, import_folder, init
from .graph_session import open_graph
from .knowledge import GroundingSummary, ground_mentions
from .verification import resolve_run

__all__ = [
    "BODY_FORMATS", "BodyFormat", "BodyIngest", "BodyReport", "BodyTotals", "RecordIngest",
    "RecordReport", "TracePage", "TraceSummary", "UnreadableBody", "VerdictStatus",
    "ingest_body", "list_traces", "validate_body",
    "BulkIngestResult", "Code", "FailedRecord", "FileIngest", "FileReport", "FileTally", "Finding",
    "IngestCounts", "IngestResult", "RejectedRecord", "SEVERITIES", "Severity", "ShownTrace",
    "Trace", "TraceReport", "ValidateResult", "bulk_ingest", "ingest", "render_trace", "show",
    "trace_json_form", "validate",
]

SeverityName = Literal["info", "warning", "error"]
SEVERITIES: tuple[str, ...] = tuple(s.value for s in Severity)


# ---------------------------------------------------------------- validate


class TraceReport(BaseModel):
    """One record of a file: whether it is valid, its key (valid ones), what it holds and
    the findings at or above the severity asked for."""

    record: int | None
    valid: bool
    trace_key: str | None
    drug: str | None
    cell_line: str | None
    actions: int
    edges: int
    findings: list[Finding]


class FileReport(BaseModel):
    """One readable file: record counts, findings per severity (all of them, whatever the
    severity asked for) and a report per record."""

    path: str
    records: int = 0
    valid: int = 0
    invalid: int = 0
    severity_counts: dict[str, int] = Field(default_factory=dict)
    traces: list[TraceReport] = Field(default_factory=list)
    error: str | None = Field(None, description="why reading stopped before the end of the "
                                                "file (the records before it are reported)")


class ValidateResult(BaseModel):
    """Every readable file's report and the messages of the files that could not be read;
    ``valid`` when every file was read and every record is valid."""

    files: list[FileReport] = Field(default_factory=list)
    unreadable: list[str] = Field(default_factory=list)
    valid: bool = True


def _record_bar(progress: Progress, path: str) -> Bar:
    return progress(Path(path).name, None, "traces")


def _file_report(path: str, traces: Iterable[Trace], min_rank: int, bar: Bar) -> FileReport:
    report, counts = FileReport(path=path), Counter()
    try:
        for trace in traces:
            bar.update()
            valid = is_valid(trace)
            report.records += 1
            report.valid += valid
            report.invalid += not valid
            counts.update(f.severity.value for f in trace.findings)
            report.traces.append(TraceReport(
                record=trace.provenance.record, valid=valid,
                trace_key=trace_key(trace) if valid else None, drug=trace.drug,
                cell_line=trace.cell_line, actions=len(trace.actions), edges=len(trace.edges),
                findings=[f for f in trace.findings if f.severity.rank >= min_rank]))
    except FileReadError as exc:
        if not report.records:
            raise
        report.error = str(exc)
    report.severity_counts = dict(counts)
    return report


def validate(paths: list[str | Path], min_severity: SeverityName = "info", *,
             progress: Progress = no_progress) -> ValidateResult:
    """Parse and structurally validate trace files (.jsonl, .json, .parquet, .csv, .txt); no
    database. Findings below ``min_severity`` are left out of the per-record reports (the
    per-file counts include them)."""
    min_rank = Severity(min_severity).rank
    result = ValidateResult()
    for path in map(str, paths):
        bar = _record_bar(progress, path)
        try:
            report = _file_report(path, read_traces(path), min_rank, bar)
            result.files.append(report)
            if report.error:  # read part-way: its records are reported, and the file is not
                result.unreadable.append(report.error)  # counted as read
        except FileReadError as exc:
            result.unreadable.append(str(exc))
        finally:
            bar.close()
    result.valid = not result.unreadable and all(f.invalid == 0 for f in result.files)
    return result


# ---------------------------------------------------------------- ingest


class RejectedRecord(BaseModel):
    """An invalid record, not written, with its error findings."""

    path: str
    record: int | None
    errors: list[Finding]


class FailedRecord(BaseModel):
    """A valid record that could not be converted or stored (e.g. a value Neo4j refuses to
    index), with why; skipped, the rest of its batch and file written."""

    path: str
    record: int | None
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:record {self.record}: not stored: {self.reason}"


class FileTally(BaseModel):
    """What was read from one file: records, valid, invalid (with the rejected records), and
    ``error`` when the file could not be read (or stopped being readable part-way)."""

    path: str
    records: int = 0
    valid: int = 0
    invalid: int = 0
    rejected: list[RejectedRecord] = Field(default_factory=list)
    error: str | None = None


class IngestCounts(BaseModel):
    """Counts of a transactional ingest."""

    records: int = 0
    valid: int = 0
    invalid: int = 0
    written: int = Field(0, description="traces written")
    existing: int = Field(0, description="traces already stored (same key), not written again")
    actions: int = Field(0, description="actions written")
    edges: int = Field(0, description="edges written")
    failed: int = Field(0, description="valid traces that could not be stored (skipped)")
    ids_added: int = Field(0, description="ids recorded on content already stored under "
                                          "another id (the content is not written again)")


class FileIngest(FileTally, IngestCounts):
    """One file of a transactional ingest; ``failures`` are its valid records that could not
    be stored."""

    failures: list[FailedRecord] = Field(default_factory=list)


class IngestResult(BaseModel):
    """A transactional ingest: per file, the totals, the grounding of the new mentions that
    followed, the batch size and the seconds it all took."""

    files: list[FileIngest]
    total: IngestCounts
    grounding: GroundingSummary
    batch_size: int
    seconds: float = Field(description="the whole ingest, grounding included")
    grounding_seconds: float

    @property
    def unreadable(self) -> list[str]:
        return [f.error for f in self.files if f.error]

    @property
    def nothing_read(self) -> bool:
        """No file could be read at all (every one unreadable, and no record read)."""
        return bool(self.files) and all(f.error and not f.records for f in self.files)


def _valid_only(traces: Iterable[Trace], tally: FileTally, bar: Bar) -> Iterator[Trace]:
    """The valid traces of ``traces``, counting every record in ``tally`` and keeping the
    error findings of the invalid ones."""
    for trace in traces:
        tally.records += 1
        bar.update()
        if is_valid(trace):
            tally.valid += 1
            yield trace
        else:
            tally.invalid += 1
            tally.rejected.append(RejectedRecord(
                path=tally.path, record=trace.provenance.record,
                errors=[f for f in trace.findings if f.severity is Severity.ERROR]))


def _read_valid(path: str, tally: FileTally, progress: Progress) -> Iterator[Trace]:
    """The valid traces of the file at ``path``; a file that cannot be read ends the stream
    with ``tally.error`` set rather than raising."""
    bar = _record_bar(progress, path)
    try:
        yield from _valid_only(read_traces(path), tally, bar)
    except FileReadError as exc:
        tally.error = str(exc)
    finally:
        bar.close()


def ingest(settings: Settings, paths: list[str | Path], *, batch_size: int | None = None,
           progress: Progress = no_progress) -> IngestResult:
    """Write the valid traces of each file into the graph as subgraphs, ``batch_size``
    traces per write transaction (default ``settings.batch_size``); traces already stored
    (same key) are skipped, so ingesting a file twice adds nothing, except that content met
    again under another id gets that id added to its ``trace_ids`` (``ids_added``). Invalid
    records are reported with their error findings and not written; a file that cannot be read is
    reported in its ``error``; a valid record that cannot be stored (Neo4j refuses one of
    its values) is reported in ``failures`` and skipped, the rest of its batch and the later
    files still written. Afterwards the new mentions are grounded to entities. Only a lost or
    refused connection raises (:class:`~vctrace.kg.graph.GraphUnavailable`,
    :class:`~vctrace.kg.graph.NoServerError`: what was committed is kept)."""
    size = settings.batch_size if batch_size is None else batch_size
    if size < 1:
        raise VctraceError(f"batch size must be at least 1, not {size}")
    started = time.monotonic()
    files = []
    mentions: set[str] = set()
    with open_graph(settings, schema=True) as graph:
        for path in map(str, paths):
            tally = FileIngest(path=path)
            for batch in write_traces(graph, _read_valid(path, tally, progress),
                                      batch_size=size):
                mentions |= batch.mentions
                tally.written += batch.traces_written
                tally.existing += batch.traces_existing
                tally.actions += batch.actions_written
                tally.edges += batch.edges_written
                tally.ids_added += batch.ids_added
                tally.failures += [FailedRecord(path=path, record=f.record, reason=f.reason)
                                   for f in batch.failed]
                tally.failed += len(batch.failed)
            files.append(tally)
        grounding_started = time.monotonic()
        grounding = ground_mentions(graph, rebuild=False, mentions=mentions)
    ended = time.monotonic()
    total = IngestCounts(**{name: sum(getattr(f, name) for f in files)
                            for name in IngestCounts.model_fields})
    return IngestResult(files=files, total=total, grounding=grounding, batch_size=size,
                        seconds=ended - started, grounding_seconds=ended - grounding_started)


class BulkIngestResult(BaseModel):
    """A bulk import: what was read per file, what was written, and the seconds of each step
    (writing the files, neo4j-admin import, restart) and in all."""

    files: list[FileTally]
    traces: int
    actions: int
    edges: int
    claims: int
    mentions: int
    step_seconds: dict[str, float]
    seconds: float

    @property
    def invalid(self) -> int:
        return sum(f.invalid for f in self.files)

    @property
    def unreadable(self) -> list[str]:
        return [f.error for f in self.files if f.error]


def bulk_ingest(settings: Settings, paths: list[str | Path], *,
                progress: Progress = no_progress) -> BulkIngestResult:
    """First load of the valid traces of ``paths`` into the EMPTY database of the local server
    with ``neo4j-admin database import`` (the same graph as :func:`ingest` builds): writes
    typed CSV files, stops the server, imports, starts it again and creates the schema.
    Refuses another server (``VCTRACE_NEO4J_URI``) and a database that holds data."""
    started = time.monotonic()
    server = empty_local_server(settings)
    files = [FileTally(path=str(path)) for path in paths]

    def valid_traces() -> Iterator[Trace]:
        for tally in files:
            yield from _read_valid(tally.path, tally, progress)

    try:
        with import_folder(server) as folder:
            result = bulk_import(server, valid_traces(), folder)
    except OSError as exc:  # the import files cannot be written
        raise BulkImportError(f"bulk import failed: {exc}") from exc
    init(settings)
    if result.more_ids:  # content met again under other ids: recorded as ingest does
        with open_graph(settings) as graph:
            add_trace_ids(graph, result.more_ids)
    return BulkIngestResult(files=files, traces=result.traces, actions=result.actions,
                            edges=result.edges, claims=result.claims, mentions=result.mentions,
                            step_seconds=result.seconds, seconds=time.monotonic() - started)


# ---------------------------------------------------------------- show


class ShownTrace(BaseModel):
    """A stored trace read back, with its key."""

    key: str
    trace: Trace
    trace_ids: list[str] = Field(default_factory=list,
                                 description="every id the content was ingested under, the "
                                             "first (its trace_id) first")


def show(settings: Settings, ref: str) -> ShownTrace:
    """The stored trace that ``ref`` names: its key, one of its ids (any id it was ingested
    under), or a key or ``trace_id`` prefix. :class:`~vctrace.errors.NotFound` when none
    matches; :class:`~vctrace.errors.InvalidRequest` when several do (an id given to
    different contents, or a short prefix), naming their keys so that one can be given."""
    with open_graph(settings) as graph:
        keys = resolve_trace_keys(graph, ref)
        if not keys:
            raise NotFound(f"no stored trace matches {ref!r}")
        if len(keys) > 1:
            raise InvalidRequest(f"{ref!r} matches several traces ({', '.join(keys)}"
                                 f"{', …' if len(keys) >= 10 else ''}); give its key")
        trace, = read_stored(graph, keys)
        ids = stored_trace_ids(graph, keys[0])
    return ShownTrace(key=keys[0], trace=trace, trace_ids=ids)


def trace_json_form(shown: ShownTrace) -> dict:
    """The trace's JSON form (what ``validate`` and ``ingest`` read back) with its
    ``trace_key``."""
    return dict(to_json_form(shown.trace), trace_key=shown.key, trace_ids=shown.trace_ids)


def render_trace(shown: ShownTrace, fmt: Literal["text", "dot"] = "text") -> str:
    """The trace as explain/dag text with a commented header, or as a Graphviz DOT picture
    (boxes coloured by family, correlative edges dashed)."""
    trace = shown.trace
    if fmt == "dot":
        return to_dot(trace, title=f"{trace.drug or '?'} in {trace.cell_line or '?'} "
                                   f"({shown.key})")
    ids = shown.trace_ids or ([trace.trace_id] if trace.trace_id else [])
    header = [f"# trace {shown.key}" + (f" ({', '.join(ids)})" if ids else ""),
              f"# drug: {trace.drug or '-'}; cell line: {trace.cell_line or '-'}; "
              f"{len(trace.actions)} actions, {len(trace.edges)} edges"]
    if trace.provenance.source_file:
        header.append(f"# from {trace.provenance.source_file}, record {trace.provenance.record}")
    return "\n".join(header + [write_explain(trace.actions), "", write_dag(trace.edges)])


# ---------------------------------------------------------------- request bodies


BodyFormat = Literal["json", "jsonl", "text"]
#: The formats a request body may be in, and the file suffix that makes the file readers read
#: each (so a body is read exactly as a file of that type: same shapes, findings and limits).
BODY_FORMATS: dict[str, str] = {"json": ".json", "jsonl": ".jsonl", "text": ".txt"}
#: What stored input records of traces sent in a request body name as their file.
BODY_SOURCE = "(request body)"


class UnreadableBody(InvalidRequest):
    """A request body that holds no readable record: empty, not UTF-8 or UTF-16 text, not
    JSON where JSON was announced, too large to read whole."""


class RecordReport(BaseModel):
    """One record of a request body: whether it is valid, its trace key (valid ones), what it
    holds and every finding."""

    record: int | None = Field(description="1-based: the line of a JSONL body, the position "
                                           "in a JSON array")
    trace_key: str | None = None
    trace_id: str | None = None
    valid: bool
    drug: str | None = None
    cell_line: str | None = None
    actions: int = 0
    edges: int = 0
    findings: list[Finding] = Field(default_factory=list)


class RecordIngest(RecordReport):
    """One record of an ingested body and what became of it."""

    status: Literal["written", "existing", "invalid", "failed"] = Field(
        description="written: stored now; existing: a trace with the same key was already "
                    "stored (or came earlier in this body); invalid: never written; failed: "
                    "valid, but Neo4j refused to store it (see reason)")
    reason: str | None = Field(None, description="why a failed record was not stored")


class BodyTotals(BaseModel):
    """Counts over the records of a body (ingest counts stay 0 when validating)."""

    records: int = 0
    valid: int = 0
    invalid: int = 0
    written: int = 0
    existing: int = 0
    failed: int = 0
    severity_counts: dict[str, int] = Field(default_factory=dict)


class BodyReport(BaseModel):
    """The validation of a request body: one report per record, the totals, and ``error``
    when reading stopped part-way (the records before it are reported)."""

    format: BodyFormat
    valid: bool = Field(description="every record was read and is valid")
    records: list[RecordReport] = Field(default_factory=list)
    totals: BodyTotals = Field(default_factory=BodyTotals)
    error: str | None = None


class BodyIngest(BodyReport):
    """The ingest of a request body: per record its status, the totals, and the grounding
    of the new mentions that followed."""

    records: list[RecordIngest] = Field(default_factory=list)
    grounding: GroundingSummary = Field(default_factory=GroundingSummary)
    seconds: float = 0.0


def _body_text_error(data: bytes) -> str | None:
    """Why ``data`` is not text the file readers take (UTF-8 with or without a BOM, UTF-16
    with a BOM or recognised by its NUL bytes), or None. The readers would mark undecodable
    records one by one; a request body that is not text at all is refused whole."""
    if not data.strip(b" \t\r\n"):
        return "the body is empty"
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "the body is UTF-32 text; send UTF-8"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    elif len(data) >= 2 and data[0] != 0 and data[1] == 0:
        encoding = "utf-16-le"
    elif len(data) >= 2 and data[0] == 0 and data[1] != 0:
        encoding = "utf-16-be"
    else:
        encoding = "utf-8-sig"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        name = "UTF-8" if encoding == "utf-8-sig" else encoding.upper()
        return f"the body is not {name} text: {exc.reason} at byte {exc.start}"
    if not text.strip("\ufeff \t\r\n"):
        return "the body is empty"
    return None


@contextmanager
def _body_file(data: bytes, fmt: str) -> Iterator[Path]:
    """``data`` as a private temporary file of the suffix of ``fmt`` (deleted afterwards)."""
    if fmt not in BODY_FORMATS:
        raise InvalidRequest(f"unknown body format {fmt!r}; expected one of "
                             f"{', '.join(BODY_FORMATS)}")
    why = _body_text_error(data)
    if why:
        raise UnreadableBody(why)
    with tempfile.TemporaryDirectory(prefix="vctrace-body-") as folder:
        path = Path(folder) / f"body{BODY_FORMATS[fmt]}"
        path.write_bytes(data)
        yield path


def _body_message(exc: FileReadError, path: Path) -> str:
    return str(exc).replace(str(path), "the request body")


def _body_traces(path: Path, holder: BodyReport) -> Iterator[Trace]:
    """The traces of the body file at ``path``, each relabelled as read from a request body;
    :class:`UnreadableBody` when not one record can be read, ``holder.error`` when reading
    stopped part-way."""
    traces = read_traces(path)
    try:
        first = next(traces)
    except FileReadError as exc:
        raise UnreadableBody(_body_message(exc, path)) from None
    try:
        for trace in _chain(first, traces):
            yield trace.model_copy(update={"provenance": trace.provenance.model_copy(
                update={"source_file": BODY_SOURCE})})
    except FileReadError as exc:
        holder.error = _body_message(exc, path)


def _chain(first: Trace, rest: Iterator[Trace]) -> Iterator[Trace]:
    yield first
    yield from rest


def _record_report(trace: Trace, cls: type[RecordReport] = RecordReport, **extra) -> RecordReport:
    valid = is_valid(trace)
    return cls(record=trace.provenance.record, valid=valid,
               trace_key=trace_key(trace) if valid else None, trace_id=trace.trace_id,
               drug=trace.drug, cell_line=trace.cell_line, actions=len(trace.actions),
               edges=len(trace.edges), findings=trace.findings, **extra)


def _totals(report: BodyReport) -> None:
    totals, counts = BodyTotals(), Counter()
    for record in report.records:
        totals.records += 1
        totals.valid += record.valid
        totals.invalid += not record.valid
        counts.update(f.severity.value for f in record.findings)
        status = getattr(record, "status", None)
        if status in ("written", "existing", "failed"):
            setattr(totals, status, getattr(totals, status) + 1)
    totals.severity_counts = dict(counts)
    report.totals = totals
    report.valid = report.error is None and totals.invalid == 0


def validate_body(data: bytes, fmt: BodyFormat) -> BodyReport:
    """Parse and validate the traces of a request body (no database), read exactly as a file
    of that format would be (``json``: one record or an array of them; ``jsonl``: one record
    per line; ``text``: explain/dag text or a tagged response of one trace).
    :class:`UnreadableBody` when it holds no readable record."""
    report = BodyReport(format=fmt, valid=True)
    with _body_file(data, fmt) as path:
        report.records = [_record_report(t) for t in _body_traces(path, report)]
    _totals(report)
    return report


def ingest_body(settings: Settings, data: bytes, fmt: BodyFormat, *,
                batch_size: int | None = None) -> BodyIngest:
    """Write the valid traces of a request body (read as :func:`validate_body` reads it) into
    the graph, as :func:`ingest` writes those of a file, and say per record what became of
    it: ``written``, ``existing`` (same key already stored, or earlier in the body),
    ``invalid`` (never written) or ``failed`` (valid, refused by Neo4j, with the reason). The
    new mentions are grounded afterwards. :class:`UnreadableBody` before anything is written
    when it holds no readable record."""
    size = settings.batch_size if batch_size is None else batch_size
    if size < 1:
        raise InvalidRequest(f"batch size must be at least 1, not {size}")
    started = time.monotonic()
    report = BodyIngest(format=fmt, valid=True)
    written: set[str] = set()
    mentions: set[str] = set()
    failed: dict[int | None, str] = {}

    def valid_traces(stream: Iterator[Trace]) -> Iterator[Trace]:
        for trace in stream:
            record = _record_report(trace, RecordIngest, status="invalid")
            report.records.append(record)
            if record.valid:
                yield trace

    with _body_file(data, fmt) as path:
        stream = _body_traces(path, report)
        first = next(stream)  # an unreadable body raises here, before the graph is opened
        with open_graph(settings, schema=True) as graph:
            for batch in write_traces(graph, valid_traces(_chain(first, stream)),
                                      batch_size=size):
                written.update(batch.written)
                mentions |= batch.mentions
                failed.update({f.record: f.reason for f in batch.failed})
            grounding = ground_mentions(graph, rebuild=False, mentions=mentions)
    for record in report.records:
        if not record.valid:
            continue
        if record.record in failed:
            record.status, record.reason = "failed", failed[record.record]
        elif record.trace_key in written:
            record.status = "written"
            written.discard(record.trace_key)  # a later record of the same key: existing
        else:
            record.status = "existing"
    report.grounding = grounding
    report.seconds = time.monotonic() - started
    _totals(report)
    return report


# ---------------------------------------------------------------- list


VerdictStatus = Literal["supported", "refuted", "unverifiable", "error"]


class TraceSummary(BaseModel):
    """A stored trace in a listing."""

    key: str
    trace_id: str | None = None
    drug: str | None = None
    cell_line: str | None = None
    actions: int = 0
    edges: int = 0


class TracePage(BaseModel):
    """One page of a listing of stored traces, by key: ``total`` traces match."""

    items: list[TraceSummary]
    total: int
    limit: int
    offset: int


def list_traces(settings: Settings, *, drug: str | None = None, cell_line: str | None = None,
                primitive: str | None = None, entity: str | None = None,
                run: str | None = None, status: VerdictStatus | None = None,
                limit: int = 50, offset: int = 0) -> TracePage:
    """The stored traces matching every filter given, ``limit`` of them from ``offset`` on,
    by key. ``drug``/``cell_line``: its perturbation's drug or cell line (any case and
    spacing); ``primitive``: one of its actions is one; ``entity``: one of its claims mentions
    this text, or mentions something grounded to the entity of this key; ``run`` (a run key or
    ``latest``) and/or ``status``: a verdict (of that run; of that status) on one of its
    claims. :class:`~vctrace.errors.NotFound` for an unknown run."""
    if limit < 1 or offset < 0:
        raise InvalidRequest(f"limit must be at least 1 and offset at least 0, not "
                             f"{limit} and {offset}")
    with open_graph(settings) as graph:
        try:
            run_key = resolve_run(graph, run) if run is not None else None
        except RunError as exc:
            raise NotFound(str(exc)) from None
        total, items = list_stored(graph, drug=drug, cell_line=cell_line, primitive=primitive,
                                   entity=entity, run=run_key, status=status, offset=offset,
                                   limit=limit)
    return TracePage(items=[TraceSummary(**{k: v for k, v in item.items() if v is not None})
                            for item in items],
                     total=total, limit=limit, offset=offset)
