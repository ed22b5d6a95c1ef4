"""Reading and writing trace files: VC-TRACES rows (parquet, JSONL, CSV), VCR-Agent results
rows, the JSON form, and plain text (a tagged response or explain + dag lines).

Files are streamed record by record. A record that cannot be read becomes a trace with an
error finding at that record (and is kept in the stream), so one bad row never hides the
others; a file that cannot be read at all raises :class:`FileReadError`.

Record numbers are 1-based: the physical line of a JSONL file, the row of a parquet or CSV
file (header excluded), the position in a JSON array.
"""

from __future__ import annotations

import ast
import csv
import hashlib
import json
import sys
from pathlib import Path
from typing import Any, Iterable, Iterator

from ..errors import VctraceError
from .findings import Code, Finding
from .models import Action, Perturbation, Provenance, Trace
from .text import parse_response, parse_trace_text, write_dag, write_explain
from .validation import check

FORMATS = ("jsonl", "json", "parquet", "csv", "text")
_SUFFIX = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".parquet": "parquet",
           ".csv": "csv", ".txt": "text", ".trace": "text"}
_TEXT_FIELDS = ("question", "answer", "think", "report_text", "explain_verified")
_TRACE_KEYS = {"explain", "dag", "actions", "response", "edges", "perturbation",
               "input_perturbation", "trace_id", "provenance"} | set(_TEXT_FIELDS)


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
    """
    findings: list[Finding] = []
    perturbation, found = parse_perturbation(
        record.get("perturbation", record.get("input_perturbation")))
    findings += found
    texts = {name: _text(record.get(name)) for name in _TEXT_FIELDS}
    extra = {k: _plain(v) for k, v in record.items() if k not in _TRACE_KEYS}
    prov = (provenance or Provenance()).model_copy(update={"record": number, "extra": extra})
    if isinstance(record.get("provenance"), dict):
        prov = prov.model_copy(update={"extra": extra | {"provenance": record["provenance"]}})
    common = dict(trace_id=_text(record.get("trace_id")), perturbation=perturbation,
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
    return _at(check(trace), findings, number)


def _at(trace: Trace, extra: list[Finding], number: int | None) -> Trace:
    findings = [f.at_record(number) for f in extra + trace.findings]
    return trace.model_copy(update={"findings": findings})


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
        action = Action(id=item.get("id"), primitive=item["primitive"],
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


def read_traces(path: str | Path) -> Iterator[Trace]:
    """Stream the checked traces of a file. Raises :class:`FileReadError` when the file cannot
    be opened or is not in a trace format; bad records inside a readable file are yielded as
    traces carrying error findings."""
    path = Path(path)
    if not path.exists():
        raise FileReadError(f"{path}: no such file")
    if path.is_dir():
        raise FileReadError(f"{path}: is a directory")
    fmt = detect_format(path)
    try:
        sha = file_sha256(path)
    except OSError as exc:
        raise FileReadError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    prov = Provenance(source_file=str(path), source_sha256=sha, source_format=fmt)
    reader = {"jsonl": _jsonl, "json": _json, "parquet": _parquet, "csv": _csv,
              "text": _text_file}[fmt]
    yield from reader(path, prov)


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


def _jsonl(path: Path, prov: Provenance) -> Iterator[Trace]:
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            text, findings = _decode(raw, number)
            try:
                record = json.loads(text)
            except json.JSONDecodeError as exc:
                yield _bad(number, prov, Code.UNREADABLE_RECORD,
                           f"not JSON: {exc.msg} at column {exc.colno}")
                continue
            if not isinstance(record, dict):
                yield _bad(number, prov, Code.NOT_A_TRACE, "record is not a JSON object")
                continue
            trace = trace_from_record(record, number=number, provenance=prov)
            yield _at(trace, findings, number) if findings else trace


def _json(path: Path, prov: Provenance) -> Iterator[Trace]:
    raw = path.read_bytes()
    text, findings = _decode(raw, 1)
    if findings:
        raise FileReadError(f"{path}: {findings[0].message}")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FileReadError(f"{path}: not JSON: {exc.msg} at line {exc.lineno}") from exc
    records = data if isinstance(data, list) else [data]
    for number, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            yield _bad(number, prov, Code.NOT_A_TRACE, "record is not a JSON object")
            continue
        yield trace_from_record(record, number=number, provenance=prov)


def _parquet(path: Path, prov: Provenance) -> Iterator[Trace]:
    import pyarrow.parquet as pq

    try:
        handle = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several types for a file that is not parquet
        raise FileReadError(f"{path}: not a parquet file ({type(exc).__name__}: {exc})") from exc
    number = 0
    for batch in handle.iter_batches(batch_size=1024):
        for record in batch.to_pylist():
            number += 1
            yield trace_from_record(record, number=number, provenance=prov)


def _csv(path: Path, prov: Provenance) -> Iterator[Trace]:
    csv.field_size_limit(sys.maxsize)
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames or not (_TRACE_KEYS & set(reader.fieldnames)):
            raise FileReadError(f"{path}: CSV header has no trace columns "
                                f"(found {', '.join((reader.fieldnames or [])[:8]) or 'none'})")
        for number, row in enumerate(reader, start=1):
            record = {k: v for k, v in row.items() if k is not None and v != ""}
            bad = any("\ufffd" in v for v in row.values() if isinstance(v, str))
            trace = trace_from_record(record, number=number, provenance=prov)
            if bad:
                trace = _at(trace, [Finding.of(Code.ENCODING_ERROR, "bytes that are not UTF-8 "
                                               "in this row; the record is not stored")], number)
            yield trace


def _text_file(path: Path, prov: Provenance) -> Iterator[Trace]:
    raw = path.read_bytes()
    text, findings = _decode(raw, 1)
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

