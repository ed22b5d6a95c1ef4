"""A corpus of broken inputs: each gives a typed finding at the right place, nothing is
dropped, and the valid records around a broken one are still read."""

import json
import time

import pytest

from vctrace.traces.findings import Code, Severity
from vctrace.traces.records import read_traces
from vctrace.traces.limits import MAX_KEY_BYTES
from vctrace.traces.text import parse_trace_text
from vctrace.traces.validation import check, is_valid

CTX = 'set_context(cell_type="A549")'
END = 'induces_phenotype(id="n3", source="drug", phenotype="apoptosis")'
GOOD = [CTX, 'binds_to(id="n1", actor="drug", target="EGFR")',
        'modulates_molecule_activity(id="n2", target="EGFR", direction="down")', END]
GOOD_DAG = ['edge("n1", "n2", relation="causal")', 'edge("n2", "n3", relation="causal")']


def build(lines=GOOD, dag=GOOD_DAG):
    return check(parse_trace_text("\n".join(lines), "\n".join(dag)))


def errors(trace):
    return [(f.code, f.field, f.line) for f in trace.findings if f.severity is Severity.ERROR]


def test_good_trace_is_valid():
    assert is_valid(build()) and build().findings == []


def test_unknown_primitive():
    lines = GOOD[:2] + ['inhibits_kinase(id="n2", target="EGFR")'] + GOOD[3:]
    trace = build(lines)
    assert errors(trace) == [(Code.UNKNOWN_PRIMITIVE, "explain", 3)]
    assert trace.actions[2].primitive == "inhibits_kinase"  # kept, not dropped


def test_missing_required_argument():
    trace = build(GOOD[:1] + ['binds_to(id="n1", actor="drug")'] + GOOD[2:])
    assert errors(trace) == [(Code.MISSING_REQUIRED_ARGUMENT, "explain", 2)]
    assert "'target'" in trace.findings[0].message


def test_missing_id_and_empty_list():
    lines = GOOD[:2] + ['regulates_expression(regulator="x", gene_list=[], direction="up")',
                        END]
    codes = [c for c, _, _ in errors(build(lines, GOOD_DAG[1:]))]
    assert Code.MISSING_ID in codes and Code.EMPTY_ARGUMENT in codes


def test_cycle_is_reported_with_its_path():
    trace = build(dag=GOOD_DAG + ['edge("n3", "n1", relation="causal")'])
    cycle = [f for f in trace.findings if f.code is Code.CYCLE]
    assert len(cycle) == 1 and "n1 -> n2 -> n3 -> n1" in cycle[0].message
    assert cycle[0].field == "dag"


def test_self_loop_is_a_cycle():
    trace = build(dag=GOOD_DAG + ['edge("n2", "n2", relation="causal")'])
    assert [c for c, _, _ in errors(trace)] == [Code.CYCLE]


def test_dangling_edge():
    trace = build(dag=GOOD_DAG + ['edge("n2", "n9", relation="causal")'])
    assert errors(trace) == [(Code.DANGLING_EDGE, "dag", 3)]
    assert "'n9'" in trace.findings[0].message


def test_duplicate_id():
    lines = GOOD[:2] + ['modulates_molecule_activity(id="n1", target="EGFR", direction="down")',
                        END]
    trace = build(lines)
    assert (Code.DUPLICATE_ID, "explain", 3) in errors(trace)


def test_bad_direction_and_bad_relation():
    lines = GOOD[:2] + ['modulates_molecule_activity(id="n2", target="EGFR", '
                        'direction="decreased")', END]
    trace = build(lines, GOOD_DAG[:1] + ['edge("n2", "n3", relation="causes")'])
    assert set(errors(trace)) == {(Code.BAD_DIRECTION, "explain", 3),
                                  (Code.BAD_RELATION, "dag", 2)}


def test_context_missing_or_not_first_and_terminal_not_measurable():
    assert [c for c, _, _ in errors(build(GOOD[1:]))] == [Code.MISSING_CONTEXT]
    assert [c for c, _, _ in errors(build([GOOD[1], GOOD[0]] + GOOD[2:]))] == \
        [Code.CONTEXT_NOT_FIRST]
    trace = build(GOOD[:3], GOOD_DAG[:1])
    assert errors(trace) == [(Code.TERMINAL_NOT_MEASURABLE, "explain", 3)]


def test_unparseable_lines_are_kept():
    lines = GOOD[:2] + ['modulates_molecule_activity(id="n2", target="EGFR"'] + GOOD[3:]
    trace = build(lines)
    assert (Code.UNPARSEABLE_LINE, "explain", 3) in errors(trace)
    assert trace.unparsed_lines == [lines[2]]
    garbage = build(GOOD + ["this is prose, not a call"])
    assert garbage.unparsed_lines == ["this is prose, not a call"]


def test_positional_arguments_and_non_literal_values():
    trace = build(GOOD[:1] + ['binds_to("n1", actor="drug", target=EGFR)'] + GOOD[2:])
    codes = [c for c, _, _ in errors(trace)]
    assert Code.POSITIONAL_ARGUMENT in codes and Code.NON_LITERAL_VALUE in codes


def test_nothing_is_evaluated():
    trace = build(GOOD[:1] + ['binds_to(id="n1", actor=__import__("os").system("true"), '
                              'target="EGFR")'] + GOOD[2:])
    assert Code.NON_LITERAL_VALUE in [c for c, _, _ in errors(trace)]


def test_one_megabyte_argument_is_reported_fast_and_kept_whole():
    huge = "A" * 1_000_000
    started = time.perf_counter()
    trace = build(GOOD[:1] + [f'binds_to(id="n1", actor="{huge}", target="EGFR")'] + GOOD[2:])
    elapsed = time.perf_counter() - started
    assert errors(trace) == [(Code.ARGUMENT_TOO_LONG, "explain", 2)]
    assert trace.actions[1].args["actor"] == huge
    assert f"{MAX_KEY_BYTES:,}" in trace.findings[0].message
    assert elapsed < 5  # a guard against quadratic scanning, not a benchmark


def test_deeply_nested_brackets_do_not_crash():
    trace = build(GOOD[:1] + ['binds_to(id="n1", actor=' + "[" * 5000 + "]" * 5000 +
                              ', target="EGFR")'] + GOOD[2:])
    assert not is_valid(trace)


def test_cypher_looking_strings_are_plain_values():
    evil = "x'}) MATCH (n) DETACH DELETE n //"
    trace = build(GOOD[:1] + [f'binds_to(id="n1", actor="{evil}", target="$rows")'] + GOOD[2:])
    assert is_valid(trace)
    assert trace.actions[1].args == {"actor": evil, "target": "$rows"}


def test_empty_trace():
    assert [c for c, _, _ in errors(build([], []))] == [Code.EMPTY_TRACE]


def _jsonl(tmp_path, lines: list[bytes]):
    path = tmp_path / "traces.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    return list(read_traces(path))


def _row(explain=GOOD, dag=GOOD_DAG, **extra) -> bytes:
    row = {"perturbation": {"context": [{"cell type": "A549"}],
                            "perturbations": [{"name": "drug"}]},
           "explain": "\n".join(explain), "dag": "\n".join(dag), **extra}
    return json.dumps(row, ensure_ascii=False).encode()


def test_non_utf8_bytes_invalidate_only_their_record(tmp_path):
    bad = _row().replace(b'"A549"', b'"A5\xff49"')
    traces = _jsonl(tmp_path, [_row(), bad, _row(explain=GOOD + [])])
    assert [is_valid(t) for t in traces] == [True, False, True]
    finding = [f for f in traces[1].findings if f.code is Code.ENCODING_ERROR][0]
    assert finding.record == 2 and "0xff" in finding.message


def test_malformed_json_lines_and_non_trace_records(tmp_path):
    traces = _jsonl(tmp_path, [_row(), b'{"explain": "set_context(', b"[1, 2]",
                               b'{"name": "not a trace"}', b"", _row()])
    assert [t.provenance.record for t in traces] == [1, 2, 3, 4, 6]
    assert [is_valid(t) for t in traces] == [True, False, False, False, True]
    assert traces[1].findings[0].code is Code.UNREADABLE_RECORD
    assert traces[2].findings[0].code is Code.NOT_A_TRACE
    assert traces[3].findings[0].code is Code.NOT_A_TRACE


def test_bad_perturbation_string(tmp_path):
    line = json.dumps({"perturbation": "{not: a dict", "explain": "\n".join(GOOD),
                       "dag": "\n".join(GOOD_DAG)}).encode()
    trace, = _jsonl(tmp_path, [line])
    assert Code.BAD_PERTURBATION in [f.code for f in trace.findings]
    assert not is_valid(trace)


@pytest.mark.parametrize("name", ["big.jsonl", "big.txt"])
def test_findings_carry_record_and_line(tmp_path, name):
    lines = GOOD[:2] + ['inhibits(id="n2")'] + GOOD[3:]
    if name.endswith(".jsonl"):
        traces = _jsonl(tmp_path, [_row(), _row(explain=lines)])
        finding = [f for f in traces[1].findings if f.code is Code.UNKNOWN_PRIMITIVE][0]
        assert (finding.record, finding.field, finding.line) == (2, "explain", 3)
    else:
        path = tmp_path / name
        path.write_text("\n".join(lines + GOOD_DAG))
        trace, = read_traces(path)
        finding = [f for f in trace.findings if f.code is Code.UNKNOWN_PRIMITIVE][0]
        assert (finding.record, finding.line) == (1, 3)


def test_assert_valid_raises_one_exception_type_with_the_findings():
    from vctrace.traces.findings import TraceInvalid
    from vctrace.traces.validation import assert_valid
    checked = assert_valid(parse_trace_text("\n".join(GOOD), "\n".join(GOOD_DAG)))
    assert is_valid(checked)
    with pytest.raises(TraceInvalid, match="dangling_edge at dag:line 3") as caught:
        assert_valid(parse_trace_text("\n".join(GOOD), "\n".join(
            GOOD_DAG + ['edge("n2", "n9", relation="causal")'])))
    assert [f.code for f in caught.value.findings] == [Code.DANGLING_EDGE]
