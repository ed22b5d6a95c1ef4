"""Whatever validates, stores (issue 9): traces exactly at each storage limit of
vctrace.traces.limits are valid and are written to a real Neo4j (4-byte emoji included), and
one byte (or one item) over each limit is an error finding."""

from __future__ import annotations

import itertools

import pytest

from vctrace.kg.trace_store import graph_summary, read_traces as read_stored, write_traces
from vctrace.traces.findings import Code, Severity
from vctrace.traces.identity import normalise_text, trace_key
from vctrace.kg.trace_store import MAX_BATCH_ACTIONS
from vctrace.traces.limits import MAX_ACTIONS, MAX_EDGES, MAX_KEY_BYTES, MAX_LIST_ITEMS
from vctrace.traces.models import Perturbation
from vctrace.traces.text import parse_trace_text
from vctrace.traces.validation import check, is_valid

EMOJI = "\U0001F600"  # 4 bytes in UTF-8
AT = EMOJI * (MAX_KEY_BYTES // 4)
NFKC_AT = "\uFDFA" * (MAX_KEY_BYTES // 33)  # 3 bytes raw, 33 bytes once normalised


def _trace(*, drug="gefitinib", cell="A549", trace_id=None, target="EGFR", action_id="n1",
           genes=("EGFR",)):
    gene_list = ", ".join(f'"{g}"' for g in genes)
    explain = (f'set_context(cell_type="{cell}")\n'
               f'binds_to(id="{action_id}", actor="{drug}", target="{target}")\n'
               f'regulates_expression(id="n2", regulator="{target}", gene_list=[{gene_list}], '
               'direction="down")')
    dag = f'edge("{action_id}", "n2", relation="causal")'
    perturbation = Perturbation(raw={"perturbations": [{"name": drug}],
                                     "context": [{"cell type": cell}]})
    return check(parse_trace_text(explain, dag, trace_id=trace_id, perturbation=perturbation))


def _many(n_actions, n_edges, tag="m"):
    lines = ['set_context(cell_type="A549")']
    lines += [f'binds_to(id="n{i}", actor="{tag}", target="T{i}")' for i in range(1, n_actions - 1)]
    lines.append(f'induces_phenotype(id="n{n_actions - 1}", source="{tag}", phenotype="death")')
    pairs = ((i, i + s) for s in range(1, n_actions) for i in range(1, n_actions - s))
    edges = [f'edge("n{a}", "n{b}", relation="causal")' for a, b in itertools.islice(pairs, n_edges)]
    return check(parse_trace_text("\n".join(lines), "\n".join(edges), trace_id=f"many-{tag}"))


def _errors(trace):
    return {f.code for f in trace.findings if f.severity is Severity.ERROR}


def test_traces_at_every_key_limit_store(graph):
    traces = [
        _trace(trace_id=AT, drug=AT, cell=AT, target=AT, action_id=AT),
        _trace(trace_id="x" * MAX_KEY_BYTES, drug="d" * MAX_KEY_BYTES, target="t" * MAX_KEY_BYTES),
        _trace(drug="nfkc", target=NFKC_AT),
        _trace(drug="genes", genes=[f"G{i}" for i in range(MAX_LIST_ITEMS - 1)] + [AT]),
    ]
    assert len(normalise_text(NFKC_AT).encode()) <= MAX_KEY_BYTES
    for trace in traces:
        assert is_valid(trace), _errors(trace)
    results = list(write_traces(graph, traces, batch_size=10))
    assert sum(r.traces_written for r in results) == len(traces)
    stored = read_stored(graph, [trace_key(t) for t in traces])
    assert [t.trace_id for t in stored] == [t.trace_id for t in traces]
    assert stored[0].actions[1].args["target"] == AT and stored[0].drug == AT
    records = graph.read("kg/graph_summary")
    assert records and graph_summary(graph)["traces"] == len(traces)


def test_trace_at_the_action_and_edge_limits_stores(graph):
    trace = _many(MAX_ACTIONS, MAX_EDGES)
    assert is_valid(trace), _errors(trace)
    assert len(trace.actions) == MAX_ACTIONS and len(trace.edges) == MAX_EDGES
    results = list(write_traces(graph, [trace], batch_size=1))
    assert results[0].actions_written == MAX_ACTIONS and results[0].edges_written == MAX_EDGES


@pytest.mark.slow
def test_a_batch_of_traces_at_the_action_limit_stores(graph):
    """Traces at the action limit: twenty in one batch of 500 exceeded the server's
    per-transaction memory; batches now also close at MAX_BATCH_ACTIONS actions."""
    n = MAX_BATCH_ACTIONS // MAX_ACTIONS + 1  # one more than a capped batch holds
    traces = [_many(MAX_ACTIONS, MAX_ACTIONS, tag=f"b{i}") for i in range(n)]
    results = list(write_traces(graph, traces, batch_size=500))
    assert [r.traces_written for r in results] == [n - 1, 1]
    assert sum(r.actions_written for r in results) == n * MAX_ACTIONS


@pytest.mark.parametrize("over,code", [
    (dict(trace_id=AT + "x"), Code.TRACE_ID_TOO_LONG),
    (dict(drug=AT + "x"), Code.NAME_TOO_LONG),
    (dict(cell=AT + "x"), Code.NAME_TOO_LONG),
    (dict(target=AT + "x"), Code.ARGUMENT_TOO_LONG),
    (dict(target=NFKC_AT + "\uFDFA"), Code.ARGUMENT_TOO_LONG),
    (dict(action_id=AT + "x"), Code.ID_TOO_LONG),
    (dict(genes=[f"G{i}" for i in range(MAX_LIST_ITEMS + 1)]), Code.TOO_MANY_ITEMS),
])
def test_one_over_each_limit_is_an_error_finding(over, code):
    assert code in _errors(_trace(**over))


def test_one_over_the_action_and_edge_limits():
    assert Code.TOO_MANY_ACTIONS in _errors(_many(MAX_ACTIONS + 1, MAX_ACTIONS - 1))
    assert Code.TOO_MANY_EDGES in _errors(_many(MAX_ACTIONS, MAX_EDGES + 1))
