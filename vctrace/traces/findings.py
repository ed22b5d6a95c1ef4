"""Findings: every deviation the parser or the validator notices, as data with a reason code.

A finding never stops parsing. ``error`` findings make a trace invalid (it is reported and not
stored); ``warning`` findings mark tolerated deviations from the canonical format; ``info``
findings record normalisations the parser applied (an argument alias mapped, say) so that
nothing is changed silently.
"""

from __future__ import annotations

from enum import Enum

from pydantic import BaseModel, ConfigDict


class Severity(str, Enum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return {"info": 0, "warning": 1, "error": 2}[self.value]


class Code(str, Enum):
    """Reason codes. The severity of each is fixed here, in one place."""

    # reading records
    UNREADABLE_RECORD = "unreadable_record"
    ENCODING_ERROR = "encoding_error"
    NOT_A_TRACE = "not_a_trace"
    BAD_PERTURBATION = "bad_perturbation"
    RESPONSE_TAG_MISSING = "response_tag_missing"
    RECORD_TOO_LARGE = "record_too_large"
    NESTING_TOO_DEEP = "nesting_too_deep"
    BAD_CSV_ROW = "bad_csv_row"
    UNREADABLE_ROWS = "unreadable_rows"
    NUL_CHARACTER = "nul_character"
    NON_FINITE_NUMBER = "non_finite_number"
    # parsing lines
    UNPARSEABLE_LINE = "unparseable_line"
    UNKNOWN_PRIMITIVE = "unknown_primitive"
    POSITIONAL_ARGUMENT = "positional_argument"
    DUPLICATE_ARGUMENT = "duplicate_argument"
    NON_LITERAL_VALUE = "non_literal_value"
    UNKNOWN_ARGUMENT = "unknown_argument"
    ARGUMENT_ALIAS = "argument_alias"
    ARGUMENT_TYPE = "argument_type"
    ARGUMENT_TOO_LONG = "argument_too_long"
    MISSING_ID = "missing_id"
    BAD_ID = "bad_id"
    FORMAT_DEVIATION = "format_deviation"
    # storage limits (vctrace.traces.limits)
    ID_TOO_LONG = "id_too_long"
    TRACE_ID_TOO_LONG = "trace_id_too_long"
    NAME_TOO_LONG = "name_too_long"
    TOO_MANY_ITEMS = "too_many_items"
    TOO_MANY_ACTIONS = "too_many_actions"
    TOO_MANY_EDGES = "too_many_edges"
    # structure
    EMPTY_TRACE = "empty_trace"
    MISSING_REQUIRED_ARGUMENT = "missing_required_argument"
    EMPTY_ARGUMENT = "empty_argument"
    BAD_DIRECTION = "bad_direction"
    DIRECTION_NORMALISED = "direction_normalised"
    DUPLICATE_ID = "duplicate_id"
    BAD_EDGE = "bad_edge"
    BAD_RELATION = "bad_relation"
    MISSING_RELATION = "missing_relation"
    DANGLING_EDGE = "dangling_edge"
    DUPLICATE_EDGE = "duplicate_edge"
    CYCLE = "cycle"
    MISSING_CONTEXT = "missing_context"
    CONTEXT_NOT_FIRST = "context_not_first"
    MULTIPLE_CONTEXT = "multiple_context"
    TERMINAL_NOT_MEASURABLE = "terminal_not_measurable"
    NON_MEASURABLE_SINK = "non_measurable_sink"
    ISOLATED_ACTION = "isolated_action"

    @property
    def severity(self) -> Severity:
        return _SEVERITY[self]


_W, _I, _E = Severity.WARNING, Severity.INFO, Severity.ERROR
_SEVERITY = {code: _E for code in Code} | {
    Code.RESPONSE_TAG_MISSING: _W,
    Code.UNKNOWN_ARGUMENT: _W,
    Code.ARGUMENT_ALIAS: _I,
    Code.ARGUMENT_TYPE: _W,
    Code.FORMAT_DEVIATION: _I,
    Code.DIRECTION_NORMALISED: _I,
    Code.MISSING_RELATION: _W,
    Code.DUPLICATE_EDGE: _W,
    Code.MULTIPLE_CONTEXT: _W,
    Code.NON_MEASURABLE_SINK: _W,
    Code.ISOLATED_ACTION: _W,
}


class Finding(BaseModel):
    """One deviation, with where it is: the record of the file (1-based), the field of the
    record (``explain``, ``dag``, ``perturbation``…) and the line within that field (1-based)."""

    model_config = ConfigDict(frozen=True)

    code: Code
    severity: Severity
    message: str
    record: int | None = None
    field: str | None = None
    line: int | None = None

    @classmethod
    def of(cls, code: Code, message: str, *, field: str | None = None,
           line: int | None = None, record: int | None = None) -> "Finding":
        return cls(code=code, severity=code.severity, message=message, record=record,
                   field=field, line=line)

    def at_record(self, record: int | None) -> "Finding":
        return self.model_copy(update={"record": record})

    def location(self) -> str:
        parts = []
        if self.record is not None:
            parts.append(f"record {self.record}")
        if self.field:
            parts.append(self.field)
        if self.line is not None:
            parts.append(f"line {self.line}")
        return ":".join(parts)


class TraceInvalid(ValueError):
    """Raised by ``assert_valid`` when a trace has error findings."""

    def __init__(self, findings: list[Finding]):
        self.findings = findings
        errors = [f for f in findings if f.severity is Severity.ERROR]
        first = errors[0] if errors else None
        detail = f"{first.code.value} at {first.location()}: {first.message}" if first else ""
        super().__init__(f"trace invalid ({len(errors)} error(s)); first: {detail}")
