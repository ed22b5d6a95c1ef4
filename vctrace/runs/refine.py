"""Policies: what a run's verdicts do to its traces, refined versions, and VC-TRACES export.

The default policy is the original system's:

- **discard** a trace whose drug-target ``binds_to`` is refuted (Boltz-2 probability below τ,
  or, without a Boltz-2 verdict, an explicit negative record ``curated_non_target``, or —
  only with ``--dti-world closed`` — not a curated target); ``--keep-refuted-bindings``
  keeps it;
- **prune** from ``gene_list`` the genes whose DE verdict is ``opposite_direction`` or
  ``not_de`` (the claimed change is not observed); unmeasured genes stay (no data is not a
  refutation) unless ``not_measured`` is added to ``prune``. An action left with no gene is
  dropped, and each of its predecessors is linked to each of its successors (with the relation
  of the edge that left the dropped action), so the DAG stays connected.

Only a complete run is refined. A trace that changes gets a new version (its own content key,
labelled ``RefinedVersion``) written as a trace, linked
``(refined)-[:REFINES {run, policy_json, pruned_json}]->(original)``; a discarded one is linked
``(run)-[:DISCARDED {policy_json, reasons_json}]->(trace)``. Refining is idempotent, and the
outcomes of different policies on one run are kept apart. ``export`` writes
VC-TRACES rows of the run's kept traces with ``explain_verified`` filled (the refined explain,
or the original one when nothing was pruned).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterator

from ..kg.graph import Graph
from ..kg.trace_store import read_traces, write_traces
from ..traces.identity import normalise_text, trace_key
from ..traces.models import Edge, Trace
from ..traces.records import write_traces_file
from ..traces.text import write_explain
from ..traces.validation import is_valid
from ..verifiers.base import BINDING_REASONS, Reason
from .engine import RunError, get_run


@dataclass
class Policy:
    discard_refuted_binding: bool = True
    prune: tuple[str, ...] = (Reason.OPPOSITE_DIRECTION.value, Reason.NOT_DE.value)

    @classmethod
    def from_flags(cls, *, keep_refuted_bindings: bool = False,
                   prune_unmeasured: bool = False) -> "Policy":
        """The default policy, changed by the two user choices."""
        extra = (Reason.NOT_MEASURED.value,) if prune_unmeasured else ()
        return cls(discard_refuted_binding=not keep_refuted_bindings,
                   prune=cls.prune + extra)

    def json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


@dataclass
class RefineResult:
    traces: int = 0
    kept: int = 0
    refined: int = 0
    discarded: int = 0
    genes_pruned: int = 0
    actions_dropped: int = 0


def prune_trace(trace: Trace, prune: dict[int, set[str]]) -> tuple[Trace, int, int]:
    """``trace`` without the genes ``prune`` names (action index -> normalised genes); returns
    the new trace, the genes removed and the actions dropped (see the module docstring)."""
    actions, dropped, removed = [], set(), 0
    for index, action in enumerate(trace.actions):
        genes = prune.get(index)
        if not genes or action.primitive != "regulates_expression":
            actions.append(action)
            continue
        current = action.args.get("gene_list")
        items = current if isinstance(current, list) else [current]
        kept = [g for g in items if normalise_text(g) not in genes]
        removed += len(items) - len(kept)
        if kept:
            actions.append(action.model_copy(update={"args": dict(action.args, gene_list=kept)}))
        else:
            dropped.add(action.id)
    edges = [e for e in trace.edges if e.source not in dropped and e.target not in dropped]
    seen = {(e.source, e.target) for e in edges}
    for gone in dropped:  # bridge each dropped action; chains of dropped ones are followed
        for pred in _ends(trace.edges, gone, dropped, upstream=True):
            for succ, relation in _ends(trace.edges, gone, dropped, upstream=False):
                if pred[0] != succ and (pred[0], succ) not in seen:
                    seen.add((pred[0], succ))
                    edges.append(Edge(source=pred[0], target=succ, relation=relation))
    refined = trace.model_copy(update={"actions": actions, "edges": edges})
    return refined, removed, len(dropped)


def _ends(edges: list[Edge], node: str, dropped: set[str], upstream: bool,
          seen: set[str] | None = None) -> list[tuple[str, str]]:
    """The nearest kept neighbours of ``node`` in one direction, with the relation of the edge
    leaving toward them (downstream) or of the first edge (upstream)."""
    seen = seen or {node}
    out = []
    for e in edges:
        near, far = (e.target, e.source) if upstream else (e.source, e.target)
        if near != node or far in seen:
            continue
        seen.add(far)
        if far in dropped:
            out += _ends(edges, far, dropped, upstream, seen)
        else:
            out.append((far, e.relation or "causal"))
    return out


def _decisions(graph: Graph, run: str, policy: Policy) -> list[dict[str, Any]]:
    return graph.read("runs/refine_decisions", run=run, prune=list(policy.prune),
                      binding_reasons=list(BINDING_REASONS))


def refine(graph: Graph, run: str, policy: Policy | None = None, *,
           batch_size: int = 500) -> RefineResult:
    """Apply ``policy`` to the traces of ``run`` and store the outcome (module docstring)."""
    policy = policy or Policy()
    status = get_run(graph, run)["status"]
    if status != "complete":
        raise RunError(f"run {run!r} is {status}: finish it (run the same `vctrace verify` "
                       "again) before refining")
    result = RefineResult()
    decisions = _decisions(graph, run, policy)
    result.traces = len(decisions)
    for start in range(0, len(decisions), batch_size):
        chunk = decisions[start:start + batch_size]
        todo = [d for d in chunk if d["prune"] and not
                (policy.discard_refuted_binding and d["refuted"])]
        originals = {trace_key(t): t for t in read_traces(graph, [d["trace"] for d in todo])}
        rows, refined_traces = [], []
        for d in chunk:
            row = {"original": d["trace"], "refined": None, "discarded": None,
                   "pruned_json": None}
            if policy.discard_refuted_binding and d["refuted"]:
                row["discarded"] = json.dumps(d["refuted"], sort_keys=True)
                result.discarded += 1
            elif d["prune"] and d["trace"] in originals:
                original = originals[d["trace"]]
                genes: dict[int, set[str]] = {}
                for p in d["prune"]:
                    genes.setdefault(p["index"], set()).add(normalise_text(p["gene"]))
                new, removed, gone = prune_trace(original, genes)
                if not is_valid(new):
                    row["discarded"] = json.dumps([{"reason": "refined_trace_invalid"}])
                    result.discarded += 1
                else:
                    new = new.model_copy(update={
                        "trace_id": f"{original.trace_id or d['trace']}@{run}",
                        "explain_verified": write_explain(new.actions)})
                    row["refined"] = trace_key(new)
                    row["pruned_json"] = json.dumps(d["prune"], sort_keys=True)
                    refined_traces.append(new)
                    result.refined += 1
                    result.genes_pruned += removed
                    result.actions_dropped += gone
            else:
                result.kept += 1
            rows.append(row)
        keys = [trace_key(t) for t in refined_traces]
        records = graph.read("traces/existing_traces", keys=keys)
        stored = {r["key"] for r in records}  # e.g. pruning made it equal to another trace
        for _ in write_traces(graph, refined_traces):
            pass
        graph.write("runs/link_refined", run=run, rows=rows, policy=policy.json(),
                    new=[k for k in keys if k not in stored])
    return result


def export(graph: Graph, run: str, path: Path, policy: Policy | None = None, *,
           include_discarded: bool = False,
           batch_size: int = 1000) -> dict[str, int]:
    """Write the run's traces as VC-TRACES rows with ``explain_verified``, as ``refine`` with
    ``policy`` left them (call it first). Discarded traces are left out unless
    ``include_discarded`` (then ``explain_verified`` is empty). Returns counts."""
    counts = {"written": 0, "refined": 0, "discarded": 0}
    write_traces_file(export_traces(graph, run, policy, include_discarded=include_discarded,
                                    batch_size=batch_size, counts=counts), path)
    return counts


def export_traces(graph: Graph, run: str, policy: Policy | None = None, *,
                  include_discarded: bool = False, batch_size: int = 1000,
                  counts: dict[str, int] | None = None) -> Iterator[Trace]:
    """The traces :func:`export` writes, one by one (``explain_verified`` set), read from the
    graph ``batch_size`` at a time; ``counts`` (``written``, ``refined``, ``discarded``) are
    kept up to date as they are produced."""
    policy = policy or Policy()
    counts = counts if counts is not None else {}
    for name in ("written", "refined", "discarded"):
        counts.setdefault(name, 0)
    outcomes = graph.read("runs/run_outcomes", run=run, policy=policy.json())
    for start in range(0, len(outcomes), batch_size):
        chunk = outcomes[start:start + batch_size]
        keys = [o["trace"] for o in chunk] + [o["refined"] for o in chunk if o["refined"]]
        traces = {trace_key(t): t for t in read_traces(graph, keys)}
        for o in chunk:
            original = traces[o["trace"]]
            if o["discarded"]:
                counts["discarded"] += 1
                if not include_discarded:
                    continue
                verified = None
            elif o["refined"]:
                counts["refined"] += 1
                verified = write_explain(traces[o["refined"]].actions)
            else:
                verified = write_explain(original.actions)
            counts["written"] += 1
            yield original.model_copy(update={"explain_verified": verified})
