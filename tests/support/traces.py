"""Content comparisons of parsed traces, shared by the tests of files and text forms (run on
the bundled examples in the unit tier and on the shared real samples in the integration
tier)."""

from __future__ import annotations

import json
from pathlib import Path

from vctrace.traces.models import Trace
from vctrace.traces.records import read_traces, to_json_form, trace_from_record
from vctrace.traces.text import parse_trace_text, write_dag, write_explain
from vctrace.traces.validation import is_valid


def assert_same_content(a: Trace, b: Trace) -> None:
    assert [(x.id, x.primitive, x.args) for x in a.actions] == \
        [(x.id, x.primitive, x.args) for x in b.actions]
    assert [(e.source, e.target, e.relation) for e in a.edges] == \
        [(e.source, e.target, e.relation) for e in b.edges]
    assert a.perturbation == b.perturbation


def assert_json_form_round_trips(path: Path) -> None:
    for trace in read_traces(path):
        data = json.loads(json.dumps(to_json_form(trace)))
        again = trace_from_record(data, number=trace.provenance.record)
        assert again.actions == trace.actions, path
        assert [e.model_dump(exclude={"line", "source_line"}) for e in again.edges] == \
            [e.model_dump(exclude={"line", "source_line"}) for e in trace.edges]
        assert again.perturbation == trace.perturbation
        assert is_valid(again) == is_valid(trace)


def assert_text_round_trip_keeps_meaning(path: Path) -> None:
    for trace in read_traces(path):
        text_again = parse_trace_text(write_explain(trace.actions), write_dag(trace.edges))
        assert [(a.id, a.primitive, a.args) for a in text_again.actions] == \
            [(a.id, a.primitive, a.args) for a in trace.actions]
        assert [(e.source, e.target, e.relation) for e in text_again.edges] == \
            [(e.source, e.target, e.relation) for e in trace.edges]
        assert write_explain(text_again.actions) == write_explain(trace.actions)
