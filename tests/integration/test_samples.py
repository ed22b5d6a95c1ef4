"""Every real output of the original pipeline in shared/data/traces-sample parses, is valid,
keeps all its content, and has each of its known deviations reported; the file and text round
trips, the pinned trace key and `vctrace validate` on these real rows (the same checks run on
the bundled examples in the unit tier). No database: the tier is integration because the rows
live in the shared data, beside the repository."""

import json

import pytest

from vctrace.cli import main
from vctrace.traces.findings import Code, Severity
from vctrace.traces.identity import trace_key
from vctrace.traces.records import read_traces, write_traces_file
from vctrace.traces.validation import is_valid

from support.paths import SAMPLES, SAMPLE_FILES
from support.traces import (assert_json_form_round_trips, assert_same_content,
                            assert_text_round_trip_keeps_meaning)

pytestmark = pytest.mark.shared_data

VENETOCLAX = SAMPLES / "vc_traces_row_12563.jsonl"
PINNED_VENETOCLAX_KEY = "t-70a6eca30b1ea611e9f2ba5c8de4449e"


def _records(path):
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_all_six_sample_records_parse_valid():
    traces = [t for path in SAMPLE_FILES for t in read_traces(path)]
    assert len(traces) == 6
    for trace in traces:
        errors = [f for f in trace.findings if f.severity is Severity.ERROR]
        assert is_valid(trace), errors


def test_nothing_is_dropped():
    for path in SAMPLE_FILES:
        for trace, record in zip(read_traces(path), _records(path)):
            explain_lines = [line for line in record["explain"].splitlines() if line.strip()]
            dag_lines = [line for line in record["dag"].splitlines() if line.strip()]
            assert [a.source_line for a in trace.actions] == explain_lines
            assert [e.source_line for e in trace.edges] == dag_lines
            assert trace.unparsed_lines == []


def test_vc_traces_row_fields_and_perturbation():
    trace, = read_traces(VENETOCLAX)
    assert trace.drug == "venetoclax" and trace.cell_line == "HOP62"
    assert trace.perturbation.known_targets == ["BCL2"]
    assert trace.perturbation.smiles.startswith("CC1(CCC(=C(C1)C2=CC=C(C=C2)Cl)")
    assert trace.question.startswith("**Q: How does the following perturbation")
    assert trace.explain_verified.startswith("set_context(")
    assert len(trace.actions) == 13 and len(trace.edges) == 12
    assert trace.actions[1].args["target"] == "BCL-2"
    assert trace.actions[-1].primitive == "induces_phenotype"
    assert trace.actions[11].args["gene_list"] == ["BBC3", "BAX", "APAF1", "GADD45A", "DDIT3"]


def test_vcr_agent_rows_quirks_are_reported():
    traces = list(read_traces(SAMPLES / "vcr_agent_sample.jsonl"))
    assert [t.drug for t in traces] == ["Bevacizumab", "Nintedanib", "Apatinib", "Bevacizumab",
                                        "Nintedanib"]
    # Python-repr perturbation read; 'N/A' cell type means no cell line
    assert traces[1].perturbation.smiles.startswith("CN1CCN(CC1)")
    assert all(t.cell_line is None for t in traces)
    # disease_model / disease_context aliases
    alias_records = {f.record for t in traces for f in t.findings
                     if f.code is Code.ARGUMENT_ALIAS}
    assert alias_records == {2, 3, 5}
    assert traces[1].actions[0].args["disease"] == "angiogenic tumor model"
    # set_context with id n0 and an edge starting at it
    assert traces[4].actions[0].id == "n0"
    assert traces[4].edges[0].source == "n0"
    # indented lines reported, once per block
    indented = [f for f in traces[3].findings if f.code is Code.FORMAT_DEVIATION]
    assert len(indented) == 1 and "14 line(s)" in indented[0].message
    # free-text affinity next to a unit kept verbatim
    assert traces[4].actions[1].args["affinity"] == "20-100 nmol/L"
    assert traces[4].actions[1].args["unit"] == "nM"
    # final nodes may be alleviates_phenotype
    assert traces[0].actions[-1].primitive == "alleviates_phenotype"
    # provenance keeps the source fields of the results file
    assert traces[0].provenance.extra["source"] == "VCR-Agent results v3 claude4"
    assert traces[0].answer.startswith("Bevacizumab is a humanized monoclonal antibody")


def test_trace_key_of_a_real_row_is_pinned():
    # A golden value: if this changes, every stored key changes; bump it only on purpose.
    trace, = read_traces(VENETOCLAX)
    assert trace_key(trace) == PINNED_VENETOCLAX_KEY


def test_json_form_and_text_round_trips_of_every_sample():
    for path in SAMPLE_FILES:
        assert_json_form_round_trips(path)
        assert_text_round_trip_keeps_meaning(path)


@pytest.mark.parametrize("suffix", [".jsonl", ".json", ".parquet", ".csv"])
def test_written_files_read_back_the_same(tmp_path, suffix):
    traces = [t for path in [VENETOCLAX, SAMPLES / "vcr_agent_sample.jsonl"]
              for t in read_traces(path)]
    path = tmp_path / f"out{suffix}"
    assert write_traces_file(traces, path) == 6
    again = list(read_traces(path))
    assert len(again) == 6
    for a, b in zip(traces, again):
        assert_same_content(a, b)
        assert b.question == a.question and b.explain_verified == a.explain_verified


def test_cli_validate_summarises_each_sample_file(capsys):
    assert main(["validate", *map(str, SAMPLE_FILES)]) == 0
    out = capsys.readouterr().out
    assert "vc_traces_row_12563.jsonl: 1 records, 1 valid, 0 invalid" in out
    assert "vcr_agent_sample.jsonl: 5 records, 5 valid, 0 invalid" in out
    assert "record 2:explain:line 1: info argument_alias" in out


def test_cli_validate_min_severity_filters_output(capsys):
    main(["validate", "--min-severity", "error", *map(str, SAMPLE_FILES)])
    out = capsys.readouterr().out
    assert ": info " not in out and ": warning " not in out
    assert "5 records, 5 valid" in out
