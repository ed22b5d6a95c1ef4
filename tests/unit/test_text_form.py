"""The explain/dag text form: canonical parsing, tolerance (trace-format.md §4), writing and
round trips."""

import pytest

from vctrace.traces.findings import Code
from vctrace.traces.text import (parse_dag, parse_response, parse_trace_text,
                                 write_dag, write_explain, write_response)
from vctrace.traces.validation import check, is_valid

from support.paths import BROKEN_TRACES, DEMO_TRACES
from support.traces import assert_json_form_round_trips, assert_text_round_trip_keeps_meaning

EXPLAIN = """\
set_context(cell_type="C32", genotype="BRAF V600E GoF; CDKN2A LoF", disease="melanoma", prior_perturbation="none")
binds_to(id="n1", actor="binimetinib", target="MAP2K1", affinity="12 nM", via="allosteric pocket next to ATP site")
binds_to(id="n2", actor="binimetinib", target="MAP2K2", via="allosteric pocket next to ATP site")
modulates_molecule_activity(id="n3", target="MAP2K1", direction="down")
modulates_pathway_activity(id="n4", pathway="MAPK/ERK signaling", direction="down")
post_translational_modification(id="n5", protein="MAPK3", mod_type="phosphorylation", site="T202/Y204", direction="down")
regulates_expression(id="n6", regulator="ERK-dependent transcription", gene_list=["DUSP6", "SPRY4", "ETV5", "CCND1"], direction="down")
induces_phenotype(id="n7", source="binimetinib", phenotype="G1/S cell cycle arrest", from_state="proliferating", to_state="arrested")"""
DAG = """\
edge("n1", "n3", relation="causal")
edge("n2", "n3", relation="causal")
edge("n3", "n4", relation="causal")
edge("n4", "n5", relation="causal")
edge("n5", "n6", relation="causal")
edge("n6", "n7", relation="correlative")"""


def codes(trace):
    return [f.code for f in trace.findings]


def test_spec_example_parses_to_the_expected_model():
    trace = check(parse_trace_text(EXPLAIN, DAG))
    assert is_valid(trace) and trace.findings == []
    assert [a.primitive for a in trace.actions][:2] == ["set_context", "binds_to"]
    assert trace.actions[0].id is None
    assert trace.actions[1].args == {"actor": "binimetinib", "target": "MAP2K1",
                                     "affinity": "12 nM",
                                     "via": "allosteric pocket next to ATP site"}
    assert trace.actions[6].args["gene_list"] == ["DUSP6", "SPRY4", "ETV5", "CCND1"]
    assert [(e.source, e.target, e.relation) for e in trace.edges][-1] == \
        ("n6", "n7", "correlative")
    assert trace.actions[3].source_line == EXPLAIN.splitlines()[3]
    assert trace.actions[3].line == 4


def test_canonical_text_round_trips_exactly():
    trace = parse_trace_text(EXPLAIN, DAG)
    assert write_explain(trace.actions) == EXPLAIN
    assert write_dag(trace.edges) == DAG


def test_tolerated_layout_is_reported_and_read_the_same():
    messy = "```\n" + "\n\n".join("  " + line + "," for line in EXPLAIN.splitlines()) + "\n```"
    trace = check(parse_trace_text(messy, DAG))
    clean = check(parse_trace_text(EXPLAIN, DAG))
    assert is_valid(trace)
    assert [a.args for a in trace.actions] == [a.args for a in clean.actions]
    notes = [f.message for f in trace.findings if f.code is Code.FORMAT_DEVIATION]
    assert any("leading indentation on 8 line(s)" in m for m in notes)
    assert any("trailing comma" in m for m in notes)


def test_single_quotes_escapes_unicode_and_compact_lists():
    text = ("set_context(cell_type='HOP62')\n"
            "binds_to(id='n1', actor=\"drug \\\"X\\\"\", target='BCL-2', affinity='<0.01 µM γ→')\n"
            'regulates_expression(id="n2", regulator="p53", gene_list=["BAX","BBC3",], '
            'direction="up",)')
    trace = check(parse_trace_text(text, 'edge("n1", "n2", relation="causal")'))
    assert is_valid(trace), trace.findings
    assert trace.actions[1].args["actor"] == 'drug "X"'
    assert trace.actions[1].args["affinity"] == "<0.01 µM γ→"
    assert trace.actions[2].args["gene_list"] == ["BAX", "BBC3"]
    again = parse_trace_text(write_explain(trace.actions), write_dag(trace.edges))
    assert [a.args for a in again.actions] == [a.args for a in trace.actions]


def test_argument_aliases_map_to_canonical_names_with_a_finding():
    text = ('set_context(id="n0", cell_type="A549", disease_model="lung cancer")\n'
            'regulates_expression(id="n1", source="KRAS", gene_or_signature=["DUSP6"], '
            'direction="down")')
    trace = check(parse_trace_text(text, 'edge("n0", "n1", relation="causal")'))
    assert is_valid(trace)
    assert trace.actions[0].id == "n0" and trace.actions[0].args["disease"] == "lung cancer"
    assert trace.actions[1].args == {"regulator": "KRAS", "gene_list": ["DUSP6"],
                                     "direction": "down"}
    assert codes(trace).count(Code.ARGUMENT_ALIAS) == 3


def test_extra_keys_on_set_context_are_kept_with_a_warning():
    text = ('set_context(cell_type="A549", confidence="correlative")\n'
            'induces_phenotype(id="n1", source="x", phenotype="death")')
    trace = check(parse_trace_text(text, ""))
    assert is_valid(trace)
    assert trace.actions[0].args["confidence"] == "correlative"
    assert Code.UNKNOWN_ARGUMENT in codes(trace)


def test_direction_case_is_normalised_with_a_finding():
    text = ('set_context(cell_type="A549")\n'
            'regulates_expression(id="n1", regulator="x", gene_list=["A"], direction=" Up")')
    trace = check(parse_trace_text(text, ""))
    assert is_valid(trace)
    assert trace.actions[1].args["direction"] == "up"
    assert Code.DIRECTION_NORMALISED in codes(trace)


def test_a_string_gene_list_becomes_a_list_with_a_warning():
    text = ('set_context(cell_type="A549")\n'
            'regulates_expression(id="n1", regulator="x", gene_list="MYC", direction="up")')
    trace = check(parse_trace_text(text, ""))
    assert trace.actions[1].args["gene_list"] == ["MYC"]
    assert Code.ARGUMENT_TYPE in codes(trace)


def test_tagged_response_is_split_into_its_four_blocks():
    response = (f"<think>reasoning</think>\n<answer>It arrests cells.</answer>\n"
                f"<explain>\n{EXPLAIN}\n</explain>\n<dag>\n{DAG}\n</dag>")
    trace = check(parse_response(response))
    assert is_valid(trace) and trace.findings == []
    assert trace.think == "reasoning" and trace.answer == "It arrests cells."
    assert len(trace.actions) == 8 and len(trace.edges) == 6
    assert check(parse_response(write_response(trace))).actions == trace.actions


def test_missing_response_tags_are_findings_and_content_is_still_read():
    trace = check(parse_response(f"<answer>x</answer>\n{EXPLAIN}\n{DAG}"))
    missing = [f.message for f in trace.findings if f.code is Code.RESPONSE_TAG_MISSING]
    assert len(missing) == 3
    assert len(trace.actions) == 8 and len(trace.edges) == 6


def test_edges_without_relation_default_to_causal_with_a_warning():
    edges, unparsed, findings = parse_dag('edge("n1", "n2")\nedge(source="n2", target="n3", '
                                          'relation="correlative")')
    assert [(e.source, e.target, e.relation) for e in edges] == [
        ("n1", "n2", "causal"), ("n2", "n3", "correlative")]
    assert [f.code for f in findings] == [Code.MISSING_RELATION] and unparsed == []


# the same two checks run on the shared real samples in integration/test_samples.py
@pytest.mark.parametrize("path", [DEMO_TRACES, BROKEN_TRACES], ids=lambda p: p.name)
def test_json_form_round_trips_every_example(path):
    assert_json_form_round_trips(path)


@pytest.mark.parametrize("path", [DEMO_TRACES, BROKEN_TRACES], ids=lambda p: p.name)
def test_text_model_text_round_trip_keeps_meaning_for_the_examples(path):
    assert_text_round_trip_keeps_meaning(path)


def test_dot_picture_has_every_action_and_edge():
    from vctrace.traces.render import to_dot
    trace = check(parse_trace_text(EXPLAIN, DAG))
    dot = to_dot(trace, title='binimetinib "in" C32')
    assert dot.startswith("digraph trace {") and dot.endswith("}")
    assert dot.count(" -> ") == 6 and dot.count("style=dashed") == 1
    assert '"n1" [label="n1  binds_to\\nactor: binimetinib\\ntarget: MAP2K1"' in dot
    assert 'label="binimetinib \\"in\\" C32"' in dot
    assert "shape=note" in dot  # set_context
