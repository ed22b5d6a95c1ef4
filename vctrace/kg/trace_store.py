"""Traces in the graph: batched writes (UNWIND, one transaction per batch) and lossless reads.

Graph shape of one trace::

    (:Trace {key, trace_id, drug, cell_line, …})-[:HAS_ACTION]->(:Action:<Primitive> {…})
    (:Action)-[:LEADS_TO {relation}]->(:Action)
    (:Action)-[:ASSERTS]->(:Claim {key})            one Claim per distinct claim key
    (:Action)-[:MENTIONS {role, position}]->(:Mention {key, text})
    (:Trace)-[:PERTURBED_BY]->(:Drug) ; (:Trace)-[:IN_CELL_LINE]->(:CellLine)
    (:Trace)-[:READ_FROM]->(:InputRecord {file, sha256, record})

Canonical arguments are also node properties (lists of strings stay lists) so that Cypher can
filter on them; ``args_json`` holds the exact arguments, which the readers use, so a round trip
through the graph loses nothing. Mentions are the raw entity names of arguments; grounding
them to knowledge-graph entities is a separate step that never rewrites traces.

Idempotency: a trace is identified by its content key. Keys already stored are skipped (only
the new input record is linked), so ingesting the same file twice adds nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator

from neo4j import Driver, ManagedTransaction

from .. import cypher
from ..traces import primitives
from ..traces.findings import Finding
from ..traces.identity import claim_args, claim_context, claim_key, normalise_text, trace_key
from ..traces.models import Action, Edge, Perturbation, Provenance, Trace
from ..traces.validation import is_valid


class InvalidTraceError(ValueError):
    """An invalid trace was handed to the writer (callers filter with ``is_valid`` first)."""


@dataclass
class WriteResult:
    traces_written: int = 0
    traces_existing: int = 0
    actions_written: int = 0
    edges_written: int = 0
    keys: list[str] = field(default_factory=list)

    def add(self, other: "WriteResult") -> None:
        self.traces_written += other.traces_written
        self.traces_existing += other.traces_existing
        self.actions_written += other.actions_written
        self.edges_written += other.edges_written
        self.keys += other.keys


def _prop_value(value: Any) -> Any:
    """A Neo4j property value: strings and lists of strings as they are, anything else JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    return json.dumps(value, ensure_ascii=False)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _action_row(tkey: str, index: int, trace: Trace, action: Action) -> dict[str, Any]:
    spec = primitives.get(action.primitive)
    if spec is None:
        raise InvalidTraceError(f"unknown primitive {action.primitive!r}")
    props = {name: _prop_value(action.args[name]) for name in spec.arguments
             if name in action.args}
    props.update(key=f"{tkey}:{index}", trace_key=tkey, idx=index, primitive=action.primitive,
                 claim_key=claim_key(trace, action), args_json=_dumps(action.args),
                 line=action.line, source_line=action.source_line)
    if action.id is not None:
        props["id"] = action.id
    return {"label": spec.label, "props": props}


def _trace_props(tkey: str, trace: Trace) -> dict[str, Any]:
    props = {
        "key": tkey, "trace_id": trace.trace_id, "drug": trace.drug,
        "cell_line": trace.cell_line, "question": trace.question, "answer": trace.answer,
        "think": trace.think, "report_text": trace.report_text,
        "explain_verified": trace.explain_verified,
        "perturbation_json": _dumps(trace.perturbation.raw) if trace.perturbation else None,
        "provenance_json": trace.provenance.model_dump_json(),
        "findings_json": _dumps([f.model_dump(mode="json") for f in trace.findings]),
        "unparsed_lines": trace.unparsed_lines,
        "n_actions": len(trace.actions), "n_edges": len(trace.edges),
        "primitives": sorted({a.primitive for a in trace.actions}),
    }
    return {k: v for k, v in props.items() if v is not None}


@dataclass
class _Batch:
    """The parameter rows of one write transaction."""

    traces: list[dict] = field(default_factory=list)
    edges: list[dict] = field(default_factory=list)
    claims: dict[str, dict] = field(default_factory=dict)
    mentions: dict[str, dict] = field(default_factory=dict)
    perturbations: list[dict] = field(default_factory=list)
    actions: int = 0

    def add(self, tkey: str, trace: Trace) -> None:
        actions = [_action_row(tkey, i, trace, a) for i, a in enumerate(trace.actions)]
        self.actions += len(actions)
        self.traces.append({"props": _trace_props(tkey, trace), "actions": actions})
        index_of = {a.id: i for i, a in enumerate(trace.actions) if a.id is not None}
        for i, edge in enumerate(trace.edges):
            self.edges.append({
                "source": f"{tkey}:{index_of[edge.source]}",
                "target": f"{tkey}:{index_of[edge.target]}",
                "props": {"relation": edge.relation, "idx": i, "source": edge.source,
                          "target": edge.target, "line": edge.line,
                          "source_line": edge.source_line}})
        for i, action in enumerate(trace.actions):
            self._add_claim(trace, action, f"{tkey}:{i}")
            self._add_mentions(action, f"{tkey}:{i}")
        drug, cell = trace.drug, trace.cell_line
        self.perturbations.append({
            "key": tkey, "drug": drug, "cell_line": cell,
            "drug_key": normalise_text(drug) if drug else None,
            "cell_line_key": normalise_text(cell) if cell else None})

    def _add_claim(self, trace: Trace, action: Action, action_key: str) -> None:
        ckey = claim_key(trace, action)
        entry = self.claims.get(ckey)
        if entry is None:
            context = claim_context(trace, action.primitive)
            entry = self.claims[ckey] = {"key": ckey, "actions": [], "props": {
                "primitive": action.primitive, "args_json": _dumps(claim_args(action)),
                "drug": context.get("drug"), "cell_line": context.get("cell_line")}}
        entry["actions"].append(action_key)

    def _add_mentions(self, action: Action, action_key: str) -> None:
        spec = primitives.get(action.primitive)
        for role in spec.entity_args if spec else ():
            value = action.args.get(role)
            values = value if isinstance(value, list) else [value]
            for position, item in enumerate(values):
                if not isinstance(item, str) or not item.strip():
                    continue
                mkey = normalise_text(item)
                entry = self.mentions.setdefault(mkey, {"key": mkey, "text": item.strip(),
                                                        "links": []})
                entry["links"].append({"action": action_key, "role": role,
                                       "position": position})


def _input_rows(pairs: list[tuple[str, Trace]]) -> list[dict]:
    rows = []
    for tkey, trace in pairs:
        prov = trace.provenance
        if prov.source_sha256 is None:
            continue
        rows.append({"trace_key": tkey, "key": f"{prov.source_sha256}:{prov.record}",
                     "props": {"file": prov.source_file, "sha256": prov.source_sha256,
                               "record": prov.record, "format": prov.source_format}})
    return rows


def _write_batch(tx: ManagedTransaction, pairs: list[tuple[str, Trace]]) -> WriteResult:
    keys = [k for k, _ in pairs]
    existing = {r["key"] for r in tx.run(cypher.load("existing_traces"), keys=keys)}
    batch = _Batch()
    seen: set[str] = set()
    for tkey, trace in pairs:
        if tkey in existing or tkey in seen:
            continue
        seen.add(tkey)
        batch.add(tkey, trace)
    if batch.traces:
        tx.run(cypher.load("create_traces"), traces=batch.traces).consume()
        tx.run(cypher.load("create_edges"), edges=batch.edges).consume()
        tx.run(cypher.load("merge_claims"), claims=list(batch.claims.values())).consume()
        tx.run(cypher.load("merge_mentions"), mentions=list(batch.mentions.values())).consume()
        tx.run(cypher.load("link_perturbations"), traces=batch.perturbations).consume()
    tx.run(cypher.load("link_inputs"), inputs=_input_rows(pairs)).consume()
    return WriteResult(traces_written=len(batch.traces), traces_existing=len(pairs) - len(seen),
                       actions_written=batch.actions, edges_written=len(batch.edges),
                       keys=keys)


def write_traces(driver: Driver, traces: Iterable[Trace], *, database: str = "neo4j",
                 batch_size: int = 500) -> Iterator[WriteResult]:
    """Write valid traces in batches of ``batch_size``, one transaction per batch, yielding
    one :class:`WriteResult` per batch. Raises :class:`InvalidTraceError` on an invalid trace
    before anything of its batch is written."""
    pending: list[tuple[str, Trace]] = []
    with driver.session(database=database) as session:
        for trace in traces:
            if not is_valid(trace):
                raise InvalidTraceError("refusing to store an invalid trace "
                                        f"(record {trace.provenance.record})")
            pending.append((trace_key(trace), trace))
            if len(pending) >= batch_size:
                yield session.execute_write(_write_batch, pending)
                pending = []
        if pending:
            yield session.execute_write(_write_batch, pending)


# ---------------------------------------------------------------- reading


def resolve_trace_keys(driver: Driver, ref: str, *, database: str = "neo4j",
                       limit: int = 2) -> list[str]:
    """Trace keys matching ``ref``: a full key or ``trace_id`` (exact matches only, when
    there are any), else every key or ``trace_id`` that starts with ``ref``."""
    records, _, _ = driver.execute_query(cypher.load("resolve_trace"), ref=ref, limit=limit,
                                         database_=database)
    keys = [r["key"] for r in records]
    exact = [r["key"] for r in records if r["exact"]]
    return exact[:1] if exact else keys


def read_traces(driver: Driver, keys: list[str], *, database: str = "neo4j") -> list[Trace]:
    """The stored traces of ``keys`` as models, in the order of ``keys`` (missing ones left
    out)."""
    records, _, _ = driver.execute_query(cypher.load("read_traces"), keys=keys,
                                         database_=database)
    by_key = {r["trace"]["key"]: _trace_from_record(r) for r in records}
    return [by_key[k] for k in keys if k in by_key]


def _trace_from_record(record: Any) -> Trace:
    t = record["trace"]
    perturbation = (Perturbation(raw=json.loads(t["perturbation_json"]))
                    if t.get("perturbation_json") else None)
    actions = [Action(id=a.get("id"), primitive=a["primitive"], args=json.loads(a["args_json"]),
                      line=a.get("line"), source_line=a.get("source_line"))
               for a in record["actions"]]
    edges = [Edge(source=e["source"], target=e["target"], relation=e["relation"],
                  line=e.get("line"), source_line=e.get("source_line"))
             for e in record["edges"]]
    return Trace(
        trace_id=t.get("trace_id"), perturbation=perturbation, question=t.get("question"),
        answer=t.get("answer"), think=t.get("think"), report_text=t.get("report_text"),
        explain_verified=t.get("explain_verified"), actions=actions, edges=edges,
        unparsed_lines=list(t.get("unparsed_lines") or []),
        provenance=Provenance.model_validate_json(t["provenance_json"]),
        findings=[Finding.model_validate(f) for f in json.loads(t["findings_json"])])


def graph_summary(driver: Driver, *, database: str = "neo4j") -> dict[str, int]:
    records, _, _ = driver.execute_query(cypher.load("graph_summary"), database_=database)
    return dict(records[0]) if records else {}


def primitive_counts(driver: Driver, *, database: str = "neo4j") -> list[dict[str, Any]]:
    records, _, _ = driver.execute_query(cypher.load("primitive_counts"), database_=database)
    return [dict(r) for r in records]
