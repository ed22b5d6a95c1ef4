"""The HTML page of a verification run's report: a Jinja2 template (``templates/``) filled with
plain data. The plots are inline SVG whose geometry is computed here; the page loads nothing,
runs no script, and the template's autoescape escapes every value.

This module is the single home of the report's constants (status colours, scored verifiers,
metric labels)."""

from __future__ import annotations

import functools
from typing import Any

import jinja2

STATUS_COLOURS = {"supported": "#2e7d32", "refuted": "#c62828", "unverifiable": "#9e9e9e",
                  "error": "#6a1b9a"}
SCORED = {"de": ("log2 fold change of the evidence call", -6.0, 6.0),
          "dti-boltz": ("Boltz-2 affinity_probability_binary", 0.0, 1.0),
          "grounding": ("share of entity arguments grounded", 0.0, 1.0)}
LABELS = {"validity": "validity", "verifiability": "verifiability", "dti_score": "DTI score",
          "de_score": "DE score", "dti_excluded": "DTI claims excluded",
          "de_refined": "DE actions refined",
          "de_conflicting": "DE genes with conflicting doses",
          "coverage_dti": "traces DTI-checkable",
          "coverage_de": "traces DE-checkable", "coverage_both": "traces with both",
          "coverage_neither": "traces with neither"}
CONSTRUCTOR_METRICS = ("traces", "validity", "verifiability", "dti_score", "de_score")
"""The columns of the by-constructor table (``traces`` and keys of :data:`LABELS`)."""
COVERAGE_COLOURS = {"judged": "#2e7d32", "not judged": "#bdbdbd"}
RUN_COLOUR, PAPER_COLOUR, HISTOGRAM_COLOUR = "#1565c0", "#bdbdbd", "#1565c0"
UNDEFINED = "—"


def fmt(value: Any) -> str:
    """A figure as the report shows it: floats with three decimals, ``—`` when undefined."""
    if value is None:
        return UNDEFINED
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def thousands(n: int) -> str:
    """A count with thousands separators."""
    return f"{n:,}"


def stacked_bars(rows: list[tuple[str, dict[str, int]]], title: str,
                 colours: dict[str, str]) -> dict[str, Any]:
    """Horizontal bars, one per label, each split by share into the ``colours`` categories
    (in that order), with the total at the right and a legend: the geometry of the plot."""
    left = 12 + 7 * max((len(label) for label, _ in rows), default=4)
    width, bar_h, gap, right = left + 480, 18, 8, 70
    height = 40 + len(rows) * (bar_h + gap) + 30
    bars = []
    for i, (label, counts) in enumerate(rows):
        y = 30 + i * (bar_h + gap)
        # Categories without a colour still count in the total (the share of all verdicts).
        total = sum(counts.values())
        x, segments = float(left), []
        for category, colour in colours.items():
            n = counts.get(category, 0)
            w = (width - left - right) * n / (total or 1)
            if n:
                segments.append({"category": category, "colour": colour, "n": n,
                                 "percent": round(100 * n / total, 1),
                                 "x": round(x, 1), "width": round(w, 1)})
            x += w
        bars.append({"label": label, "y": y, "text_y": y + 13, "segments": segments,
                     "total": total, "total_x": round(x + 4, 1)})
    legend = [{"category": category, "colour": colour, "x": left + j * 110,
               "text_x": left + j * 110 + 14}
              for j, (category, colour) in enumerate(colours.items())]
    return {"title": title, "width": width, "height": height, "bar_height": bar_h,
            "label_x": left - 6, "bars": bars, "legend": legend, "legend_y": height - 12}


def histogram_counts(values: list[float], lo: float, hi: float, bins: int = 24) -> list[int]:
    """Counts of ``values`` in ``bins`` equal bins over [lo, hi]; values outside the range
    fall into the first or last bin, so the counts sum to ``len(values)``."""
    counts = [0] * bins
    for v in values:
        v = min(max(v, lo), hi)
        counts[min(int((v - lo) / (hi - lo) * bins), bins - 1)] += 1
    return counts


def histogram(values: list[float], title: str, lo: float, hi: float,
              bins: int = 24) -> dict[str, Any]:
    """A histogram of ``values`` over [lo, hi] with five axis ticks: the geometry of the
    plot."""
    width, height, pad = 640, 200, 36
    counts = histogram_counts(values, lo, hi, bins)
    top = max(counts) or 1
    bw = (width - 2 * pad) / bins
    bars = []
    for i, c in enumerate(counts):
        h = (height - 2 * pad) * c / top
        bars.append({"x": round(pad + i * bw, 1), "y": round(height - pad - h, 1),
                     "width": round(bw - 1, 1), "height": round(h, 1),
                     "start": f"{lo + i * (hi - lo) / bins:.2f}", "count": c})
    ticks = [{"x": round(float(pad + frac * (width - 2 * pad)), 1),
              "label": f"{lo + frac * (hi - lo):g}"} for frac in (0, 0.25, 0.5, 0.75, 1)]
    return {"title": title, "n": len(values), "width": width, "height": height, "pad": pad,
            "axis_y": height - pad, "axis_end": width - pad, "tick_y": height - pad + 16,
            "top": top, "top_y": pad - 4, "colour": HISTOGRAM_COLOUR, "bars": bars,
            "ticks": ticks}


def verifier_label(name: str, version: str, parameters: dict[str, Any] | None = None) -> str:
    """``dti-kg v2 (world=open)``: a verifier as a run recorded it, with its short scalar
    options (the ones that decide verdicts, such as the DTI world or the DE dose rule)."""
    shown = [f"{k}={v}" for k, v in sorted((parameters or {}).items())
             if isinstance(v, (str, int, float, bool)) and len(str(v)) <= 40]
    return f"{name} v{version}" + (f" ({', '.join(shown)})" if shown else "")


def metric_bars(metrics: dict[str, Any], paper: dict[str, Any]) -> dict[str, Any]:
    """Per metric of ``LABELS``, a bar of this run's value and one of the paper's (shares,
    0 to 1; an undefined value has no bar): the geometry of the plot."""
    width, left, bar_h, gap = 640, 170, 14, 10
    rows = []
    for i, key in enumerate(LABELS):
        y = 26 + i * (2 * bar_h + gap)
        bars = []
        for j, (value, colour) in enumerate(((metrics.get(key), RUN_COLOUR),
                                             (paper.get(key), PAPER_COLOUR))):
            if value is None:
                continue
            w = (width - left - 60) * value
            bars.append({"y": y + j * bar_h, "width": round(w, 1), "colour": colour,
                         "value": value, "text_x": round(left + w + 4, 1),
                         "text_y": y + j * bar_h + 11})
        rows.append({"label": LABELS[key], "label_y": y + bar_h + 4, "bars": bars})
    return {"width": width, "height": 30 + len(LABELS) * (2 * bar_h + gap), "left": left,
            "label_x": left - 6, "bar_height": bar_h - 2, "rows": rows}


def verdict_counts(outcomes: list[dict[str, Any]]) -> list[tuple[str, dict[str, int]]]:
    """Verdicts per verifier and status (summed over reasons), verifiers sorted by name."""
    by_verifier: dict[str, dict[str, int]] = {}
    for o in outcomes:
        counts = by_verifier.setdefault(o["verifier"], {})
        counts[o["status"]] = counts.get(o["status"], 0) + o["verdicts"]
    return sorted(by_verifier.items())


def primitive_counts(coverage: list[dict[str, Any]]) -> list[tuple[str, dict[str, int]]]:
    """Actions per primitive, judged or not by a truth verifier, in the rows' order."""
    return [(r["primitive"], {"judged": r["judged_actions"],
                              "not judged": r["actions"] - r["judged_actions"]})
            for r in coverage]


def constructor_table(groups: list[dict[str, Any]]) -> dict[str, Any]:
    """The by-constructor table's header and rows (``report["by_constructor"]``); no rows
    when no trace of the run was generated (one row would repeat the metrics table), and
    ``missing_baseline`` when a language model's traces have no knowledge-graph baseline
    beside them."""
    generated = [g for g in groups if g["constructor"] != "imported"]
    rows = [{"constructor": g["constructor"], "baseline": g["baseline"],
             "values": [g.get(k) for k in CONSTRUCTOR_METRICS]} for g in groups] \
        if generated else []
    return {"constructor_header": [LABELS.get(k, k) for k in CONSTRUCTOR_METRICS],
            "constructor_rows": rows,
            "missing_baseline": bool(generated) and not any(g["baseline"] for g in groups)}


@functools.cache
def _environment() -> jinja2.Environment:
    # StrictUndefined: a misspelt field fails the render instead of leaving a blank cell.
    env = jinja2.Environment(loader=jinja2.PackageLoader("vctrace.runs", "templates"),
                             autoescape=True, trim_blocks=True, lstrip_blocks=True,
                             undefined=jinja2.StrictUndefined)
    env.filters["fmt"] = fmt
    env.filters["thousands"] = thousands
    return env


def render_html(report: dict[str, Any]) -> str:
    """The self-contained HTML page of a run's report (the dict ``build_report`` returns):
    run summary, metrics table against the paper's figures, inline SVG plots (metrics,
    verdicts per verifier, actions judged per primitive, score histograms) and the verdict
    table. No scripts, nothing fetched; every value is HTML-escaped."""
    run = report["run"]
    histograms = [histogram(values, f"{name}: {SCORED[name][0]}", *SCORED[name][1:])
                  for name, values in report["scores"].items()]
    context = {
        "run": {"key": run["key"], "traces": run.get("traces"), "status": run.get("status"),
                "created_at": run.get("created_at"), "finished_at": run.get("finished_at")},
        "verifiers": [verifier_label(v["name"], v["version"], v.get("parameters"))
                      for v in report["verifiers"]],
        "total_time": report["timings_s"].get("total", UNDEFINED),
        "metric_rows": [{"label": LABELS[k], "value": v, "paper": report["paper"].get(k)}
                        for k, v in report["metrics"].items() if k in LABELS],
        "metric_plot": metric_bars(report["metrics"], report["paper"]),
        "verdict_plot": stacked_bars(verdict_counts(report["outcomes"]),
                                     "verdicts per verifier (share; count at the right)",
                                     STATUS_COLOURS),
        "coverage_plot": stacked_bars(primitive_counts(report["primitive_coverage"]),
                                      "actions per primitive judged by a truth verifier "
                                      "(supported or refuted)", COVERAGE_COLOURS),
        "histograms": histograms,
        "outcomes": report["outcomes"],
        **constructor_table(report.get("by_constructor", [])),
    }
    return _environment().get_template("report.html.j2").render(context)
