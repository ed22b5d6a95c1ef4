"""The audit use case: where a claim (or every claim of a trace) came from and what judged it,
as typed models (the chain claim → actions → traces → input records, each verdict with its
evidence, the runs and the source releases they used; for a generated trace, its generation
and the evidence items the generator saw)."""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator

from .. import errors
from ..runs import audit as audit_mod
from ..runs.engine import RunError
from ..settings import Settings
from .graph_session import open_graph
from .verification import VerifierVersion, resolve_run

__all__ = [
    "AssertingAction", "AuditResult", "ClaimAudit", "ClaimRecord", "EntityRef",
    "EvidenceSeen", "GenerationAudit", "GenerationRunRef",
    "InputRecordRef", "MentionAudit", "NotFound", "RunRecord", "SourceRecord",
    "TraceActionAudit", "TraceAudit", "TraceRecord", "VerdictRecord", "VersionLink", "audit",
    "audit_document", "ClaimView", "claim",
]


class NotFound(errors.NotFound, audit_mod.NotFound):
    """No claim or trace with that key or id (a :class:`vctrace.errors.NotFound`, so the
    service answers 404; still the audit module's own ``NotFound``)."""


class _Record(BaseModel):
    """A node's properties: the named fields, and whatever else the node holds."""

    model_config = ConfigDict(extra="allow")


class EntityRef(_Record):
    """A KG entity a mention grounds to."""

    key: str
    label: str | None = None
    name: str | None = None
    match: str | None = None


class MentionAudit(BaseModel):
    """An entity argument of a claim and what it grounds to (nothing: not grounded)."""

    role: str | None = None
    text: str
    entities: list[EntityRef] = []


class InputRecordRef(_Record):
    """The input record (file, record number, checksum) a trace was read from."""

    file: str | None = None
    sha256: str | None = None
    record: int | None = None
    format: str | None = None


class EvidenceSeen(_Record):
    """An evidence item a generator saw (an ``Evidence`` node and the trace's ``SAW`` link)."""

    key: str = Field(description="the evidence node's content key (e-…), shared by every "
                     "trace that saw the same item")
    id: str | None = Field(None, description="the item's id in the trace (E12), as its "
                           "report cites it")
    source: str | None = Field(None, description="primekg, harmonizome, pubmed, wikipedia…")
    source_id: str | None = Field(None, description="the identifier in that source (a "
                                  "relationship, a PMID, a page title)")
    text: str | None = Field(None, description="the item as the generator saw it (structured "
                             "items of the knowledge-graph constructor: a readable line)")
    kind: str | None = None
    data: dict[str, Any] | None = Field(None, description="a structured item's fields (the "
                                        "knowledge-graph constructor's), whole")
    cited: bool | None = Field(None, description="whether the trace's report cites it")
    supports: list[str] = Field([], description="ids of the trace's actions it supports "
                                "(the knowledge-graph constructor's support map)")


class GenerationRunRef(_Record):
    """The stored generation run a trace names (see ``vctrace generation-runs``)."""

    key: str
    constructor: str | None = None
    model: str | None = None
    cost_usd: float | None = None
    requests: int | None = None
    traces: int | None = None


class GenerationAudit(BaseModel):
    """How a generated trace came to be: the constructor (``kg``: knowledge graph only, the
    baseline; ``claude``: a language model), its version and model, the generation run and its
    cost, and every evidence item the generator saw."""

    constructor: str | None = None
    constructor_version: str | None = None
    model: str | None = None
    run: str | None = Field(None, description="the generation run's key (g-…) the trace names")
    run_record: GenerationRunRef | None = Field(None, description="that run as stored (None: "
                                                "never recorded, e.g. a killed run)")
    evidence_items: int = 0
    cited_items: int = 0
    supporting: list[str] | None = Field(None, description="in a claim's audit: the ids of "
                                         "the items supporting the asserting action (listed "
                                         "first in evidence)")
    evidence: list[EvidenceSeen] = []


class AssertingAction(_Record):
    """An action (of a trace, read from an input record) that asserts a claim; with how the
    trace was generated, when it was."""

    trace: str
    trace_id: str | None = None
    drug: str | None = None
    cell_line: str | None = None
    action: str | None = None
    index: int | None = None
    input: InputRecordRef | None = None
    generation: GenerationAudit | None = None


class VerdictRecord(_Record):
    """A stored verdict, its evidence parsed."""

    run: str
    verifier: str
    version: str
    status: str
    reason: str
    part: str | None = None
    score: float | None = None
    threshold: float | None = None
    evidence: dict[str, Any] = {}


class ClaimRecord(_Record):
    """A stored claim, its arguments parsed."""

    key: str
    primitive: str
    args: dict[str, Any] = {}
    drug: str | None = None
    cell_line: str | None = None


class SourceRecord(_Record):
    """A source release a run used (what was loaded, by which loader)."""

    key: str
    source: str | None = None
    version: str | None = None
    loader: str | None = None
    loader_version: str | None = None
    files: dict[str, Any] = {}
    options: dict[str, Any] = {}
    finished_at: str | None = None

    @field_validator("finished_at", mode="before")
    @classmethod
    def _text(cls, value: Any) -> str | None:
        # the statement returns the driver's DateTime here, not its text
        return None if value is None else str(value)


class RunRecord(_Record):
    """A run as the audit shows it, with the source releases it used."""

    key: str
    status: str | None = None
    created_at: str | None = None
    verifiers: list[dict[str, Any]] = []
    filter: dict[str, Any] = {}
    sources: list[SourceRecord] = []

    @property
    def verifier_labels(self) -> list[str]:
        """Each verifier as ``dti-kg v2 (world=open)``."""
        return [VerifierVersion.model_validate(v).label for v in self.verifiers
                if v.get("name") and v.get("version")]


class TraceRecord(_Record):
    """A stored trace's identity and context."""

    key: str
    trace_id: str | None = None
    drug: str | None = None
    cell_line: str | None = None
    n_actions: int | None = None


class VersionLink(BaseModel):
    """A refined version and the run whose verdicts made it."""

    key: str
    run: str | None = None


class TraceActionAudit(BaseModel):
    """An action of an audited trace with its claim, mentions and verdicts."""

    action: str | None = None
    primitive: str
    claim_key: str
    claim: ClaimRecord
    mentions: list[MentionAudit] = []
    verdicts: list[VerdictRecord] = []
    supported_by: list[str] = Field([], description="ids of the evidence items supporting "
                                    "this action (generated traces)")


class ClaimAudit(BaseModel):
    """The audit of a claim: what asserts it, every verdict on it, the runs and sources."""

    kind: Literal["claim"] = "claim"
    claim: ClaimRecord
    mentions: list[MentionAudit] = []
    asserted_by: list[AssertingAction] = []
    verdicts: list[VerdictRecord] = []
    runs: dict[str, RunRecord] = {}


class TraceAudit(BaseModel):
    """The audit of a trace: its input record, its generation (generated traces), its own
    verdicts, its versions, and each action's claim audit; the runs and sources."""

    kind: Literal["trace"] = "trace"
    trace: TraceRecord
    input: InputRecordRef | None = None
    generation: GenerationAudit | None = None
    verdicts: list[VerdictRecord] = []
    refines: list[VersionLink] = []
    refined_into: list[VersionLink] = []
    actions: list[TraceActionAudit] = []
    runs: dict[str, RunRecord] = {}


AuditResult = Annotated[ClaimAudit | TraceAudit, Field(discriminator="kind")]
_AUDIT = TypeAdapter(AuditResult)


def audit(settings: Settings, ref: str, run: str | None = None) -> ClaimAudit | TraceAudit:
    """The provenance of a claim (key ``c-…``) or of every claim of a trace (key or trace
    id): the traces and input records asserting it, every verdict with its evidence, the runs
    that made them and the source releases they used. With ``run`` (a key or ``"latest"``),
    only that run's verdicts. ``NotFound`` when nothing has that key or id."""
    with open_graph(settings) as graph:
        run_key = resolve_run(graph, run) if run is not None else None
        try:
            found = audit_mod.audit(graph, ref, run=run_key)
        except audit_mod.NotFound as exc:
            raise NotFound(str(exc)) from None
        return _AUDIT.validate_python(found)


def _finite(value: Any) -> Any:
    """``value`` with every NaN or infinite float made None (strict JSON, as the CLI prints)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def audit_document(settings: Settings, ref: str, run: str | None = None) -> dict[str, Any]:
    """The audit of :func:`audit` as the JSON document ``vctrace audit --format json``
    prints; an unknown ``run`` is :class:`NotFound` here (a lookup that found nothing)."""
    try:
        result = audit(settings, ref, run)
    except RunError as exc:
        raise errors.NotFound(str(exc)) from None
    return _finite(result.model_dump(mode="json"))


class ClaimView(BaseModel):
    """A stored claim: what it asserts, its mentions and the entities they ground to, the
    actions (and traces) asserting it, and every verdict on it."""

    claim: ClaimRecord
    mentions: list[MentionAudit] = []
    asserted_by: list[AssertingAction] = []
    verdicts: list[VerdictRecord] = []


def claim(settings: Settings, key: str) -> ClaimView:
    """The claim of content key ``key`` (``c-…``); :class:`NotFound` when none is stored."""
    if not key.startswith("c-"):
        raise NotFound(f"no claim {key!r} (claim keys start with 'c-')")
    found = audit(settings, key)
    view = ClaimView(claim=found.claim, mentions=found.mentions,
                     asserted_by=found.asserted_by, verdicts=found.verdicts)
    return ClaimView.model_validate(_finite(view.model_dump(mode="json")))
