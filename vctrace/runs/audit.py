"""Audit: the chain from a claim (or every claim of a trace) to the traces and input records
that assert it, the verdicts on it with their evidence, the runs that produced them and the
source releases those runs used; for generated traces, how they were generated (constructor,
model, generation run and its cost) and every evidence item the generator saw. ``audit``
returns plain data (the JSON form); the faces render it."""

from __future__ import annotations

import json
import re
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


def _evidence_order(item: dict[str, Any]) -> tuple:
    """Evidence ids in their numeric order (``E2`` before ``E10``), items without an id last."""
    found = re.fullmatch(r"E(\d+)", item.get("id") or "")
    return (found is None, int(found.group(1)) if found else 0, item.get("id") or "",
            item["key"])


def _generations(graph: Graph, keys: list[str]) -> dict[str, dict[str, Any]]:
    """Per generated trace among ``keys``: its constructor, version, model, generation run
    (``run``: the key; ``run_record``: the stored run's figures, when it was recorded) and
    ``evidence``, every item the generator saw (its id in the trace, source, source id, text,
    whether the report cites it, the ids of the actions it supports), in id order."""
    out = {}
    for r in graph.read("runs/audit_generation", keys=sorted(set(keys))):
        evidence = []
        for item in sorted(r["evidence"], key=_evidence_order):
            item = {k: v for k, v in item.items() if v is not None}
            if "data_json" in item:
                item["data"] = json.loads(item.pop("data_json"))
            item["supports"] = sorted(set(item.get("supports") or []))
            evidence.append(item)
        out[r["trace"]] = dict(r["generation"], run_record=r["run"], evidence=evidence,
                               evidence_items=len(evidence),
                               cited_items=sum(bool(e.get("cited")) for e in evidence))
    return out


def _for_action(generation: dict[str, Any], action: str | None) -> dict[str, Any]:
    """The generation of a trace as one of its actions sees it: ``supporting``, the ids of the
    items supporting that action, and those items first in ``evidence``."""
    evidence = generation["evidence"]
    supporting = [e for e in evidence if action is not None and action in e["supports"]]
    chosen = {id(e) for e in supporting}
    rest = [e for e in evidence if id(e) not in chosen]
    return dict(generation, supporting=[e.get("id") for e in supporting],
                evidence=supporting + rest)


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
        generations = _generations(graph, [a["trace"] for a in result["asserted_by"]])
        for a in result["asserted_by"]:
            if a["trace"] in generations:
                a["generation"] = _for_action(generations[a["trace"]], a.get("action"))
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
        generation = _generations(graph, [row["trace"]["key"]]).get(row["trace"]["key"])
        result["generation"] = generation
        for a in result["actions"]:
            a["claim_key"] = a["claim"]["key"]
            if generation is not None and a.get("action") is not None:
                a["supported_by"] = [e.get("id") for e in generation["evidence"]
                                     if a["action"] in e["supports"]]
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

