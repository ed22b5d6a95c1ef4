"""The knowledge-graph-only explanation constructor: a trace built from graph paths, no LLM.

Given what the graph says about a drug (its curated targets and their pathway / GO process
annotations) and the cell line's context, :func:`construct` writes the trace
``set_context`` → ``binds_to(drug, target)`` → ``modulates_molecule_activity(target)`` →
``modulates_pathway_activity(term)`` (with the ``participates_in(target, term)`` annotation
that licenses the step) → ``induces_phenotype``, in the VC-TRACES text form (the writers of
:mod:`vctrace.traces.text`), with the graph elements it used in its provenance.

Evidence is chosen deterministically, so a run is reproducible: at most ``MAX_TARGETS``
targets (listed by both Tahoe-100M and PrimeKG first, then those with more annotations, then
by symbol), at most ``MAX_TERMS`` terms per target (Reactome pathways before GO processes,
terms shared by more of the chosen targets first, then the more specific, then by name).
The activity direction comes from the mechanism of action (``inhibitor`` → down, ``agonist``
/ ``activator`` → up; unclear → down, said so in ``confidence``); membership cannot tell a
pathway's direction, so the target's direction is carried on and marked as inferred. The
phenotype is a GO process of a chosen target that names a cellular phenotype (apoptosis,
proliferation, cell cycle, …) or, when the graph has none, the default ``cell proliferation``
(a GO exact synonym, so it grounds where GO is loaded), linked by correlative edges; the
term chosen as the phenotype is not also a pathway step.

Tahoe differential expression is never evidence here (it is what DE claims are checked
against): the constructor gets only targets and annotations, and writes no
``regulates_expression``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from .models import Action, Edge
from .perturbation import question_text
from .text import write_dag, write_explain

CONSTRUCTOR = "kg"
VERSION = "1"
MAX_TARGETS = 3
MAX_TERMS = 2
DEFAULT_PHENOTYPE = "cell proliferation"
#: words that make a GO process a cellular phenotype, in order of preference
PHENOTYPE_WORDS = ("apoptotic process", "apoptosis", "cell death", "cell cycle arrest",
                   "cell population proliferation", "cell proliferation", "cell cycle",
                   "senescence", "autophagy", "cell growth", "cell migration",
                   "DNA damage response")
_TERM_ORDER = {"Pathway": 0, "BiologicalProcess": 1}
_UP = re.compile(r"\b(agonist|activator|inducer|stabili[sz]er|opener|potentiator)\b", re.I)
_DOWN = re.compile(r"\b(inhibitor|antagonist|blocker|degrader|suppressor|inactivator)\b", re.I)


def _natural(text: str) -> list[Any]:
    return [int(p) if p.isdigit() else p.lower() for p in re.split(r"(\d+)", text)]


def activity_direction(moa_fine: str | None, moa_broad: str | None) -> tuple[str, str]:
    """(direction, basis) of the drug's effect on its targets' activity, from the mechanism
    of action: the fine class first, then the broad one; ``down`` and an ``assumed`` basis
    when neither says."""
    for text in (moa_fine, moa_broad):
        if not text:
            continue
        if _UP.search(text) and not _DOWN.search(text):
            return "up", f"mechanism of action: {text}"
        if _DOWN.search(text):
            return "down", f"mechanism of action: {text}"
    return "down", "assumed: mechanism of action unclear"


@dataclass(frozen=True)
class Term:
    """A pathway or GO process a target is annotated to."""

    key: str
    name: str
    label: str  # Pathway | BiologicalProcess
    relationship: str = ""
    members: int = 0
    source: str | None = None
    release: str | None = None


@dataclass(frozen=True)
class Target:
    """A curated target of the drug and the graph links that make it one."""

    key: str
    symbol: str
    links: tuple[Mapping[str, Any], ...] = ()  # {relationship, display, source, release}
    terms: tuple[Term, ...] = ()

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(sorted({str(link.get("source") or link.get("relationship"))
                             for link in self.links}))


@dataclass
class Skipped:
    """A pair the graph cannot explain, and why."""

    drug: str
    cell_line: str
    reason: str


@dataclass
class Built:
    """A constructed trace as a VC-TRACES row (plus ``trace_id`` and ``provenance``)."""

    row: dict[str, Any]
    actions: list[Action]
    edges: list[Edge]
    evidence: list[dict[str, Any]] = field(default_factory=list)


def target_from_row(row: Mapping[str, Any]) -> Target:
    """A :class:`Target` from a graph record ``{key, symbol, links, terms}``."""
    terms = tuple(Term(key=t["key"], name=t.get("name") or t["key"], label=t["label"],
                       relationship=t.get("relationship") or "", members=t.get("members") or 0,
                       source=t.get("source"), release=t.get("release"))
                  for t in row.get("terms") or () if t and t.get("key"))
    return Target(key=row["key"], symbol=row.get("symbol") or row["key"],
                  links=tuple(row.get("links") or ()), terms=terms)


def rank_targets(targets: Sequence[Target], limit: int = MAX_TARGETS) -> list[Target]:
    """The targets to explain through: listed by more sources first, then those with more
    annotated terms, then by symbol (natural order); at most ``limit``."""
    unique = {t.key: t for t in targets}
    return sorted(unique.values(),
                  key=lambda t: (-len(t.sources), -len(t.terms), _natural(t.symbol)))[:limit]


def rank_terms(target: Target, chosen: Sequence[Target], limit: int = MAX_TERMS, *,
               exclude: str | None = None) -> list[Term]:
    """The target's terms to step through: pathways first, then terms more of the ``chosen``
    targets share, then the more specific (fewer members), then by name; at most ``limit``;
    never ``exclude`` (the term chosen as the phenotype)."""
    def shared(term: Term) -> int:
        return sum(any(t.key == term.key for t in other.terms) for other in chosen)
    terms = {t.key: t for t in target.terms if t.label in _TERM_ORDER and t.key != exclude}
    return sorted(terms.values(), key=lambda t: (_TERM_ORDER[t.label], -shared(t),
                                                 t.members or 1 << 30, t.name.lower(),
                                                 t.key))[:limit]


def choose_phenotype(chosen: Sequence[Target]) -> tuple[Term | None, Target | None]:
    """The GO process of a chosen target that best names a cellular phenotype (the earliest
    word of :data:`PHENOTYPE_WORDS`, then the shorter name, then by name), or ``(None,
    None)``."""
    best: tuple | None = None
    for target in chosen:
        for term in target.terms:
            if term.label != "BiologicalProcess":
                continue
            name = term.name.lower()
            for rank, word in enumerate(PHENOTYPE_WORDS):
                if word.lower() in name:
                    candidate = ((rank, len(name), name, term.key), term, target)
                    if best is None or candidate[0] < best[0]:
                        best = candidate
                    break
    return (best[1], best[2]) if best else (None, None)


def _genotype(drivers: Sequence[Mapping[str, Any]]) -> str | None:
    parts: list[str] = []
    for d in sorted(drivers, key=lambda d: _natural(str(d.get("symbol") or ""))):
        symbol = d.get("symbol")
        if not symbol:
            continue
        part = f"{symbol} {d.get('mechanism') or d.get('var_type') or 'alteration'}"
        if part not in parts:
            parts.append(part)
    return "; ".join(parts) or None


def _evidence_line(item: Mapping[str, Any]) -> str:
    """``[E3] primekg DRUG_PROTEIN (target): trametinib -> map2k1`` for the report text."""
    where = " ".join(str(v) for v in (item.get("source"), item.get("relationship")) if v)
    if item.get("display_relation"):
        where += f" ({item['display_relation']})"
    if item["kind"] == "drug_target":
        return f"[{item['id']}] {where}: {item['drug']} -> {item['gene']}"
    return f"[{item['id']}] {where}: {item['gene']} -> {item['term']} ({item['term_name']})"


def trace_id(drug_key: str, cell_line_key: str) -> str:
    """``kg:<drug key>|<cell line key>``: one constructed trace per pair and constructor."""
    return f"{CONSTRUCTOR}:{drug_key}|{cell_line_key}"


def construct(*, perturbation: dict[str, Any], drug: Mapping[str, Any],
              cell_line: Mapping[str, Any], targets: Sequence[Target],
              max_targets: int = MAX_TARGETS, max_terms: int = MAX_TERMS
              ) -> Built | Skipped:
    """The trace of ``drug`` (``{key, name, moa_fine, moa_broad}``) in ``cell_line``
    (``{key, name, organ, drivers}``) from its curated ``targets``, or :class:`Skipped`
    when the graph holds no curated target (nothing to explain through)."""
    chosen = rank_targets(targets, max_targets)
    if not chosen:
        return Skipped(drug["name"], cell_line["name"], "no curated target in the graph")
    direction, basis = activity_direction(drug.get("moa_fine"), drug.get("moa_broad"))
    name = drug["name"]
    evidence: list[dict[str, Any]] = []
    support: dict[str, list[str]] = {}

    def cite(item: dict[str, Any]) -> str:
        for existing in evidence:
            if {k: v for k, v in existing.items() if k != "id"} == item:
                return existing["id"]
        item = {"id": f"E{len(evidence) + 1}", **item}
        evidence.append(item)
        return item["id"]

    context: dict[str, Any] = {"cell_type": cell_line["name"]}
    genotype = _genotype(cell_line.get("drivers") or [])
    if genotype:
        context["genotype"] = genotype
    context["prior_perturbation"] = "none"
    if cell_line.get("organ"):
        context["extras"] = f"source organ: {cell_line['organ']}"
    actions = [Action(primitive="set_context", args=context)]
    edges: list[Edge] = []
    counter = iter(range(1, 1 << 20))

    def add(primitive: str, args: dict[str, Any], cites: list[str]) -> str:
        node = f"n{next(counter)}"
        actions.append(Action(id=node, primitive=primitive, args=args))
        support[node] = cites
        return node

    confidence = "inferred from the mechanism of action" if not basis.startswith("assumed") \
        else "low: mechanism of action unclear, inhibition assumed"
    activity: dict[str, str] = {}
    for target in chosen:
        cites = [cite({"kind": "drug_target", "drug": drug["key"], "gene": target.key,
                       "relationship": link.get("relationship"),
                       "display_relation": link.get("display"), "source": link.get("source"),
                       "release": link.get("release")})
                 for link in sorted(target.links, key=lambda x: (str(x.get("relationship")),
                                                                 str(x.get("source"))))]
        bind = add("binds_to", {"actor": name, "target": target.symbol,
                                "confidence": "curated target: " + ", ".join(target.sources)},
                   cites)
        activity[target.key] = add("modulates_molecule_activity",
                                   {"target": target.symbol, "direction": direction,
                                    "via": f"binding by {name}", "confidence": confidence},
                                   cites)
        edges.append(Edge(source=bind, target=activity[target.key], relation="causal"))
    pathway_nodes: dict[str, str] = {}
    ends: list[str] = []  # the nodes that lead to the phenotype
    annotations: list[tuple[Target, Term, str]] = []
    phenotype, via = choose_phenotype(chosen)
    for target in chosen:
        terms = rank_terms(target, chosen, max_terms,
                           exclude=phenotype.key if phenotype else None)
        for term in terms:
            annotations.append((target, term, cite({
                "kind": "term_membership", "gene": target.key, "term": term.key,
                "term_name": term.name, "label": term.label, "source": term.source,
                "relationship": term.relationship, "release": term.release})))
        if not terms:
            ends.append(activity[target.key])
    for target, term, ref in annotations:
        kind = (term.relationship or term.label).lower()
        annotation = add("participates_in", {"entity": target.symbol, "ontology_id": term.name,
                                             "evidence_type": f"PrimeKG {kind}"}, [ref])
        if term.key not in pathway_nodes:
            pathway_nodes[term.key] = add("modulates_pathway_activity", {
                "pathway": term.name, "direction": direction,
                "via": f"{target.symbol} is a member",
                "confidence": "direction inferred from the target's activity"}, [])
            ends.append(pathway_nodes[term.key])
        node = pathway_nodes[term.key]
        support[node].append(ref)
        edges.append(Edge(source=activity[target.key], target=node, relation="causal"))
        edges.append(Edge(source=annotation, target=node, relation="correlative"))
    if phenotype is None:
        cites: list[str] = []
        args = {"source": name, "phenotype": DEFAULT_PHENOTYPE,
                "confidence": "default phenotype: none annotated to the targets in the graph"}
        if direction == "down":
            args.update(from_state="proliferating", to_state="reduced proliferation")
    else:
        cites = [cite({"kind": "phenotype_annotation", "gene": via.key, "term": phenotype.key,
                       "term_name": phenotype.name, "label": phenotype.label,
                       "source": phenotype.source, "relationship": phenotype.relationship,
                       "release": phenotype.release})]
        args = {"source": name, "phenotype": phenotype.name,
                "via": f"{via.symbol} is annotated to it",
                "confidence": "graph annotation; direction not inferred"}
    final = add("induces_phenotype", args, cites)
    # correlative: membership and annotation say a phenotype is associated, not caused
    edges += [Edge(source=node, target=final, relation="correlative") for node in ends]
    edges = list({(e.source, e.target): e for e in edges}.values())
    phenotype_source = "default" if phenotype is None else "graph"
    provenance = {
        "constructor": CONSTRUCTOR, "constructor_version": VERSION,
        "limits": {"max_targets": max_targets, "max_terms": max_terms},
        "direction": direction, "direction_basis": basis,
        "phenotype_source": phenotype_source,
        "drug": drug["key"], "cell_line": cell_line["key"],
        "evidence": evidence, "support": support,
    }
    report = "\n".join(
        [f"Knowledge-graph explanation of {name} in {cell_line['name']} (constructor "
         f"{CONSTRUCTOR} {VERSION}; no language model). Evidence:"]
        + [_evidence_line(e) for e in evidence])
    row = {"trace_id": trace_id(drug["key"], cell_line["key"]),
           "perturbation": perturbation, "question": question_text(perturbation),
           "report_text": report, "explain": write_explain(actions), "dag": write_dag(edges),
           "provenance": provenance}
    return Built(row=row, actions=actions, edges=edges, evidence=evidence)
