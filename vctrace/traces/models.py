"""Domain models of a trace. Pure pydantic: nothing here knows about Neo4j or files.

A :class:`Trace` is a perturbation (drug + cell context), the actions of its explanation in
line order, the edges of its DAG, the surrounding texts of the record (question, answer,
report, verified explain) and where it came from. The perturbation record is kept verbatim as
``Perturbation.raw``; the drug, cell line and targets are read from it on demand, because its
shape varies between the Tahoe form and older benchmark records.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from .findings import Finding

ArgValue = Any  # str in practice; lists of str for list arguments; numbers/None tolerated


class Perturbation(BaseModel):
    """The perturbation record as given (Tahoe form, or the older benchmark form)."""

    model_config = ConfigDict(frozen=True)

    raw: dict[str, Any]

    def _first_perturbation(self) -> dict[str, Any]:
        entries = self.raw.get("perturbations")
        if isinstance(entries, list) and entries and isinstance(entries[0], dict):
            return entries[0]
        single = self.raw.get("perturbation")
        return single if isinstance(single, dict) else {}

    def _first_context(self) -> dict[str, Any]:
        ctx = self.raw.get("context")
        if isinstance(ctx, list):
            ctx = ctx[0] if ctx and isinstance(ctx[0], dict) else {}
        return ctx if isinstance(ctx, dict) else {}

    @property
    def drug(self) -> str | None:
        """The perturbagen's name (or gene symbol for genetic perturbations)."""
        p = self._first_perturbation()
        value = p.get("name") or p.get("gene symbol")
        return str(value).strip() if value else None

    @property
    def cell_line(self) -> str | None:
        ctx = self._first_context()
        value = ctx.get("cell type") or ctx.get("cell_type")
        if not value or str(value).strip().upper() in {"N/A", "NA", "NONE"}:
            return None
        return str(value).strip()

    @property
    def known_targets(self) -> list[str]:
        p = self._first_perturbation()
        value = p.get("known targets", p.get("target"))
        if value is None:
            return []
        items = value if isinstance(value, list) else str(value).split(",")
        return [str(t).strip() for t in items if str(t).strip()]

    @property
    def smiles(self) -> str | None:
        value = self._first_perturbation().get("smiles")
        return str(value) if value else None

    @property
    def perturbation_type(self) -> str | None:
        p = self._first_perturbation()
        value = p.get("perturbation type") or p.get("type")
        return str(value) if value else None


class Action(BaseModel):
    """One node of the explanation: a primitive called with keyword arguments.

    ``args`` holds canonical argument names (aliases already mapped). ``source_line`` is the
    line as it was written and ``line`` its 1-based number in the explain text.
    """

    id: str | None = None
    primitive: str
    args: dict[str, ArgValue] = Field(default_factory=dict)
    line: int | None = None
    source_line: str | None = None


class Edge(BaseModel):
    source: str
    target: str
    relation: str = "causal"
    line: int | None = None
    source_line: str | None = None


class Provenance(BaseModel):
    """Where a trace came from: the input file and record, its format, and any source-specific
    fields of the record that are not part of the trace itself (e.g. ``source``, ``index`` of
    VCR-Agent results files)."""

    source_file: str | None = None
    source_sha256: str | None = None
    record: int | None = None
    source_format: str | None = None
    extra: dict[str, Any] = Field(default_factory=dict)


class Trace(BaseModel):
    """A mechanistic explanation of one perturbation."""

    trace_id: str | None = None
    perturbation: Perturbation | None = None
    question: str | None = None
    answer: str | None = None
    think: str | None = None
    report_text: str | None = None
    explain_verified: str | None = None
    actions: list[Action] = Field(default_factory=list)
    edges: list[Edge] = Field(default_factory=list)
    unparsed_lines: list[str] = Field(default_factory=list)
    provenance: Provenance = Field(default_factory=Provenance)
    findings: list[Finding] = Field(default_factory=list)

    @property
    def drug(self) -> str | None:
        return self.perturbation.drug if self.perturbation else None

    @property
    def cell_line(self) -> str | None:
        return self.perturbation.cell_line if self.perturbation else None

