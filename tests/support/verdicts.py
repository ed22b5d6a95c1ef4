"""Running the default verifiers and reading their verdicts back, for the verification tests."""

from __future__ import annotations

import json
from typing import Any

from neo4j import Driver

from vctrace.kg.graph import Graph
from vctrace.runs.engine import DEFAULT_VERIFIERS, RunResult, build_verifiers, verify


def run_all(graph: Graph, name: str = "r1", *, options: dict[str, dict[str, Any]] | None = None,
            **kw: Any) -> RunResult:
    """Verify with the default verifiers as run ``name``."""
    verifiers = build_verifiers(graph, DEFAULT_VERIFIERS, options=options)
    return verify(graph, verifiers, run_name=name, **kw)


def verdicts(driver: Driver, run: str, verifier: str | None = None) -> dict:
    """{(verifier, primitive or 'trace', claim args or trace id, part): (status, reason, score,
    evidence)}"""
    records, _, _ = driver.execute_query(
        "MATCH (v:Verdict {run: $run})-[:JUDGES]->(s) "
        "WHERE $verifier IS NULL OR v.verifier = $verifier "
        "RETURN v.verifier AS verifier, coalesce(s.primitive, 'trace') AS primitive, "
        "coalesce(s.args_json, s.trace_id) AS subject, v.part AS part, v.status AS status, "
        "v.reason AS reason, v.score AS score, v.evidence_json AS evidence",
        run=run, verifier=verifier)
    out = {}
    for r in records:
        key = (r["verifier"], r["primitive"], r["subject"], r["part"])
        assert key not in out, f"duplicate verdict {key}"
        out[key] = (r["status"], r["reason"], r["score"], json.loads(r["evidence"]))
    return out


def find(vs: dict, verifier: str, primitive: str, **args: Any) -> dict:
    """The verdicts of ``verifier`` on the claim whose arguments include ``args``."""
    hits = {k[3]: v for k, v in vs.items() if k[0] == verifier and k[1] == primitive
            and all(json.loads(k[2]).get(a) == x for a, x in args.items())}
    assert hits, f"no {verifier} verdict on {primitive} {args}"
    return hits
