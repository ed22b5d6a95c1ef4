"""The trace use cases (vctrace.app.traces) against the session's real Neo4j: what ingest
writes and reports (per file, rejected records, totals, grounding), idempotency, unreadable
files, show and its renderings, and the bulk path's refusals and result."""

import json

import pytest

from vctrace.app import knowledge, traces
from vctrace.errors import InvalidRequest, VctraceError

from support.paths import BROKEN_TRACES, DEMO_TRACES, EXAMPLES

DEMO_METADATA = [EXAMPLES / "knowledge" / "tahoe" / "drug_metadata.demo.parquet",
                 EXAMPLES / "knowledge" / "tahoe" / "cell_line_metadata.demo.parquet"]


def _count(neo4j, query):
    records, _, _ = neo4j.driver.execute_query(query)
    return records[0][0]


@pytest.fixture
def mixed(tmp_path):
    """Two valid records (demo traces 1-2) and an invalid one (record 3)."""
    path = tmp_path / "mixed.jsonl"
    lines = DEMO_TRACES.read_text().splitlines()[:2] + BROKEN_TRACES.read_text().splitlines()[:1]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_validate_reports_each_record(tmp_path):
    result = traces.validate([DEMO_TRACES, BROKEN_TRACES, tmp_path / "missing.jsonl"],
                             "error")
    demo, broken = result.files
    assert (demo.records, demo.valid, demo.invalid) == (5, 5, 0)
    assert all(t.trace_key.startswith("t-") and t.findings == [] for t in demo.traces)
    assert (broken.records, broken.valid, broken.invalid) == (3, 0, 3)
    assert [f.code.value for t in broken.traces for f in t.findings] == \
        ["unknown_primitive", "cycle", "bad_direction"]
    assert result.unreadable == [f"{tmp_path / 'missing.jsonl'}: no such file"]
    assert result.valid is False
    assert traces.validate([DEMO_TRACES]).valid is True


def test_ingest_writes_valid_records_and_reports_the_rest(neo4j, mixed):
    settings = neo4j.settings()
    result = traces.ingest(settings, [mixed], batch_size=1)
    tally, = result.files
    assert (tally.records, tally.valid, tally.invalid) == (3, 2, 1)
    assert (tally.written, tally.existing, tally.error) == (2, 0, None)
    rejected, = tally.rejected
    assert (rejected.path, rejected.record) == (str(mixed), 3)
    assert [(f.code.value, f.line) for f in rejected.errors] == [("unknown_primitive", 4)]
    assert tally.actions == _count(neo4j, "MATCH (a:Action) RETURN count(a)") > 0
    assert tally.edges == _count(neo4j, "MATCH ()-[r:LEADS_TO]->() RETURN count(r)") > 0
    assert result.total.written == 2 and result.batch_size == 1
    assert result.unreadable == []
    assert _count(neo4j, "MATCH (t:Trace) RETURN count(t)") == 2

    again = traces.ingest(settings, [mixed])
    assert (again.total.written, again.total.existing, again.total.invalid) == (0, 2, 1)
    assert again.batch_size == settings.batch_size
    assert _count(neo4j, "MATCH (t:Trace) RETURN count(t)") == 2


def test_an_unreadable_file_is_reported_and_the_others_load(neo4j, tmp_path):
    missing = tmp_path / "missing.jsonl"
    result = traces.ingest(neo4j.settings(), [missing, DEMO_TRACES])
    gone, demo = result.files
    assert gone.error == f"{missing}: no such file" and gone.records == 0
    assert (demo.error, demo.written) == (None, 5)
    assert result.unreadable == [gone.error]
    assert result.total.written == 5


def test_ingest_refuses_a_batch_size_below_one(neo4j):
    with pytest.raises(VctraceError, match="batch size must be at least 1"):
        traces.ingest(neo4j.settings(), [DEMO_TRACES], batch_size=0)


def test_ingest_grounds_the_new_mentions(neo4j):
    settings = neo4j.settings()
    knowledge.load(settings, "tahoe-metadata", DEMO_METADATA)
    result = traces.ingest(settings, [DEMO_TRACES])
    grounding = result.grounding
    assert grounding.mentions == _count(neo4j, "MATCH (m:Mention) RETURN count(m)")
    assert 0 < grounding.grounded == _count(
        neo4j, "MATCH (m:Mention) WHERE EXISTS { (m)-[:REFERS_TO]->() } RETURN count(m)")
    assert grounding.aliases == 0  # only new mentions: the entity index is not rebuilt
    # nothing new to ground the second time
    assert traces.ingest(settings, [DEMO_TRACES]).grounding.grounded == 0


def test_show_by_trace_id_or_key_prefix_and_its_renderings(neo4j):
    settings = neo4j.settings()
    traces.ingest(settings, [DEMO_TRACES])
    shown = traces.show(settings, "demo-olaparib-ht-29")
    assert shown.key.startswith("t-") and shown.trace.trace_id == "demo-olaparib-ht-29"
    assert traces.show(settings, shown.key[:12]).key == shown.key

    text = traces.render_trace(shown, "text")
    assert text.startswith(f"# trace {shown.key} (demo-olaparib-ht-29)\n")
    assert 'binds_to(id="n1", actor="olaparib", target="PARP1"' in text
    form = json.loads(json.dumps(traces.trace_json_form(shown)))
    assert form["trace_key"] == shown.key and len(form["actions"]) == 9
    dot = traces.render_trace(shown, "dot")
    assert dot.startswith("digraph") and shown.key in dot


def test_show_refuses_no_match_and_several(neo4j):
    settings = neo4j.settings()
    traces.ingest(settings, [DEMO_TRACES])
    with pytest.raises(InvalidRequest, match="no stored trace matches 'nothing'"):
        traces.show(settings, "nothing")
    with pytest.raises(InvalidRequest, match="matches several traces") as caught:
        traces.show(settings, "demo-")
    assert caught.value.kind == "invalid"


def test_bulk_refuses_another_server(neo4j):
    with pytest.raises(VctraceError, match="local server only"):
        traces.bulk_ingest(neo4j.settings(), [DEMO_TRACES])
