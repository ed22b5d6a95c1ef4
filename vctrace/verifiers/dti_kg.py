"""``dti-kg``: ``binds_to`` and ``modulates_complex`` against curated knowledge-graph edges.

- drug → protein ``binds_to``: supported when the protein is a curated target of the drug
  (PrimeKG ``drug_protein``: target / enzyme / carrier / transporter; Tahoe-100M listed
  targets; Harmonizome drug-target datasets named in ``harmonizome_datasets``). Curated target
  lists are treated as **closed per drug**: a drug with at least one curated target whose
  claimed protein is not among them is *refuted* (reason ``not_a_curated_target``, score 0) —
  the signal the paper's policy needs to discard a trace. A drug without any curated target is
  *unverifiable*. Score 1/0 (the "1/0 from curated evidence" of the DTI score).
- protein → protein ``binds_to`` and ``modulates_complex`` (members): supported by PrimeKG
  ``protein_protein`` edges. Interaction maps are far from complete, so a missing edge is
  *unverifiable* (``no_ppi_edge``), never a refutation.
"""

from __future__ import annotations

from itertools import combinations, product
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ..traces.identity import normalise_text
from .base import ClaimRow, Reason, Status, Verdict, Verifier

DRUG_TARGET_DATASETS = ("DrugBank Drug Targets",
                        "Guide to Pharmacology Chemical Ligands of Receptors",
                        "DrugCentral Targets")


class DtiKgVerifier(Verifier):
    name = "dti-kg"
    version = "1"
    description = "binds_to / modulates_complex against curated drug-target and PPI edges"
    primitives = ("binds_to", "modulates_complex")

    class Options(BaseModel):
        model_config = ConfigDict(extra="forbid", frozen=True)
        harmonizome_datasets: tuple[str, ...] = Field(
            DRUG_TARGET_DATASETS, description="Harmonizome datasets read as curated targets")

    def judge(self, subjects: list[ClaimRow]) -> list[Verdict]:
        drug_claims, ppi_claims, verdicts = [], [], []
        for claim in subjects:
            if claim.primitive == "binds_to" and claim.entity_keys("actor", "Drug") \
                    and claim.entity_keys("target", "Gene"):
                drug_claims.append(claim)
            elif claim.primitive == "binds_to" and claim.entity_keys("actor", "Gene") \
                    and claim.entity_keys("target", "Gene"):
                ppi_claims.append(claim)
            elif claim.primitive == "modulates_complex":
                ppi_claims.append(claim)
            else:
                verdicts.append(_ungrounded(claim))
        verdicts += self._drug_targets(drug_claims)
        verdicts += self._ppi(ppi_claims)
        return verdicts

    def _drug_targets(self, claims: list[ClaimRow]) -> list[Verdict]:
        if not claims:
            return []
        drugs: dict[str, set[str]] = {}  # drug key -> its Harmonizome attributes, all claims
        for c in claims:
            attributes = {e["key"] for m in c.role("actor") for e in m.entities
                          if e["label"] == "HarmonizomeAttribute"}
            for k in c.entity_keys("actor", "Drug"):
                drugs.setdefault(k, set()).update(attributes)
        rows = self.query("verifiers/dti_drug_targets",
                          drugs=[{"drug": k, "attributes": sorted(a)}
                                 for k, a in sorted(drugs.items())],
                          datasets=[normalise_text(d) for d in
                                    self.options.harmonizome_datasets])
        targets = {r["drug"]: r["targets"] for r in rows}
        verdicts = []
        for claim in claims:
            genes = claim.entity_keys("target", "Gene")
            known = [t for d in claim.entity_keys("actor", "Drug") for t in targets.get(d, [])]
            hits = [dict(t, drug=d) for d in claim.entity_keys("actor", "Drug")
                    for t in targets.get(d, []) if t["gene"] in genes]
            evidence: dict[str, Any] = {"drugs": claim.entity_keys("actor", "Drug"),
                                        "proteins": genes}
            if hits:
                evidence["edges"] = hits
                kinds = sorted({h["kind"] for h in hits})
                verdicts.append(Verdict(claim.key, Status.SUPPORTED, Reason.CURATED_TARGET, 1.0,
                                        evidence=dict(evidence, kinds=kinds)))
            elif known:
                evidence["curated_targets"] = sorted({t["symbol"] or t["gene"]
                                                      for t in known})[:50]
                evidence["sources"] = sorted({t["release"] for t in known if t["release"]})
                verdicts.append(Verdict(claim.key, Status.REFUTED, Reason.NOT_A_CURATED_TARGET, 0.0,
                                        evidence=evidence))
            else:
                verdicts.append(Verdict(claim.key, Status.UNVERIFIABLE, Reason.NO_CURATED_TARGETS,
                                        evidence=evidence))
        return verdicts

    def _ppi(self, claims: list[ClaimRow]) -> list[Verdict]:
        groups: dict[str, list[list[str]]] = {}  # claim -> the entity keys of each member
        for claim in claims:
            if claim.primitive == "binds_to":
                groups[claim.key] = [claim.entity_keys("actor", "Gene"),
                                     claim.entity_keys("target", "Gene")]
            else:
                groups[claim.key] = [m.keys("Gene") for m in claim.role("members")
                                     if m.keys("Gene")]
        pairs = {tuple(sorted(p)) for members in groups.values()
                 for x, y in combinations(members, 2) for p in product(x, y) if p[0] != p[1]}
        rows = self.query("verifiers/ppi_edges",
                          pairs=[{"a": a, "b": b} for a, b in sorted(pairs)]) if pairs else []
        edges = {tuple(sorted((r["a"], r["b"]))): r for r in rows}
        verdicts = []
        for claim in claims:
            members = groups[claim.key]
            if len(members) < 2:
                verdicts.append(Verdict(claim.key, Status.UNVERIFIABLE,
                                        Reason.TOO_FEW_GROUNDED_PROTEINS,
                                        evidence={"grounded": members}))
                continue
            linked, found = set(), []
            for (i, x), (j, y) in combinations(enumerate(members), 2):
                for a, b in product(x, y):
                    edge = edges.get(tuple(sorted((a, b))))
                    if edge:
                        linked.update((i, j))
                        found.append(edge)
            evidence = {"proteins": members, "edges": found}
            if len(linked) == len(members):
                verdicts.append(Verdict(claim.key, Status.SUPPORTED, Reason.PPI_EDGE, 1.0,
                                        evidence=evidence))
            else:
                verdicts.append(Verdict(claim.key, Status.UNVERIFIABLE, Reason.NO_PPI_EDGE,
                                        evidence=evidence))
        return verdicts


def _ungrounded(claim: ClaimRow) -> Verdict:
    return Verdict(claim.key, Status.UNVERIFIABLE, Reason.UNGROUNDED_ENTITIES, evidence={
        "mentions": [{"role": m.role, "text": m.text, "entities": m.entities}
                     for m in claim.mentions]})
