"""Leave-one-target-out: what reading curated target lists as closed costs.

For every drug whose loaded curated lists (PrimeKG ``drug_protein``, Tahoe targets, the
Harmonizome drug-target datasets of ``dti-kg``) name at least ``min_targets`` distinct genes,
each of its targets in turn is hidden from the lists and the true claim "drug binds that
target" is judged by ``dti-kg``'s own decision (:func:`vctrace.verifiers.dti_kg.binding_verdict`)
on the remaining records, once per world:

- **closed** (``--dti-world closed``): the hidden target is not on the drug's (still
  non-empty) list, so the true binding is *refuted* (``not_a_curated_target``): a false
  refutation, which the discard policy turns into a discarded trace;
- **open** (the default): it is *unverifiable* (``not_in_curated_targets``); it is refuted
  only where an explicit negative record names the pair (``curated_non_target``).

Every hidden pair is a true binding, so the share refuted is the verifier's false-refutation
rate on incomplete lists, and the claims double as the specificity probes of a robustness
check (:attr:`LeaveOneOutResult.rows` carries each drug, hidden gene and both verdicts). The
graph is only read.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any, Iterator

from ..kg.graph import Graph
from ..verifiers.base import ClaimRow, Mention
from ..verifiers.dti_kg import DtiKgVerifier, binding_verdict

WORLDS = ("closed", "open")


@dataclass
class HiddenTarget:
    """One drug with one of its curated targets hidden, and the verdict in each world."""

    drug: str
    drug_name: str
    gene: str
    symbol: str
    targets_left: int
    verdicts: dict[str, tuple[str, str]]  # world -> (status, reason)


@dataclass
class LeaveOneOutResult:
    drugs: int = 0
    pairs: int = 0
    statuses: dict[str, Counter] = field(default_factory=lambda: {w: Counter() for w in WORLDS})
    reasons: dict[str, Counter] = field(default_factory=lambda: {w: Counter() for w in WORLDS})
    rows: list[HiddenTarget] = field(default_factory=list)

    def share(self, world: str, status: str) -> float | None:
        """The share of hidden true targets judged ``status`` in ``world``."""
        return self.statuses[world][status] / self.pairs if self.pairs else None

    def summary(self) -> dict[str, Any]:
        """The figures as plain data (drugs, pairs, per world: status counts, reason counts,
        share refuted)."""
        return {"drugs": self.drugs, "pairs": self.pairs, **{
            world: {"statuses": dict(self.statuses[world]),
                    "reasons": dict(self.reasons[world]),
                    "refuted_share": self.share(world, "refuted")} for world in WORLDS}}

    def as_dict(self) -> dict[str, Any]:
        return dict(self.summary(), rows=[asdict(r) for r in self.rows])


def _claim(drug: dict[str, Any], target: dict[str, Any]) -> ClaimRow:
    """The claim ``binds_to(actor=drug, target=gene)``, grounded as the verifier sees one."""
    actor = [{"key": drug["drug"], "label": "Drug"}] + \
        [{"key": a, "label": "HarmonizomeAttribute"} for a in drug["attributes"]]
    symbol = target["symbol"] or target["gene"]
    return ClaimRow(key=f"loo:{drug['drug']}:{target['gene']}", primitive="binds_to",
                    args={"actor": drug["name"], "target": symbol}, drug=None, cell_line=None,
                    mentions=[Mention("actor", drug["name"], actor),
                              Mention("target", symbol, [{"key": target["gene"],
                                                          "label": "Gene"}])])


def hidden_target_claims(graph: Graph, *, min_targets: int = 2, limit: int | None = None,
                         options: dict[str, Any] | None = None, batch_size: int = 500
                         ) -> Iterator[tuple[ClaimRow, dict[str, list[dict[str, Any]]],
                                             dict[str, Any]]]:
    """Each (claim of a hidden true target, the drug's curated records without it, drug row)
    for drugs with at least ``min_targets`` distinct curated target genes, in drug key order
    (``limit``: at most that many drugs). ``options``: ``dti-kg`` options (its Harmonizome
    datasets)."""
    verifier = DtiKgVerifier(graph, {k: v for k, v in (options or {}).items() if k != "world"})
    drugs = graph.read("verifiers/drugs_with_curated_targets",
                       datasets=list(verifier.options.harmonizome_datasets))
    taken = 0
    for start in range(0, len(drugs), batch_size):
        chunk = drugs[start:start + batch_size]
        records = verifier.records_of({d["drug"]: set(d["attributes"]) for d in chunk})
        for drug in chunk:
            mine = records.get(drug["drug"], [])
            genes = {t["gene"]: t for t in mine if not t.get("negative")}
            if len(genes) < min_targets:
                continue
            if limit is not None and taken >= limit:
                return
            taken += 1
            for gene, target in sorted(genes.items()):
                left = [t for t in mine if t["gene"] != gene or t.get("negative")]
                yield _claim(drug, target), {drug["drug"]: left}, drug


def leave_one_target_out(graph: Graph, *, min_targets: int = 2, limit: int | None = None,
                         options: dict[str, Any] | None = None,
                         keep_rows: bool = True) -> LeaveOneOutResult:
    """Hide each curated target of each drug with ``min_targets`` or more, judge the true
    claim in the closed and the open world, and count (module docstring)."""
    result = LeaveOneOutResult()
    seen: set[str] = set()
    for claim, records, drug in hidden_target_claims(graph, min_targets=min_targets,
                                                     limit=limit, options=options):
        seen.add(drug["drug"])
        result.pairs += 1
        verdicts = {}
        for world in WORLDS:
            v = binding_verdict(claim, records, world)
            verdicts[world] = (v.status.value, v.reason.value)
            result.statuses[world][v.status.value] += 1
            result.reasons[world][v.reason.value] += 1
        if keep_rows:
            left = {t["gene"] for t in records[drug["drug"]] if not t.get("negative")}
            result.rows.append(HiddenTarget(drug["drug"], drug["name"],
                                            claim.mentions[1].entities[0]["key"],
                                            claim.args["target"], len(left), verdicts))
    result.drugs = len(seen)
    return result
