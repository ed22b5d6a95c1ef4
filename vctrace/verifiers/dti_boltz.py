"""``dti-boltz``: drug → protein ``binds_to`` scored by Boltz-2 (GPU).

Protein sequences come from a FASTA the user gives (``fasta``; UniProt headers are matched by
gene name), SMILES from the drug table (Tahoe-100M ``canonical_smiles``). Each distinct
(sequence, SMILES) pair is predicted once: results are cached in Neo4j as
``(:BoltzScore {key: pair id})`` and reused by every later claim and run. Decision:
``affinity_probability_binary`` ≥ ``tau`` (0.5, the paper's τ) → supported, below → refuted;
score = the probability. No output for a pair → *unverifiable* (``model_output_missing``),
never "does not bind". ``boltz predict`` failing as a whole raises ``BoltzRunError``: the run
stops with nothing stored for the batch and can be resumed once the cause is fixed.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from pydantic import Field

from ..traces.identity import normalise_text
from .base import ClaimRow, Reason, Status, Verdict, Verifier
from ._boltz import BoltzSettings, build_yaml, ligand_problem, pair_id, read_fasta, run_boltz

CONFIDENCE_FIELDS = ("confidence_score", "iptm", "ligand_iptm", "protein_iptm",
                     "complex_plddt", "complex_iplddt")


class DtiBoltzVerifier(Verifier):
    name = "dti-boltz"
    version = "1"
    description = "drug-protein binds_to scored by Boltz-2 affinity (probability >= tau)"
    primitives = ("binds_to",)
    cli_prefix = "boltz-"

    class Options(BoltzSettings):
        """How Boltz is called (:class:`BoltzSettings`), plus what the verifier decides with."""

        fasta: str | None = Field(None, description="UniProt FASTA of the target proteins",
                                  json_schema_extra={"cli": "--fasta"})
        tau: float = Field(0.5, ge=0, le=1, description="binder probability threshold",
                           json_schema_extra={"cli": "--tau"})
        work_dir: str | None = Field(None, description="keep inputs and outputs here "
                                     "(default: a temporary folder)")

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        o = self.options
        self.sequences = read_fasta(Path(o.fasta)) if o.fasta else {}
        self.settings = BoltzSettings(**o.model_dump(include=set(BoltzSettings.model_fields)))
        self.last_log: Path | None = None

    def judge(self, subjects: list[ClaimRow]) -> list[Verdict]:
        tau = self.options.tau
        drugs = sorted({k for c in subjects for k in c.entity_keys("actor", "Drug")})
        smiles = {r["key"]: r["smiles"] for r in
                  self.query("verifiers/drug_smiles", keys=drugs)} if drugs else {}
        plans: dict[str, dict[str, Any]] = {}
        verdicts = []
        for claim in subjects:
            plan, problem = self._plan(claim, smiles)
            if problem:
                verdicts.append(Verdict(claim.key, Status.UNVERIFIABLE, problem[0], None, tau,
                                        evidence=problem[1]))
            else:
                plans[claim.key] = plan
        results = self._results(plans)
        for key, plan in plans.items():
            score = results.get(plan["pair"])
            evidence = {k: plan[k] for k in ("pair", "drug", "gene", "smiles", "msa")}
            if score is None:
                verdicts.append(Verdict(key, Status.UNVERIFIABLE, Reason.MODEL_OUTPUT_MISSING, None,
                                        tau, evidence=dict(evidence, log=str(self.last_log))))
                continue
            evidence.update(probability=score["probability"], pred_value=score["pred_value"],
                            ic50_um=10 ** score["pred_value"], cached=score["cached"],
                            confidence=json.loads(score["confidence_json"]))
            status = Status.SUPPORTED if score["probability"] >= tau else Status.REFUTED
            reason = Reason.PREDICTED_BINDER if status is Status.SUPPORTED else "predicted_non_binder"
            verdicts.append(Verdict(key, status, reason, score["probability"], tau, evidence))
        return verdicts

    def _plan(self, claim: ClaimRow, smiles: dict[str, str | None]):
        drugs = claim.entity_keys("actor", "Drug")
        genes = claim.entity_keys("target", "Gene") or \
            [normalise_text(m.text) for m in claim.role("target")]
        with_smiles = [(d, smiles.get(d)) for d in drugs if smiles.get(d)]
        if not drugs:
            return None, (Reason.ACTOR_NOT_A_DRUG, {"actor": [m.text for m in claim.role("actor")]})
        if not with_smiles:
            return None, (Reason.NO_SMILES, {"drugs": drugs})
        drug, ligand = with_smiles[0]
        problem = ligand_problem(ligand)
        if problem:
            return None, (Reason.LIGAND_REJECTED, {"drug": drug, "problem": problem})
        found = [(g, self.sequences[g]) for g in genes if g in self.sequences]
        if not found:
            why = Reason.NO_FASTA_GIVEN if not self.sequences else Reason.NO_SEQUENCE
            return None, (why, {"genes": genes})
        gene, sequence = found[0]
        msa = self.settings.msa_for(gene)
        return {"pair": pair_id(sequence, ligand, self.settings.variant(msa)), "drug": drug,
                "gene": gene,
                "smiles": ligand, "sequence": sequence, "msa": msa}, None

    def _results(self, plans: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """Scores of every planned pair: from the cache, else predicted now (and cached)."""
        pairs = {p["pair"]: p for p in plans.values()}
        if not pairs:
            return {}
        cached = {r["score"]["key"]: dict(r["score"], cached=True) for r in
                  self.query("verifiers/boltz_scores", keys=sorted(pairs))}
        todo = {pid: build_yaml(p["sequence"], p["smiles"], p["msa"])
                for pid, p in pairs.items() if pid not in cached}
        if not todo:
            return cached
        keep = bool(self.options.work_dir)  # a folder the user chose keeps the structures
        work = Path(self.options.work_dir or tempfile.mkdtemp(prefix="vctrace-boltz-"))
        results, self.last_log = run_boltz(self.settings, todo, work, keep_files=keep)
        rows = []
        for pid, r in results.items():
            p = pairs[pid]
            rows.append({"key": pid, "props": {
                "probability": r.probability, "pred_value": r.pred_value,
                "affinity_json": json.dumps(r.affinity, sort_keys=True),
                "confidence_json": json.dumps({k: r.confidence.get(k) for k in
                                               CONFIDENCE_FIELDS}, sort_keys=True),
                "drug": p["drug"], "gene": p["gene"], "smiles": p["smiles"],
                "sequence_length": len(p["sequence"]), "msa": p["msa"], "model": "boltz-2",
                "command": " ".join(self.settings.command(Path("<in>"), Path("<out>")))}})
        if rows:
            self.graph.write("verifiers/merge_boltz_scores", rows=rows)
        fresh = {r["key"]: dict(r["props"], key=r["key"], cached=False) for r in rows}
        return {**cached, **fresh}
