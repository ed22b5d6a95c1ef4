"""``dti-boltz``: drug → protein ``binds_to`` scored by Boltz-2 (GPU).

Protein sequences come from a FASTA the user gives (``fasta``; UniProt headers are matched by
gene name), SMILES from the drug table (Tahoe-100M ``canonical_smiles``). Each distinct
(sequence, SMILES) pair is predicted once: results are cached in Neo4j as
``(:BoltzScore {key: pair id})`` and reused by every later claim and run. Decision:
``affinity_probability_binary`` ≥ ``tau`` (0.5, the paper's τ) → supported, below → refuted;
score = the probability. No output for a pair → *unverifiable* (``model_output_missing``),
never "does not bind". ``boltz predict`` failing as a whole raises ``BoltzRunError``: the run
stops with nothing stored for the batch and can be resumed once the cause is fixed.

Two backends run ``boltz predict``: ``local`` (default: one call per batch of claims on this
machine) and ``ray`` (``--boltz-backend ray`` or ``--ray-address``; the extra
``vctrace[ray]``): the pairs still to score become Ray tasks of a few pairs each
(:mod:`._boltz_ray`), and each finished task is cached at once, so a run killed midway only
scores again the tasks that were in flight (a failed task stops the run after the others).
Either way a pair is looked up in the cache before anything is submitted, submitted once,
and cached by ``MERGE`` on its id. How the work is spread does not change a verdict, so those
options are not part of the run record: a run started locally resumes on Ray and back.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from ..traces.identity import normalise_text
from .base import ClaimRow, Reason, Status, Verdict, Verifier
from ._boltz import (BoltzResult, BoltzSettings, build_yaml, ligand_problem, pair_id, read_fasta,
                     run_boltz)
from ._boltz_ray import fan_out, require_ray

CONFIDENCE_FIELDS = ("confidence_score", "iptm", "ligand_iptm", "protein_iptm",
                     "complex_plddt", "complex_iplddt")
EXECUTION_OPTIONS = frozenset({"backend", "ray_address", "ray_gpus", "ray_cpus",
                               "pairs_per_task", "ray_retries"})
"""Options that say where Boltz runs, not what it predicts: left out of the run record."""


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
                                     "(default: a temporary folder; with Ray, a folder every "
                                     "node can write)")
        backend: Literal["local", "ray"] | None = Field(
            None, description="where boltz predict runs: local (this machine, one call per "
            "batch of claims) or ray (pairs fanned out as Ray tasks, each finished task cached "
            "at once; needs vctrace[ray]). Default local, ray when --ray-address is given")
        ray_address: str | None = Field(
            None, description="Ray cluster to submit to (auto, HOST:PORT of the head, or "
            "ray://HOST:10001 with ray[client]); default RAY_ADDRESS, else a local Ray "
            "started on demand", json_schema_extra={"cli": "--ray-address"})
        ray_gpus: float | None = Field(
            None, ge=0, description="GPUs Ray reserves per task (fractions share a GPU); "
            "default: --boltz-devices with accelerator gpu, 0 with cpu")
        ray_cpus: float = Field(1.0, gt=0, description="CPUs Ray reserves per task")
        pairs_per_task: int | None = Field(
            None, ge=1, description="pairs per Ray task (one boltz predict call); default: "
            "an even share per free slot, at most 16")
        ray_retries: int = Field(3, ge=0, description="times Ray reruns a task whose worker "
                                 "died (a boltz failure is not retried)")

        @property
        def uses_ray(self) -> bool:
            return self.backend == "ray" or (self.backend is None and bool(self.ray_address))

        @model_validator(mode="after")
        def _ray_installed(self) -> "DtiBoltzVerifier.Options":
            if self.backend == "local" and self.ray_address:
                raise ValueError("--ray-address is for the ray backend, not --boltz-backend "
                                 "local")
            if self.uses_ray:
                require_ray()  # RayMissing (a ValueError): refused with the options
            return self

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        o = self.options
        self.sequences = read_fasta(Path(o.fasta)) if o.fasta else {}
        self.settings = BoltzSettings(**o.model_dump(include=set(BoltzSettings.model_fields)))
        self.last_log: Path | None = None
        self.logs: dict[str, str] = {}  # pair id -> log of the boltz call that had it

    @property
    def params(self) -> dict[str, Any]:
        """The options of the run record, without those saying where Boltz runs."""
        return self.options.model_dump(mode="json", exclude=set(EXECUTION_OPTIONS))

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
                log = self.logs.get(plan["pair"], str(self.last_log))
                verdicts.append(Verdict(key, Status.UNVERIFIABLE, Reason.MODEL_OUTPUT_MISSING, None,
                                        tau, evidence=dict(evidence, log=log)))
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
        fresh: dict[str, dict[str, Any]] = {}

        def store(ids: list[str], results: dict[str, BoltzResult], log: str) -> None:
            """Cache one boltz call's results at once (a later failure keeps them)."""
            self.last_log = Path(log)
            self.logs.update(dict.fromkeys(ids, log))
            rows = [self._row(pid, r, pairs[pid]) for pid, r in results.items()]
            if rows:
                self.graph.write("verifiers/merge_boltz_scores", rows=rows)
            fresh.update({r["key"]: dict(r["props"], key=r["key"], cached=False) for r in rows})

        o = self.options
        if o.uses_ray:
            gpus = o.ray_gpus if o.ray_gpus is not None else \
                (float(o.devices) if o.accelerator == "gpu" else 0.0)
            fan_out(self.settings, todo, store, address=o.ray_address,
                    pairs_per_task=o.pairs_per_task, num_gpus=gpus, num_cpus=o.ray_cpus,
                    retries=o.ray_retries, work_dir=o.work_dir)
        else:
            keep = bool(o.work_dir)  # a folder the user chose keeps the structures
            work = Path(o.work_dir or tempfile.mkdtemp(prefix="vctrace-boltz-"))
            results, log = run_boltz(self.settings, todo, work, keep_files=keep)
            store(list(todo), results, str(log))
        return {**cached, **fresh}

    def _row(self, pid: str, r: BoltzResult, p: dict[str, Any]) -> dict[str, Any]:
        """The cache row of one scored pair."""
        return {"key": pid, "props": {
            "probability": r.probability, "pred_value": r.pred_value,
            "affinity_json": json.dumps(r.affinity, sort_keys=True),
            "confidence_json": json.dumps({k: r.confidence.get(k) for k in
                                           CONFIDENCE_FIELDS}, sort_keys=True),
            "drug": p["drug"], "gene": p["gene"], "smiles": p["smiles"],
            "sequence_length": len(p["sequence"]), "msa": p["msa"], "model": "boltz-2",
            "command": " ".join(self.settings.command(Path("<in>"), Path("<out>")))}}
