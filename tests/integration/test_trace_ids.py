"""Trace ids from the input (issue 12 part 3): ``trace_id`` > ``id`` > ``index`` becomes the
trace's id without changing its content key; the same content under another id records the
extra id (transactional and bulk alike); show, audit and the query library find and list a
trace by any of its ids; hostile ids are validation findings."""

import json

import pytest

from vctrace.app import audit, queries, traces as app_traces
from vctrace.cli import main
from vctrace.errors import InvalidRequest
from vctrace.kg.bulk_import import write_import_files
from vctrace.kg.trace_store import (add_trace_ids, resolve_trace_keys, stored_trace_ids,
                                    write_traces)
from vctrace.traces.findings import Code
from vctrace.traces.identity import trace_key
from vctrace.traces.limits import MAX_KEY_BYTES
from vctrace.traces.records import read_traces, trace_from_record
from vctrace.traces.validation import is_valid

from support.paths import DEMO_TRACES


def _demo_row() -> dict:
    row = json.loads(DEMO_TRACES.read_text().splitlines()[0])
    row.pop("trace_id")
    return row


def _write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _ids(neo4j):
    records, _, _ = neo4j.driver.execute_query(
        "MATCH (t:Trace) RETURN t.key AS key, t.trace_id AS id, t.trace_ids AS ids ORDER BY key")
    return [(r["key"], r["id"], r["ids"]) for r in records]


def test_id_precedence_and_source_field():
    row = _demo_row()
    vcr = trace_from_record(dict(row, index=123))
    assert vcr.trace_id == "123" and vcr.provenance.extra["id_field"] == "index"
    other = trace_from_record(dict(row, id="row-7", index=1))
    assert other.trace_id == "row-7" and other.provenance.extra["id_field"] == "id"
    first = trace_from_record(dict(row, trace_id="t-1", id="row-7", index=1))
    assert first.trace_id == "t-1" and first.provenance.extra["id_field"] == "trace_id"
    assert trace_from_record(dict(row, index=5.0)).trace_id == "5"  # a CSV/parquet number
    none = trace_from_record(dict(row, id="  ", index=None))
    assert none.trace_id is None and "id_field" not in none.provenance.extra
    # ids are not content: one key for all
    assert len({trace_key(t) for t in (vcr, other, first, none)}) == 1


@pytest.mark.shared_data
def test_real_vcr_agent_rows_take_their_index():
    from support.paths import SAMPLE_FILES
    vcr = next(p for p in SAMPLE_FILES if "vcr_agent" in p.name)
    rows = [json.loads(line) for line in vcr.read_text().splitlines() if line.strip()]
    read = list(read_traces(vcr))
    assert [t.trace_id for t in read] == [str(r["index"]) for r in rows]


def test_hostile_ids_are_findings_not_crashes():
    row = _demo_row()
    for value in ("x" * (MAX_KEY_BYTES + 1), 10 ** 5000):
        trace = trace_from_record(dict(row, id=value))
        assert not is_valid(trace)
        assert [f.code for f in trace.findings if f.code is Code.TRACE_ID_TOO_LONG]
    # terminal escapes and odd values are ids like any other text
    odd = trace_from_record(dict(row, id="\x1b[31mred\u202e"))
    assert is_valid(odd) and odd.trace_id == "\x1b[31mred\u202e"
    assert trace_from_record(dict(row, id=float("nan"), index=9)).trace_id == "9"


def test_same_content_under_two_ids_is_one_trace_with_both(neo4j, tmp_path, monkeypatch,
                                                          capsys):
    row = _demo_row()
    first = _write(tmp_path / "a.jsonl", [dict(row, index=123)])
    second = _write(tmp_path / "b.jsonl", [dict(row, id="run2-7"), dict(row, index=123)])
    settings = neo4j.settings()
    one = app_traces.ingest(settings, [first])
    assert (one.total.written, one.total.ids_added) == (1, 0)
    two = app_traces.ingest(settings, [second])
    assert (two.total.written, two.total.existing, two.total.ids_added) == (0, 2, 1)
    (key, trace_id, ids), = _ids(neo4j)
    assert (trace_id, ids) == ("123", ["123", "run2-7"])
    # again: nothing changes
    again = app_traces.ingest(settings, [first, second])
    assert again.total.ids_added == 0 and _ids(neo4j) == [(key, "123", ["123", "run2-7"])]
    assert resolve_trace_keys(neo4j.graph, "123") == [key]
    assert resolve_trace_keys(neo4j.graph, "run2-7") == [key]
    assert stored_trace_ids(neo4j.graph, key) == ["123", "run2-7"]
    # the command line says how many ids it added
    third = _write(tmp_path / "c.jsonl", [dict(row, id="cli-3")])
    monkeypatch.setenv("VCTRACE_NEO4J_PASSWORD", neo4j.password)
    assert main([*neo4j.cli, "ingest", "--no-progress", str(third)]) == 0
    out = capsys.readouterr().out
    assert "1 already stored, 0 invalid (not written), 1 new ids for stored traces" in out
    assert "1 new ids, in " in out


def test_ids_within_one_batch_and_a_first_record_without_id(neo4j):
    row = _demo_row()
    batch = [trace_from_record(dict(row), number=1), trace_from_record(dict(row, id="b"), number=2),
             trace_from_record(dict(row, id="c"), number=3),
             trace_from_record(dict(row, id="b"), number=4)]
    results = list(write_traces(neo4j.graph, batch, batch_size=10))
    assert sum(r.ids_added for r in results) == 2
    (_, trace_id, ids), = _ids(neo4j)
    assert (trace_id, ids) == ("b", ["b", "c"])  # the first id becomes trace_id


def test_an_id_naming_two_contents_is_reported_with_both_keys(neo4j, tmp_path):
    rows = [json.loads(line) for line in DEMO_TRACES.read_text().splitlines()[:2]]
    for r in rows:
        r["trace_id"] = "shared-id"
    settings = neo4j.settings()
    app_traces.ingest(settings, [_write(tmp_path / "two.jsonl", rows)])
    keys = sorted(k for k, _, _ in _ids(neo4j))
    assert resolve_trace_keys(neo4j.graph, "shared-id") == keys
    with pytest.raises(InvalidRequest, match="matches several traces") as caught:
        app_traces.show(settings, "shared-id")
    assert all(k in str(caught.value) for k in keys)
    found = audit.audit(settings, "shared-id")
    assert found.trace.key == keys[0]
    assert found.model_dump()["trace"]["also_named"] == keys[1:]


def test_show_audit_and_library_by_the_second_id(neo4j, tmp_path, capsys, monkeypatch):
    row = json.loads(DEMO_TRACES.read_text().splitlines()[0])
    settings = neo4j.settings()
    app_traces.ingest(settings, [_write(tmp_path / "a.jsonl", [row]),
                                 _write(tmp_path / "b.jsonl", [dict(row, trace_id="again-1")])])
    shown = app_traces.show(settings, "again-1")
    assert shown.trace_ids == ["demo-trametinib-c32", "again-1"]
    assert shown.trace.trace_id == "demo-trametinib-c32"
    assert app_traces.render_trace(shown).startswith(
        f"# trace {shown.key} (demo-trametinib-c32, again-1)\n")
    assert app_traces.trace_json_form(shown)["trace_ids"] == ["demo-trametinib-c32", "again-1"]
    found = audit.audit(settings, "again-1")
    dumped = found.model_dump()["trace"]
    assert found.trace.key == shown.key and dumped["trace_ids"] == shown.trace_ids
    assert dumped["also_named"] == []

    monkeypatch.setenv("VCTRACE_NEO4J_PASSWORD", neo4j.password)
    assert main([*neo4j.cli, "show", "again-1"]) == 0
    assert "(demo-trametinib-c32, again-1)" in capsys.readouterr().out

    result = queries.run_query(settings, "traces_by_drug", {"drug": "trametinib"})
    column = result.columns.index("trace_ids")
    assert [r[column] for r in result.rows] == [["demo-trametinib-c32", "again-1"]]


@pytest.mark.slow
def test_bulk_files_carry_the_same_ids_as_the_transactional_path(neo4j, tmp_path):
    row = _demo_row()
    path = _write(tmp_path / "ids.jsonl",
                  [dict(row), dict(row, index=4), dict(row, id="x"), dict(row, index=4)])
    read = list(read_traces(path))
    list(write_traces(neo4j.graph, read))
    transactional = _ids(neo4j)
    result, _, _ = write_import_files(read, tmp_path / "import")
    assert result.more_ids == {transactional[0][0]: ["4", "x"]}
    header = (tmp_path / "import" / "nodes_traces.csv").read_text().splitlines()[0]
    assert "trace_ids:string[]" in header
    # what bulk_ingest does after the import, on a node written without ids
    neo4j.clear()
    neo4j.driver.execute_query("CREATE (:Trace {key: $key})", key=transactional[0][0])
    assert add_trace_ids(neo4j.graph, result.more_ids) == 2
    assert _ids(neo4j) == transactional



def test_http_finds_a_trace_by_any_id_and_names_the_keys_of_an_ambiguous_one(api, neo4j,
                                                                              tmp_path):
    rows = [json.loads(line) for line in DEMO_TRACES.read_text().splitlines()[:2]]
    extra = [dict(rows[0], trace_id="again-1"), dict(rows[0], trace_id="both"),
             dict(rows[1], trace_id="both")]
    app_traces.ingest(neo4j.settings(), [_write(tmp_path / "h.jsonl", rows + extra)])
    doc = api.get("/traces/again-1").json()
    assert doc["trace_id"] == "demo-trametinib-c32"
    assert doc["trace_ids"] == ["demo-trametinib-c32", "again-1", "both"]
    ambiguous = api.get("/traces/both")
    assert ambiguous.status_code == 422
    assert all(k in ambiguous.text for k, _, _ in _ids(neo4j))
