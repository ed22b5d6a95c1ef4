"""Reading and writing trace files: VC-TRACES rows (parquet, JSONL, CSV), VCR-Agent results
rows, the JSON form, and plain text (a tagged response or explain + dag lines).

Files are streamed record by record. A record that cannot be read becomes a trace with an
error finding at that record (and is kept in the stream), so one bad row never hides the
others; a file that cannot be read at all raises :class:`FileReadError`.

Record numbers are 1-based: the physical line of a JSONL file, the row of a parquet or CSV
file (header excluded), the position in a JSON array.

Hostile files (issue 9): only regular files are read (a symlink is followed first; a device,
FIFO, socket or directory is refused before any byte is read); an empty file, or one without
a record, is a :class:`FileReadError`. Text is UTF-8, with or without a byte-order mark, or
UTF-16 with a BOM (or without one, recognised by its NUL bytes). A record larger than
:data:`~vctrace.traces.limits.MAX_RECORD_BYTES`, nested deeper than
:data:`~vctrace.traces.limits.MAX_NESTING`, or that cannot be converted is kept as a record
with an error finding, never raised. A CSV row with a quoting error (an unterminated quote
runs to the end of the file) is reported at the line it starts on and reading resumes on the
next line, so the rows after it are still read; a row with more or fewer cells than the header
is read and marked invalid. A parquet file is read row group by row group: the rows of a
group that cannot be read (corrupt pages) become one invalid record naming the group and its
rows, and the other groups are read.
"""

from __future__ import annotations

import ast
import codecs
import csv
import hashlib
import json
import stat
import sys
from pathlib import Path
from typing import Any, Iterable, Iterator

from ..errors import VctraceError
from .findings import Code, Finding
from .limits import MAX_JSON_FILE_BYTES, MAX_KEY_BYTES, MAX_NESTING, MAX_RECORD_BYTES
from .models import Action, Perturbation, Provenance, Trace
from .text import parse_response, parse_trace_text, write_dag, write_explain
from .validation import check, check_at

FORMATS = ("jsonl", "json", "parquet", "csv", "text")
_SUFFIX = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".parquet": "parquet",
           ".csv": "csv", ".txt": "text", ".trace": "text"}
_TEXT_FIELDS = ("question", "answer", "think", "report_text", "explain_verified")
_TRACE_KEYS = {"explain", "dag", "actions", "response", "edges", "perturbation",
               "input_perturbation", "trace_id", "provenance"} | set(_TEXT_FIELDS)
_SCALARS = (str, int, float, bool, type(None))
_NESTED = (dict, list)
ID_FIELDS = ("trace_id", "id", "index")
"""The fields a record's id is taken from, in order of precedence: ``trace_id`` (the JSON
form), ``id`` (other files), ``index`` (VCR-Agent results rows)."""


class FileReadError(VctraceError):
    """A file that cannot be read at all (missing, unreadable, not a trace format)."""


def detect_format(path: Path) -> str:
    fmt = _SUFFIX.get(path.suffix.lower())
    if fmt is None:
        raise FileReadError(f"{path}: unknown file type {path.suffix or '(none)'!r}; expected "
                            ".jsonl, .json, .parquet, .csv or .txt")
    return fmt


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# ---------------------------------------------------------------- perturbation


def parse_perturbation(value: Any) -> tuple[Perturbation | None, list[Finding]]:
    """A perturbation from a dict, a JSON string or a Python-dict repr (as stored in CSVs)."""
    if value is None or (isinstance(value, float) and value != value):
        return None, []
    if isinstance(value, dict):
        return Perturbation(raw=_plain(value)), []
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None, []
        for reader in (json.loads, ast.literal_eval):
            try:
                parsed = reader(text)
            except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                continue
            if isinstance(parsed, dict):
                return Perturbation(raw=_plain(parsed)), []
    return None, [Finding.of(Code.BAD_PERTURBATION,
                             "perturbation is neither a JSON object nor a Python dict",
                             field="perturbation")]


def _plain(value: Any) -> Any:
    """Plain JSON-able Python values (numpy arrays and scalars from parquet made lists/ints)."""
    if type(value) in _SCALARS:
        return value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)) or type(value).__name__ == "ndarray":
        return [_plain(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        return value.item()
    return value


# ---------------------------------------------------------------- record -> trace


def trace_from_record(record: dict[str, Any], *, number: int | None = None,
                      provenance: Provenance | None = None) -> Trace:
    """Map one record of any supported shape to a checked trace.

    Shapes: the JSON form (``actions``/``edges``), a VC-TRACES row (``explain``/``dag``), a
    VCR-Agent results row (``explain``/``dag``/``input_perturbation``), or a row holding a
    tagged model ``response``. Fields that are not part of a trace are kept in
    ``provenance.extra``.

    The trace's id is the first of :data:`ID_FIELDS` the record holds (not null, not blank),
    as a string (``"index": 123`` gives ``"123"``); the field it came from is recorded as
    ``provenance.extra["id_field"]``. Ids are not part of the content key; their length
    limit is checked by validation (``trace_id_too_long``).
    """
    findings: list[Finding] = []
    perturbation, found = parse_perturbation(
        record.get("perturbation", record.get("input_perturbation")))
    findings += found
    texts = {name: _text(record.get(name)) for name in _TEXT_FIELDS}
    extra = {k: _plain(v) for k, v in record.items() if k not in _TRACE_KEYS}
    if isinstance(record.get("provenance"), dict):
        extra["provenance"] = record["provenance"]
    id_field, trace_id, found = _record_id(record)
    findings += found
    if id_field is not None:
        extra["id_field"] = id_field
    prov = (provenance or Provenance()).model_copy(update={"record": number, "extra": extra})
    common = dict(trace_id=trace_id, perturbation=perturbation,
                  provenance=prov, **texts)

    if isinstance(record.get("actions"), list):
        trace = _trace_from_json_form(record, common)
    elif isinstance(record.get("explain"), str):
        dag = record.get("dag")
        trace = parse_trace_text(record["explain"], dag if isinstance(dag, str) else "", **common)
        if not isinstance(dag, str):
            trace.findings.append(Finding.of(Code.NOT_A_TRACE, "record has no dag text",
                                             field="dag"))
    elif isinstance(record.get("response"), str):
        trace = parse_response(record["response"], **common)
    else:
        trace = Trace(**common, findings=[Finding.of(
            Code.NOT_A_TRACE, "record has none of explain/dag, actions/edges or response; "
            f"keys: {', '.join(sorted(map(str, record))[:12])}")])
        return _at(trace, findings, number)
    return check_at(trace, findings, number)


def _at(trace: Trace, extra: list[Finding], number: int | None) -> Trace:
    findings = [f.at_record(number) for f in extra + trace.findings]
    return trace.model_copy(update={"findings": findings})


def _record_id(record: dict[str, Any]) -> tuple[str | None, str | None, list[Finding]]:
    """(the field, the id as a string, findings) of the record's id; (None, None, …) when it
    has none. A whole number is written as an integer (``123.0`` from a CSV or parquet column
    is ``"123"``); null, NaN and blank values are no id; an integer too large to write as
    text is a ``trace_id_too_long`` finding."""
    for name in ID_FIELDS:
        value = _plain(record.get(name))
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        try:
            text = _text(value)
        except ValueError:  # an int past Python's digit limit for str()
            return name, None, [Finding.of(
                Code.TRACE_ID_TOO_LONG, f"{name} is an integer of about "
                f"{int(value.bit_length() * 0.30103):,} digits (limit {MAX_KEY_BYTES:,} bytes)",
                field=name)]
        if text is not None and text.strip():
            return name, text, []
    return None, None, []


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    return str(value)


def _trace_from_json_form(record: dict[str, Any], common: dict[str, Any]) -> Trace:
    """The JSON form. Actions are re-read through the text parser so that the same argument
    checks apply whichever form a trace arrives in."""
    findings: list[Finding] = []
    explain_lines, dag_lines = [], []
    for index, item in enumerate(record.get("actions") or [], start=1):
        if not isinstance(item, dict) or not isinstance(item.get("primitive"), str) \
                or not isinstance(item.get("args", {}), dict):
            findings.append(Finding.of(Code.NOT_A_TRACE, f"action {index} is not "
                                       '{"id", "primitive", "args"}', field="actions",
                                       line=index))
            explain_lines.append("")
            continue
        action_id = item.get("id")
        if action_id is not None and not isinstance(action_id, str):
            findings.append(Finding.of(Code.BAD_ID, f"action {index}: id is a "
                                       f"{type(action_id).__name__}, not a string",
                                       field="actions", line=index))
            action_id = json.dumps(action_id, ensure_ascii=False, default=str)
        action = Action(id=action_id, primitive=item["primitive"],
                        args=dict(item.get("args") or {}))
        explain_lines.append(write_explain([action]))
    for index, item in enumerate(record.get("edges") or [], start=1):
        if not isinstance(item, dict):
            findings.append(Finding.of(Code.NOT_A_TRACE, f"edge {index} is not an object",
                                       field="edges", line=index))
            dag_lines.append("")
            continue
        edge = {k: item.get(k) for k in ("source", "target", "relation")}
        dag_lines.append(f"edge({json.dumps(edge['source'])}, {json.dumps(edge['target'])}"
                         + (f", relation={json.dumps(edge['relation'])})"
                            if edge["relation"] is not None else ")"))
    trace = parse_trace_text("\n".join(explain_lines), "\n".join(dag_lines), **common)
    sources = {i: item.get("source_line") for i, item in enumerate(record["actions"])
               if isinstance(item, dict)}
    actions = []
    for action in trace.actions:
        original = sources.get((action.line or 0) - 1)
        actions.append(action.model_copy(update={"source_line": original or action.source_line}))
    return trace.model_copy(update={"actions": actions, "findings": findings + trace.findings})


# ---------------------------------------------------------------- trace -> JSON form


def to_json_form(trace: Trace, *, include_findings: bool = False) -> dict[str, Any]:
    """The JSON form of ``trace_format.md`` §5 (plus ``answer``/``explain_verified`` and the
    original line of each action)."""
    out: dict[str, Any] = {
        "trace_id": trace.trace_id,
        "perturbation": trace.perturbation.raw if trace.perturbation else None,
        "question": trace.question,
        "answer": trace.answer,
        "report_text": trace.report_text,
        "explain_verified": trace.explain_verified,
        "actions": [{"id": a.id, "primitive": a.primitive, "args": a.args,
                     "source_line": a.source_line} for a in trace.actions],
        "edges": [{"source": e.source, "target": e.target, "relation": e.relation}
                  for e in trace.edges],
        "provenance": trace.provenance.model_dump(),
    }
    if trace.think is not None:
        out["think"] = trace.think
    if include_findings:
        out["findings"] = [f.model_dump(mode="json") for f in trace.findings]
    return out


def to_vc_traces_row(trace: Trace) -> dict[str, Any]:
    """A VC-TRACES row (the released dataset's columns)."""
    return {
        "perturbation": trace.perturbation.raw if trace.perturbation else None,
        "question": trace.question,
        "report_text": trace.report_text,
        "explain": write_explain(trace.actions),
        "dag": write_dag(trace.edges),
        "explain_verified": trace.explain_verified,
    }


# ---------------------------------------------------------------- files


_KINDS = ((stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"))


def _check_file(path: Path) -> None:
    """Refuse, before reading a byte, what is not a non-empty regular file (symlinks are
    followed first: a link to /dev/zero is a device)."""
    try:
        info = path.stat()
    except FileNotFoundError:
        dangling = " (a symlink whose target does not exist)" if path.is_symlink() else ""
        raise FileReadError(f"{path}: no such file{dangling}") from None
    except OSError as exc:
        raise FileReadError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    if stat.S_ISDIR(info.st_mode):
        raise FileReadError(f"{path}: is a directory")
    if not stat.S_ISREG(info.st_mode):
        kind = next((name for test, name in _KINDS if test(info.st_mode)), "not a file")
        target = f" ({path.resolve()})" if path.is_symlink() else ""
        raise FileReadError(f"{path}: not a regular file: {kind}{target}; refused")
    if info.st_size == 0:
        raise FileReadError(f"{path}: empty file")


def read_traces(path: str | Path) -> Iterator[Trace]:
    """Stream the checked traces of a file. Raises :class:`FileReadError` when the file cannot
    be opened, is not a regular file, is empty or holds no record, or is not in a trace format;
    bad records inside a readable file are yielded as traces carrying error findings."""
    path = Path(path)
    _check_file(path)
    fmt = detect_format(path)
    try:
        sha = file_sha256(path)
    except OSError as exc:
        raise FileReadError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    prov = Provenance(source_file=str(path), source_sha256=sha, source_format=fmt)
    reader = {"jsonl": _jsonl, "json": _json, "parquet": _parquet, "csv": _csv,
              "text": _text_file}[fmt]
    records = 0
    try:
        for trace in reader(path, prov):
            records += 1
            yield trace
    except UnicodeDecodeError as exc:
        raise FileReadError(f"{path}: cannot decode after record {records}: {exc.reason} "
                            f"({exc.encoding})") from exc
    except OSError as exc:
        raise FileReadError(f"{path}: cannot read after record {records}: "
                            f"{exc.strerror or exc}") from exc
    if records == 0:
        raise FileReadError(f"{path}: no records (the file holds only blank lines or a "
                            "header)")


def _bad(number: int, prov: Provenance, code: Code, message: str) -> Trace:
    trace = Trace(provenance=prov.model_copy(update={"record": number}))
    return _at(trace, [Finding.of(code, message)], number)


def _decode(raw: bytes, number: int) -> tuple[str, list[Finding]]:
    try:
        return raw.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        return raw.decode("utf-8", errors="replace"), [Finding.of(
            Code.ENCODING_ERROR, f"bytes that are not UTF-8 at offset {exc.start} "
            f"(0x{raw[exc.start]:02x}); the record is not stored", record=number)]


#: What a text-mode reader puts in place of bytes its encoding cannot decode (error handler
#: ``vctrace-bad-bytes``): a lone surrogate, which decoding valid text never yields, so it
#: marks the bad record unambiguously (a genuine U+FFFD in the data is not mistaken for one).
_BAD_BYTES = "\udcff"
codecs.register_error("vctrace-bad-bytes", lambda exc: (_BAD_BYTES, exc.end))


def _wide(text: str, number: int, encoding: str) -> tuple[str, list[Finding]]:
    """A line read in text mode, and an encoding finding if it held undecodable bytes."""
    if _BAD_BYTES not in text:
        return text, []
    return text.replace(_BAD_BYTES, "\ufffd"), [Finding.of(
        Code.ENCODING_ERROR, f"bytes that are not valid {encoding.upper()}; the record is not "
        "stored", record=number)]


def _encoding(path: Path) -> str:
    """The text encoding of a file from its first bytes: ``utf-8-sig`` (UTF-8, a BOM
    skipped if there is one), ``utf-16`` (a BOM gives the byte order), or ``utf-16-le`` /
    ``utf-16-be`` for UTF-16 without a BOM (ASCII text has every other byte NUL). UTF-32 is
    refused."""
    with path.open("rb") as handle:
        head = handle.read(4)
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        raise FileReadError(f"{path}: UTF-32 text is not read; convert it to UTF-8")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if len(head) >= 2 and head[0] != 0 and head[1] == 0:
        return "utf-16-le"
    if len(head) >= 2 and head[0] == 0 and head[1] != 0:
        return "utf-16-be"
    return "utf-8-sig"


def _depth_and_size(value: Any, *, sized: bool = False) -> tuple[int, int]:
    """Nesting depth of a record's values and the characters of its strings (iteratively:
    a deeply nested record must not exhaust the stack here). ``sized``: the caller knows the
    record is within the size limit (a JSONL line is no longer than the limit, and a string
    read from it no longer than the line): strings are not counted, and the size is 0."""
    depth = size = 0
    stack = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, str):
            size += len(item)
        elif sized and type(item) in _SCALARS:
            continue
        elif isinstance(item, (bytes, bytearray)):
            size += len(item)
        elif isinstance(item, dict):
            depth = max(depth, level + 1)
            if depth > MAX_NESTING:
                break
            if sized:  # keys of a JSON object are strings: only values can nest
                stack.extend((v, level + 1) for v in item.values() if type(v) in _NESTED)
                continue
            stack.extend((k, level + 1) for k in item.keys())
            stack.extend((v, level + 1) for v in item.values())
        elif isinstance(item, (list, tuple)) or type(item).__name__ == "ndarray":
            depth = max(depth, level + 1)
            if depth > MAX_NESTING:
                break
            stack.extend((v, level + 1) for v in item)
    return depth, size


def _record_trace(record: Any, number: int, prov: Provenance, *, sized: bool = False) -> Trace:
    """One record read from a file as a trace; what cannot become one is a trace with an
    error finding (never an exception). ``sized``: see :func:`_depth_and_size`."""
    if not isinstance(record, dict):
        return _bad(number, prov, Code.NOT_A_TRACE, "record is not a JSON object")
    depth, size = _depth_and_size(record, sized=sized)
    if depth > MAX_NESTING:
        return _bad(number, prov, Code.NESTING_TOO_DEEP,
                    f"values nested more than {MAX_NESTING} levels deep; refused")
    if size > MAX_RECORD_BYTES:
        return _bad(number, prov, Code.RECORD_TOO_LARGE,
                    f"{size:,} characters of text (limit {MAX_RECORD_BYTES:,}); refused")
    try:
        return trace_from_record(record, number=number, provenance=prov)
    except (ValueError, TypeError, RecursionError, MemoryError) as exc:
        # pydantic's ValidationError is a ValueError; kept as data, never raised
        detail = str(exc).splitlines()[0][:200] if str(exc) else ""
        return _bad(number, prov, Code.UNREADABLE_RECORD,
                    f"cannot be read as a trace ({type(exc).__name__}: {detail})")


def _skip_rest_of_line(handle: Any) -> int:
    skipped = 0
    while True:
        chunk = handle.readline(1 << 20)
        skipped += len(chunk)
        if not chunk or chunk.endswith(b"\n" if isinstance(chunk, bytes) else "\n"):
            return skipped


def _lines(path: Path, encoding: str) -> Iterator[tuple[int, bytes | str | None, int]]:
    """(line number, line, size) of every line, bytes for UTF-8 (decoded per line, so one
    bad byte spoils one record), text for UTF-16 (bad bytes marked, see :func:`_wide`); a
    line over the record limit is given as ``None`` with its size, without holding it in
    memory."""
    if encoding == "utf-8-sig":
        handle: Any = path.open("rb")
    else:
        handle = path.open("r", encoding=encoding, errors="vctrace-bad-bytes", newline="")
    with handle:
        number = 0
        while True:
            line = handle.readline(MAX_RECORD_BYTES + 1)
            if not line:
                return
            number += 1
            if number == 1 and isinstance(line, bytes) and line.startswith(codecs.BOM_UTF8):
                line = line[len(codecs.BOM_UTF8):]
            elif number == 1 and isinstance(line, str) and line.startswith("\ufeff"):
                line = line[1:]
            if len(line) > MAX_RECORD_BYTES:
                yield number, None, len(line) + _skip_rest_of_line(handle)
            else:
                yield number, line, len(line)


def _jsonl(path: Path, prov: Provenance) -> Iterator[Trace]:
    encoding = _encoding(path)
    for number, raw, size in _lines(path, encoding):
        if raw is None:
            yield _bad(number, prov, Code.RECORD_TOO_LARGE, f"line {number} is {size:,} bytes "
                       f"(limit {MAX_RECORD_BYTES:,}); refused")
            continue
        if not raw.strip():
            continue
        text, findings = (_decode(raw, number) if isinstance(raw, bytes)
                          else _wide(raw, number, encoding))
        try:
            record = json.loads(text)
        except json.JSONDecodeError as exc:
            yield _bad(number, prov, Code.UNREADABLE_RECORD,
                       f"not JSON: {exc.msg} at column {exc.colno}")
            continue
        except RecursionError:
            yield _bad(number, prov, Code.NESTING_TOO_DEEP,
                       "JSON nested too deeply to read; refused")
            continue
        trace = _record_trace(record, number, prov, sized=True)
        yield _at(trace, findings, number) if findings else trace


def _read_text(path: Path) -> tuple[str, list[Finding]]:
    """The whole text of a small file, in its detected encoding."""
    encoding = _encoding(path)
    raw = path.read_bytes()
    if encoding == "utf-8-sig":
        return _decode(raw.removeprefix(codecs.BOM_UTF8), 1)
    try:
        return raw.decode(encoding).removeprefix("\ufeff"), []
    except UnicodeDecodeError as exc:
        raise FileReadError(f"{path}: not {encoding.upper()} text at byte {exc.start}: "
                            f"{exc.reason}") from exc


def _json(path: Path, prov: Provenance) -> Iterator[Trace]:
    size = path.stat().st_size
    if size > MAX_JSON_FILE_BYTES:
        raise FileReadError(f"{path}: a .json file is read whole; this one is {size:,} bytes "
                            f"(limit {MAX_JSON_FILE_BYTES:,}): write it as JSONL")
    text, findings = _read_text(path)
    if findings:
        raise FileReadError(f"{path}: {findings[0].message}")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FileReadError(f"{path}: not JSON: {exc.msg} at line {exc.lineno}") from exc
    except RecursionError:
        raise FileReadError(f"{path}: JSON nested too deeply to read") from None
    records = data if isinstance(data, list) else [data]
    for number, record in enumerate(records, start=1):
        yield _record_trace(record, number, prov)


def _parquet(path: Path, prov: Provenance) -> Iterator[Trace]:
    import pyarrow.parquet as pq

    try:
        handle = pq.ParquetFile(path)
        groups = handle.num_row_groups
        sizes = [handle.metadata.row_group(g).num_rows for g in range(groups)]
    except Exception as exc:  # pyarrow raises several types for a file that is not parquet
        raise FileReadError(f"{path}: not a parquet file ({type(exc).__name__}: {exc})") from exc
    number = 0
    for group, rows in enumerate(sizes):
        first, done = number + 1, 0
        try:
            for batch in handle.iter_batches(batch_size=1024, row_groups=[group]):
                for record in batch.to_pylist():
                    number += 1
                    done += 1
                    yield _record_trace(record, number, prov)
        except Exception as exc:  # corrupt pages, bad compression, truncated file
            left = rows - done
            detail = str(exc).splitlines()[0][:200] if str(exc) else ""
            yield _bad(number + 1, prov, Code.UNREADABLE_ROWS,
                       f"row group {group + 1} of {groups} (rows {first:,}-{first + rows - 1:,})"
                       f" cannot be read from row {number + 1:,} ({type(exc).__name__}: "
                       f"{detail}); {left:,} row(s) not read")
            number += left


class _RecordTooLarge(Exception):
    pass


class _CountedLines:
    """The lines of a text handle for :mod:`csv`, counting the physical line and the
    characters of the record being read (over the limit: :class:`_RecordTooLarge`), and
    remembering where the record's first line ends, to resume there after a bad record."""

    def __init__(self, handle: Any):
        self.handle, self.line, self.chars = handle, 0, 0
        self.mark, self.first_whole = 0, True

    def __iter__(self) -> "_CountedLines":
        return self

    def __next__(self) -> str:
        text = self.handle.readline(MAX_RECORD_BYTES + 1)
        if not text:
            raise StopIteration
        if self.chars == 0:  # the first line of a record
            self.mark, self.first_whole = self.handle.tell(), text.endswith(("\n", "\r"))
        self.line += 1
        self.chars += len(text)
        if self.chars > MAX_RECORD_BYTES:
            raise _RecordTooLarge
        return text

    def resume_after_first_line(self, first: int) -> None:
        self.handle.seek(self.mark)
        if not self.first_whole:
            _skip_rest_of_line(self.handle)
        self.line, self.chars = first, 0


def _csv(path: Path, prov: Provenance) -> Iterator[Trace]:
    csv.field_size_limit(sys.maxsize)  # records are limited by _CountedLines instead
    encoding = _encoding(path)
    header: list[str] | None = None
    number = 0
    with path.open(encoding=encoding, errors="vctrace-bad-bytes", newline="") as handle:
        lines = _CountedLines(handle)
        reader = csv.reader(lines, strict=True)
        while True:
            first, lines.chars = lines.line + 1, 0
            try:
                row = next(reader)
            except StopIteration:
                break
            except (csv.Error, _RecordTooLarge) as exc:
                reason = (f"a record over {MAX_RECORD_BYTES:,} characters (an unterminated "
                          "quote?)" if isinstance(exc, _RecordTooLarge) else str(exc))
                if "unexpected end of data" in reason:
                    reason = "a quoted field opened here is never closed (unterminated quote)"
                if header is None:
                    raise FileReadError(f"{path}: CSV header (line {first}): {reason}") \
                        from None
                number += 1
                yield _bad(number, prov, Code.BAD_CSV_ROW,
                           f"CSV line {first}: {reason}; the row is not read, reading "
                           f"resumes on line {first + 1}")
                lines.resume_after_first_line(first)
                reader = csv.reader(lines, strict=True)
                continue
            if header is None:
                header = row
                if not (_TRACE_KEYS & set(header)):
                    raise FileReadError(f"{path}: CSV header has no trace columns "
                                        f"(found {', '.join(header[:8]) or 'none'})")
                continue
            if not row:
                continue  # a blank line
            number += 1
            record = {k: v for k, v in zip(header, row) if v != ""}
            trace = _record_trace(record, number, prov)
            found = []
            if len(row) != len(header):
                found.append(Finding.of(Code.BAD_CSV_ROW, f"CSV line {first}: {len(row)} "
                                        f"cells, the header has {len(header)}"))
            if any(_BAD_BYTES in v for v in row):
                found.append(Finding.of(Code.ENCODING_ERROR, f"CSV line {first}: bytes that "
                                        f"are not valid {encoding.removesuffix('-sig').upper()}"
                                        " in this row; the record is not stored"))
            yield _at(trace, found, number) if found else trace
    if header is None:
        raise FileReadError(f"{path}: no CSV header")


def _text_file(path: Path, prov: Provenance) -> Iterator[Trace]:
    size = path.stat().st_size
    if size > MAX_RECORD_BYTES:
        yield _bad(1, prov, Code.RECORD_TOO_LARGE,
                   f"the file is {size:,} bytes (limit {MAX_RECORD_BYTES:,} for one trace)")
        return
    text, findings = _read_text(path)
    prov = prov.model_copy(update={"record": 1})
    if "<explain>" in text.lower():
        trace = parse_response(text, provenance=prov)
    else:
        trace = parse_trace_text(text, None, provenance=prov)
    yield _at(check(trace), findings, 1)


def write_traces_file(traces: Iterable[Trace], path: str | Path, *,
                      form: str = "vc_traces") -> int:
    """Write traces to ``path`` in the format its suffix names (.jsonl, .json, .parquet,
    .csv), as VC-TRACES rows (``form="vc_traces"``) or in the JSON form (``form="json"``,
    JSON/JSONL only). In CSV the perturbation is a JSON string. Returns the number written."""
    path = Path(path)
    fmt = detect_format(path)
    convert = {"json": to_json_form, "vc_traces": to_vc_traces_row}[form]
    if fmt == "jsonl":
        count = 0
        with path.open("w", encoding="utf-8") as handle:
            for trace in traces:
                handle.write(json.dumps(convert(trace), ensure_ascii=False) + "\n")
                count += 1
        return count
    rows = [convert(t) for t in traces]
    if fmt == "json":
        path.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    elif fmt in ("parquet", "csv") and form == "vc_traces":
        import pandas as pd

        frame = pd.DataFrame(rows, columns=list(to_vc_traces_row(Trace())))
        if fmt == "csv":
            frame["perturbation"] = [json.dumps(p, ensure_ascii=False) if p else None
                                     for p in frame["perturbation"]]
            frame.to_csv(path, index=False)
        else:
            import pyarrow as pa

            try:
                frame.to_parquet(path, index=False)  # a struct column, as VC-TRACES has
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                # perturbations of different shapes (Tahoe and older records) fit no single
                # struct type: stored as JSON strings, which the reader also takes
                frame["perturbation"] = [json.dumps(p, ensure_ascii=False) if p else None
                                         for p in frame["perturbation"]]
                frame.to_parquet(path, index=False)
    else:
        raise ValueError(f"cannot write {form} traces as {fmt}")
    return len(rows)

