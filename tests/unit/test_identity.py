"""Content-addressed keys: stable across runs and machines, sensitive to content only."""

import os
import subprocess
import sys

from vctrace.traces.identity import claim_key, trace_key
from vctrace.traces.models import Perturbation
from vctrace.traces.records import read_traces
from vctrace.traces.text import parse_trace_text

from support.paths import DEMO_TRACES, ROOT

EXPLAIN = ('set_context(cell_type="A549")\n'
           'binds_to(id="n1", actor="Erlotinib", target="EGFR", via="ATP site")\n'
           'regulates_expression(id="n2", regulator="ERK", gene_list=["DUSP6", "FOSL1"], '
           'direction="down")')
DAG = 'edge("n1", "n2", relation="causal")'


def pert(drug="Erlotinib", cell="A549"):
    return Perturbation(raw={"context": [{"cell type": cell}],
                             "perturbations": [{"name": drug}]})


def make(explain=EXPLAIN, dag=DAG, **kw):
    return parse_trace_text(explain, dag, perturbation=kw.pop("perturbation", pert()), **kw)


def test_trace_key_is_pinned():
    # A golden value: if this changes, every stored key changes; bump it only on purpose.
    # (The key of a real VC-TRACES row is pinned too, in integration/test_samples.py.)
    trace = next(iter(read_traces(DEMO_TRACES)))
    assert trace.trace_id == "demo-trametinib-c32"
    assert trace_key(trace) == PINNED_DEMO_TRAMETINIB_KEY


def test_keys_do_not_depend_on_the_process():
    code = ("from vctrace.traces.records import read_traces;"
            f"t = next(iter(read_traces({str(DEMO_TRACES)!r})));"
            "from vctrace.traces.identity import trace_key, claim_key;"
            "print(trace_key(t), claim_key(t, t.actions[1]))")
    outputs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              env=dict(os.environ, PYTHONHASHSEED=seed), cwd=ROOT,
                              check=True).stdout for seed in ("1", "2", "random")}
    assert len(outputs) == 1


def test_trace_key_ignores_where_a_trace_came_from_and_layout():
    a = make(question="q1", report_text="r1")
    b = make(explain="  " + EXPLAIN.replace("\n", "\n\n  "), question="q2")
    b.provenance.source_file = "elsewhere.jsonl"
    assert trace_key(a) == trace_key(b)


def test_trace_key_changes_with_content():
    base = trace_key(make())
    assert trace_key(make(EXPLAIN.replace("DUSP6", "DUSP4"))) != base
    assert trace_key(make(dag=DAG.replace("causal", "correlative"))) != base
    assert trace_key(make(perturbation=pert(cell="HOP62"))) != base


def test_claim_key_normalises_phrasing():
    a = make()
    b = make(EXPLAIN.replace('actor="Erlotinib"', 'actor="  erlotinib "')
             .replace('"DUSP6", "FOSL1"', '"FOSL1", "dusp6", "DUSP6"')
             .replace('via="ATP site"', 'via="hinge region"'))
    assert claim_key(a, a.actions[1]) == claim_key(b, b.actions[1])
    assert claim_key(a, a.actions[2]) == claim_key(b, b.actions[2])


def test_claim_context_depends_on_the_primitive():
    here, there = make(), make(perturbation=pert(cell="HOP62"))
    # binding does not depend on the cell line; expression changes do
    assert claim_key(here, here.actions[1]) == claim_key(there, there.actions[1])
    assert claim_key(here, here.actions[2]) != claim_key(there, there.actions[2])
    flipped = make(EXPLAIN.replace('direction="down"', 'direction="up"'))
    assert claim_key(here, here.actions[2]) != claim_key(flipped, flipped.actions[2])


PINNED_DEMO_TRAMETINIB_KEY = "t-7ec720f0a80764d4faf6869179cf3c3c"
