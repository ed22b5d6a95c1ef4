"""``de``: ``regulates_expression`` against Tahoe-100M differential expression.

For the claim's context (drug, cell line) every DE experiment (each concentration) is looked
up; for each gene of ``gene_list`` a verdict (``part`` = the gene):

- **supported**: in at least one experiment padj < ``padj`` and log2FC beyond ``t`` in the
  claimed direction (the strongest such call is the evidence);
- **refuted / opposite_direction**: no experiment shows the claimed direction, one shows the
  opposite;
- **refuted / not_de**: tested (non-null p-value) in some experiment, significant in none;
- **unverifiable / not_measured**: the gene was not tested in any experiment of the context;
- **unverifiable / no_de_experiment**: no DE data for the (drug, cell line).

Defaults are the paper's: padj < 0.05, |log2FC| ≥ t with t = 1.5. The graph keeps only calls
beyond the load's own cut-offs (``vctrace load tahoe-de --padj --min-abs-lfc``), so a
threshold looser than the load's cannot be decided: such verdicts are ``error /
threshold_below_load_cutoff`` rather than silently wrong. Score: the log2FC of the evidence
call (signed), threshold: ``t``.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ..kg import gene_bitmap
from ..kg.grounding import compact
from ..traces.identity import normalise_text
from .base import ClaimRow, Reason, Status, Verdict, Verifier


class DEVerifier(Verifier):
    name = "de"
    version = "1"
    description = "regulates_expression genes against Tahoe DE (padj < 0.05, |log2FC| >= t)"
    primitives = ("regulates_expression",)

    class Options(BaseModel):
        model_config = ConfigDict(extra="forbid", frozen=True)
        t: float = Field(1.5, ge=0, description="|log2FC| threshold")
        padj: float = Field(0.05, gt=0, le=1, description="adjusted p-value threshold")

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._universes: dict[str, dict[str, int]] = {}

    def judge(self, subjects: list[ClaimRow]) -> list[Verdict]:
        contexts = {(c.drug or "", c.cell_line or "") for c in subjects}
        experiments = self._experiments(contexts)
        genes_of = {c.key: self._genes(c) for c in subjects}
        calls = self._calls(subjects, experiments, genes_of)
        verdicts = []
        for claim in subjects:
            direction = str(claim.args.get("direction", "")).lower()
            exps = experiments.get((claim.drug or "", claim.cell_line or ""), [])
            for text, keys in genes_of[claim.key]:
                verdicts.append(self._gene(claim.key, text, keys, direction, exps, calls))
        return verdicts

    def _genes(self, claim: ClaimRow) -> list[tuple[str, list[str]]]:
        """(gene as written, candidate Gene keys) for each gene of the list; an ungrounded
        name is looked up by its normalised form (the key Tahoe genes get)."""
        out = []
        for m in claim.role("gene_list"):
            out.append((m.text, m.keys("Gene") or [normalise_text(m.text)]))
        return out

    def _experiments(self, contexts: set[tuple[str, str]]) -> dict[tuple[str, str], list]:
        rows = [{"id": i, "drug_forms": sorted({d, compact(d)}),
                 "cell_forms": sorted({c, compact(c)})}
                for i, (d, c) in enumerate(sorted(contexts)) if d and c]
        by_id = {i: ctx for i, ctx in enumerate(sorted(contexts))}
        found = self.query("verifiers/de_experiments", contexts=rows) if rows else []
        out = {by_id[r["id"]]: r["experiments"] for r in found}
        for exps in out.values():
            for e in exps:
                e["options"] = json.loads(e.pop("options_json", None) or "{}")
        missing = {e["universe"] for exps in out.values() for e in exps} - set(self._universes)
        if missing:
            for r in self.query("verifiers/gene_universes", keys=sorted(missing)):
                self._universes[r["key"]] = {normalise_text(g): i
                                             for i, g in enumerate(r["genes"])}
        return out

    def _calls(self, subjects: list[ClaimRow], experiments: dict, genes_of: dict
               ) -> dict[tuple[str, str], dict[str, Any]]:
        wanted: dict[str, set[str]] = {}
        for claim in subjects:
            for exp in experiments.get((claim.drug or "", claim.cell_line or ""), []):
                wanted.setdefault(exp["key"], set()).update(
                    k for _, keys in genes_of[claim.key] for k in keys)
        if not wanted:
            return {}
        rows = self.query("verifiers/de_calls", rows=[
            {"experiment": e, "genes": sorted(g)} for e, g in sorted(wanted.items())])
        return {(r["experiment"], r["gene"]): r for r in rows[0]["rows"]}

    def _gene(self, claim: str, text: str, keys: list[str], direction: str,
              experiments: list[dict[str, Any]], calls: dict) -> Verdict:
        t, padj = self.options.t, self.options.padj
        base = {"gene": text, "gene_keys": keys, "claimed": direction}
        if direction not in ("up", "down"):
            return Verdict(claim, Status.UNVERIFIABLE, Reason.DIRECTION_NOT_UP_OR_DOWN, threshold=t,
                           evidence=base, part=text)
        if not experiments:
            return Verdict(claim, Status.UNVERIFIABLE, Reason.NO_DE_EXPERIMENT, threshold=t,
                           evidence=base, part=text)
        for exp in experiments:
            options = exp["options"]
            if t < float(options.get("min_abs_lfc", 0)) or padj > float(options.get("padj", 1)):
                return Verdict(claim, Status.ERROR, Reason.THRESHOLD_BELOW_LOAD_CUTOFF, threshold=t,
                               evidence=dict(base, load_options=options,
                                             experiment=exp["key"]), part=text)
        observed, tested = [], []
        for exp in experiments:
            universe = self._universes.get(exp["universe"], {})
            for key in keys:
                index = universe.get(key)
                if index is not None and gene_bitmap.is_set(exp["tested_bitmap"], index):
                    tested.append(exp["key"])
                call = calls.get((exp["key"], key))
                if call and call["padj"] is not None and call["padj"] < padj \
                        and abs(call["log2fc"]) >= t:
                    observed.append(dict(call, direction="up" if call["log2fc"] > 0 else "down",
                                         concentration=exp["concentration"],
                                         unit=exp["unit"], release=exp["release"]))
        evidence = dict(base, experiments=[e["key"] for e in experiments],
                        tested_in=sorted(set(tested)), calls=observed)
        same = [c for c in observed if c["direction"] == direction]
        if same:
            best = min(same, key=lambda c: c["padj"])
            return Verdict(claim, Status.SUPPORTED, Reason.OBSERVED, best["log2fc"], t,
                           evidence, part=text)
        if observed:
            best = min(observed, key=lambda c: c["padj"])
            return Verdict(claim, Status.REFUTED, Reason.OPPOSITE_DIRECTION, best["log2fc"], t,
                           evidence, part=text)
        if tested:
            return Verdict(claim, Status.REFUTED, Reason.NOT_DE, None, t, evidence, part=text)
        return Verdict(claim, Status.UNVERIFIABLE, Reason.NOT_MEASURED, None, t, evidence,
                       part=text)
