"""The report of a verification run: a JSON document and a self-contained HTML
page (inline SVG plots, no scripts, no external files) with per-verifier outcomes, score
distributions, per-primitive coverage and the metrics per trace constructor (the
knowledge-graph-only constructor, the baseline, beside any language-model run)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..kg.graph import Graph

from . import metrics
from .engine import get_run
from .report_html import SCORED, render_html


IMPORTED = "imported"
"""The constructor group of traces that were not generated (ingested from a file)."""
BASELINE = "kg"
"""The knowledge-graph-only constructor: what a language model's traces are compared with."""


def by_constructor(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The run-level metrics (:func:`metrics.run_metrics`) of each constructor's traces among
    ``trace_metrics`` rows: the baseline first, then the others by name, imported traces
    last; each with ``constructor`` and ``baseline``."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault(r.get("constructor") or IMPORTED, []).append(r)
    order = sorted(groups, key=lambda name: (name != BASELINE, name == IMPORTED, name))
    return [{"constructor": name, "baseline": name == BASELINE,
             **metrics.run_metrics(groups[name])} for name in order]


def build_report(graph: Graph, run: str) -> dict[str, Any]:
    """Everything the report shows, as plain data (this is the JSON document)."""
    record = get_run(graph, run)
    rows = metrics.trace_metrics(graph, run)
    scores = {name: [r["score"] for r in metrics.verdict_scores(graph, run, name)]
              for name in SCORED}
    return {
        "run": {k: v for k, v in record.items() if not k.endswith("_json")},
        "verifiers": json.loads(record.get("verifiers_json") or "[]"),
        "filter": json.loads(record.get("filter_json") or "{}"),
        "timings_s": json.loads(record.get("timings_json") or "{}"),
        "metrics": metrics.run_metrics(rows),
        "by_constructor": by_constructor(rows),
        "paper": metrics.PAPER,
        "outcomes": metrics.verdict_outcomes(graph, run),
        "primitive_coverage": metrics.primitive_coverage(graph, run),
        "scores": {k: v for k, v in scores.items() if v},
        "traces": rows,
    }


def html(report: dict[str, Any]) -> str:
    """The self-contained HTML page (inline SVG, no scripts, no external files)."""
    return render_html(report)


def write_html(report: dict[str, Any], path: Path) -> None:
    """Write :func:`html` to ``path``."""
    path.write_text(html(report), encoding="utf-8")


def write_json(report: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
