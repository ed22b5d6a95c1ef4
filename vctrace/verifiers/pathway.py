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

A batch is judged set-wise: per term kind one statement reads every gene's (or drug's curated
targets') annotations and every claimed term once (``term_annotations``,
``drug_target_annotations``), and the (gene, term) and (term, drug) pairs are decided here.

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
            found.update(self._annotated(label, pairs))
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
            found.update(self._targeted(label, pairs))
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

    def _annotated(self, label: str, pairs: set[tuple[str, str]]
                   ) -> dict[tuple[str, str], dict[str, Any]]:
        """(gene, term) -> its annotation row (``term_name``, ``hits``: the gene's distinct
        annotations to the term or a descendant, at most 5, ``gene_annotations``,
        ``term_members``) for the pairs whose gene and term are both in the graph; one
        statement for the batch, every gene and term read once."""
        genes, terms = sorted({g for g, _ in pairs}), sorted({t for _, t in pairs})
        records = self.query(_labelled("verifiers/term_annotations", label),
                             genes=genes, terms=terms)
        if not records:
            return {}
        term_of = {t["key"]: t for t in records[0]["terms"]}
        gene_of = {g["gene"]: g for g in records[0]["genes"]}
        found = {}
        for gene, term in sorted(pairs):
            g, t = gene_of.get(gene), term_of.get(term)
            if g is None or t is None:
                continue
            hits = _reaching(g["hits"], term, ("term", "name", "release"), 5)
            found[(gene, term)] = {"gene": gene, "term": term, "term_name": t["name"],
                                   "hits": hits, "gene_annotations": g["annotations"],
                                   "term_members": t["members"]}
        return found

    def _targeted(self, label: str, pairs: set[tuple[str, str]]
                  ) -> dict[tuple[str, str], dict[str, Any]]:
        """(term, drug as the claim names it) -> ``term_name`` and ``hits`` (the drug's
        curated targets annotated to the term or a descendant, at most 10) for the pairs whose
        term is in the graph; one statement for the batch, every drug and term read once."""
        forms = {d: sorted({d, compact(d)}) for _, d in pairs}
        records = self.query(_labelled("verifiers/drug_target_annotations", label),
                             drugs=sorted({f for fs in forms.values() for f in fs}),
                             terms=sorted({t for t, _ in pairs}))
        if not records:
            return {}
        term_of = {t["key"]: t for t in records[0]["terms"]}
        hits_of = {d["drug"]: d["hits"] for d in records[0]["drugs"]}
        found = {}
        for term, drug in sorted(pairs):
            t = term_of.get(term)
            if t is None:
                continue
            annotations = [h for f in forms[drug] for h in hits_of.get(f, [])]
            found[(term, drug)] = {"term": term, "drug": drug, "term_name": t["name"],
                                   "hits": _reaching(annotations, term,
                                                     ("gene", "drug", "term", "release"), 10),
                                   "term_members": t["members"]}
        return found


def _reaching(annotations: list[dict[str, Any]], term: str, fields: tuple[str, ...],
              limit: int) -> list[dict[str, Any]]:
    """The distinct annotations (as ``fields``) to ``term`` itself or to a term below it, in
    the graph's order, at most ``limit``."""
    out: list[dict[str, Any]] = []
    seen = set()
    for a in annotations:
        if a["term"] == term or term in a["reaches"]:
            values = tuple(a[f] for f in fields)
            if values not in seen:
                seen.add(values)
                out.append(dict(zip(fields, values)))
                if len(out) == limit:
                    break
    return out
