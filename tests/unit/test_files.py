"""Trace files in every supported format, and files that cannot be read at all. (The same
round trips on the shared real samples are in integration/test_samples.py.)"""

import json

import pandas as pd
import pytest

from vctrace.traces.records import (FileReadError, read_traces, to_vc_traces_row,
                                    write_traces_file)
from vctrace.traces.text import write_explain
from vctrace.traces.validation import is_valid

from support.paths import DEMO_TRACES
from support.traces import assert_same_content as _same_content


def _reference():
    """The first demo trace (trametinib in C32), with the explain_verified a demo row lacks."""
    trace = next(iter(read_traces(DEMO_TRACES)))
    return trace.model_copy(update={"explain_verified": write_explain(trace.actions[:3])})


def test_parquet_with_struct_perturbation(tmp_path):
    ref = _reference()
    row = to_vc_traces_row(ref)
    path = tmp_path / "vc_traces.parquet"
    pd.DataFrame([row, row | {"explain": row["explain"].replace('target="MAP2K1"',
                                                                'target="MEK1"')}]
                 ).to_parquet(path)
    traces = list(read_traces(path))
    assert [t.provenance.record for t in traces] == [1, 2]
    _same_content(traces[0], ref)
    assert traces[0].provenance.source_format == "parquet"
    assert traces[1].actions[1].args["target"] == "MEK1"


def test_csv_with_python_repr_perturbation(tmp_path):
    ref = _reference()
    row = to_vc_traces_row(ref)
    row["perturbation"] = repr(ref.perturbation.raw)  # single quotes, None
    assert "'context'" in row["perturbation"]
    path = tmp_path / "traces.csv"
    pd.DataFrame([row]).to_csv(path, index=False)
    trace, = read_traces(path)
    assert is_valid(trace)
    _same_content(trace, ref)


def test_json_array_json_form_and_text_files(tmp_path):
    ref = _reference()
    write_traces_file([ref], tmp_path / "json_form.jsonl", form="json")
    from_jsonl, = read_traces(tmp_path / "json_form.jsonl")
    _same_content(from_jsonl, ref)
    array = tmp_path / "traces.json"
    array.write_text(json.dumps([to_vc_traces_row(ref), to_vc_traces_row(ref)]))
    assert len(list(read_traces(array))) == 2
    text = tmp_path / "trace.txt"
    text.write_text(to_vc_traces_row(ref)["explain"] + "\n" + to_vc_traces_row(ref)["dag"])
    from_text, = read_traces(text)
    assert is_valid(from_text)
    assert [(a.primitive, a.args) for a in from_text.actions] == \
        [(a.primitive, a.args) for a in ref.actions]


def test_response_column(tmp_path):
    ref = _reference()
    row = to_vc_traces_row(ref)
    response = (f"<think>t</think><answer>a</answer><explain>\n{row['explain']}\n</explain>"
                f"<dag>\n{row['dag']}\n</dag>")
    path = tmp_path / "responses.jsonl"
    path.write_text(json.dumps({"perturbation": row["perturbation"], "response": response}))
    trace, = read_traces(path)
    assert is_valid(trace) and trace.answer == "a"
    _same_content(trace, ref)


@pytest.mark.parametrize("name, content, message", [
    ("missing.jsonl", None, "no such file"),
    ("adir.jsonl", "DIR", "is a directory"),
    ("x.parquet", b"PAR1 not really", "not a parquet file"),
    ("x.gmt", b"set\tdesc\tA\tB\n", "unknown file type"),
    ("kg.csv", b"x_id,x_type,y_id\n1,gene,2\n", "no trace columns"),
    ("bad.json", b"{oops", "not JSON"),
])
def test_unreadable_files_raise_one_clear_error(tmp_path, name, content, message):
    path = tmp_path / name
    if content == "DIR":
        path.mkdir()
    elif content is not None:
        path.write_bytes(content)
    with pytest.raises(FileReadError, match=message):
        list(read_traces(path))


@pytest.mark.parametrize("suffix", [".jsonl", ".json", ".parquet", ".csv"])
def test_written_files_read_back_the_same(tmp_path, suffix):
    traces = [_reference(), *read_traces(DEMO_TRACES)]
    path = tmp_path / f"out{suffix}"
    assert write_traces_file(traces, path) == 6
    again = list(read_traces(path))
    assert len(again) == 6
    for a, b in zip(traces, again):
        _same_content(a, b)
        assert b.question == a.question and b.explain_verified == a.explain_verified
