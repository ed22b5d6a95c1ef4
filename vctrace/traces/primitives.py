"""The registry of action primitives: the formalism of a trace, defined once.

Each primitive is one :class:`PrimitiveSpec`. Parsing, validation, claim identity, graph
storage (one node label per primitive) and entity linking all read this registry, so adding a
primitive (say, an epigenomic event) is one new ``_register(...)`` call here and nothing else.

Names and argument names are part of the VC-TRACES interchange format (VCR-Agent, Valence
Labs 2026) and are kept exactly. The assignment of primitives to the paper's seven families is
this project's own choice (see ``shared/spec/primitives.md``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Family(str, Enum):
    """The seven categories of cellular events a primitive belongs to."""

    SYSTEM_INITIALIZATION = "system initialization"
    INTERACTION = "interaction"
    FUNCTIONAL = "functional"
    REGULATION = "regulation"
    PROTEOSTASIS = "proteostasis"
    METABOLIC = "metabolic"
    PHENOTYPE = "phenotype"


class ContextScope(str, Enum):
    """What context a verdict on a claim of this primitive depends on.

    ``NONE``: a context-free fact (a drug binds a protein whatever the cell line).
    ``PERTURBATION``: the claim is about what this drug does in this cell line, so two traces
    share a claim only when their (drug, cell line) agree as well as their arguments.
    """

    NONE = "none"
    PERTURBATION = "perturbation"


DIRECTIONS = ("up", "down")
RELATIONS = ("causal", "correlative")


@dataclass(frozen=True)
class PrimitiveSpec:
    """One primitive of the formalism.

    Attributes:
        name: the primitive as written in explain text, e.g. ``binds_to``.
        family: its :class:`Family`.
        required: arguments that must be present (besides ``id``).
        optional: arguments that may be present.
        up_means: what ``direction="up"`` means, or ``None`` when it takes no direction.
        required_any: for ``set_context``: at least one of these must be present.
        list_args: arguments whose value is a list of strings.
        entity_args: arguments naming biological entities (linked as mentions, grounded later).
        aliases: older or variant argument names mapped to their canonical name.
        measurable: whether the action is a measurable output (a valid final action).
        takes_id: whether the action carries an ``id`` (all but ``set_context``).
        context_scope: what context a verdict on the claim depends on.
        checked_by: which kind of evidence can judge it (documentation; verifiers declare
            what they judge themselves).
    """

    name: str
    family: Family
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    up_means: str | None = None
    required_any: tuple[str, ...] = ()
    list_args: tuple[str, ...] = ()
    entity_args: tuple[str, ...] = ()
    aliases: dict[str, str] = field(default_factory=dict)
    measurable: bool = False
    takes_id: bool = True
    context_scope: ContextScope = ContextScope.PERTURBATION
    checked_by: str = ""

    @property
    def arguments(self) -> tuple[str, ...]:
        """Every canonical argument name, required first, ``id`` excluded."""
        return self.required + self.required_any + self.optional

    @property
    def has_direction(self) -> bool:
        return "direction" in self.required or "direction" in self.optional

    @property
    def claim_args(self) -> tuple[str, ...]:
        """The arguments that make up the claim itself (``via``/``confidence`` and other
        qualifiers are commentary, not part of what a verifier judges)."""
        return self.required + self.required_any

    @property
    def label(self) -> str:
        """The Neo4j node label for actions of this primitive, e.g. ``BindsTo``."""
        return "".join(part.capitalize() for part in self.name.split("_"))


REGISTRY: dict[str, PrimitiveSpec] = {}


def _register(spec: PrimitiveSpec) -> None:
    if spec.name in REGISTRY:
        raise ValueError(f"primitive {spec.name!r} registered twice")
    REGISTRY[spec.name] = spec


def get(name: str) -> PrimitiveSpec | None:
    """The spec of primitive ``name``, or ``None`` when it is not part of the formalism."""
    return REGISTRY.get(name)


def measurable_primitives() -> tuple[str, ...]:
    return tuple(name for name, spec in REGISTRY.items() if spec.measurable)


_VC = ("via", "confidence")
F = Family
NONE = ContextScope.NONE

_register(PrimitiveSpec(
    "set_context", F.SYSTEM_INITIALIZATION, required=(),
    required_any=("cell_type", "genotype", "disease", "prior_perturbation", "extras"),
    aliases={"disease_context": "disease", "disease_model": "disease"},
    entity_args=("cell_type", "disease"), takes_id=False, context_scope=NONE,
    checked_by="grounding (cell line)"))
_register(PrimitiveSpec(
    "gain_of_function", F.SYSTEM_INITIALIZATION, required=("variant", "protein"), optional=_VC,
    entity_args=("protein",), checked_by="context drivers"))
_register(PrimitiveSpec(
    "loss_of_function", F.SYSTEM_INITIALIZATION, required=("variant", "protein"), optional=_VC,
    entity_args=("protein",), checked_by="context drivers"))
_register(PrimitiveSpec(
    "binds_to", F.INTERACTION, required=("actor", "target"),
    optional=("affinity", "unit", "residues_actor", "residues_target") + _VC,
    entity_args=("actor", "target"), context_scope=NONE,
    checked_by="DTI: knowledge graph + Boltz-2"))
_register(PrimitiveSpec(
    "modulates_complex", F.INTERACTION, required=("members", "complex", "direction"),
    optional=("stoichiometry",) + _VC, up_means="assembly / stabilisation",
    list_args=("members",), entity_args=("members", "complex"), checked_by="PPI edges"))
_register(PrimitiveSpec(
    "cell_cell_interaction", F.INTERACTION,
    required=("sender", "receiver", "ligand", "receptor", "outcome"), optional=_VC,
    entity_args=("sender", "receiver", "ligand", "receptor")))
_register(PrimitiveSpec(
    "modulates_molecule_activity", F.FUNCTIONAL, required=("target", "direction"), optional=_VC,
    up_means="increased activity", entity_args=("target",), checked_by="KG signalling paths"))
_register(PrimitiveSpec(
    "modulates_pathway_activity", F.FUNCTIONAL, required=("pathway", "direction"), optional=_VC,
    up_means="increased pathway activity", entity_args=("pathway",),
    checked_by="pathway membership"))
_register(PrimitiveSpec(
    "localises_to", F.FUNCTIONAL, required=("entity", "from_loc", "to_loc"),
    optional=("mechanism",) + _VC, entity_args=("entity", "from_loc", "to_loc"),
    checked_by="GO cellular component"))
_register(PrimitiveSpec(
    "participates_in", F.FUNCTIONAL, required=("entity", "ontology_id"),
    optional=("evidence_type", "confidence"), entity_args=("entity", "ontology_id"),
    context_scope=NONE, checked_by="ontology / pathway membership"))
_register(PrimitiveSpec(
    "similar_to", F.FUNCTIONAL, required=("entity_a", "entity_b", "evidence_type"),
    optional=("confidence", "via"), entity_args=("entity_a", "entity_b"), context_scope=NONE))
_register(PrimitiveSpec(
    "correlates_with", F.FUNCTIONAL, required=("entity_a", "entity_b", "evidence_type"),
    optional=("confidence",), entity_args=("entity_a", "entity_b")))
_register(PrimitiveSpec(
    "regulates_expression", F.REGULATION, required=("regulator", "gene_list", "direction"),
    optional=("mechanism",) + _VC, up_means="higher steady-state RNA",
    list_args=("gene_list",), entity_args=("regulator", "gene_list"),
    aliases={"source": "regulator", "gene_or_signature": "gene_list"}, measurable=True,
    checked_by="DE: Tahoe differential expression"))
_register(PrimitiveSpec(
    "regulates_translation", F.REGULATION, required=("regulator", "rna_id", "direction"),
    optional=("mechanism",) + _VC, up_means="more protein synthesis",
    entity_args=("regulator", "rna_id"), measurable=True))
_register(PrimitiveSpec(
    "chromatin_modification", F.REGULATION, required=("mark", "locus", "direction"),
    optional=_VC, up_means="mark added", entity_args=("locus",)))
_register(PrimitiveSpec(
    "post_translational_modification", F.REGULATION,
    required=("protein", "mod_type", "site", "direction"), optional=_VC,
    up_means="modification added (cleavage counts)", entity_args=("protein",)))
_register(PrimitiveSpec(
    "degrades_or_stabilises", F.PROTEOSTASIS, required=("regulator", "target", "direction"),
    optional=_VC, up_means="stabilised / more abundant", entity_args=("regulator", "target")))
_register(PrimitiveSpec(
    "converts_substrate", F.METABOLIC, required=("enzyme", "substrate", "product"), optional=_VC,
    entity_args=("enzyme", "substrate", "product"), context_scope=NONE))
_register(PrimitiveSpec(
    "induces_phenotype", F.PHENOTYPE, required=("source", "phenotype"),
    optional=_VC + ("from_state", "to_state"), entity_args=("source", "phenotype"),
    measurable=True, checked_by="phenotype ontology"))
_register(PrimitiveSpec(
    "alleviates_phenotype", F.PHENOTYPE, required=("actor", "phenotype"),
    optional=_VC + ("from_state", "to_state"), entity_args=("actor", "phenotype"),
    measurable=True, checked_by="phenotype ontology"))
