"""Audit: the chain from a claim (or every claim of a trace) to the traces and input records
that assert it, the verdicts on it with their evidence, the runs that produced them and the
source releases those runs used. ``audit`` returns plain data (the JSON form);
``format_audit`` renders it for a person."""

from __future__ import annotations

import json
from typing import Any

from ..errors import InvalidRequest
from ..kg.graph import Graph


class NotFound(InvalidRequest, LookupError):
    """No claim or trace with that key or id."""


def _claims(graph: Graph, keys: list[str]) -> list[dict[str, Any]]:
    rows = graph.read("runs/audit_claims", keys=keys)
    order = {k: i for i, k in enumerate(keys)}
    out = []
    for r in sorted(rows, key=lambda r: order[r["claim"]["key"]]):
        claim = dict(r["claim"])
        claim["args"] = json.loads(claim.pop("args_json", None) or "{}")
        verdicts = []
        for v in sorted(r["verdicts"], key=lambda v: (v["run"], v["verifier"], v.get("part") or "")):
            v = dict(v)
            v["evidence"] = json.loads(v.pop("evidence_json", None) or "{}")
            verdicts.append(v)
        out.append({"claim": claim, "mentions": r["mentions"], "asserted_by": r["actions"],
                    "verdicts": verdicts})
    return out


def _runs(graph: Graph, runs: set[str]) -> dict[str, Any]:
    out = {}
    for r in graph.read("runs/audit_runs", runs=sorted(runs)):
        run = dict(r["run"])
        run["verifiers"] = json.loads(run.pop("verifiers_json", None) or "[]")
        run["filter"] = json.loads(run.pop("filter_json", None) or "{}")
        run["sources"] = [dict(s, files=json.loads(s.pop("files_json") or "{}"),
                               options=json.loads(s.pop("options_json") or "{}"))
                          for s in r["sources"]]
        out[run["key"]] = run
    return out


def audit(graph: Graph, ref: str, run: str | None = None
          ) -> dict[str, Any]:
    """The audit of a claim key (``c-…``), or of a trace (key ``t-…`` or trace id); with
    ``run``, only the verdicts of that run."""
    if ref.startswith("c-"):
        claims = _claims(graph, [ref])
        if not claims:
            raise NotFound(f"no claim {ref!r}")
        result: dict[str, Any] = {"kind": "claim", **claims[0]}
        verdicts = claims[0]["verdicts"]
    else:
        rows = graph.read("runs/audit_trace", ref=ref)
        if not rows:
            raise NotFound(f"no trace with key or id {ref!r}")
        row = rows[0]
        keys = list(dict.fromkeys(a["claim"] for a in row["actions"]))
        claims = {c["claim"]["key"]: c for c in _claims(graph, keys)}
        trace_verdicts = [dict(v, evidence=json.loads(v.pop("evidence_json", None) or "{}"))
                          for v in row["verdicts"]]
        result = {"kind": "trace", "trace": row["trace"], "input": row["input"],
                  "verdicts": trace_verdicts, "refines": row["refines"],
                  "refined_into": row["refined_into"],
                  "actions": [dict(a, **{k: claims[a["claim"]][k] for k in
                                         ("claim", "mentions", "verdicts")})
                              for a in row["actions"]]}
        for a in result["actions"]:
            a["claim_key"] = a["claim"]["key"]
        verdicts = trace_verdicts + [v for c in claims.values() for v in c["verdicts"]]
    if run is not None:
        _keep_run(result, run)
        verdicts = [v for v in verdicts if v["run"] == run]
    result["runs"] = _runs(graph, {v["run"] for v in verdicts})
    return result


def _keep_run(result: dict[str, Any], run: str) -> None:
    for holder in [result] + result.get("actions", []):
        if "verdicts" in holder:
            holder["verdicts"] = [v for v in holder["verdicts"] if v["run"] == run]


def _verdict_line(v: dict[str, Any]) -> str:
    part = f" [{v['part']}]" if v.get("part") else ""
    score = "" if v.get("score") is None else f" score {v['score']:.3g}"
    threshold = "" if v.get("threshold") is None else f" (threshold {v['threshold']:g})"
    return (f"{v['run']} · {v['verifier']} v{v['version']}{part}: {v['status'].upper()} "
            f"({v['reason']}){score}{threshold}")


def _evidence_lines(evidence: dict[str, Any], indent: str) -> list[str]:
    lines = []
    for key, value in evidence.items():
        text = json.dumps(value, default=str, sort_keys=True)
        if len(text) > 300:
            text = text[:297] + "..."
        lines.append(f"{indent}{key}: {text}")
    return lines


def _claim_lines(c: dict[str, Any], indent: str = "  ") -> list[str]:
    claim = c["claim"]
    args = ", ".join(f"{k}={v!r}" for k, v in claim["args"].items())
    context = f" in ({claim.get('drug')}, {claim.get('cell_line')})" if claim.get("drug") else ""
    lines = [f"{indent}claim {claim['key']}: {claim['primitive']}({args}){context}"]
    for m in c["mentions"]:
        ents = ", ".join(f"{e['label']}:{e['key']}" for e in m["entities"]) or "NOT GROUNDED"
        lines.append(f"{indent}  mention {m['role']}={m['text']!r} -> {ents}")
    if not c["verdicts"]:
        lines.append(f"{indent}  no verdicts")
    for v in c["verdicts"]:
        lines.append(f"{indent}  verdict {_verdict_line(v)}")
        lines += _evidence_lines(v["evidence"], indent + "      ")
    return lines


def format_audit(result: dict[str, Any]) -> str:
    """The audit as text for a person."""
    lines = []
    if result["kind"] == "claim":
        lines += _claim_lines(result, "")
        lines.append(f"asserted by {len(result['asserted_by'])} action(s):")
        for a in result["asserted_by"]:
            src = a.get("input") or {}
            lines.append(f"  trace {a['trace']} ({a.get('trace_id')}) action {a['action']} "
                         f"<- {src.get('file')} record {src.get('record')} "
                         f"sha256 {str(src.get('sha256'))[:12]}…")
    else:
        t, src = result["trace"], result["input"] or {}
        lines.append(f"trace {t['key']} ({t.get('trace_id')}): {t.get('drug')} in "
                     f"{t.get('cell_line')}, {t.get('n_actions')} actions")
        lines.append(f"  read from {src.get('file')} record {src.get('record')} "
                     f"(sha256 {src.get('sha256')})")
        for r in result["refines"]:
            lines.append(f"  refined version of {r['key']} (run {r['run']})")
        for r in result["refined_into"]:
            lines.append(f"  refined into {r['key']} by run {r['run']}")
        for v in result["verdicts"]:
            lines.append(f"  verdict {_verdict_line(v)}")
            lines += _evidence_lines(v["evidence"], "      ")
        for a in result["actions"]:
            lines.append(f"action {a['action'] or '(no id)'} ({a['primitive']}):")
            lines += _claim_lines(a, "  ")
    for run in result["runs"].values():
        names = ", ".join(f"{v['name']} v{v['version']}" for v in run["verifiers"])
        lines.append(f"run {run['key']}: {run['status']}, created {run['created_at']}, "
                     f"verifiers {names}")
        for s in run["sources"]:
            lines.append(f"  source {s['source']} {s['version']} ({s['key']}, loader "
                         f"{s['loader']} v{s['loader_version']}, files "
                         f"{', '.join(s['files'])})")
    return "\n".join(lines)
