"""Per-record isolation in ingest (issue 9): a valid record Neo4j refuses to store (here a
value too large for an index key) is reported with its file, record and reason and skipped;
the valid records of its batch and every later file are still written; the exit status is 1
(2 only when nothing could be read)."""

from __future__ import annotations

import json

import pytest

from vctrace.cli import main
from vctrace.kg import trace_store
from vctrace.kg.trace_store import write_traces
from vctrace.traces.records import read_traces

from support.paths import DEMO_TRACES

HUGE = "x" * 40_000  # above Neo4j's index key limit (about 8 KB) for Drug.key and Trace.drug


@pytest.fixture
def cli(neo4j, monkeypatch):
    """Global options for the session's server (the password only from the environment)."""
    monkeypatch.setenv("VCTRACE_NEO4J_PASSWORD", neo4j.password)
    return ["--neo4j-uri", neo4j.uri, "--neo4j-user", neo4j.user]


def _lines() -> list[dict]:
    return [json.loads(line) for line in DEMO_TRACES.read_text().splitlines() if line.strip()]


def _with_huge_drug(record: dict) -> dict:
    record = json.loads(json.dumps(record))
    record["trace_id"] = record.get("trace_id", "t") + "-huge"
    record["perturbation"]["perturbations"][0]["name"] = HUGE
    return record


def _write(path, records) -> str:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return str(path)


def _count(neo4j, query: str) -> int:
    records, _, _ = neo4j.driver.execute_query(query)
    return records[0][0]


def _refuse_marked(monkeypatch, how: str) -> None:
    """Make the row of each trace whose id ends in ``-bad`` one Neo4j refuses (a Drug key
    past the index key limit) or one that cannot be converted. Validation now stops oversize
    names before the store (byte limits), so the store's safety net is exercised past it."""
    real = trace_store.trace_row

    def trace_row(tkey, trace):
        row = real(tkey, trace)
        if (trace.trace_id or "").endswith("-bad"):
            if how == "convert":
                raise KeyError("an edge names no action")
            row["drug_key"] = HUGE
        return row

    monkeypatch.setattr(trace_store, "trace_row", trace_row)


def _marked(record: dict) -> dict:
    record = json.loads(json.dumps(record))
    record["trace_id"] = record.get("trace_id", "t") + "-bad"
    return record


def test_a_refused_record_is_reported_and_its_neighbours_written(neo4j, cli, tmp_path, capsys,
                                                                 monkeypatch):
    demo = _lines()
    first = _write(tmp_path / "first.jsonl", [demo[0], _marked(demo[1]), demo[2]])
    later = _write(tmp_path / "later.jsonl", demo[3:])
    _refuse_marked(monkeypatch, "store")
    status = main([*cli, "ingest", "--no-progress", "--batch-size", "10", first, later])
    captured = capsys.readouterr()
    out = captured.out
    assert status == 1, captured.err + out
    assert f"{first}:record 2: not stored: Neo4j refused it" in out
    assert "too large to index" in out and "cannot use Neo4j" not in out
    assert f"{first}: 3 records, 2 written, 0 already stored, 0 invalid (not written), " \
           "1 not stored" in out
    assert f"{later}: 2 records, 2 written" in out
    assert _count(neo4j, "MATCH (t:Trace) RETURN count(t)") == len(demo) - 1
    assert _count(neo4j, "MATCH (t:Trace) WHERE t.trace_id ENDS WITH '-bad' "
                         "RETURN count(t)") == 0


def test_a_record_that_cannot_be_converted_is_reported_and_skipped(neo4j, cli, tmp_path, capsys,
                                                                   monkeypatch):
    demo = _lines()
    first = _write(tmp_path / "first.jsonl", [_marked(demo[0]), *demo[1:3]])
    later = _write(tmp_path / "later.jsonl", demo[3:])
    _refuse_marked(monkeypatch, "convert")
    status = main([*cli, "ingest", "--no-progress", first, later])
    captured = capsys.readouterr()
    out = captured.out
    assert status == 1, captured.err + out
    assert f"{first}:record 1: not stored: cannot convert: KeyError" in out
    assert _count(neo4j, "MATCH (t:Trace) RETURN count(t)") == len(demo) - 1


def test_an_oversize_name_is_stopped_before_the_store_and_the_rest_written(neo4j, cli, tmp_path,
                                                                           capsys):
    """A 40,000-character drug name through the real path: refused (by validation's byte
    limit, or else by the store's isolation), never exit 2, the neighbours written."""
    demo = _lines()
    first = _write(tmp_path / "first.jsonl", [demo[0], _with_huge_drug(demo[1]), demo[2]])
    later = _write(tmp_path / "later.jsonl", demo[3:])
    status = main([*cli, "ingest", "--no-progress", "--batch-size", "10", first, later])
    captured = capsys.readouterr()
    out = captured.out
    assert status == 1, captured.err + out
    assert f"{first}:record 2" in out
    assert _count(neo4j, "MATCH (t:Trace) RETURN count(t)") == len(demo) - 1


def test_the_store_isolates_refused_traces_by_bisection(neo4j):
    """Two refused traces in a batch of five (built past validation): three written, the two
    reported with their records; nothing of them stored."""
    traces = list(read_traces(DEMO_TRACES))
    traces[1] = traces[1].model_copy(update={"trace_id": "a" * 40_000})
    traces[3] = traces[3].model_copy(update={"trace_id": "b" * 40_000})
    results = list(write_traces(neo4j.graph, traces, batch_size=5))
    failed = [f for r in results for f in r.failed]
    assert [f.record for f in failed] == [traces[1].provenance.record,
                                          traces[3].provenance.record]
    assert all("too large" in f.reason for f in failed)
    assert sum(r.traces_written for r in results) == 3
    assert _count(neo4j, "MATCH (t:Trace) RETURN count(t)") == 3
    # written again: the six are already stored, the two refused again
    again = list(write_traces(neo4j.graph, traces, batch_size=5))
    assert sum(r.traces_existing for r in again) == 3
    assert len([f for r in again for f in r.failed]) == 2


def test_nothing_readable_is_exit_2_and_a_missing_file_beside_a_good_one_is_1(neo4j, cli, tmp_path,
                                                                               capsys):
    missing = str(tmp_path / "missing.jsonl")
    assert main([*cli, "ingest", "--no-progress", missing]) == 2
    assert main([*cli, "ingest", "--no-progress", missing, str(DEMO_TRACES)]) == 1
    assert _count(neo4j, "MATCH (t:Trace) RETURN count(t)") == len(_lines())
