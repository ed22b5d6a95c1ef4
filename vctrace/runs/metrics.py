"""Quality metrics of a verification run, per trace and aggregated.

The paper does not publish its formulas; these are this project's definitions
(``spec/verification.md`` names the metrics):

- **validity** (per trace 1/0): the ``structure`` verdict is supported (no error finding).
- **verifiability**: the share of a trace's distinct claims (``set_context`` excluded: it sets
  the scene, it asserts no mechanism) that at least one truth verifier judged (supported or
  refuted; ``structure`` and ``grounding`` are quality checks, not truth checks).
- **DTI score**: mean over the trace's ``binds_to`` actions with a drug-target judgement of the
  binding evidence: the Boltz-2 probability where ``dti-boltz`` produced one, else 1/0 from
  curated records (``dti-kg``). Undefined (``None``) for a trace without such an action. In
  the open world (``dti-kg``'s default) a curated record is either a target (1) or an explicit
  negative record (0), and a binding on no list is unverifiable, not 0: without Boltz-2 the
  score therefore tends towards 1.0 and says little; ``--dti-world closed`` gives the old
  proxy (absent from the list = 0).
- **DE score**: supported (gene, direction) pairs over judged pairs (supported + refuted, i.e.
  opposite direction or not DE) of the trace's ``regulates_expression`` actions; unmeasured
  genes do not count. ``None`` when nothing was judged.
- **DTI excluded**: refuted drug-target ``binds_to`` actions over judged ones (the paper's
  28.2%); a Boltz-2 verdict takes precedence over the curated one, as the paper's oracle.
- **DE refined**: ``regulates_expression`` actions with at least one refuted gene over those
  with any judged gene (the paper's 87.3%).
- **DE conflicting doses**: genes whose doses disagree (``de`` verdict ``unverifiable /
  conflicting_doses``) over the genes the ``de`` verifier supported, refuted or found
  conflicting. They are unverifiable, so the DE score leaves them out; this share says how
  many it left out for that reason.
- **coverage**: shares of traces with a DTI-judged action, a DE-judged action, both, neither.

Run-level validity and verifiability are means over traces; DTI and DE scores are means over
the traces where they are defined.
"""

from __future__ import annotations

from statistics import fmean
from typing import Any

from ..kg.graph import Graph
from ..verifiers.base import BINDING_REASONS, REGISTRY, Reason


def truth_verifiers() -> list[str]:
    return sorted(name for name, cls in REGISTRY.items() if cls.checks_truth)


def trace_metrics(graph: Graph, run: str) -> list[dict[str, Any]]:
    """One row per trace of the run: the counts and the four scores."""
    rows = graph.read("runs/trace_metrics", run=run, truth=truth_verifiers(),
                      binding_reasons=list(BINDING_REASONS),
                      conflicting=Reason.CONFLICTING_DOSES.value)
    for r in rows:
        r["validity"] = None if r["structure"] is None else float(r["structure"] == "supported")
        r["verifiability"] = r["judged"] / r["claims"] if r["claims"] else None
        judged = r["de_supported"] + r["de_refuted"]
        r["de"] = r["de_supported"] / judged if judged else None
    return rows


def _mean(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return fmean(present) if present else None


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def run_metrics(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The run-level figures from ``trace_metrics`` rows."""
    dti = [r["dti_judged"] > 0 for r in rows]
    de = [r["de_judged_actions"] > 0 for r in rows]
    n = len(rows)
    return {
        "traces": n,
        "validity": _mean([r["validity"] for r in rows]),
        "verifiability": _mean([r["verifiability"] for r in rows]),
        "dti_score": _mean([r["dti"] for r in rows]),
        "de_score": _mean([r["de"] for r in rows]),
        "dti_excluded": _share(sum(r["dti_refuted"] for r in rows),
                               sum(r["dti_judged"] for r in rows)),
        "de_refined": _share(sum(r["de_refined_actions"] for r in rows),
                             sum(r["de_judged_actions"] for r in rows)),
        "de_conflicting": _share(sum(r["de_conflicting"] for r in rows),
                                 sum(r["de_supported"] + r["de_refuted"] + r["de_conflicting"]
                                     for r in rows)),
        "coverage_dti": _share(sum(dti), n),
        "coverage_de": _share(sum(de), n),
        "coverage_both": _share(sum(a and b for a, b in zip(dti, de)), n),
        "coverage_neither": _share(sum(not a and not b for a, b in zip(dti, de)), n),
    }


def primitive_coverage(graph: Graph, run: str) -> list[dict[str, Any]]:
    return graph.read("runs/primitive_coverage", run=run, truth=truth_verifiers())


def verdict_outcomes(graph: Graph, run: str) -> list[dict[str, Any]]:
    return graph.read("runs/verdict_outcomes", run=run)


def verdict_scores(graph: Graph, run: str, verifier: str) -> list[dict[str, Any]]:
    return graph.read("runs/verdict_scores", run=run, verifier=verifier)


# The paper's figures for VCR-Agent on VC-TRACES (spec/verification.md), for comparison.
PAPER = {"validity": 1.000, "verifiability": 0.945, "dti_score": 0.725, "de_score": 0.528,
         "dti_excluded": 0.282, "de_refined": 0.873, "coverage_dti": 0.901,
         "coverage_de": 0.943, "coverage_both": 0.853, "coverage_neither": 0.085}
