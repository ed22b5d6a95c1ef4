"""Traces in the graph: batched writes (UNWIND, one transaction per batch) and lossless reads.

Graph shape of one trace::

    (:Trace {key, trace_id, drug, cell_line, …})-[:HAS_ACTION]->(:Action:<Primitive> {…})
    (:Action)-[:LEADS_TO {relation, idx}]->(:Action)
    (:Action)-[:ASSERTS]->(:Claim {key})            one Claim per distinct claim key
    (:Claim)-[:MENTIONS {role}]->(:Mention {key, text})
    (:Trace)-[:PERTURBED_BY]->(:Drug) ; (:Trace)-[:IN_CELL_LINE]->(:CellLine)
    (:Trace)-[:READ_FROM]->(:InputRecord {file, sha256, record})
    (:Trace)-[:SAW {id, cited}]->(:Evidence {key, source, source_id, text})
    (:Action)-[:SUPPORTED_BY {id}]->(:Evidence)      generated traces only (below)

Arguments are node properties named as in the formalism (strings, and lists of strings for
``gene_list``/``members``) so that Cypher can filter on them; arguments that are not part of
the primitive's signature, or hold other values, are kept in ``extra_args_json``. The Trace
node keeps how the text was laid out (line numbers, original lines that differ from the
canonical rendering), so a round trip through the graph loses nothing. Actions have no key of
their own: they are addressed through their trace (``idx`` is their position). Mentions hang
off claims, not actions: a claim's entities are what grounding and verifiers look at, and a
claim shared by many traces links its entities once. Mentions are the raw
entity names of arguments; grounding them to knowledge-graph entities is a separate step that
never rewrites traces.

Generated traces (rows of ``vctrace generate``, whose ``provenance`` object is kept in
``provenance.extra["provenance"]``) also store what the generator saw: each of its evidence
items becomes an ``Evidence`` node, keyed by a content hash and shared by every trace that saw
the same item, linked from the trace by ``SAW`` (the item's id in that trace, and whether the
trace's report cites it) and, for the knowledge-graph constructor's ``support`` map, from each
action to the items supporting it. The trace node gets ``constructor``,
``constructor_version``, ``model`` and ``generation_run`` from that provenance. A batch
without evidence sends no evidence statement.

Idempotency: a trace is identified by its content key. Keys already stored are skipped (only
the new input record is linked), so ingesting the same file twice adds nothing.

Ids: ``trace_id`` is the id the content was first stored under; ``trace_ids`` lists every id
it has been ingested under, the first one first (the content key ignores ids). Ingesting
stored content under a new id appends that id (:func:`add_trace_ids`); the same id again
changes nothing. Traces are found by any of their ids (index ``trace_trace_ids``).

Throughput: a batch is one managed write transaction of two round trips: which of its traces
and claims are stored (``existing_keys``), then one statement (``create_traces``) that writes
every new trace subgraph of the batch with its new claims and their mentions. Shared nodes
(mentions, drugs, cell lines, input records, stored claims) are looked up or MERGEd once per
batch, and rows name them by position, so the statement reads nothing after it starts
writing (see the statement's comment for why that matters to Neo4j's planner). Parsing and
building the next batch in Python overlaps with Neo4j writing the current one (a writer
thread).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator

from neo4j import ManagedTransaction

from .. import cypher
from .graph import Graph, store_rejection
from ..traces import primitives
from ..traces.citations import cited_ids
from ..traces.findings import Finding
from ..traces.identity import claims_of, normalise_text, trace_key
from ..traces.limits import MAX_KEY_BYTES
from ..traces.models import Action, Edge, Perturbation, Provenance, Trace
from ..traces.text import format_action, format_edge
from ..traces.validation import is_valid

# one label per primitive, from the registry (never from input); declared for interpolation
ACTION_LABELS = tuple(spec.label for spec in primitives.REGISTRY.values())
cypher.allow_names(ACTION_LABELS + ("Action",))


class InvalidTraceError(ValueError):
    """An invalid trace was handed to the writer (callers filter with ``is_valid`` first)."""


@dataclass
class FailedTrace:
    """A valid trace that could not be converted or stored, with why; it was skipped and
    the rest of its batch written."""

    file: str | None
    record: int | None
    reason: str


@dataclass
class WriteResult:
    """What one batch did (one transaction, or several when a refused record was isolated)."""

    traces_written: int = 0
    traces_existing: int = 0
    actions_written: int = 0
    edges_written: int = 0
    ids_added: int = 0
    """Ids recorded on traces that were already stored (or written earlier in the batch)
    under other ids."""
    failed: list[FailedTrace] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    """The keys of the traces this batch wrote (the others of the batch were already stored,
    or are in ``failed``): what lets a caller say, per record, written or existing."""
    mentions: set[str] = field(default_factory=set)
    """The keys of the mentions of the claims this batch stored: the only mentions that can be
    new, so the only ones grounding after an ingest has to look at."""

    def add(self, other: "WriteResult") -> "WriteResult":
        self.written += other.written
        self.mentions |= other.mentions
        self.traces_written += other.traces_written
        self.traces_existing += other.traces_existing
        self.actions_written += other.actions_written
        self.edges_written += other.edges_written
        self.ids_added += other.ids_added
        self.failed += other.failed
        return self


def _failed(trace: Trace, reason: str) -> FailedTrace:
    return FailedTrace(file=trace.provenance.source_file, record=trace.provenance.record,
                       reason=reason)


# ---------------------------------------------------------------- rows for Cypher


RESERVED = ("idx", "primitive", "id", "extra_args_json")
"""Action node properties that are not arguments (no primitive has an argument so named)."""


def _fits(spec: primitives.PrimitiveSpec, name: str, value: Any) -> bool:
    """Whether an argument value has its declared type: a list of strings for list
    arguments, a string otherwise (anything else is kept in ``extra_args_json``)."""
    if name in spec.list_args:
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    return isinstance(value, str)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _action_row(index: int, action: Action,
                claim: tuple[str, dict[str, Any], dict[str, str]]) -> dict[str, Any]:
    spec = primitives.get(action.primitive)
    if spec is None:
        raise InvalidTraceError(f"unknown primitive {action.primitive!r}")
    known = set(spec.arguments)
    props: dict[str, Any] = {k: v for k, v in action.args.items()
                             if k in known and _fits(spec, k, v)}
    extra = {k: v for k, v in action.args.items() if k not in props}
    props.update(idx=index, primitive=action.primitive)
    if extra:
        props["extra_args_json"] = _dumps(extra)
    if action.id is not None:
        props["id"] = action.id
    return {"label": spec.label, "props": props, "claim_key": claim[0], "claim": claim}


def _claim_row(action: Action, action_row: dict[str, Any]) -> dict[str, Any]:
    """The Claim node row of ``action`` (its :func:`_action_row` given)."""
    key, args, context = action_row["claim"]
    return {"key": key, "mentions": _mentions(primitives.get(action.primitive), action),
            "props": {"primitive": action.primitive, "args_json": _dumps(args),
                      "drug": context.get("drug"), "cell_line": context.get("cell_line")}}


def _args_from_props(props: dict[str, Any]) -> dict[str, Any]:
    spec = primitives.get(props["primitive"])
    args = {k: props[k] for k in (spec.arguments if spec else ()) if k in props}
    if props.get("extra_args_json"):
        args.update(json.loads(props["extra_args_json"]))
    return args


def _mentions(spec: primitives.PrimitiveSpec, action: Action) -> list[dict[str, Any]]:
    """One row per distinct (role, entity name) among the entity arguments of ``action``."""
    rows, seen = [], set()
    for role in spec.entity_args:
        value = action.args.get(role)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and item.strip() and (role, normalise_text(item)) not in seen:
                seen.add((role, normalise_text(item)))
                rows.append({"key": normalise_text(item), "text": item.strip(), "role": role})
    return rows


def _layout(trace: Trace) -> dict[str, Any]:
    """How the trace was written: line numbers, and the original text of each line that
    differs from its canonical rendering. Kept once on the Trace node rather than on every
    action and edge: it is only needed to give back exactly what was read."""
    return {
        "action_lines": [a.line for a in trace.actions],
        "edge_lines": [e.line for e in trace.edges],
        "action_sources": {str(i): a.source_line for i, a in enumerate(trace.actions)
                           if a.source_line != format_action(a)},
        "edge_sources": {str(i): e.source_line for i, e in enumerate(trace.edges)
                         if e.source_line != format_edge(e)},
    }


def _trace_props(tkey: str, trace: Trace) -> dict[str, Any]:
    used = Counter(a.primitive for a in trace.actions)
    props = {
        "key": tkey, "trace_id": trace.trace_id,
        "trace_ids": [trace.trace_id] if trace.trace_id is not None else None,
        "drug": trace.drug,
        "cell_line": trace.cell_line, "question": trace.question, "answer": trace.answer,
        "think": trace.think, "report_text": trace.report_text,
        "explain_verified": trace.explain_verified,
        "perturbation_json": _dumps(trace.perturbation.raw) if trace.perturbation else None,
        "provenance_json": trace.provenance.model_dump_json(),
        "findings_json": _dumps([f.model_dump(mode="json") for f in trace.findings]),
        "layout_json": _dumps(_layout(trace)),
        "unparsed_lines": trace.unparsed_lines or None,  # no property rather than []
        "n_actions": len(trace.actions), "n_edges": len(trace.edges),
        "primitives": sorted(used),
        "primitive_counts": [used[p] for p in sorted(used)],  # actions of each, in that order
    }
    props.update(_generation_props(trace))
    return {k: v for k, v in props.items() if v is not None}


# ---------------------------------------------------------------- generation evidence

GENERATION_FIELDS = ("constructor", "constructor_version", "model", "generation_run")
"""The fields of a generated row's provenance that become properties of its Trace node."""


def generation_provenance(trace: Trace) -> dict[str, Any]:
    """The ``provenance`` object a generated row carried (``{}`` for any other trace)."""
    found = trace.provenance.extra.get("provenance")
    return found if isinstance(found, dict) else {}


def _generation_props(trace: Trace) -> dict[str, str]:
    """``constructor``, ``constructor_version``, ``model``, ``generation_run`` where the
    provenance holds them as strings that fit an index key (input is not trusted: anything
    else stays only in ``provenance_json``)."""
    prov = generation_provenance(trace)
    return {k: v for k in GENERATION_FIELDS if isinstance(v := prov.get(k), str)
            and v and len(v.encode("utf-8", "surrogatepass")) <= MAX_KEY_BYTES}


def _text(value: Any) -> str | None:
    """A string value as it is, a number or boolean as text, anything else None."""
    if isinstance(value, str):
        return value
    return json.dumps(value) if isinstance(value, (bool, int, float)) else None


def _readable(item: dict[str, Any]) -> str:
    """A line for an evidence item without a ``text`` (the knowledge-graph constructor's:
    ``primekg DRUG_PROTEIN (target): trametinib -> map2k1``); other shapes as their JSON."""
    where = " ".join(t for k in ("source", "relationship") if (t := _text(item.get(k))))
    if _text(item.get("display_relation")):
        where += f" ({_text(item['display_relation'])})"
    ends = [t for k in ("drug", "gene", "term") if (t := _text(item.get(k)))]
    if len(ends) < 2:
        return json.dumps({k: v for k, v in sorted(item.items()) if k != "id"},
                          ensure_ascii=False, default=str)
    line = f"{where}: {' -> '.join(ends)}" if where else " -> ".join(ends)
    name = _text(item.get("term_name"))
    return f"{line} ({name})" if name else line


def evidence_node(item: dict[str, Any]) -> dict[str, Any]:
    """The ``Evidence`` node of one evidence item: ``key`` (``e-`` + a hash of its source,
    source id and text; for a structured item without text, of its canonical JSON without
    the id), ``source``, ``source_id``, ``text`` (a readable line for structured items, whose
    fields are kept whole in ``data_json``)."""
    source, text = _text(item.get("source")), _text(item.get("text"))
    if text is not None:
        source_id = _text(item.get("source_id"))
        payload: Any = [source, source_id, text]
        props = {"source": source, "source_id": source_id, "text": text}
    else:
        data = {k: v for k, v in item.items() if k != "id"}
        payload = data
        ends = [t for k in ("drug", "gene", "term") if (t := _text(item.get(k)))]
        relation = _text(item.get("relationship"))
        source_id = "->".join(ends) if ends else None
        if source_id and relation:
            source_id = f"{relation}:{source_id}"
        props = {"source": source, "source_id": source_id, "text": _readable(item),
                 "data_json": json.dumps(data, ensure_ascii=False, default=str)}
        if _text(item.get("kind")):
            props["kind"] = _text(item["kind"])
    encoded = json.dumps(payload, ensure_ascii=False, sort_keys=True, default=str)
    digest = hashlib.sha256(encoded.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return {"key": f"e-{digest}", "props": {k: v for k, v in props.items() if v is not None}}


def evidence_row(trace: Trace, tkey: str, index_of: dict[str, int]
                 ) -> tuple[dict[str, Any] | None, dict[str, dict[str, Any]]]:
    """The ``link_evidence`` row of a generated trace (``None`` when it saw no evidence) and
    the evidence nodes it names by key: ``items`` (one per evidence item: its id in the trace,
    whether the report cites it, the node key) and ``support`` (action position, evidence id
    and node key for each item in the provenance's ``support`` map of that action)."""
    prov = generation_provenance(trace)
    evidence = prov.get("evidence")
    if not isinstance(evidence, list) or not evidence:
        return None, {}
    cited = set(cited_ids(trace.report_text or ""))
    nodes: dict[str, dict[str, Any]] = {}
    items, key_of = [], {}
    for item in evidence:
        if not isinstance(item, dict):
            continue
        node = evidence_node(item)
        nodes.setdefault(node["key"], node)
        item_id = _text(item.get("id"))
        if item_id is not None:
            key_of.setdefault(item_id, node["key"])
        items.append({"key": node["key"], "id": item_id, "cited": item_id in cited})
    support = []
    given = prov.get("support")
    for action, ids in (given.items() if isinstance(given, dict) else ()):
        if action in index_of and isinstance(ids, list):
            support += [{"idx": index_of[action], "id": i, "key": key_of[i]}
                        for i in dict.fromkeys(i for i in ids if isinstance(i, str))
                        if i in key_of]
    if not items:
        return None, {}
    return {"trace_key": tkey, "items": items, "support": support}, nodes


def trace_row(tkey: str, trace: Trace) -> dict[str, Any]:
    """The row of one trace subgraph: its properties, its actions (label, properties, claim
    key) and edges (positions of their actions), its drug and cell line (the bulk import
    writes CSV from it; :func:`_write_params` turns rows into ``create_traces``'s
    parameters)."""
    if not is_valid(trace):
        raise InvalidTraceError("refusing to store an invalid trace "
                                f"(record {trace.provenance.record})")
    index_of = {a.id: i for i, a in enumerate(trace.actions) if a.id is not None}
    drug, cell = trace.drug, trace.cell_line
    return {
        "props": _trace_props(tkey, trace),
        "actions": [_action_row(i, a, claim)
                    for i, (a, claim) in enumerate(zip(trace.actions, claims_of(trace)))],
        "edges": [{"source": index_of[e.source], "target": index_of[e.target],
                   "props": {"relation": e.relation, "idx": i}}
                  for i, e in enumerate(trace.edges)],
        "drug": drug, "cell_line": cell,
        "drug_key": normalise_text(drug) if drug else None,
        "cell_line_key": normalise_text(cell) if cell else None,
    }


def _input_row(tkey: str, trace: Trace) -> dict[str, Any] | None:
    prov = trace.provenance
    if prov.source_sha256 is None:
        return None
    return {"trace_key": tkey, "key": f"{prov.source_sha256}:{prov.record}",
            "props": {"file": prov.source_file, "sha256": prov.source_sha256,
                      "record": prov.record, "format": prov.source_format}}


@dataclass
class _PreparedBatch:
    rows: dict[str, dict[str, Any] | None]  # trace key -> row; None when already stored
    inputs: list[dict[str, Any]]
    size: int
    claims: dict[str, dict[str, Any]] = field(default_factory=dict)  # by key, of the rows
    traces: list[Trace] = field(default_factory=list)  # those converted (size of them)
    failed: list[FailedTrace] = field(default_factory=list)  # those that could not be
    evidence: dict[str, dict[str, Any]] = field(default_factory=dict)  # trace key -> links
    evidence_nodes: dict[str, dict[str, Any]] = field(default_factory=dict)  # by node key
    ids: dict[str, list[str]] = field(default_factory=dict)  # trace key -> its ids, in order


def id_rows(traces: Iterable[tuple[str, Trace]]) -> dict[str, list[str]]:
    """The distinct ids of each trace key among ``(key, trace)`` pairs, in order of
    appearance (traces without an id left out)."""
    ids: dict[str, list[str]] = {}
    for tkey, trace in traces:
        if trace.trace_id is not None and trace.trace_id not in ids.setdefault(tkey, []):
            ids[tkey].append(trace.trace_id)
    return {k: v for k, v in ids.items() if v}


def _prepare(traces: list[Trace], keys: list[str], stored: set[str]) -> _PreparedBatch:
    """Parameter rows for the traces of one batch; rows are only built for keys not in
    ``stored`` (re-ingesting a file costs a key lookup per trace, not a full conversion). A
    trace that fails to convert is left out and listed in ``failed``."""
    rows: dict[str, dict[str, Any] | None] = {}
    claims: dict[str, dict[str, Any]] = {}
    evidence: dict[str, dict[str, Any]] = {}
    nodes: dict[str, dict[str, Any]] = {}
    inputs, kept, failed = [], [], []
    for trace, tkey in zip(traces, keys):
        if tkey not in rows:
            try:
                row = None if tkey in stored else trace_row(tkey, trace)
                trace_claims = {}
                for action, action_row in zip(trace.actions, row["actions"] if row else ()):
                    ckey = action_row["claim_key"]
                    if ckey not in claims and ckey not in trace_claims:
                        trace_claims[ckey] = _claim_row(action, action_row)
                input_row = _input_row(tkey, trace)
                seen, seen_nodes = (None, {}) if row is None else evidence_row(
                    trace, tkey, {a.id: i for i, a in enumerate(trace.actions)
                                  if a.id is not None})
            except Exception as exc:  # a conversion bug must not lose the batch
                failed.append(_failed(trace, f"cannot convert: {type(exc).__name__}: {exc}"))
                continue
            rows[tkey] = row
            claims.update(trace_claims)
            if seen is not None:
                evidence[tkey] = seen
                nodes.update(seen_nodes)
        else:
            input_row = _input_row(tkey, trace)
        kept.append((tkey, trace))
        if input_row is not None:
            inputs.append(input_row)
    return _PreparedBatch(rows=rows, inputs=inputs, size=len(kept),
                          claims=claims, traces=[t for _, t in kept],
                          failed=failed, evidence=evidence, evidence_nodes=nodes,
                          ids=id_rows(kept))


ACTION_LABEL_SET = frozenset(ACTION_LABELS)


def _write_params(new: list[dict[str, Any]], claims: dict[str, dict[str, Any]],
                  stored: set[str], inputs: list[dict[str, Any]]
                  ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The parameters of ``create_traces.cypher`` for the ``new`` trace rows (see
    :func:`trace_row`), and the claim rows it creates. Shared nodes are listed once each
    (mentions, drugs, cell lines, input records; the claims the rows assert, those already
    ``stored`` first) and rows name them by position in those lists. Each claim comes with
    how many of the new traces assert it (its ``n_traces``, or what a stored claim's grows
    by)."""
    asserting: dict[str, int] = {}
    for row in new:
        for key in {a["claim_key"] for a in row["actions"]}:
            asserting[key] = asserting.get(key, 0) + 1
    needed = dict.fromkeys(a["claim_key"] for row in new for a in row["actions"])
    stored_keys = [k for k in needed if k in stored]
    created = [claims[k] for k in needed if k not in stored]
    claim_at = {k: i for i, k in enumerate(stored_keys + [c["key"] for c in created])}
    mentions: dict[str, int] = {}
    mention_rows, claim_rows = [], []
    for c in created:
        links = []
        for m in c["mentions"]:
            if m["key"] not in mentions:
                mentions[m["key"]] = len(mention_rows)
                mention_rows.append({"key": m["key"], "text": m["text"]})
            links.append({"i": mentions[m["key"]], "role": m["role"]})
        claim_rows.append({"key": c["key"], "mentions": links,
                           "props": {**c["props"], "n_traces": asserting[c["key"]]}})
    input_at: dict[str, int] = {}
    inputs_of: dict[str, list[int]] = {}
    input_rows = []
    for i in inputs:
        if i["key"] not in input_at:
            input_at[i["key"]] = len(input_rows)
            input_rows.append({"key": i["key"], "props": i["props"]})
        inputs_of.setdefault(i["trace_key"], []).append(input_at[i["key"]])
    drugs: dict[str, int] = {}
    cells: dict[str, int] = {}
    drug_rows, cell_rows, trace_rows = [], [], []
    for row in new:
        drug, cell = row["drug_key"], row["cell_line_key"]
        if drug is not None and drug not in drugs:
            drugs[drug] = len(drug_rows)
            drug_rows.append({"key": drug, "name": row["drug"]})
        if cell is not None and cell not in cells:
            cells[cell] = len(cell_rows)
            cell_rows.append({"key": cell, "name": row["cell_line"]})
        actions = []
        for a in row["actions"]:
            # the statement sets this label dynamically: only registry labels get that far
            if a["label"] not in ACTION_LABEL_SET:
                raise InvalidTraceError(f"unknown action label {a['label']!r}")
            actions.append({"claim": claim_at[a["claim_key"]], "label": a["label"],
                            "props": a["props"]})
        trace_rows.append({"props": row["props"], "drug": drugs.get(drug),
                           "cell_line": cells.get(cell),
                           "inputs": inputs_of.get(row["props"]["key"], []),
                           "actions": actions, "edges": row["edges"]})
    params = {"mentions": mention_rows, "drugs": drug_rows, "cell_lines": cell_rows,
              "inputs": input_rows, "claims": claim_rows,
              "stored_claims": [{"key": k, "n": asserting[k]} for k in stored_keys],
              "traces": trace_rows}
    return params, created


def _write_batch(tx: ManagedTransaction, batch: _PreparedBatch) -> WriteResult:
    """The unit of work of one batch, run by the driver as a managed write transaction (so
    retried on a transient error or a cluster's leader switch): which traces and claims are
    stored is checked inside it, so a retry after an attempt that did commit writes nothing
    twice."""
    found = tx.run(cypher.load("traces/existing_keys"), traces=list(batch.rows),
                   claims=list(batch.claims)).single()
    existing, stored = set(found["traces"]), set(found["claims"])
    new = [row for key, row in batch.rows.items() if key not in existing and row is not None]
    new_keys = {row["props"]["key"] for row in new}
    created: list[dict[str, Any]] = []
    if new:
        params, created = _write_params(
            new, batch.claims, stored, [i for i in batch.inputs if i["trace_key"] in new_keys])
        tx.run(cypher.load("traces/create_traces"), **params).consume()
    old_inputs = [i for i in batch.inputs if i["trace_key"] not in new_keys]
    if old_inputs:  # records read again, of traces stored before
        tx.run(cypher.load("traces/link_inputs"), inputs=old_inputs).consume()
    seen = [batch.evidence[row["props"]["key"]] for row in new
            if row["props"]["key"] in batch.evidence]
    if seen:  # generated traces only: other batches send nothing more
        keys = {item["key"] for row in seen for item in row["items"]}
        tx.run(cypher.load("traces/merge_evidence"),
               evidence=[batch.evidence_nodes[k] for k in sorted(keys)]).consume()
        tx.run(cypher.load("traces/link_evidence"), traces=seen).consume()
    # ids beyond the one a new trace was created with: stored traces met again, and traces
    # met several times in this batch (rare: one statement only when there are any)
    created_ids = {row["props"]["key"]: row["props"].get("trace_ids", []) for row in new}
    more = [{"key": key, "ids": ids} for key, ids in batch.ids.items()
            if ids != created_ids.get(key)]
    added = _add_ids(tx, more) if more else 0
    return WriteResult(traces_written=len(new), traces_existing=batch.size - len(new),
                       ids_added=added,
                       written=[row["props"]["key"] for row in new],
                       mentions={m["key"] for c in created for m in c["mentions"]},
                       actions_written=sum(len(r["actions"]) for r in new),
                       edges_written=sum(len(r["edges"]) for r in new))


def _add_ids(tx: ManagedTransaction, rows: list[dict[str, Any]]) -> int:
    record = tx.run(cypher.load("traces/add_trace_ids"), rows=rows).single()
    return record["added"] if record else 0


def add_trace_ids(graph: Graph, ids: dict[str, list[str]]) -> int:
    """Record ``ids`` (trace key -> ids, in order) on the stored traces of those keys: each id
    not yet in the trace's ``trace_ids`` is appended (and becomes its ``trace_id`` when it had
    none). Returns how many ids were added; the same ids again add nothing."""
    rows = [{"key": key, "ids": list(values)} for key, values in ids.items() if values]
    if not rows:
        return 0
    with graph.session() as session:
        return session.execute_write(_add_ids, rows)


# ---------------------------------------------------------------- writing


def _prepare_batch(graph: Graph, traces: list[Trace]) -> _PreparedBatch:
    """Rows for one batch, leaving out traces that are already stored (checked again inside
    the write transaction, with the claims: this look-up runs while the previous batch is
    still being written, and only saves building rows for traces stored before)."""
    keys = [trace_key(t) for t in traces]
    records = graph.read("traces/existing_traces", keys=keys)
    return _prepare(traces, keys, {r["key"] for r in records})


CONSTRAINT_FAILED = "Neo.ClientError.Schema.ConstraintValidationFailed"


def _write_isolated(graph: Graph, session: Any, batch: _PreparedBatch, *,
                    again: bool = True) -> WriteResult:
    """Write ``batch`` in one transaction; when Neo4j refuses it (a value too large to
    index, a constraint), write each half again in a transaction of its own, down to the
    single traces that are refused: those are reported and skipped, every other trace is
    written. A batch of n traces with k refused ones costs at most about 2·k·log2(n) extra
    transactions (none when nothing is refused). A broken uniqueness constraint is first
    taken for what it almost always is, another writer having stored one of the batch's
    traces or claims between this transaction's check and its writes, and the whole batch
    is tried once more (its check then sees them)."""
    result = WriteResult(failed=list(batch.failed))
    try:
        return result.add(session.execute_write(_write_batch, batch))
    except Exception as exc:
        reason = store_rejection(exc)
        if reason is None or not batch.traces:
            raise
        if again and getattr(exc, "code", None) == CONSTRAINT_FAILED:
            return _write_isolated(graph, session, _prepare_batch(graph, batch.traces),
                                   again=False)
    if len(batch.traces) == 1:
        return result.add(WriteResult(failed=[_failed(batch.traces[0], reason)]))
    middle = len(batch.traces) // 2
    for half in (batch.traces[:middle], batch.traces[middle:]):
        result.add(_write_isolated(graph, session, _prepare_batch(graph, half)))
    return result


# A batch is also closed at this many actions: traces at the validation limit (2,000 actions)
# would otherwise make one transaction of up to a million actions, past the server's
# per-transaction memory cap (20 such traces already failed at 384 MiB). Typical VC-TRACES
# batches (200 traces of ~18 actions) stay well under it.
MAX_BATCH_ACTIONS = 12_000


def _batches(graph: Graph, traces: Iterable[Trace], size: int) -> Iterator[_PreparedBatch]:
    pending: list[Trace] = []
    actions = 0
    for trace in traces:
        if not is_valid(trace):
            raise InvalidTraceError("refusing to store an invalid trace "
                                    f"(record {trace.provenance.record})")
        if pending and actions + len(trace.actions) > MAX_BATCH_ACTIONS:
            yield _prepare_batch(graph, pending)
            pending, actions = [], 0
        pending.append(trace)
        actions += len(trace.actions)
        if len(pending) >= size:
            yield _prepare_batch(graph, pending)
            pending, actions = [], 0
    if pending:
        yield _prepare_batch(graph, pending)


def write_traces(graph: Graph, traces: Iterable[Trace], *,
                 batch_size: int = 200) -> Iterator[WriteResult]:
    """Write valid traces in batches of ``batch_size``, one transaction per batch, yielding
    one :class:`WriteResult` per committed batch.

    The next batch is read and prepared in this thread (the caller's iterator included) while
    a worker thread writes the current one, so parsing and Neo4j's work overlap; batches are
    committed one after the other, in order. (Measured on 2 cores, a second concurrent writer
    gained nothing: concurrent batches deadlock on shared claim and mention nodes and are
    retried.) A batch is prepared whole before it is sent: an invalid trace raises
    :class:`InvalidTraceError` before anything of its batch is written (earlier batches stay
    committed). A valid trace that cannot be converted, or that Neo4j refuses to store, is
    skipped and listed in the result's ``failed``; the rest of its batch is written (see
    :func:`_write_isolated`). Lost connections raise
    :class:`~vctrace.kg.graph.GraphUnavailable`.
    """
    with graph.session() as session, \
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="vctrace-writer") as pool:
        pending = None
        for batch in _batches(graph, traces, batch_size):
            if pending is not None:
                yield pending.result()
            pending = pool.submit(_write_isolated, graph, session, batch)
        if pending is not None:
            yield pending.result()


# ---------------------------------------------------------------- reading


def resolve_trace_keys(graph: Graph, ref: str, *, limit: int = 10) -> list[str]:
    """Trace keys matching ``ref`` (at most ``limit``): its full key when it is one; else
    every trace having ``ref`` as one of its ids (several when one id was given to different
    contents: the caller reports the ambiguity); else every key or ``trace_id`` that starts
    with ``ref``."""
    records = graph.read("traces/resolve_trace", ref=ref, limit=limit)
    best = max((r["rank"] for r in records), default=0)
    return [r["key"] for r in records if r["rank"] == best]


def stored_trace_ids(graph: Graph, key: str) -> list[str]:
    """Every id the trace of ``key`` was ingested under, the first one first."""
    records = graph.read("traces/trace_ids", key=key)
    return list(records[0]["ids"]) if records else []


def read_traces(graph: Graph, keys: list[str]) -> list[Trace]:
    """The stored traces of ``keys`` as models, in the order of ``keys`` (missing ones left
    out)."""
    records = graph.read("traces/read_traces", keys=keys)
    by_key = {r["trace"]["key"]: _trace_from_record(r) for r in records}
    return [by_key[k] for k in keys if k in by_key]


def _trace_from_record(record: Any) -> Trace:
    t = record["trace"]
    layout = json.loads(t["layout_json"])
    perturbation = (Perturbation(raw=json.loads(t["perturbation_json"]))
                    if t.get("perturbation_json") else None)
    actions = []
    for i, row in enumerate(record["actions"]):
        action = Action(id=row.get("id"), primitive=row["primitive"],
                        args=_args_from_props(row), line=layout["action_lines"][i])
        source = layout["action_sources"].get(str(i), format_action(action))
        actions.append(action.model_copy(update={"source_line": source}))
    edges = []
    for i, row in enumerate(record["edges"]):
        edge = Edge(source=row["source"], target=row["target"], relation=row["relation"],
                    line=layout["edge_lines"][i])
        source = layout["edge_sources"].get(str(i), format_edge(edge))
        edges.append(edge.model_copy(update={"source_line": source}))
    return Trace(
        trace_id=t.get("trace_id"), perturbation=perturbation, question=t.get("question"),
        answer=t.get("answer"), think=t.get("think"), report_text=t.get("report_text"),
        explain_verified=t.get("explain_verified"), actions=actions, edges=edges,
        unparsed_lines=list(t.get("unparsed_lines") or []),
        provenance=Provenance.model_validate_json(t["provenance_json"]),
        findings=[Finding.model_validate(f) for f in json.loads(t["findings_json"])])


def list_traces(graph: Graph, *, drug: str | None = None, cell_line: str | None = None,
                primitive: str | None = None, entity: str | None = None,
                run: str | None = None, status: str | None = None, offset: int = 0,
                limit: int = 50) -> tuple[int, list[dict[str, Any]]]:
    """How many stored traces match every filter given, and those from ``offset`` on (at
    most ``limit``), by key: each its ``key``, ``trace_id``, ``drug``, ``cell_line`` and
    counts of ``actions`` and ``edges``. ``drug`` and ``cell_line`` match whatever the case
    and spacing (as the Drug and CellLine nodes are keyed); ``entity`` is a mention's text or
    the key of an entity a mention grounds to; ``run``/``status``: a verdict on one of the
    trace's claims (of that run, of that status)."""
    names = {"drug_key": drug, "cell_line_key": cell_line, "mention_key": entity}
    keys = {k: normalise_text(v) if v is not None else "" for k, v in names.items()}
    if any(v is not None and not keys[k] for k, v in names.items()):
        return 0, []  # a blank name names nothing ("" means "any" to the statement)
    record, = graph.read("traces/list_traces", filter=dict(
        keys, primitive=primitive or "", entity=entity or "", run=run or "",
        status=status or ""), offset=offset, limit=limit)
    return record["total"], sorted(record["items"], key=lambda item: item["key"])


def graph_summary(graph: Graph) -> dict[str, int]:
    """Counts of traces, actions, edges, claims, mentions, drugs and cell lines."""
    records = graph.read("kg/graph_summary")
    return records[0] if records else {}


def primitive_counts(graph: Graph) -> list[dict[str, Any]]:
    """Actions per primitive and how many traces use each, most frequent first."""
    return graph.read("traces/primitive_counts")


def graph_has_data(graph: Graph) -> bool:
    """Whether the database holds any node at all (knowledge, traces, runs…)."""
    return bool(graph.read("kg/has_data")[0]["used"])
