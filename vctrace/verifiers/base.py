"""What a verifier is, what it returns, and the registry of verifiers.

A verifier judges *subjects* — distinct claims (``Claim`` nodes, shared by every action that
asserts them) or, for trace-level checks, traces — and returns one ``Verdict`` per subject, or
several when a claim has parts judged separately (the genes of a ``regulates_expression``
gene list). A verdict is data: status, reason code, score and threshold where there is one,
and the evidence used (KG nodes and relationships, DE rows, Boltz-2 output), never a bare
boolean. ``unverifiable`` means the verifier could not judge (entity not in the KG, gene not
measured, model output missing); it is not a pass.

Adding a verifier is a local change: subclass ``Verifier`` in a new module of this package,
set ``name``, ``version`` and ``primitives``, implement ``judge``, and import the module in
``vctrace/verifiers/__init__.py``. The batch engine (``vctrace.verifiers.engine``) fetches the
pending subjects, calls ``judge`` one batch at a time and stores the verdicts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, ClassVar

from neo4j import Driver


class Status(str, Enum):
    SUPPORTED = "supported"
    REFUTED = "refuted"
    UNVERIFIABLE = "unverifiable"
    ERROR = "error"


JUDGED = (Status.SUPPORTED.value, Status.REFUTED.value)  # statuses that count as "judged"


@dataclass
class Verdict:
    """One judgement of one subject (or one part of it)."""

    subject: str                 # claim key (c-…) or trace key (t-…)
    status: Status
    reason: str                  # a short snake_case code, e.g. ``curated_target``
    score: float | None = None
    threshold: float | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    part: str | None = None      # e.g. the gene of a gene-list claim

    def row(self) -> dict[str, Any]:
        """The parameter row that ``create_verdicts.cypher`` stores."""
        return {"subject": self.subject, "part": self.part, "status": Status(self.status).value,
                "reason": self.reason, "score": self.score, "threshold": self.threshold,
                "evidence_json": json.dumps(self.evidence, sort_keys=True, default=str)}


@dataclass
class Mention:
    """An entity argument of a claim and the KG entities it grounds to (none: ungrounded)."""

    role: str
    text: str
    entities: list[dict[str, str]]  # [{"key": …, "label": "Gene"}, …]

    def keys(self, label: str | None = None) -> list[str]:
        return [e["key"] for e in self.entities if label is None or e["label"] == label]


@dataclass
class ClaimRow:
    """A stored claim as verifiers see it."""

    key: str
    primitive: str
    args: dict[str, Any]
    drug: str | None
    cell_line: str | None
    mentions: list[Mention]

    def role(self, role: str) -> list[Mention]:
        return [m for m in self.mentions if m.role == role]

    def entity_keys(self, role: str, label: str | None = None) -> list[str]:
        return sorted({k for m in self.role(role) for k in m.keys(label)})


@dataclass
class TraceRow:
    """A stored trace as trace-level verifiers see it."""

    key: str
    findings: list[dict[str, Any]]


REGISTRY: dict[str, type["Verifier"]] = {}


class Verifier:
    """Base class: subclasses set the class attributes and implement ``judge``.

    ``subject`` is ``"claim"`` (``judge`` gets ``ClaimRow``s of the declared ``primitives``) or
    ``"trace"`` (``judge`` gets ``TraceRow``s). ``checks_truth`` is False for quality checks
    (structure, grounding) that do not say whether a claim is true; only truth checks count
    towards verifiability. ``parameters`` are the options a verifier takes (name -> default);
    they are part of the run record.
    """

    name: ClassVar[str]
    version: ClassVar[str]
    description: ClassVar[str] = ""
    subject: ClassVar[str] = "claim"
    primitives: ClassVar[tuple[str, ...]] = ()
    checks_truth: ClassVar[bool] = True
    parameters: ClassVar[dict[str, Any]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__:
            if cls.name in REGISTRY:
                raise ValueError(f"verifier {cls.name!r} registered twice")
            REGISTRY[cls.name] = cls

    def __init__(self, driver: Driver, database: str = "neo4j", **params: Any):
        unknown = set(params) - set(self.parameters)
        if unknown:
            raise ValueError(f"verifier {self.name!r} takes no parameter(s) "
                             f"{', '.join(sorted(unknown))}")
        self.driver = driver
        self.database = database
        self.params = {**self.parameters, **params}

    def query(self, text: str, **params: Any) -> list[dict[str, Any]]:
        """Run one read query (the verifier's evidence lookup for a whole batch)."""
        records, _, _ = self.driver.execute_query(text, params, database_=self.database,
                                                  routing_="r")
        return [dict(r) for r in records]

    def judge(self, subjects: list[Any]) -> list[Verdict]:
        """Verdicts for a batch of subjects: at least one per subject."""
        raise NotImplementedError

    def record(self) -> dict[str, Any]:
        """What the run record keeps of this verifier."""
        return {"name": self.name, "version": self.version, "parameters": self.params}


def get(name: str) -> type[Verifier]:
    """The verifier class registered as ``name`` (KeyError listing the known ones)."""
    if name not in REGISTRY:
        raise KeyError(f"unknown verifier {name!r}; known: {', '.join(sorted(REGISTRY))}")
    return REGISTRY[name]
