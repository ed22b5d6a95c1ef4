"""What a verifier is, what it returns, and the registry of verifiers.

A verifier judges *subjects* — distinct claims (``Claim`` nodes, shared by every action that
asserts them) or, for trace-level checks, traces — and returns one ``Verdict`` per subject, or
several when a claim has parts judged separately (the genes of a ``regulates_expression``
gene list). A verdict is data: status, reason code, score and threshold where there is one,
and the evidence used (KG nodes and relationships, DE rows, Boltz-2 output), never a bare
boolean. ``unverifiable`` means the verifier could not judge (entity not in the KG, gene not
measured, model output missing); it is not a pass.

Adding a verifier is a local change: a new module of this package (discovered automatically)
subclassing ``Verifier`` with ``name``, ``version``, ``primitives``, its ``Options`` (a pydantic
model: the one place its defaults live; CLI flags are generated from it), the reason codes
it adds to :class:`Reason`, and ``judge``; its statements in ``vctrace/cypher/verifiers/``;
and its test. The batch engine (``vctrace.runs.engine``) fetches the pending subjects, calls
``judge`` one batch at a time and stores the verdicts.

A verifier whose decision is a plain function of the graph may also judge *inside* the graph
(``judges_in_graph`` and :meth:`Verifier.store_in_graph`): one statement per batch reads the
subjects, decides and creates the verdicts, so no subject row travels to Python. It must write
exactly what ``judge`` followed by the engine's write would (a test compares both), and may
leave subjects it cannot spell exactly to ``judge``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from ..kg.graph import Graph
from ..plugins import parse_options


class Status(str, Enum):
    SUPPORTED = "supported"
    REFUTED = "refuted"
    UNVERIFIABLE = "unverifiable"
    ERROR = "error"


JUDGED = (Status.SUPPORTED.value, Status.REFUTED.value)  # statuses that count as "judged"


class Reason(str, Enum):
    """Every reason code a verdict can carry (stored as its value; Cypher that selects by
    reason gets these values as parameters, never as literals)."""

    # structure
    VALID = "valid"
    VALID_WITH_WARNINGS = "valid_with_warnings"
    INVALID = "invalid"
    # grounding
    ALL_GROUNDED = "all_grounded"
    NO_ENTITY_ARGUMENTS = "no_entity_arguments"
    UNGROUNDED_ENTITIES = "ungrounded_entities"
    # dti-kg
    CURATED_TARGET = "curated_target"
    NOT_A_CURATED_TARGET = "not_a_curated_target"        # closed world only
    NOT_IN_CURATED_TARGETS = "not_in_curated_targets"    # open world (the default)
    CURATED_NON_TARGET = "curated_non_target"            # an explicit negative record
    CONFLICTING_CURATED_RECORDS = "conflicting_curated_records"
    NO_CURATED_TARGETS = "no_curated_targets"
    PPI_EDGE = "ppi_edge"
    NO_PPI_EDGE = "no_ppi_edge"
    TOO_FEW_GROUNDED_PROTEINS = "too_few_grounded_proteins"
    # de
    OBSERVED = "observed"
    OPPOSITE_DIRECTION = "opposite_direction"
    NOT_DE = "not_de"
    NOT_MEASURED = "not_measured"
    NO_DE_EXPERIMENT = "no_de_experiment"
    CONFLICTING_DOSES = "conflicting_doses"
    NO_EXPERIMENT_AT_DOSE = "no_experiment_at_dose"
    DIRECTION_NOT_UP_OR_DOWN = "direction_not_up_or_down"
    THRESHOLD_BELOW_LOAD_CUTOFF = "threshold_below_load_cutoff"
    # pathway
    ANNOTATED = "annotated"
    NOT_ANNOTATED = "not_annotated"
    NO_ANNOTATIONS = "no_annotations"
    DRUG_TARGET_IN_PATHWAY = "drug_target_in_pathway"
    NO_TARGET_IN_PATHWAY = "no_target_in_pathway"
    # dti-boltz
    PREDICTED_BINDER = "predicted_binder"
    PREDICTED_NON_BINDER = "predicted_non_binder"
    MODEL_OUTPUT_MISSING = "model_output_missing"
    ACTOR_NOT_A_DRUG = "actor_not_a_drug"
    NO_SMILES = "no_smiles"
    LIGAND_REJECTED = "ligand_rejected"
    NO_FASTA_GIVEN = "no_fasta_given"
    NO_SEQUENCE = "no_sequence"
    # the engine
    VERIFIER_RETURNED_NOTHING = "verifier_returned_nothing"


# the DTI verdicts that decide a binding (curated check); refine and metrics select by them
BINDING_REASONS = (Reason.CURATED_TARGET.value, Reason.NOT_A_CURATED_TARGET.value,
                   Reason.CURATED_NON_TARGET.value)


class NoOptions(BaseModel):
    """A verifier without options."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass
class Verdict:
    """One judgement of one subject (or one part of it)."""

    subject: str                 # claim key (c-…) or trace key (t-…)
    status: Status
    reason: Reason
    score: float | None = None
    threshold: float | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    part: str | None = None      # e.g. the gene of a gene-list claim

    def __post_init__(self) -> None:
        # a code outside the vocabulary fails here, in the verifier that made it, not later
        # on the writer thread
        self.status, self.reason = Status(self.status), Reason(self.reason)

    def row(self) -> dict[str, Any]:
        """The parameter row that ``create_verdicts.cypher`` stores."""
        return {"subject": self.subject, "part": self.part, "status": Status(self.status).value,
                "reason": Reason(self.reason).value, "score": self.score, "threshold": self.threshold,
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
    towards verifiability. ``Options`` is the pydantic model of the options a verifier takes
    (defaults there, and only there); the values used are part of the run record.
    """

    name: ClassVar[str]
    version: ClassVar[str]
    description: ClassVar[str] = ""
    subject: ClassVar[str] = "claim"
    primitives: ClassVar[tuple[str, ...]] = ()
    checks_truth: ClassVar[bool] = True
    Options: ClassVar[type[BaseModel]] = NoOptions
    cli_prefix: ClassVar[str] = ""  # before its options' flag names (--boltz-cache)
    judges_in_graph: ClassVar[bool] = False  # the engine calls store_in_graph, not judge

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__:
            if cls.name in REGISTRY:
                raise ValueError(f"verifier {cls.name!r} registered twice")
            REGISTRY[cls.name] = cls

    def __init__(self, graph: Graph, options: BaseModel | dict[str, Any] | None = None):
        """``options``: an ``Options`` instance or a dict of its fields (unknown or invalid
        values raise ``ValueError`` naming them)."""
        self.graph = graph
        self.options = options if isinstance(options, self.Options) else \
            parse_options(self.Options, options or {}, f"verifier {self.name!r}")

    @property
    def params(self) -> dict[str, Any]:
        """The option values as plain data (what the run record stores)."""
        return self.options.model_dump(mode="json")

    def query(self, name: str, **params: Any) -> list[dict[str, Any]]:
        """Run one named read statement (the verifier's evidence lookup for a whole batch)."""
        return self.graph.read(name, **params)

    def judge(self, subjects: list[Any]) -> list[Verdict]:
        """Verdicts for a batch of subjects: at least one per subject."""
        raise NotImplementedError

    def store_in_graph(self, run: str, rows: list[dict[str, str]]) -> tuple[int, list[str]]:
        """Judge the subjects of ``rows`` and store their verdicts inside the graph (only for
        verifiers with ``judges_in_graph``). ``rows``: ``{"subject": key, "key": verdict key}``
        (the key of the subject's verdict, whole-subject verdicts only). The verdicts carry
        what ``create_verdicts`` stores for ``judge``'s verdicts, run ``run`` and this
        verifier's name and version. Returns the number of verdicts created and the subjects
        left to ``judge`` (those the statement cannot judge exactly); a subject missing from
        the graph is neither."""
        raise NotImplementedError(f"verifier {self.name!r} does not judge in the graph")

    def record(self) -> dict[str, Any]:
        """What the run record keeps of this verifier."""
        return {"name": self.name, "version": self.version, "parameters": self.params}


def get(name: str) -> type[Verifier]:
    """The verifier class registered as ``name`` (KeyError listing the known ones)."""
    if name not in REGISTRY:
        raise KeyError(f"unknown verifier {name!r}; known: {', '.join(sorted(REGISTRY))}")
    return REGISTRY[name]
