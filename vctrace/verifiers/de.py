"""``de``: ``regulates_expression`` against Tahoe-100M differential expression.

For the claim's context (drug, cell line) the DE experiments (one per concentration) are
looked up; for each gene of ``gene_list`` a verdict (``part`` = the gene). In one experiment a
gene's *call* is ``up`` / ``down`` (padj < ``padj`` and log2FC beyond ``t``), ``not_de``
(tested, not significant) or ``not_measured``. Which experiments count is the ``dose``
option (``--dose``):

- ``consensus`` (default): every concentration counts, and they must agree (spec: "a claim
  and its opposite are never both supported");
- ``highest``: only the highest concentration's experiment;
- a concentration (``0.5``, ``0.5uM``, ``500 nM``): only that experiment (µM when no unit;
  nM / µM / mM are converted);
- ``any``: every concentration, and one in the claimed direction suffices (version 1's rule:
  it can support a claim and its opposite at once; kept for comparison only).

When the perturbation record of the traces asserting the claim states a dose (a ``dose`` or
``concentration`` key, with an optional unit key, in the perturbation or at the top of the
record), only that dose's experiment counts, whatever the option (the stated dose is the
claim's context). The claim's content key holds the (drug, cell line) but not the dose, so
one claim can be shared by traces stating different doses (or none): then no single dose is
the context and the option applies. Over the experiments that count:

- **supported / observed**: the claimed direction at least once, the opposite never (with
  ``any``: the claimed direction at least once); the strongest call is the evidence;
- **unverifiable / conflicting_doses**: the claimed direction at one dose, the opposite at
  another (undecided; not with ``any``);
- **refuted / opposite_direction**: the opposite direction, the claimed one never;
- **refuted / not_de**: tested in some experiment, significant in none;
- **unverifiable / not_measured**: the gene was not tested in any experiment that counts;
- **unverifiable / no_de_experiment**: no DE data for the (drug, cell line);
- **unverifiable / no_experiment_at_dose**: DE data, but none at the dose asked for.

Every counted dose's call is in the evidence (``doses``), with ``dose_mode`` and the stated
dose if any. Defaults are the paper's: padj < 0.05, |log2FC| ≥ t with t = 1.5. The graph keeps
only calls beyond the load's own cut-offs (``vctrace load tahoe-de --padj --min-abs-lfc``), so
a threshold looser than the load's cannot be decided: such verdicts are ``error /
threshold_below_load_cutoff`` rather than silently wrong. Score: the log2FC of the evidence
call (signed; none when doses conflict), threshold: ``t``.
"""

from __future__ import annotations

import gc
import json
import math
import re
from contextlib import contextmanager
from typing import Any, Iterator

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..kg import gene_bitmap
from ..kg.grounding import compact
from ..traces.identity import normalise_text
from .base import ClaimRow, Reason, Status, Verdict, Verifier


class DEVerifier(Verifier):
    name = "de"
    version = "2"  # 2: doses must agree (consensus), the dose option, stated doses
    description = "regulates_expression genes against Tahoe DE (padj < 0.05, |log2FC| >= t)"
    primitives = ("regulates_expression",)

    class Options(BaseModel):
        model_config = ConfigDict(extra="forbid", frozen=True)
        t: float = Field(1.5, ge=0, description="|log2FC| threshold")
        padj: float = Field(0.05, gt=0, le=1, description="adjusted p-value threshold")
        dose: str = Field("consensus", description="which concentrations count: consensus "
                          "(all, and they must agree), any, highest, or one concentration "
                          "such as 0.5 or 0.5uM")

        @field_validator("dose")
        @classmethod
        def _dose(cls, value: str) -> str:
            value = str(value).strip().lower()
            if value in DOSE_MODES or parse_dose(value) is not None:
                return value
            raise ValueError(f"{value!r} is not one of {', '.join(DOSE_MODES)} or a "
                             "concentration (0.5, 0.5uM, 500nM)")

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._universes: dict[str, dict[str, int]] = {}

    def judge(self, subjects: list[ClaimRow]) -> list[Verdict]:
        # a batch makes ~10 small dicts per gene, none of them cyclic: the cyclic collector
        # would only re-scan the batch's claim rows over and over (measured: most of the
        # Python time of a 5,000-claim batch), so it waits until the batch is judged
        with _collector_paused():
            return self._judge(subjects)

    def _judge(self, subjects: list[ClaimRow]) -> list[Verdict]:
        contexts = {(c.drug or "", c.cell_line or "") for c in subjects}
        experiments = self._experiments(contexts)
        genes_of = {c.key: self._genes(c) for c in subjects}
        calls = self._calls(subjects, experiments, genes_of)
        stated = self._stated_doses([c.key for c in subjects])
        verdicts: list[Verdict] = []
        plans: dict[tuple, _Plan] = {}  # (context, stated dose) -> what counts there
        for claim in subjects:
            direction = str(claim.args.get("direction", "")).lower()
            context = (claim.drug or "", claim.cell_line or "")
            dose = stated.get(claim.key)
            plan = plans.get((context, dose))
            if plan is None:
                plan = plans[(context, dose)] = self._plan(experiments.get(context, []), dose)
            verdicts += [plan.judge(claim.key, text, keys, direction, calls)
                         for text, keys in genes_of[claim.key]]
        return verdicts

    def _stated_doses(self, keys: list[str]) -> dict[str, tuple[float, str | None]]:
        """Claim key -> the dose the perturbations of its traces state, for claims whose
        every asserting trace states the same one (the claim key does not hold the dose, so
        traces that differ cannot narrow a verdict they share)."""
        out: dict[str, tuple[float, str | None]] = {}
        records = self.query("verifiers/claim_perturbations", keys=keys) if keys else []
        parsed: dict[str, tuple[float, str | None] | None] = {}  # the same record, once
        for r in records[0]["rows"] if records else []:
            doses = set()
            for p in r["perturbations"]:
                if p and p not in parsed:
                    parsed[p] = stated_dose(json.loads(p))
                doses.add(parsed[p] if p else None)
            if len(doses) == 1 and None not in doses:
                out[r["key"]] = doses.pop()
        return out

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

    def _plan(self, experiments: list[dict[str, Any]],
              stated: tuple[float, str | None] | None) -> "_Plan":
        """What counts for the claims of one context and stated dose (decided once for all
        their genes)."""
        return _Plan(self.options, experiments, stated, self._universes)

    def _gene(self, claim: str, text: str, keys: list[str], direction: str,
              experiments: list[dict[str, Any]], calls: dict,
              stated: tuple[float, str | None] | None = None) -> Verdict:
        """The verdict on one gene of a claim (``judge`` decides the plan once per context)."""
        return self._plan(experiments, stated).judge(claim, text, keys, direction, calls)


class _Plan:
    """The experiments that count for one context and stated dose, and the decision for each
    gene over them (module docstring). Everything that does not depend on the gene is worked
    out once here; ``judge`` only looks the gene's calls up."""

    def __init__(self, options: Any, experiments: list[dict[str, Any]],
                 stated: tuple[float, str | None] | None, universes: dict[str, dict[str, int]]):
        self.t, self.padj, self.mode = options.t, options.padj, options.dose
        self.stated, self.experiments = stated, experiments
        self.dose_mode = "stated" if stated else self.mode
        self.conflicts = self.mode != "any" or bool(stated)
        self.counted = select_experiments(experiments, self.mode, stated) if experiments else []
        self.cutoff = next((exp for exp in self.counted
                            if self.t < float(exp["options"].get("min_abs_lfc", 0))
                            or self.padj > float(exp["options"].get("padj", 1))), None)
        self.where = [(exp["key"], exp["concentration"], exp["unit"], exp["release"],
                       universes.get(exp["universe"], {}), exp["tested_bitmap"])
                      for exp in self.counted]

    def _base(self, text: str, keys: list[str], direction: str) -> dict[str, Any]:
        base: dict[str, Any] = {"gene": text, "gene_keys": keys, "claimed": direction,
                                "dose_mode": self.dose_mode}
        if self.stated:
            base["stated_dose"] = {"concentration": self.stated[0], "unit": self.stated[1]}
        return base

    def judge(self, claim: str, text: str, keys: list[str], direction: str,
              calls: dict) -> Verdict:
        t = self.t
        base = self._base(text, keys, direction)
        if direction not in ("up", "down"):
            return Verdict(claim, Status.UNVERIFIABLE, Reason.DIRECTION_NOT_UP_OR_DOWN, threshold=t,
                           evidence=base, part=text)
        if not self.experiments:
            return Verdict(claim, Status.UNVERIFIABLE, Reason.NO_DE_EXPERIMENT, threshold=t,
                           evidence=base, part=text)
        if not self.counted:
            base["available_doses"] = [{"concentration": e["concentration"], "unit": e["unit"]}
                                       for e in self.experiments]
            return Verdict(claim, Status.UNVERIFIABLE, Reason.NO_EXPERIMENT_AT_DOSE, threshold=t,
                           evidence=base, part=text)
        if self.cutoff is not None:
            base.update(load_options=self.cutoff["options"], experiment=self.cutoff["key"])
            return Verdict(claim, Status.ERROR, Reason.THRESHOLD_BELOW_LOAD_CUTOFF, threshold=t,
                           evidence=base, part=text)
        padj, is_set = self.padj, gene_bitmap.is_set
        doses: list[dict[str, Any]] = []
        observed: list[dict[str, Any]] = []
        same: list[dict[str, Any]] = []
        opposite: list[dict[str, Any]] = []
        tested_in = set()
        for experiment, concentration, unit, release, universe, bitmap in self.where:
            measured = False
            for key in keys:
                row = calls.get((experiment, key))
                if row is not None and row["padj"] is not None and row["padj"] < padj \
                        and abs(row["log2fc"]) >= t:
                    call = "up" if row["log2fc"] > 0 else "down"
                    seen = dict(row, direction=call, concentration=concentration, unit=unit,
                                release=release)
                    observed.append(seen)
                    (same if call == direction else opposite).append(seen)
                elif row is None:
                    index = universe.get(key)
                    if index is None or not is_set(bitmap, index):
                        continue
                    call = "not_de"
                else:
                    call = "not_de"
                measured = True
                doses.append({"experiment": experiment, "concentration": concentration,
                              "unit": unit, "release": release, "gene_key": key, "call": call,
                              "log2fc": None if row is None else row["log2fc"],
                              "padj": None if row is None else row["padj"]})
            if measured:
                tested_in.add(experiment)
            else:
                doses.append({"experiment": experiment, "concentration": concentration,
                              "unit": unit, "release": release, "gene_key": None,
                              "call": "not_measured", "log2fc": None, "padj": None})
        base.update(experiments=[w[0] for w in self.where], tested_in=sorted(tested_in),
                    calls=observed, doses=doses)
        if same and opposite and self.conflicts:
            return Verdict(claim, Status.UNVERIFIABLE, Reason.CONFLICTING_DOSES, None, t,
                           base, part=text)
        if same:
            return Verdict(claim, Status.SUPPORTED, Reason.OBSERVED,
                           min(same, key=_padj)["log2fc"], t, base, part=text)
        if opposite:
            return Verdict(claim, Status.REFUTED, Reason.OPPOSITE_DIRECTION,
                           min(opposite, key=_padj)["log2fc"], t, base, part=text)
        if tested_in:
            return Verdict(claim, Status.REFUTED, Reason.NOT_DE, None, t, base, part=text)
        return Verdict(claim, Status.UNVERIFIABLE, Reason.NOT_MEASURED, None, t, base,
                       part=text)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector (reference counting still frees everything
    acyclic at once) and restore its state afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _padj(call: dict[str, Any]) -> float:
    return call["padj"]


DOSE_MODES = ("consensus", "any", "highest")
_MICROMOLAR = {"pm": 1e-6, "nm": 1e-3, "um": 1.0, "µm": 1.0, "μm": 1.0, "mm": 1e3, "m": 1e6}
_DOSE = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:e[-+]?[0-9]+)?)\s*([a-zµμ]*)\s*$", re.I)
_DOSE_KEYS = ("dose", "concentration")
_UNIT_KEYS = ("dose unit", "dose_unit", "concentration unit", "concentration_unit", "unit")


def parse_dose(value: Any, unit: Any = None) -> tuple[float, str | None] | None:
    """(value, unit) of a dose written ``0.5``, ``"0.5 uM"`` or ``"500nM"`` (the unit
    lower-cased; ``unit`` when the value has none); None when it is not one."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        number, written = float(value), ""
    else:
        match = _DOSE.match(str(value))
        if not match:
            return None
        number, written = float(match.group(1)), match.group(2)
    unit_text = (written or str(unit or "")).strip().lower() or None
    if not math.isfinite(number) or (unit_text and unit_text not in _MICROMOLAR):
        return None
    return number, unit_text


def stated_dose(record: dict[str, Any]) -> tuple[float, str | None] | None:
    """The dose a perturbation record states (module docstring), or None."""
    entries = record.get("perturbations")
    first = entries[0] if isinstance(entries, list) and entries and \
        isinstance(entries[0], dict) else record.get("perturbation")
    for where in (first if isinstance(first, dict) else {}, record):
        for key in _DOSE_KEYS:
            if where.get(key) not in (None, ""):
                unit = next((where[u] for u in _UNIT_KEYS if where.get(u)), None)
                return parse_dose(where[key], unit)
    return None


def micromolar(value: float, unit: str | None) -> float:
    """``value`` in µM (a missing unit is taken as µM, Tahoe's unit)."""
    return value * _MICROMOLAR.get((unit or "um").strip().lower(), 1.0)


def select_experiments(experiments: list[dict[str, Any]], mode: str,
                       stated: tuple[float, str | None] | None = None) -> list[dict[str, Any]]:
    """The experiments of a context that count under the ``dose`` option ``mode`` (a stated
    dose overrides it)."""
    dose = stated or (None if mode in DOSE_MODES else parse_dose(mode))
    if dose is not None:
        wanted = micromolar(*dose)
        return [e for e in experiments if e["concentration"] is not None and math.isclose(
            micromolar(e["concentration"], e["unit"]), wanted, rel_tol=1e-6)]
    if mode == "highest":
        known = [e for e in experiments if e["concentration"] is not None]
        top = max((micromolar(e["concentration"], e["unit"]) for e in known), default=None)
        return [e for e in known if micromolar(e["concentration"], e["unit"]) == top]
    return list(experiments)
