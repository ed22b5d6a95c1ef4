"""Counterfactual robustness of a verification run's verifiers (``vctrace robustness RUN``).

Counterfactual claims are derived from the run's supported claims (and the leave-one-target-
out claims, for specificity), judged in memory by the run's verifiers with its recorded
options (``dti-kg``'s world can be overridden), and counted per kind: the share refuted,
unverifiable and still supported, and the counterfactuals supported together with their
original (must be 0). See :mod:`vctrace.runs.robustness`. Nothing is written into the graph;
``$VCTRACE_HOME/reports/RUN.robustness.json`` and ``RUN.robustness.svg`` are written.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..progress import Progress, no_progress
from ..runs import robustness as robustness_mod
from ..settings import Settings
from .graph_session import open_graph
from .verification import OutputError, resolve_run


class RobustnessOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    per_kind: int | None = Field(50, ge=1, description="counterfactuals per kind at most "
                                 "(None: all)")
    seed: int = Field(0, description="seed of the draws")
    dti_world: Literal["open", "closed"] | None = Field(
        None, description="dti-kg's world (default: the run's)")
    hidden_targets: bool = Field(True, description="include the leave-one-target-out claims")


class KindRobustness(BaseModel):
    """The figures of one counterfactual kind."""

    kind: str
    verifier: str
    counterfactuals: int
    statuses: dict[str, int]
    reasons: dict[str, int]
    refuted_share: float | None
    unverifiable_share: float | None
    supported_share: float | None
    supported_with_original: int
    supported_pairs: list[dict[str, Any]]


class RobustnessResult(BaseModel):
    run: str
    options: RobustnessOptions
    dti_world: str | None
    verifiers: list[dict[str, Any]]
    kinds: list[KindRobustness]
    supported_with_original: int = Field(description="must be 0")
    json_path: Path | None = None
    svg_path: Path | None = None


def robustness(settings: Settings, run_ref: str = "latest",
               options: RobustnessOptions | None = None, *,
               progress: Progress = no_progress, write: bool = True) -> RobustnessResult:
    """Derive, judge and count the counterfactuals of a run (its key or ``"latest"``); write
    the JSON and SVG into ``$VCTRACE_HOME/reports`` unless ``write`` is False."""
    options = options or RobustnessOptions()
    with open_graph(settings) as graph:
        run = resolve_run(graph, run_ref)
        verifiers = robustness_mod.run_verifiers(graph, run, options.dti_world)
        counterfactuals = robustness_mod.derive(graph, run, verifiers,
                                                per_kind=options.per_kind, seed=options.seed,
                                                hidden_targets=options.hidden_targets)
        bar = progress("counterfactuals", len(counterfactuals), "claims")
        try:
            verdicts = robustness_mod.judge(verifiers, counterfactuals, progress=bar.update)
        finally:
            bar.close()
    figures = [f.as_dict() for f in robustness_mod.tally(counterfactuals, verdicts)]
    dti = verifiers.get("dti-kg")
    result = RobustnessResult(
        run=run, options=options,
        dti_world=getattr(dti.options, "world", None) if dti else None,
        verifiers=[v.record() for v in verifiers.values()],
        kinds=[KindRobustness(**f) for f in figures],
        supported_with_original=sum(f["supported_with_original"] for f in figures))
    if write:
        out = settings.home / "reports"
        json_path, svg_path = out / f"{run}.robustness.json", out / f"{run}.robustness.svg"
        title = f"counterfactuals of {run} (dti-kg world: {result.dti_world or '-'})"
        try:
            out.mkdir(parents=True, exist_ok=True)
            json_path.write_text(json.dumps(result.model_dump(mode="json", exclude={
                "json_path", "svg_path"}), indent=2, sort_keys=True) + "\n")
            svg_path.write_text(robustness_mod.render_svg(figures, title))
        except OSError as exc:
            raise OutputError(f"cannot write the robustness report into {out}: "
                              f"{exc.strerror}") from None
        result.json_path, result.svg_path = json_path, svg_path
    return result
