"""The report of a verification run: a metrics table, a JSON document and a self-contained HTML
page (inline SVG plots, no scripts, no external files) with per-verifier outcomes, score
distributions and per-primitive coverage."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from neo4j import Driver

from . import metrics
from .engine import get_run

STATUS_COLOURS = {"supported": "#2e7d32", "refuted": "#c62828", "unverifiable": "#9e9e9e",
                  "error": "#6a1b9a"}
SCORED = {"de": ("log2 fold change of the evidence call", -6.0, 6.0),
          "dti-boltz": ("Boltz-2 affinity_probability_binary", 0.0, 1.0),
          "grounding": ("share of entity arguments grounded", 0.0, 1.0)}
LABELS = {"validity": "validity", "verifiability": "verifiability", "dti_score": "DTI score",
          "de_score": "DE score", "dti_excluded": "DTI claims excluded",
          "de_refined": "DE actions refined", "coverage_dti": "traces DTI-checkable",
          "coverage_de": "traces DE-checkable", "coverage_both": "traces with both",
          "coverage_neither": "traces with neither"}


def build_report(driver: Driver, run: str, database: str = "neo4j") -> dict[str, Any]:
    """Everything the report shows, as plain data (this is the JSON document)."""
    record = get_run(driver, run, database)
    rows = metrics.trace_metrics(driver, run, database)
    scores = {name: [r["score"] for r in metrics.verdict_scores(driver, run, name, database)]
              for name in SCORED}
    return {
        "run": {k: v for k, v in record.items() if not k.endswith("_json")},
        "verifiers": json.loads(record.get("verifiers_json") or "[]"),
        "filter": json.loads(record.get("filter_json") or "{}"),
        "timings_s": json.loads(record.get("timings_json") or "{}"),
        "metrics": metrics.run_metrics(rows),
        "paper": metrics.PAPER,
        "outcomes": metrics.verdict_outcomes(driver, run, database),
        "primitive_coverage": metrics.primitive_coverage(driver, run, database),
        "scores": {k: v for k, v in scores.items() if v},
        "traces": rows,
    }


def _fmt(value: Any) -> str:
    return "—" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


def format_table(report: dict[str, Any]) -> str:
    """The metrics table and verdict counts as plain text."""
    run = report["run"]
    lines = [f"run {run['key']}: {run.get('status')}, {run.get('traces')} traces, "
             f"verifiers {', '.join(v['name'] + ' v' + v['version'] for v in report['verifiers'])}",
             "", f"{'metric':<24}{'this run':>10}{'paper':>10}"]
    for key, label in LABELS.items():
        lines.append(f"{label:<24}{_fmt(report['metrics'][key]):>10}"
                     f"{_fmt(report['paper'].get(key)):>10}")
    lines += ["", f"{'verifier':<12}{'status':<14}{'reason':<30}{'verdicts':>9}"]
    for o in report["outcomes"]:
        lines.append(f"{o['verifier']:<12}{o['status']:<14}{o['reason']:<30}{o['verdicts']:>9,}")
    return "\n".join(lines)


# ------------------------------------------------------------------ SVG plots


def _stacked_bars(rows: list[tuple[str, dict[str, int]]], title: str,
                  colours: dict[str, str]) -> str:
    """Horizontal bars, one per label, each split by share into the ``colours`` categories,
    with the total at the right and a legend."""
    left = 12 + 7 * max((len(label) for label, _ in rows), default=4)
    width, bar_h, gap, right = left + 480, 18, 8, 70
    height = 40 + len(rows) * (bar_h + gap) + 30
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'role="img" aria-label="{html.escape(title)}">',
           f'<text x="2" y="16" font-weight="bold">{html.escape(title)}</text>']
    for i, (label, counts) in enumerate(rows):
        y = 30 + i * (bar_h + gap)
        total = sum(counts.values()) or 1
        out.append(f'<text x="{left - 6}" y="{y + 13}" text-anchor="end">'
                   f'{html.escape(label)}</text>')
        x = left
        for category, colour in colours.items():
            n = counts.get(category, 0)
            w = (width - left - right) * n / total
            if n:
                out.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" '
                           f'fill="{colour}"><title>{category}: {n:,} '
                           f'({100 * n / total:.1f}%)</title></rect>')
            x += w
        out.append(f'<text x="{x + 4:.1f}" y="{y + 13}">{sum(counts.values()):,}</text>')
    y = height - 12
    for j, (category, colour) in enumerate(colours.items()):
        out.append(f'<rect x="{left + j * 110}" y="{y - 10}" width="10" height="10" '
                   f'fill="{colour}"/><text x="{left + j * 110 + 14}" y="{y}">'
                   f'{html.escape(category)}</text>')
    out.append("</svg>")
    return "".join(out)


def _histogram(values: list[float], title: str, lo: float, hi: float, bins: int = 24) -> str:
    width, height, pad = 640, 200, 36
    clipped = [min(max(v, lo), hi) for v in values]
    counts = [0] * bins
    for v in clipped:
        counts[min(int((v - lo) / (hi - lo) * bins), bins - 1)] += 1
    top = max(counts) or 1
    bw = (width - 2 * pad) / bins
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'role="img" aria-label="{html.escape(title)}">',
           f'<text x="2" y="14" font-weight="bold">{html.escape(title)} '
           f'(n = {len(values):,})</text>']
    for i, c in enumerate(counts):
        h = (height - 2 * pad) * c / top
        out.append(f'<rect x="{pad + i * bw:.1f}" y="{height - pad - h:.1f}" '
                   f'width="{bw - 1:.1f}" height="{h:.1f}" fill="#1565c0">'
                   f'<title>{lo + i * (hi - lo) / bins:.2f}: {c}</title></rect>')
    out.append(f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" '
               'stroke="#333"/>')
    for frac in (0, 0.25, 0.5, 0.75, 1):
        x = pad + frac * (width - 2 * pad)
        out.append(f'<text x="{x:.1f}" y="{height - pad + 16}" text-anchor="middle">'
                   f'{lo + frac * (hi - lo):g}</text>')
    out.append(f'<text x="{pad}" y="{pad - 4}">max {top:,}</text></svg>')
    return "".join(out)


def _metric_bars(report: dict[str, Any]) -> str:
    width, left, bar_h, gap = 640, 170, 14, 10
    keys = list(LABELS)
    height = 30 + len(keys) * (2 * bar_h + gap)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           'role="img" aria-label="metrics">',
           '<text x="2" y="14" font-weight="bold">metrics: this run (blue) and the paper '
           '(grey)</text>']
    for i, key in enumerate(keys):
        y = 26 + i * (2 * bar_h + gap)
        out.append(f'<text x="{left - 6}" y="{y + bar_h + 4}" text-anchor="end">'
                   f'{LABELS[key]}</text>')
        for j, (value, colour) in enumerate(((report["metrics"][key], "#1565c0"),
                                             (report["paper"].get(key), "#bdbdbd"))):
            if value is None:
                continue
            w = (width - left - 60) * value
            out.append(f'<rect x="{left}" y="{y + j * bar_h}" width="{w:.1f}" '
                       f'height="{bar_h - 2}" fill="{colour}"/>'
                       f'<text x="{left + w + 4:.1f}" y="{y + j * bar_h + 11}">{value:.3f}</text>')
    out.append("</svg>")
    return "".join(out)


def write_html(report: dict[str, Any], path: Path) -> None:
    """A self-contained page: tables and inline SVG, nothing fetched."""
    by_verifier: dict[str, dict[str, int]] = {}
    for o in report["outcomes"]:
        counts = by_verifier.setdefault(o["verifier"], {})
        counts[o["status"]] = counts.get(o["status"], 0) + o["verdicts"]
    coverage = [(r["primitive"], {"judged": r["judged_actions"],
                                  "not judged": r["actions"] - r["judged_actions"]})
                for r in report["primitive_coverage"]]
    plots = [_metric_bars(report),
             _stacked_bars(sorted(by_verifier.items()), "verdicts per verifier (share; "
                           "count at the right)", STATUS_COLOURS),
             _stacked_bars(coverage, "actions per primitive judged by a truth verifier "
                           "(supported or refuted)", {"judged": "#2e7d32",
                                                      "not judged": "#bdbdbd"})]
    for name, values in report["scores"].items():
        label, lo, hi = SCORED[name]
        plots.append(_histogram(values, f"{name}: {label}", lo, hi))
    run = report["run"]
    rows = "".join(f"<tr><td>{html.escape(LABELS[k])}</td><td>{_fmt(v)}</td>"
                   f"<td>{_fmt(report['paper'].get(k))}</td></tr>"
                   for k, v in report["metrics"].items() if k in LABELS)
    outcome_rows = "".join(
        f"<tr><td>{html.escape(o['verifier'])}</td><td>{html.escape(o['status'])}</td>"
        f"<td>{html.escape(o['reason'])}</td><td>{o['verdicts']:,}</td></tr>"
        for o in report["outcomes"])
    verifiers = ", ".join(f"{html.escape(v['name'])} v{html.escape(v['version'])}"
                          for v in report["verifiers"])
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>vctrace run {html.escape(run['key'])}</title>
<style>body{{font:14px sans-serif;max-width:720px;margin:2em auto}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:2px 8px;text-align:left}}
svg{{display:block;margin:1.5em 0;font:12px sans-serif}}</style></head><body>
<h1>Verification run {html.escape(run['key'])}</h1>
<p>{run.get('traces')} traces; status {html.escape(str(run.get('status')))}; verifiers
{verifiers}; created {html.escape(str(run.get('created_at')))}, finished
{html.escape(str(run.get('finished_at')))}; time {report['timings_s'].get('total', '—')} s.</p>
<h2>Metrics</h2><table><tr><th>metric</th><th>this run</th><th>paper (VCR-Agent)</th></tr>
{rows}</table>
<h2>Plots</h2>{''.join(plots)}
<h2>Verdicts</h2><table><tr><th>verifier</th><th>status</th><th>reason</th><th>verdicts</th>
</tr>{outcome_rows}</table>
<p>Metric definitions: vctrace/verifiers/metrics.py. Per-trace figures: the JSON report.</p>
</body></html>
"""
    path.write_text(page, encoding="utf-8")


def write_json(report: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
