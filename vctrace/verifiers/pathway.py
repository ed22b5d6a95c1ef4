"""``pathway``: functional claims against pathway and Gene Ontology membership.

- ``participates_in(entity, ontology_id)``: the gene is annotated to the pathway / GO term
  (PrimeKG ``pathway_protein``, ``bioprocess_protein``, ``molfunc_protein``,
  ``cellcomp_protein``), directly or to a descendant term (``IS_A`` of a loaded ontology).
- ``localises_to(entity, from_loc, to_loc)``: the gene is annotated to the GO cellular
  component ``to_loc`` (or a descendant); ``from_loc`` is not checked (annotations say where a
  protein can be, not where it leaves).
- ``modulates_pathway_activity(pathway, direction)``: a curated target of the context's drug
  is a member of the pathway. The direction is not checked (membership cannot tell it).

Annotation sets are treated as closed only where they exist: a gene with annotations of the
kind, none of which reach the term (which itself has members), is *refuted*
(``not_annotated``); a gene or term without any annotation is *unverifiable*. For
``modulates_pathway_activity`` a missing link is *unverifiable* (``no_target_in_pathway``):
drugs act on pathways through more than their direct targets.

Pathway and term arguments are looked up through their grounding links of the match kinds the
``match_kinds`` option accepts (default: all; see :mod:`vctrace.verifiers.grounding`).
"""

from __future__ import annotations

from typing import Any

from .. import cypher
from ..kg.graph import statement
from ..kg.grounding import compact
from .base import ClaimRow, Reason, Status, Verdict, Verifier
from .grounding import MatchOptions, accepted_links

TERM_RELATIONS = {"Pathway": "PATHWAY_PROTEIN", "BiologicalProcess": "BIOPROCESS_PROTEIN",
                  "MolecularFunction": "MOLFUNC_PROTEIN",
                  "CellularComponent": "CELLCOMP_PROTEIN"}
_TERM_ROLE = {"participates_in": ("entity", "ontology_id", tuple(TERM_RELATIONS)),
              "localises_to": ("entity", "to_loc", ("CellularComponent",))}


cypher.allow_names(list(TERM_RELATIONS) + list(TERM_RELATIONS.values()))


def _labelled(name: str, label: str) -> str:
    return statement(name, LABEL=label, REL=TERM_RELATIONS[label])


class PathwayVerifier(Verifier):
    name = "pathway"
    version = "2"
    description = "participates_in / localises_to / modulates_pathway_activity against " \
                  "pathway and GO membership"
    primitives = ("participates_in", "localises_to", "modulates_pathway_activity")
    Options = MatchOptions

    def judge(self, subjects: list[ClaimRow]) -> list[Verdict]:
        subjects = accepted_links(self, subjects)
        membership = [c for c in subjects if c.primitive in _TERM_ROLE]
        activity = [c for c in subjects if c.primitive == "modulates_pathway_activity"]
        return self._membership(membership) + self._activity(activity)

    def _terms(self, claim: ClaimRow, role: str, labels: tuple[str, ...]) -> list[tuple]:
        return sorted({(e["label"], e["key"]) for m in claim.role(role) for e in m.entities
                       if e["label"] in labels})

    def _membership(self, claims: list[ClaimRow]) -> list[Verdict]:
        wanted: dict[str, set[tuple[str, str]]] = {}
        plans = {}
        for claim in claims:
            entity_role, term_role, labels = _TERM_ROLE[claim.primitive]
            genes = claim.entity_keys(entity_role, "Gene")
            terms = self._terms(claim, term_role, labels)
            plans[claim.key] = (genes, terms)
            for label, term in terms:
                wanted.setdefault(label, set()).update((g, term) for g in genes)
        found: dict[tuple[str, str], dict[str, Any]] = {}
        for label, pairs in sorted(wanted.items()):
            for r in self.query(_labelled("verifiers/term_membership", label),
                                pairs=[{"gene": g, "term": t} for g, t in sorted(pairs)]):
                found[(r["gene"], r["term"])] = r
        verdicts = []
        for claim in claims:
            genes, terms = plans[claim.key]
            if not genes or not terms:
                verdicts.append(Verdict(claim.key, Status.UNVERIFIABLE, Reason.UNGROUNDED_ENTITIES,
                                        evidence={"genes": genes, "terms": [t for _, t in terms],
                                                  "mentions": [m.text for m in claim.mentions
                                                               if not m.entities]}))
                continue
            rows = [found[(g, t)] for g in genes for _, t in terms if (g, t) in found]
            hits = [dict(h, gene=r["gene"]) for r in rows for h in r["hits"]]
            evidence = {"genes": genes, "terms": [t for _, t in terms],
                        "term_names": sorted({r["term_name"] or "" for r in rows}),
                        "annotations": hits}
            if hits:
                verdicts.append(Verdict(claim.key, Status.SUPPORTED, Reason.ANNOTATED, 1.0,
                                        evidence=evidence))
            elif any(r["gene_annotations"] and r["term_members"] for r in rows):
                evidence["gene_annotations"] = max(r["gene_annotations"] for r in rows)
                verdicts.append(Verdict(claim.key, Status.REFUTED, Reason.NOT_ANNOTATED, 0.0,
                                        evidence=evidence))
            else:
                verdicts.append(Verdict(claim.key, Status.UNVERIFIABLE, Reason.NO_ANNOTATIONS,
                                        evidence=evidence))
        return verdicts

    def _activity(self, claims: list[ClaimRow]) -> list[Verdict]:
        wanted: dict[str, set[tuple[str, str]]] = {}  # label -> (term, drug) pairs
        for claim in claims:
            for label, term in self._terms(claim, "pathway", tuple(TERM_RELATIONS)):
                if claim.drug:
                    wanted.setdefault(label, set()).add((term, claim.drug))
        found: dict[tuple[str, str], dict[str, Any]] = {}
        for label, pairs in sorted(wanted.items()):
            rows = [{"term": t, "drug": d, "drugs": sorted({d, compact(d)})}
                    for t, d in sorted(pairs)]
            for r in self.query(_labelled("verifiers/drug_target_terms", label), pairs=rows):
                found[(r["term"], r["drug"])] = r
        verdicts = []
        for claim in claims:
            terms = [t for _, t in self._terms(claim, "pathway", tuple(TERM_RELATIONS))]
            if not terms or not claim.drug:
                verdicts.append(Verdict(claim.key, Status.UNVERIFIABLE, Reason.UNGROUNDED_ENTITIES,
                                        evidence={"pathway": [m.text for m in
                                                              claim.role("pathway")]}))
                continue
            rows = [found[(t, claim.drug)] for t in terms if (t, claim.drug) in found]
            hits = [h for r in rows for h in r["hits"]]
            evidence = {"drug": claim.drug, "terms": terms,
                        "term_names": sorted({r["term_name"] or "" for r in rows}),
                        "members_targeted": hits}
            if hits:
                verdicts.append(Verdict(claim.key, Status.SUPPORTED, Reason.DRUG_TARGET_IN_PATHWAY,
                                        1.0, evidence=evidence))
            else:
                verdicts.append(Verdict(claim.key, Status.UNVERIFIABLE, Reason.NO_TARGET_IN_PATHWAY,
                                        evidence=evidence))
        return verdicts
