"""Audit: the chain from a claim (or every claim of a trace) to the traces and input records
that assert it, the verdicts on it with their evidence, the runs that produced them and the
source releases those runs used. ``audit`` returns plain data (the JSON form); the faces
render it."""

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

