"""Runs that are killed and resumed, refinement and export, reports, audits, the CLI and the
verdict queries of the library."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from neo4j import GraphDatabase

from vctrace.cli import main
from vctrace.kg.graph import Graph, GraphUnavailable
from vctrace.kg.grounding import ground
from vctrace.kg.schema import init_schema
from vctrace.kg.server import LocalNeo4j, free_port
from vctrace.kg.trace_store import read_traces as read_stored
from vctrace.kg.trace_store import write_traces
from vctrace.runs.audit import audit
from vctrace.runs.engine import DEFAULT_VERIFIERS as DEFAULT
from vctrace.runs.engine import RunError, build_verifiers, verify
from vctrace.runs.refine import Policy, export, refine
from vctrace.runs.report import build_report, write_html
from vctrace.settings import Settings
from vctrace.traces.records import read_traces
from vctrace.verifiers import grounding

from support.knowledge import PERTURBATION, TRACE_RIGHT, load_knowledge_and_traces
from support.paths import ROOT
from support.verdicts import run_all, verdicts

# dti-kg reading curated lists as closed (not the default): trametinib -> EGFR is refuted and
# the wrong trace discarded, which the refine, report and query tests below rely on
CLOSED = {"dti-kg": {"world": "closed"}}

KILLER = """
import os, signal, sys
from vctrace.verifiers import grounding
calls = [0]
def killing(method):  # grounding judges in the graph (store_in_graph), else in judge
    def wrapped(self, *args):
        calls[0] += 1
        if calls[0] == 4:  # after three committed batches: no cleanup, no finally blocks
            os.kill(os.getpid(), signal.SIGKILL)
        return method(self, *args)
    return wrapped
grounding.GroundingVerifier.judge = killing(grounding.GroundingVerifier.judge)
grounding.GroundingVerifier.store_in_graph = killing(grounding.GroundingVerifier.store_in_graph)
from vctrace.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.fixture
def kb(kb, monkeypatch):
    """The knowledge set (conftest's ``kb``), and the CLI pointed at its server."""
    monkeypatch.setenv("VCTRACE_NEO4J_PASSWORD", kb.password)
    return kb


def _status(driver, run):
    records, _, _ = driver.execute_query(
        "MATCH (r:VerificationRun {key: $run}) RETURN r.status AS status, "
        "COUNT { (:Verdict {run: $run}) } AS verdicts", run=run)
    return records[0]["status"], records[0]["verdicts"]


@pytest.mark.slow
def test_a_killed_run_resumes_to_exactly_the_uninterrupted_verdicts(kb):
    run_all(kb.graph, "uninterrupted")
    args = [*kb.cli, "verify", "--run-name", "killed", "--batch-size", "2", "--no-progress"]
    killed = subprocess.run([sys.executable, "-c", KILLER, *args], env=kb.env(), cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert killed.returncode == -9, killed.stderr
    status, partial = _status(kb.driver, "killed")
    _, total = _status(kb.driver, "uninterrupted")
    assert status == "running" and 0 < partial < total
    with pytest.raises(RunError, match="is running"):
        refine(kb.graph, "killed")  # verdicts of an unfinished run are not final
    assert main(args) == 0  # the same command again
    status, resumed = _status(kb.driver, "killed")
    assert status == "complete" and resumed == total
    assert verdicts(kb.driver, "killed") == verdicts(kb.driver, "uninterrupted")
    records, _, _ = kb.driver.execute_query(
        "MATCH (r:VerificationRun {key: 'killed'}) RETURN r.attempts AS attempts")
    assert records[0]["attempts"] == 2


@pytest.mark.slow
def test_without_a_name_the_unfinished_run_with_the_same_settings_resumes(kb):
    args = [*kb.cli, "verify", "--batch-size", "2", "--no-progress"]
    killed = subprocess.run([sys.executable, "-c", KILLER, *args], env=kb.env(), cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert killed.returncode == -9
    assert main([*args, "--t", "2.0"]) == 0  # other settings: a new run, the old one stays
    assert main([*args, "--format", "json"]) == 0
    records, _, _ = kb.driver.execute_query(
        "MATCH (r:VerificationRun) RETURN r.status AS status, r.attempts AS attempts "
        "ORDER BY r.created_at")
    assert [(r["status"], r["attempts"]) for r in records] == [("complete", 2),
                                                                ("complete", 1)]


def test_refine_discards_prunes_bridges_and_links_versions(kb, tmp_path):
    run_all(kb.graph, options=CLOSED)
    result = refine(kb.graph, "r1")
    assert (result.traces, result.discarded, result.refined, result.kept) == (2, 1, 1, 0)
    assert (result.genes_pruned, result.actions_dropped) == (4, 1)
    records, _, _ = kb.driver.execute_query(
        "MATCH (n:Trace)-[x:REFINES {run: 'r1'}]->(o:Trace {trace_id: 'right-trametinib-c32'}) "
        "RETURN n.key AS key, n.explain_verified AS verified")
    (refined_key, explain_verified), = [tuple(r.values()) for r in records]
    refined, = read_stored(kb.graph, [refined_key])
    actions = {a.id: a for a in refined.actions}
    assert "n7" not in actions
    assert actions["n6"].args["gene_list"] == ["DUSP6", "XIST", "FAKEGENE1"]
    edges = {(e.source, e.target): e.relation for e in refined.edges}
    assert edges[("n5", "n8")] == "correlative" and ("n5", "n7") not in edges
    assert "SPRY4" not in explain_verified and "DUSP6" in explain_verified
    again = refine(kb.graph, "r1")  # idempotent
    assert (again.refined, again.discarded) == (1, 1)
    records, _, _ = kb.driver.execute_query("MATCH (t:Trace) RETURN count(t) AS n")
    assert records[0]["n"] == 3
    # export: VC-TRACES rows with explain_verified; the discarded trace is left out
    out = tmp_path / "verified.jsonl"
    counts = export(kb.graph, "r1", out)
    assert counts == {"written": 1, "refined": 1, "discarded": 1}
    row, = [json.loads(line) for line in out.read_text().splitlines()]
    assert "SPRY4" in row["explain"] and row["explain_verified"] == explain_verified
    assert len(list(read_traces(out))) == 1  # the file reads back as traces
    export(kb.graph, "r1", out, include_discarded=True)
    assert len(out.read_text().splitlines()) == 2
    # a later run does not cover refined versions unless asked for them
    assert run_all(kb.graph, "r2").traces == 2


def test_keeping_refuted_bindings_is_an_option(kb):
    run_all(kb.graph)
    result = refine(kb.graph, "r1", Policy(discard_refuted_binding=False,
                                            prune=("opposite_direction", "not_de",
                                                   "not_measured")))
    assert (result.discarded, result.refined, result.kept) == (0, 1, 1)
    assert result.genes_pruned == 6  # XIST and FAKEGENE1 too


def test_report_json_and_self_contained_html(kb, tmp_path, capsys):
    run_all(kb.graph, options=CLOSED)
    report = build_report(kb.graph, "r1")
    assert report["metrics"]["traces"] == 2
    assert report["metrics"]["dti_excluded"] == pytest.approx(1 / 3)
    assert {v["name"] for v in report["verifiers"]} >= {"dti-kg", "de"}
    json.dumps(report, default=str)
    path = tmp_path / "r.html"
    write_html(report, path)
    page = path.read_text()
    assert page.count("<svg") >= 4 and "<script" not in page
    assert "src=" not in page and "http://www.w3.org/2000/svg" in page
    assert main([*kb.cli, "report", "latest", "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "DTI claims excluded" in out and "0.333" in out
    assert (tmp_path / "out" / "r1.report.html").is_file()
    assert json.loads((tmp_path / "out" / "r1.report.json").read_text())["run"]["key"] == "r1"
    assert main([*kb.cli, "report", "nope", "--out", str(tmp_path)]) == 2


def test_audit_of_a_claim_and_of_a_trace(kb, capsys):
    run_all(kb.graph)
    records, _, _ = kb.driver.execute_query(
        "MATCH (c:Claim {primitive: 'binds_to'}) WHERE c.args_json CONTAINS 'egfr' "
        "RETURN c.key AS key")
    key = records[0]["key"]
    result = audit(kb.graph, key)
    (action,) = result["asserted_by"]
    assert action["trace_id"] == "wrong-trametinib-c32" and action["action"] == "n2"
    assert action["input"]["file"].endswith("traces.jsonl") and action["input"]["sha256"]
    dti = [v for v in result["verdicts"] if v["verifier"] == "dti-kg"]
    assert dti[0]["status"] == "unverifiable"  # open world: not on the list is not refuted
    assert "MAP2K1" in dti[0]["evidence"]["curated_targets"]
    sources = {s["source"]: s for s in result["runs"]["r1"]["sources"]}
    assert sources["primekg"]["version"] == "test" and "kg.csv" in sources["primekg"]["files"]
    assert main([*kb.cli, "audit", key]) == 0  # the audit as text (rendered by the CLI)
    text = capsys.readouterr().out
    assert "UNVERIFIABLE (not_in_curated_targets)" in text and "traces.jsonl" in text
    assert main([*kb.cli, "audit", "wrong-trametinib-c32", "--format", "json"]) == 0
    trace = json.loads(capsys.readouterr().out)
    assert trace["kind"] == "trace" and len(trace["actions"]) == 6
    assert trace["verdicts"][0]["verifier"] == "structure"
    assert main([*kb.cli, "audit", "c-doesnotexist"]) == 1
    run_all(kb.graph, "r2")
    both = audit(kb.graph, key)
    one = audit(kb.graph, key, run="r2")
    assert {v["run"] for v in both["verdicts"]} == {"r1", "r2"}
    assert {v["run"] for v in one["verdicts"]} == {"r2"} and list(one["runs"]) == ["r2"]
    trace = audit(kb.graph, "wrong-trametinib-c32", run="r2")
    assert {v["run"] for a in trace["actions"] for v in a["verdicts"]} == {"r2"}


def test_cli_verify_errors_and_summary(kb, capsys):
    assert main([*kb.cli, "verify", "--verifiers", "dti-kg,bogus"]) == 2
    assert "unknown verifier" in capsys.readouterr().err
    assert main([*kb.cli, "verify", "--traces", "colour=red"]) == 2
    assert main([*kb.cli, "verify", "--batch-size", "0"]) == 2  # a usage error
    assert main([*kb.cli, "verify", "--verifiers", "dti-kg,de", "--no-progress",
                 "--run-name", "cli"]) == 0
    out = capsys.readouterr().out
    assert "run cli (created)" in out and "dti-kg" in out
    assert main([*kb.cli, "verify", "--verifiers", "de", "--run-name", "cli"]) == 2
    assert "other verifiers" in capsys.readouterr().err
    assert main([*kb.cli, "verify", "--list"]) == 0
    assert "cli" in capsys.readouterr().out


def test_verdict_queries_of_the_library(kb, capsys):
    run_all(kb.graph, "strict", options=CLOSED)
    run_all(kb.graph, "loose", options={"de": {"t": 0.5}, **CLOSED})
    assert main([*kb.cli, "query", "claims_refuted_by_verifier", "--param", "verifier=dti-kg",
                 "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["run"], r["reason"]) for r in rows] == [("loose", "not_a_curated_target")]
    assert main([*kb.cli, "query", "verdicts_changed_between_runs", "--param", "run_a=strict",
                 "--param", "run_b=loose", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["part"], r["status_a"], r["status_b"]) for r in rows] == \
        [("CCND1", "refuted", "supported")]
    assert rows[0]["traces"] and rows[0]["n_traces"] == 1
    records, _, _ = kb.driver.execute_query(
        "MATCH (c:Claim {primitive: 'binds_to'}) WHERE c.args_json CONTAINS 'egfr' "
        "RETURN c.key AS key")
    assert main([*kb.cli, "query", "claim_provenance", "--param",
                 f"claim={records[0]['key']}", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {(r["run"], r["verifier"], r["status"]) for r in rows} >= {
        ("strict", "dti-kg", "refuted"), ("loose", "dti-kg", "refuted")}
    assert any("primekg test" in s for s in rows[0]["sources"])
    assert rows[0]["asserted_by"][0]["trace_id"] == "wrong-trametinib-c32"


def test_cli_refine_and_export(kb, tmp_path, capsys):
    run_all(kb.graph, options=CLOSED)
    assert main([*kb.cli, "refine", "latest"]) == 0
    assert "2 traces: 0 unchanged, 1 refined (4 genes pruned, 1 actions dropped), " \
        "1 discarded" in capsys.readouterr().out
    out = tmp_path / "verified.parquet"
    assert main([*kb.cli, "export", "r1", str(out), "--keep-refuted-bindings"]) == 0
    assert "wrote 2 VC-TRACES rows" in capsys.readouterr().err
    rows = [t.explain_verified for t in read_traces(out)]
    assert len(rows) == 2 and all(rows)
    assert main([*kb.cli, "export", "no-such-run", str(out)]) == 2


@pytest.mark.slow
def test_a_run_survives_a_crashed_and_restarted_neo4j(tmp_path):
    """Neo4j is killed (SIGKILL, no clean shutdown) in the middle of a run and started again:
    the same run then ends with exactly the verdicts of an uninterrupted run."""
    settings = Settings()
    server = LocalNeo4j(root=tmp_path / "neo4j", lib_dir=settings.lib_dir, port=free_port(),
                        version=settings.neo4j_version, heap="512m", pagecache="128m",
                        start_timeout_s=180)
    server.start()
    try:
        def connect():
            return GraphDatabase.driver(server.uri, auth=("neo4j", server.password()),
                                        notifications_min_severity="OFF",
                                        max_transaction_retry_time=1.0)

        with connect() as driver:
            graph = Graph(driver, uri=server.uri)
            init_schema(graph)
            load_knowledge_and_traces(graph, tmp_path)
            calls = [0]
            judge = grounding.GroundingVerifier.judge
            in_graph = grounding.GroundingVerifier.store_in_graph

            def crashing(method):  # grounding judges in the graph, else in judge
                def wrapped(self, *args):
                    calls[0] += 1
                    if calls[0] == 4:
                        os.killpg(server.pid(), signal.SIGKILL)
                        time.sleep(1)
                    return method(self, *args)
                return wrapped

            grounding.GroundingVerifier.judge = crashing(judge)
            grounding.GroundingVerifier.store_in_graph = crashing(in_graph)
            try:
                with pytest.raises(GraphUnavailable, match="run the same command again"):
                    verify(graph, build_verifiers(graph, DEFAULT), run_name="crashed",
                           batch_size=2)
            finally:
                grounding.GroundingVerifier.judge = judge
                grounding.GroundingVerifier.store_in_graph = in_graph
        server.start()  # the stale pid file is noticed; recovery from the transaction log
        with connect() as driver:
            graph = Graph(driver, uri=server.uri)
            records, _, _ = driver.execute_query(
                "MATCH (r:VerificationRun {key: 'crashed'}) RETURN r.status AS s, "
                "COUNT { (:Verdict {run: 'crashed'}) } AS n")
            assert records[0]["s"] == "running" and records[0]["n"] > 0
            result = verify(graph, build_verifiers(graph, DEFAULT), run_name="crashed",
                            batch_size=2)
            assert result.resumed
            verify(graph, build_verifiers(graph, DEFAULT), run_name="whole")
            assert verdicts(driver, "crashed") == verdicts(driver, "whole")
    finally:
        server.stop()


def test_a_refined_version_equal_to_another_trace_does_not_hide_it(kb, tmp_path):
    """Pruning can turn a trace into exactly another ingested one (same perturbation, actions
    and edges): that trace stays an original and later runs still cover it."""
    explain = TRACE_RIGHT["explain"].splitlines()
    twin = dict(
        TRACE_RIGHT, trace_id="twin", perturbation=PERTURBATION,
        explain="\n".join(line.replace('"SPRY4", "ETV5", "CCND1", ', "") for line in explain
                          if 'id="n7"' not in line),
        dag="\n".join([line for line in TRACE_RIGHT["dag"].splitlines() if '"n7"' not in line]
                      + ['edge("n5", "n8", relation="correlative")']))
    path = tmp_path / "twin.jsonl"
    path.write_text(json.dumps(twin) + "\n")
    list(write_traces(kb.graph, read_traces(path)))
    ground(kb.graph)
    assert run_all(kb.graph, options=CLOSED).traces == 3
    result = refine(kb.graph, "r1")
    assert (result.refined, result.discarded, result.kept) == (1, 1, 1)
    records, _, _ = kb.driver.execute_query(
        "MATCH (n:Trace)-[:REFINES]->(:Trace {trace_id: 'right-trametinib-c32'}) "
        "RETURN n.trace_id AS id, n:RefinedVersion AS refined")
    assert [tuple(r.values()) for r in records] == [("twin", False)]
    assert run_all(kb.graph, "r2").traces == 3
