"""``dti-kg``: ``binds_to`` and ``modulates_complex`` against curated knowledge-graph edges.

- drug → protein ``binds_to``: supported when the protein is a curated target of the drug
  (PrimeKG ``drug_protein``: target / enzyme / carrier / transporter; Tahoe-100M listed
  targets; Harmonizome drug-target datasets named in ``harmonizome_datasets``); score 1 (the
  "1/0 from curated evidence" of the DTI score).

  Curated lists are incomplete (Tahoe lists one or two targets per drug), so by default
  (``world="open"``, spec/verification.md) a protein absent from every curated list of the
  drug is *unverifiable* (``not_in_curated_targets``), never refuted. A binding is refuted
  (``curated_non_target``, score 0) only on positive evidence against it: an explicit negative
  record ``(:Drug)-[:NOT_TARGET {source, release}]->(:Gene)`` (the graph shape a loader of
  negative data — inactive assay results, a curated non-binder list — writes; none of the
  bundled loaders provides one yet). The other refuting signal is Boltz-2 below τ: that is
  ``dti-boltz``'s verdict, which the metrics and refine policy prefer to this one. A positive
  and a negative record for the same pair is ``conflicting_curated_records`` (unverifiable,
  both in the evidence).

  ``world="closed"`` (``--dti-world closed``) keeps the earlier proxy for users without a
  GPU: each drug's curated list is read as complete, and a protein not on a drug's non-empty
  list is *refuted* (``not_a_curated_target``, score 0). The choice is an option, so it is
  recorded with the run (its ``verifiers_json``) and in every verdict's evidence (``world``).
  A drug without any curated record is *unverifiable* (``no_curated_targets``) in both.
  :mod:`vctrace.runs.leave_one_out` measures what the closed world costs: true targets hidden
  one at a time are refuted there and unverifiable here.
- protein → protein ``binds_to`` and ``modulates_complex`` (members): supported by PrimeKG
  ``protein_protein`` edges. Interaction maps are far from complete, so a missing edge is
  *unverifiable* (``no_ppi_edge``), never a refutation.
"""

from __future__ import annotations

from itertools import combinations, product
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..traces.identity import normalise_text
from .base import ClaimRow, Reason, Status, Verdict, Verifier

DRUG_TARGET_DATASETS = ("DrugBank Drug Targets",
                        "Guide to Pharmacology Chemical Ligands of Receptors",
                        "DrugCentral Targets")


class DtiKgVerifier(Verifier):
    name = "dti-kg"
    version = "2"  # 2: open world by default (absence is unverifiable); negative records
    description = "binds_to / modulates_complex against curated drug-target and PPI edges"
    primitives = ("binds_to", "modulates_complex")

    class Options(BaseModel):
        model_config = ConfigDict(extra="forbid", frozen=True)
        harmonizome_datasets: tuple[str, ...] = Field(
            DRUG_TARGET_DATASETS, description="Harmonizome datasets read as curated targets")
        world: Literal["open", "closed"] = Field(
            "open", description="open: a protein on no curated list of the drug is "
            "unverifiable; closed: it is refuted (a proxy for runs without Boltz-2)",
            json_schema_extra={"cli": "--dti-world"})

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
        records = self.curated_records(claims)
        return [binding_verdict(claim, records, self.options.world) for claim in claims]

    def curated_records(self, claims: list[ClaimRow]) -> dict[str, list[dict[str, Any]]]:
        """Drug key -> its curated target records (``gene``, ``symbol``, ``kind``,
        ``source``, ``release``, ``negative``) for the drugs of drug → protein ``claims``,
        Harmonizome attributes grounded from each claim's actor included."""
        drugs: dict[str, set[str]] = {}  # drug key -> its Harmonizome attributes, all claims
        for c in claims:
            attributes = {e["key"] for m in c.role("actor") for e in m.entities
                          if e["label"] == "HarmonizomeAttribute"}
            for k in c.entity_keys("actor", "Drug"):
                drugs.setdefault(k, set()).update(attributes)
        return self.records_of(drugs)

    def records_of(self, drugs: dict[str, set[str]]) -> dict[str, list[dict[str, Any]]]:
        """Drug key -> its curated target records, for drugs given with their Harmonizome
        attribute keys."""
        rows = self.query("verifiers/dti_drug_targets",
                          drugs=[{"drug": k, "attributes": sorted(a)}
                                 for k, a in sorted(drugs.items())],
                          datasets=[normalise_text(d) for d in
                                    self.options.harmonizome_datasets]) if drugs else []
        return {r["drug"]: r["targets"] for r in rows}

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


def binding_verdict(claim: ClaimRow, records: dict[str, list[dict[str, Any]]],
                    world: str = "open") -> Verdict:
    """The verdict on a drug → protein ``binds_to`` claim given the curated records of its
    drugs (:meth:`DtiKgVerifier.curated_records`) and the world (module docstring)."""
    drugs, genes = claim.entity_keys("actor", "Drug"), claim.entity_keys("target", "Gene")
    wanted = set(genes)
    mine = [(d, t) for d in drugs for t in records.get(d, [])]
    known = [t for _, t in mine if not t.get("negative")]
    # only the records about the claimed proteins are copied (with their drug) into evidence
    hits = [dict(t, drug=d) for d, t in mine if not t.get("negative") and t["gene"] in wanted]
    against = [dict(t, drug=d) for d, t in mine if t.get("negative") and t["gene"] in wanted]
    evidence: dict[str, Any] = {"drugs": drugs, "proteins": genes, "world": world}
    if hits:
        evidence.update(edges=hits, kinds=sorted({h["kind"] for h in hits}))
    if against:
        evidence["negative_records"] = against
    if hits and against:
        return Verdict(claim.key, Status.UNVERIFIABLE, Reason.CONFLICTING_CURATED_RECORDS,
                       evidence=evidence)
    if hits:
        return Verdict(claim.key, Status.SUPPORTED, Reason.CURATED_TARGET, 1.0,
                       evidence=evidence)
    if against:
        return Verdict(claim.key, Status.REFUTED, Reason.CURATED_NON_TARGET, 0.0,
                       evidence=evidence)
    if not known:
        return Verdict(claim.key, Status.UNVERIFIABLE, Reason.NO_CURATED_TARGETS,
                       evidence=evidence)
    evidence["curated_targets"] = sorted({t["symbol"] or t["gene"] for t in known})[:50]
    evidence["sources"] = sorted({t["release"] for t in known if t["release"]})
    if world == "closed":
        return Verdict(claim.key, Status.REFUTED, Reason.NOT_A_CURATED_TARGET, 0.0,
                       evidence=evidence)
    return Verdict(claim.key, Status.UNVERIFIABLE, Reason.NOT_IN_CURATED_TARGETS,
                   evidence=evidence)


def _ungrounded(claim: ClaimRow) -> Verdict:
    return Verdict(claim.key, Status.UNVERIFIABLE, Reason.UNGROUNDED_ENTITIES, evidence={
        "mentions": [{"role": m.role, "text": m.text, "entities": m.entities}
                     for m in claim.mentions]})
