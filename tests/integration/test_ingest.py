"""Traces in Neo4j: subgraph shape, idempotency, invalid records kept out, lossless read-back,
hostile strings stored verbatim, batches safe to retry (a managed write transaction run again
after it committed), and the ingest/show/db CLI against the real server."""

import json
import re
import subprocess
import sys

import pytest

from vctrace.cli import main
from vctrace.kg import trace_store
from vctrace.kg.trace_store import (InvalidTraceError, graph_summary, read_traces as read_stored,
                                    resolve_trace_keys, write_traces)
from vctrace.traces.identity import claim_key, trace_key
from vctrace.traces.records import read_traces
from vctrace.traces.text import parse_trace_text
from vctrace.traces.validation import check, is_valid

from support.paths import DEMO_TRACES, EXAMPLES, SAMPLE_FILES

ALL_FILES = SAMPLE_FILES + [EXAMPLES / "demo_traces.jsonl"]


def _ingest(neo4j, traces, batch_size=3):
    return list(write_traces(neo4j.graph, traces, batch_size=batch_size))


def _count(neo4j, query, **params):
    records, _, _ = neo4j.driver.execute_query(query, **params)
    return records[0][0]


@pytest.mark.shared_data
def test_read_back_is_lossless_for_every_example_file(neo4j):
    for path in ALL_FILES:
        traces = list(read_traces(path))
        _ingest(neo4j, traces)
        stored = read_stored(neo4j.graph, [trace_key(t) for t in traces])
        assert len(stored) == len(traces)
        for original, back in zip(traces, stored):
            assert back == original, path  # every field, findings and layout included


@pytest.mark.shared_data
def test_ingest_is_idempotent(neo4j):
    traces = [t for path in ALL_FILES for t in read_traces(path)]
    first = _ingest(neo4j, traces)
    summary = graph_summary(neo4j.graph)
    rels = _count(neo4j, "MATCH ()-[r]->() RETURN count(r)")
    second = _ingest(neo4j, traces)
    assert sum(r.traces_written for r in first) == 11
    assert sum(r.traces_written for r in second) == 0
    assert sum(r.traces_existing for r in second) == 11
    assert graph_summary(neo4j.graph) == summary
    assert _count(neo4j, "MATCH ()-[r]->() RETURN count(r)") == rels


@pytest.mark.shared_data
def test_duplicates_within_one_batch_are_written_once(neo4j):
    trace, = read_traces(SAMPLE_FILES[0])
    results = _ingest(neo4j, [trace, trace, trace], batch_size=10)
    assert results[0].traces_written == 1 and results[0].traces_existing == 2
    assert _count(neo4j, "MATCH (t:Trace) RETURN count(t)") == 1


@pytest.mark.shared_data
def test_duplicates_across_batches_are_written_once(neo4j):
    first, second = list(read_traces(SAMPLE_FILES[1]))[:2]
    results = _ingest(neo4j, [first, second, first, second, first], batch_size=1)
    assert [r.traces_written for r in results] == [1, 1, 0, 0, 0]
    assert _count(neo4j, "MATCH (t:Trace) RETURN count(t)") == 2
    assert _count(neo4j, "MATCH (:Trace)-[r:READ_FROM]->() RETURN count(r)") == 2


@pytest.mark.shared_data
def test_subgraph_shape(neo4j):
    trace, = read_traces(SAMPLE_FILES[0])  # venetoclax in HOP62
    _ingest(neo4j, [trace])
    key = trace_key(trace)
    q = neo4j.driver.execute_query
    records, _, _ = q("MATCH (t:Trace {key: $k})-[:HAS_ACTION]->(a) RETURN a ORDER BY a.idx",
                      k=key)
    actions = [r["a"] for r in records]
    assert len(actions) == 13
    assert set(actions[1].labels) == {"Action", "BindsTo"}
    assert actions[1]["actor"] == "venetoclax" and actions[1]["target"] == "BCL-2"
    assert actions[11]["gene_list"] == ["BBC3", "BAX", "APAF1", "GADD45A", "DDIT3"]
    assert set(actions[0].labels) == {"Action", "SetContext"}
    records, _, _ = q("MATCH (:Trace {key: $k})-[:HAS_ACTION]->(a)-[r:LEADS_TO]->(b) "
                      "RETURN a.id AS s, b.id AS t, r.relation AS rel ORDER BY r.idx", k=key)
    assert [(r["s"], r["t"], r["rel"]) for r in records] == \
        [(e.source, e.target, e.relation) for e in trace.edges]
    records, _, _ = q("MATCH (t:Trace {key: $k})-[:PERTURBED_BY]->(d:Drug), "
                      "(t)-[:IN_CELL_LINE]->(c:CellLine) RETURN d.name AS d, c.name AS c", k=key)
    assert (records[0]["d"], records[0]["c"]) == ("venetoclax", "HOP62")
    records, _, _ = q("MATCH (:Trace {key: $k})-[:HAS_ACTION]->(a:RegulatesExpression)"
                      "-[:ASSERTS]->(:Claim)-[m:MENTIONS]->(x:Mention) "
                      "RETURN m.role AS role, x.text AS text ORDER BY role, text", k=key)
    genes = [r["text"] for r in records if r["role"] == "gene_list"]
    assert genes == sorted(["BBC3", "BAX", "APAF1", "GADD45A", "DDIT3"])
    assert [r["text"] for r in records if r["role"] == "regulator"] == ["apoptotic signaling"]
    records, _, _ = q("MATCH (:Trace {key: $k})-[:READ_FROM]->(i:InputRecord) "
                      "RETURN i.file AS f, i.record AS r", k=key)
    assert records[0]["f"].endswith("vc_traces_row_12563.jsonl") and records[0]["r"] == 1


@pytest.mark.shared_data
def test_claims_are_shared_across_traces(neo4j):
    traces = list(read_traces(SAMPLE_FILES[1]))  # two runs each on Bevacizumab/Nintedanib
    _ingest(neo4j, traces)
    bev_claude, bev_gemini = traces[0], traces[3]
    key = claim_key(bev_claude, bev_claude.actions[1])  # bevacizumab binds VEGF-A
    assert key == claim_key(bev_gemini, bev_gemini.actions[1])
    assert _count(neo4j, "MATCH (a:Action)-[:ASSERTS]->(:Claim {key: $k}) RETURN count(a)",
                  k=key) == 2
    assert _count(neo4j, "MATCH (a:Action) WHERE NOT (a)-[:ASSERTS]->(:Claim) "
                  "RETURN count(a)") == 0
    # the shared claim links its entities once
    assert _count(neo4j, "MATCH (:Claim {key: $k})-[m:MENTIONS]->() RETURN count(m)",
                  k=key) == 2


def test_argument_values_of_any_shape_round_trip(neo4j):
    text = ('set_context(cell_type="A549", extras="x", key="not the node key", idx="7")\n'
            'binds_to(id="n1", actor="drug", target="EGFR", affinity=12.5, unit=None, '
            'residues_actor=["a", 1])\n'
            'induces_phenotype(id="n2", source="drug", phenotype="death")')
    trace = check(parse_trace_text(text, 'edge("n1", "n2", relation="causal")'))
    assert is_valid(trace), trace.findings
    _ingest(neo4j, [trace])
    back, = read_stored(neo4j.graph, [trace_key(trace)])
    assert back == trace
    assert back.actions[1].args["affinity"] == 12.5 and back.actions[0].args["idx"] == "7"


def test_hostile_strings_are_stored_verbatim(neo4j):
    # (a NUL character is refused by validation since issue 9: nul_character)
    evil = "x'}) MATCH (n) DETACH DELETE n // \\\" ${rows} NUL-free µ→"
    text = ('set_context(cell_type="A549")\n'
            f'binds_to(id="n1", actor={json.dumps(evil)}, target="`Label` :Trace")\n'
            'induces_phenotype(id="n2", source="drug", phenotype="death")')
    trace = check(parse_trace_text(text, 'edge("n1", "n2", relation="causal")'))
    assert is_valid(trace)
    _ingest(neo4j, [trace])
    back, = read_stored(neo4j.graph, [trace_key(trace)])
    assert back.actions[1].args["actor"] == evil
    assert back == trace
    assert _count(neo4j, "MATCH (t:Trace) RETURN count(t)") == 1


def test_invalid_traces_are_refused_whole(neo4j):
    broken = list(read_traces(EXAMPLES / "broken_traces.jsonl"))
    with pytest.raises(InvalidTraceError):
        _ingest(neo4j, broken)
    assert _count(neo4j, "MATCH (n) RETURN count(n)") == 0


def test_resolve_by_key_prefix_and_trace_id(neo4j):
    traces = list(read_traces(EXAMPLES / "demo_traces.jsonl"))
    _ingest(neo4j, traces)
    key = trace_key(traces[0])
    assert resolve_trace_keys(neo4j.graph, key) == [key]
    assert resolve_trace_keys(neo4j.graph, key[:12]) == [key]
    assert resolve_trace_keys(neo4j.graph, "demo-trametinib-c32") == [key]
    assert len(resolve_trace_keys(neo4j.graph, "demo-", limit=10)) == 5
    assert resolve_trace_keys(neo4j.graph, "nothing") == []


def test_cli_ingest_reports_invalid_records_and_writes_the_valid_ones(neo4j, tmp_path,
                                                                        capsys, monkeypatch):
    mixed = tmp_path / "mixed.jsonl"
    lines = (EXAMPLES / "demo_traces.jsonl").read_text().splitlines()[:2]
    lines += (EXAMPLES / "broken_traces.jsonl").read_text().splitlines()[:1]
    mixed.write_text("\n".join(lines) + "\n")
    settings_args = ["--neo4j-uri", neo4j.uri, "--neo4j-user", neo4j.user]
    monkeypatch.setenv("VCTRACE_NEO4J_PASSWORD", neo4j.password)
    assert main([*settings_args, "ingest", "--no-progress", str(mixed)]) == 1
    out = capsys.readouterr().out
    assert "3 records, 2 written, 0 already stored, 1 invalid" in out
    assert "mixed.jsonl:record 3:explain:line 4: error unknown_primitive" in out
    assert _count(neo4j, "MATCH (t:Trace) RETURN count(t)") == 2
    assert main([*settings_args, "ingest", "--no-progress", str(mixed)]) == 1
    assert "0 written, 2 already stored" in capsys.readouterr().out
    assert main([*settings_args, "ingest", str(tmp_path / "missing.jsonl")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_cli_show_and_db_status_against_the_server(neo4j):
    env = neo4j.env()
    run = lambda *args: subprocess.run([sys.executable, "-m", "vctrace.cli", *args],
                                       capture_output=True, text=True, env=env)
    assert run("ingest", "--no-progress", str(EXAMPLES / "demo_traces.jsonl")).returncode == 0
    shown = run("show", "demo-olaparib-ht-29")
    assert shown.returncode == 0
    assert 'binds_to(id="n1", actor="olaparib", target="PARP1"' in shown.stdout
    as_json = json.loads(run("show", "demo-olaparib-ht-29", "--format", "json").stdout)
    assert as_json["trace_id"] == "demo-olaparib-ht-29" and len(as_json["actions"]) == 9
    assert run("show", "no-such-trace").returncode == 1
    status = run("db", "status")
    assert status.returncode == 0 and "5 traces" in status.stdout
    started = run("db", "start")
    assert started.returncode == 0 and "nothing to start" in started.stdout
    bad = subprocess.run([sys.executable, "-m", "vctrace.cli", "db", "status"],
                         capture_output=True, text=True,
                         env=dict(env, VCTRACE_NEO4J_PASSWORD="wrong"))
    assert bad.returncode == 2 and "refused the credentials" in bad.stderr


def test_demo_runs_against_the_configured_server(neo4j, monkeypatch, capsys, tmp_path):
    for name, value in neo4j.env().items():
        if name.startswith("VCTRACE_"):
            monkeypatch.setenv(name, value)
    monkeypatch.setenv("VCTRACE_HOME", str(tmp_path))  # where the demo writes its report
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "tahoe-de" in out and "rows loaded" in out
    # the knowledge-graph-only constructor wrote a trace for each of the 100 demo pairs
    assert re.search(r"^   100 pairs, 100 traces \(100 valid\), 0 skipped, [\d,]+ traces/s; "
                     r"100 new traces stored; [\d.]+ s in all; generation run g-\S+$", out,
                     re.MULTILINE)
    assert (tmp_path / "generated" / "demo-kg.jsonl").exists()
    assert re.search(r"the graph now holds: 105 traces, \d+ actions", out)
    # the grounding table: binds_to's target arguments all ground
    assert re.search(r"^\s+binds_to\s+target\s+(\d+)\s+\1\s+100\.0%$", out, re.MULTILINE)
    assert _count(neo4j, "MATCH (:Trace)-[:PERTURBED_BY]->(:Drug)-[:TARGETS]->(:Gene) "
                  "RETURN count(*)") >= 105
    assert "6. verifying" in out and "dti-kg    " in out
    # one run over the examples and the generated traces
    assert _count(neo4j, "MATCH (r:VerificationRun)-[:COVERS]->(t:Trace) "
                  "RETURN count(t)") == 105
    assert "vctrace pipeline " in out and "vctrace generation-runs" in out
    # the kg baseline beside the example traces, per constructor
    assert "per constructor (kg: the knowledge-graph-only baseline):" in out
    assert re.search(r"^\s+kg\s+100\s+1\.000\s", out, re.MULTILINE)
    assert re.search(r"^\s+imported\s+5\s", out, re.MULTILINE)
    assert len(list((tmp_path / "reports").glob("run-*.report.html"))) == 1


def _shape(neo4j) -> tuple:
    """Counts of every label and relationship type, and of all properties."""
    records, _, _ = neo4j.driver.execute_query(
        "MATCH (n) UNWIND labels(n) AS label RETURN label, count(*) AS n ORDER BY label")
    labels = [tuple(r.values()) for r in records]
    records, _, _ = neo4j.driver.execute_query(
        "MATCH ()-[r]->() RETURN type(r) AS type, count(*) AS n, "
        "sum(size(keys(r))) AS props ORDER BY type")
    return labels, [tuple(r.values()) for r in records], _count(
        neo4j, "MATCH (n) RETURN sum(size(keys(n)))")


def test_a_batch_run_again_after_it_committed_writes_nothing_twice(neo4j):
    """The driver runs a batch's unit of work again when the answer to its commit is lost
    (or the leader changed): it checks what is stored inside the transaction, so a second run
    of the same prepared batch finds every trace and claim and adds nothing."""
    traces = [t for t in read_traces(DEMO_TRACES) if is_valid(t)]
    batch = trace_store._prepare_batch(neo4j.graph, traces)
    with neo4j.graph.session() as session:
        first = session.execute_write(trace_store._write_batch, batch)
        shape = _shape(neo4j)
        again = session.execute_write(trace_store._write_batch, batch)
    assert first.traces_written == len({trace_key(t) for t in traces}) > 1
    assert first.mentions and first.actions_written == sum(len(t.actions) for t in traces)
    assert again.traces_written == 0 and again.traces_existing == len(traces)
    assert not again.mentions and again.actions_written == 0
    assert _shape(neo4j) == shape
    stored = read_stored(neo4j.graph, [trace_key(t) for t in traces])
    assert stored == traces
