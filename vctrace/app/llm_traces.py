"""What a language-model face (``vctrace.agents``) needs from the formalism: the trace schema
for structured output, the primitive definitions for its prompt, the check of a structured
reply by the project's own parser and validator, the VC-TRACES text form, and the citation
check of a report.

Faces may not import :mod:`vctrace.traces` (an import contract); this module is their door.
Nothing here touches the graph or the network.
"""

from __future__ import annotations

import json
from typing import Any, Iterable, Mapping

from pydantic import BaseModel, Field

from ..traces import citations, trace_schema
from ..traces.findings import Code, Finding, Severity
from ..traces.models import Trace
from ..traces.records import to_json_form, trace_from_record
from ..traces.text import write_dag, write_explain
from ..traces.validation import is_valid

__all__ = ["CheckedTrace", "Finding", "Trace", "check_structured_trace", "cited_ids",
           "explain_and_dag", "primitive_definitions", "schema_sha256", "trace_json_schema",
           "trace_json_form", "unknown_citations"]


def trace_json_schema() -> dict[str, Any]:
    """The JSON schema of a trace, generated from the primitive registry (every primitive)."""
    return trace_schema.trace_json_schema()


def primitive_definitions() -> str:
    """The primitive registry as prompt text, one line per primitive."""
    return trace_schema.primitive_definitions()


def schema_sha256(schema: Mapping[str, Any]) -> str:
    return trace_schema.schema_sha256(schema)


def cited_ids(text: str) -> list[str]:
    """The ``[E#]`` evidence ids cited in a report, in order of first citation."""
    return citations.cited_ids(text)


def unknown_citations(text: str, known: Iterable[str]) -> list[str]:
    """The ``[E#]`` ids cited in ``text`` that are not among ``known``."""
    return citations.unknown_citations(text, known)


class CheckedTrace(BaseModel):
    """A structured reply read as a trace and validated.

    ``errors`` are the error findings as ``code at location: message`` lines (what a re-ask
    quotes); ``explain`` and ``dag`` the trace in the VC-TRACES text form.
    """

    trace: Trace
    valid: bool
    errors: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    explain: str = ""
    dag: str = ""


def _line(finding: Finding) -> str:
    where = finding.location()
    return f"{finding.code.value}{' at ' + where if where else ''}: {finding.message}"


def check_structured_trace(data: Any, **fields: Any) -> CheckedTrace:
    """Read a structured reply (``{"actions": [...], "edges": [...]}``, or its JSON text)
    through the JSON form exactly as ingest reads a file record, and validate it.

    ``fields`` are set on the record (``perturbation``, ``question``, ``report_text``,
    ``trace_id``, ``provenance``). A reply that is not a JSON object is an invalid trace with
    a ``not_a_trace`` error, not an exception.
    """
    if isinstance(data, (str, bytes)):
        try:
            data = json.loads(data)
        except ValueError as exc:
            data = {"_unreadable": f"the reply is not JSON: {exc}"}
    if not isinstance(data, Mapping):
        data = {"_unreadable": "the reply is not a JSON object"}
    if "_unreadable" in data:
        finding = Finding.of(Code.NOT_A_TRACE, data["_unreadable"], field="response")
        return CheckedTrace(trace=Trace(findings=[finding]), valid=False,
                            errors=[_line(finding)])
    record = trace_schema.record_from_structured(data, **fields)
    # a round trip through JSON: exactly what a JSONL file of this record would read as
    trace = trace_from_record(json.loads(json.dumps(record, ensure_ascii=False, default=str)))
    return CheckedTrace(
        trace=trace, valid=is_valid(trace),
        errors=[_line(f) for f in trace.findings if f.severity is Severity.ERROR],
        warnings=[_line(f) for f in trace.findings if f.severity is Severity.WARNING],
        explain=write_explain(trace.actions), dag=write_dag(trace.edges))


def explain_and_dag(trace: Trace) -> tuple[str, str]:
    """The trace's ``explain`` and ``dag`` texts (the VC-TRACES form)."""
    return write_explain(trace.actions), write_dag(trace.edges)


def trace_json_form(trace: Trace) -> dict[str, Any]:
    """The trace in the JSON form of ``shared/spec/trace-format.md`` §5 (what ``vctrace
    ingest`` reads from a JSONL file)."""
    return to_json_form(trace)
