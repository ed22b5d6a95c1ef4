"""The report of a verification run: a JSON document and a self-contained HTML
page (inline SVG plots, no scripts, no external files) with per-verifier outcomes, score
distributions and per-primitive coverage."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..kg.graph import Graph

from . import metrics
from .engine import get_run
from .report_html import SCORED, render_html


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
