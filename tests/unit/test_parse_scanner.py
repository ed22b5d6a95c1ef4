"""The one-pass scanner of explain/dag lines reads what it accepts exactly as Python's expression
parser does; validation without a graph library finds the same cycles and sinks; the bulk
path's CSV files say which ones need multi-line parsing."""

import random

import pytest

from vctrace.kg.bulk_import import CsvFile, _multiline_option, write_import_files
from vctrace.traces.findings import Code
from vctrace.traces.models import Perturbation
from vctrace.traces.synthetic import synthetic_traces
from vctrace.traces.text import (_ast_call, _fast_call, _scan_keywords, parse_trace_text,
                                 write_explain)
from vctrace.traces.validation import check, is_valid

LINES = [
    'binds_to(id="n1", actor="drug", target="EGFR")',
    'binds_to( id = "n1" , actor="drug",target="EGFR" , )',
    'regulates_expression(id="n2", regulator="p53", gene_list=["BAX", "BBC3"], direction="up")',
    'regulates_expression(id="n2", regulator="p53", gene_list=[ "BAX" ,"BBC3", ], direction="up");',
    'regulates_expression(id="n2", regulator="p53", gene_list=[], direction="up")',
    'regulates_expression(id="n2", regulator="p53", gene_list=["a]b", "c,d=e"], direction="up")',
    'induces_phenotype(id="n3", source="x=(y)", phenotype="a, b=\'c\'")',
    'set_context()',
    'set_context(  )',
    'set_context(cell_type="A549",)',
    'binds_to(id="n1", id="n2")',
    'binds_to(id="n1", actor="a\\"b")',
    'binds_to(id="n1", actor=\'single\')',
    'binds_to(id="n1", actor="x") trailing',
    'binds_to(id="n1", actor="x"),',
    'binds_to(id="n1" actor="x")',
    'binds_to(id="n1",, actor="x")',
    'binds_to(id="n1", actor=["x"]]',
    'binds_to(id="n1", actor="µγ→ é")',
    'edge("n1", "n2", relation="causal")',
    'edge("n1", "n2")',
    'edge( "n1" , "n2" , relation = "correlative" , ) ;',
    'edge(source="n1", target="n2", relation="causal")',
    'edge("n1", "n2", relation="causal", weight="1")',
]


def _pairs(call):
    return None if call is None else (call.name, call.positional, call.keywords)


@pytest.mark.parametrize("line", LINES)
def test_what_the_scanner_reads_the_expression_parser_reads_the_same(line):
    fast = _fast_call(line)
    slow, _ = _ast_call(line, 1, "explain", [])
    if fast is not None:
        assert _pairs(fast) == _pairs(slow)


def test_the_scanner_leaves_escapes_repeats_and_other_literals_to_the_parser():
    for line in ('binds_to(id="n1", id="n2")', 'binds_to(id="n1", actor="a\\"b")',
                 "binds_to(id='n1')", 'binds_to(id="n1", x=1)', 'binds_to(id="n1" actor="x")'):
        assert _scan_keywords(line) is None


def test_a_hostile_line_is_scanned_in_linear_time():
    line = "binds_to(" + " " * 200_000 + 'id="n1"' + " ," * 50_000 + "x"
    assert _scan_keywords(line) is None  # returns at once rather than backtracking


def test_mutated_synthetic_traces_read_the_same_through_the_scanner_or_the_parser():
    rng = random.Random(7)
    for trace in synthetic_traces(30, seed=5):
        explain = write_explain(trace.actions).splitlines()
        for i in rng.sample(range(len(explain)), 4):
            explain[i] = rng.choice([
                "  " + explain[i] + ",", explain[i].replace('"', "'"),
                explain[i].replace(")", ', x=1)'), explain[i].replace('="', '="\\x41', 1)])
        for line in explain:
            stripped = line.strip().rstrip(",")
            fast = _fast_call(stripped)
            if fast is not None:
                assert _pairs(fast) == _pairs(_ast_call(stripped, 1, "explain", [])[0])


CTX = 'set_context(cell_type="A549")'
ACTS = [CTX] + [f'modulates_molecule_activity(id="n{i}", target="G{i}", direction="up")'
                for i in range(1, 5)] + ['induces_phenotype(id="n5", source="d", phenotype="p")']


def _check(dag):
    return check(parse_trace_text("\n".join(ACTS), "\n".join(dag),
                                  perturbation=Perturbation(raw={})))


def test_edges_out_of_line_order_without_a_cycle_are_valid():
    trace = _check(['edge("n4", "n5")', 'edge("n3", "n4")', 'edge("n2", "n3")',
                    'edge("n1", "n2")'])
    assert not [f for f in trace.findings if f.code is Code.CYCLE]


def test_a_cycle_is_located_at_the_last_line_of_an_edge_given_twice():
    trace = _check(['edge("n1", "n2", relation="causal")', 'edge("n2", "n3", relation="causal")',
                    'edge("n3", "n1", relation="causal")', 'edge("n4", "n5", relation="causal")',
                    'edge("n2", "n3", relation="causal")'])
    cycles = [f for f in trace.findings if f.code is Code.CYCLE]
    assert [(f.message, f.line) for f in cycles] == [("cycle n1 -> n2 -> n3 -> n1", 5)]
    assert Code.DUPLICATE_EDGE in [f.code for f in trace.findings] and not is_valid(trace)


def test_sinks_and_isolated_actions_are_found_without_a_graph_library():
    trace = _check(['edge("n1", "n2", relation="causal")', 'edge("n1", "n5", relation="causal")'])
    found = {(f.code, f.line) for f in trace.findings}
    assert (Code.NON_MEASURABLE_SINK, 3) in found  # n2 ends a path
    assert {(Code.ISOLATED_ACTION, 4), (Code.ISOLATED_ACTION, 5)} <= found


def test_only_files_with_a_line_break_in_a_field_are_parsed_multi_line(tmp_path):
    csv = CsvFile(tmp_path / "a.csv", [("key", "ID(A)"), ("text", "")])
    csv.write({"key": "k1", "text": "one line"})
    assert not csv.multiline
    csv.write({"key": "k2", "text": "two\nlines"})
    csv.close()
    assert csv.multiline
    assert _multiline_option(None) == ["--multiline-fields=true"]
    assert _multiline_option([]) == ["--multiline-fields=false"]
    assert _multiline_option([tmp_path / "a.csv"]) == [
        "--multiline-fields-format=v2", f"--multiline-fields={tmp_path / 'a.csv'}"]

    traces = [check(t) for t in synthetic_traces(3)]
    result, nodes, _ = write_import_files(traces, tmp_path / "plain")
    assert result.traces == 3 and result.multiline_files == []
    report = traces[0].model_copy(update={"report_text": "first\nsecond"})
    result, nodes, _ = write_import_files([report], tmp_path / "report")
    assert result.multiline_files == [tmp_path / "report" / "nodes_traces.csv"]
