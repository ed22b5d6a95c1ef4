"""The offline bulk path (`vctrace ingest --bulk`) builds the same graph as the transactional
path, on a second real server it starts itself. (The import files of the bundled examples
alone: unit/test_bulk_import_files.py.)"""

import json
from collections import Counter
from pathlib import Path

import pytest

from vctrace.cli import main
from vctrace.kg.bulk_import import write_import_files
from vctrace.kg.graph import Graph
from vctrace.kg.server import LocalNeo4j, free_port
from vctrace.kg.trace_store import graph_summary, read_traces as read_stored, write_traces
from vctrace.settings import Settings
from vctrace.traces.identity import trace_key
from vctrace.traces.records import read_traces

from support.paths import BROKEN_TRACES, DEMO_TRACES, EXAMPLES, SAMPLE_FILES

FILES = [str(p) for p in SAMPLE_FILES + [EXAMPLES / "demo_traces.jsonl"]]


def _shape(driver):
    """Counts per node label set and per relationship type with its property keys."""
    nodes, _, _ = driver.execute_query("MATCH (n) RETURN labels(n) AS l, keys(n) AS k")
    rels, _, _ = driver.execute_query("MATCH ()-[r]->() RETURN type(r) AS t, keys(r) AS k")
    return (Counter((tuple(sorted(r["l"])), tuple(sorted(set(r["k"]) - {"ingested_at"})))
                    for r in nodes),
            Counter((r["t"], tuple(sorted(r["k"]))) for r in rels))


def _counts(driver):
    """The counts ingest keeps: traces per claim, actions per primitive of each trace."""
    claims, _, _ = driver.execute_query(
        "MATCH (c:Claim) RETURN c.key, c.n_traces ORDER BY c.key")
    traces, _, _ = driver.execute_query(
        "MATCH (t:Trace) RETURN t.key, t.primitives, t.primitive_counts ORDER BY t.key")
    counts = [r.values() for r in claims], [r.values() for r in traces]
    assert any(n > 1 for _, n in counts[0]) and all(r[2] for r in counts[1])
    return counts


def _local_home(tmp_path, monkeypatch) -> tuple[list[str], Path, str]:
    """Global options of a fresh local server home (its jars linked) on a free port."""
    home = tmp_path / "home"
    home.mkdir()
    settings = Settings()
    (home / settings.lib_dir.name).symlink_to(settings.lib_dir)
    port = str(free_port())
    monkeypatch.delenv("VCTRACE_NEO4J_URI", raising=False)
    return ["--home", str(home), "--bolt-port", port], home, port


@pytest.mark.shared_data
def test_import_files_have_typed_headers(tmp_path):
    traces = [t for f in FILES for t in read_traces(f)]
    result, nodes, rels = write_import_files(traces, tmp_path)
    assert (result.traces, result.actions) == (11, sum(len(t.actions) for t in traces))
    header = (tmp_path / "nodes_actions_RegulatesExpression.csv").read_text().splitlines()[0]
    assert header.startswith(":ID(Action),idx:long,") and "gene_list:string[]" in header
    assert (tmp_path / "rel_leads_to.csv").read_text().startswith(
        ":START_ID(Action),:END_ID(Action),:TYPE,relation,idx:long")


@pytest.mark.shared_data
@pytest.mark.slow
def test_bulk_graph_equals_transactional_graph(neo4j, tmp_path, monkeypatch, capsys):
    traces = [t for f in FILES for t in read_traces(f)]
    list(write_traces(neo4j.graph, traces))
    transactional = (graph_summary(neo4j.graph), _shape(neo4j.driver), _counts(neo4j.driver))

    cli, home, port = _local_home(tmp_path, monkeypatch)
    try:
        # invalid records and an unreadable file are reported; the valid traces are imported
        missing = tmp_path / "missing.jsonl"
        assert main([*cli, "ingest", "--bulk", "--no-progress", *FILES, str(BROKEN_TRACES),
                     str(missing)]) == 2
        out, err = capsys.readouterr()
        assert f"{missing}: no such file" in err
        assert [line.split(":")[1] for line in out.splitlines() if line.startswith("  ")] == \
            ["record 1", "record 2", "record 3"]
        assert "3 invalid records not written" in out
        assert all(step in out for step in ("write files", "neo4j-admin import", "restart"))
        server = LocalNeo4j.from_settings(Settings(home=home, bolt_port=int(port)))
        from neo4j import GraphDatabase
        with GraphDatabase.driver(server.uri, auth=("neo4j", server.password())) as driver:
            assert graph_summary(Graph(driver)) == transactional[0]
            nodes, rels = _shape(driver)
            assert dict(nodes) == dict(transactional[1][0])
            assert dict(rels) == dict(transactional[1][1])
            assert _counts(driver) == transactional[2]  # what the library queries read
            stored = read_stored(Graph(driver), [trace_key(t) for t in traces])
            assert stored == traces  # lossless, exactly as the transactional path
        # a second bulk load would replace the store: refused
        assert main([*cli, "ingest", "--bulk", "--no-progress", *FILES]) == 2
    finally:
        main([*cli, "db", "stop"])


def test_bulk_refuses_a_remote_server(monkeypatch, capsys):
    monkeypatch.setenv("VCTRACE_NEO4J_URI", "bolt://example.invalid:7687")
    assert main(["ingest", "--bulk", str(DEMO_TRACES)]) == 2
    assert "local server only" in capsys.readouterr().err


@pytest.mark.slow
def test_bulk_ingest_records_every_id_as_the_transactional_path(neo4j, tmp_path, monkeypatch):
    """Content met again under other ids (issue 12): the ids are added after the import, so
    the Trace nodes' trace_id and trace_ids equal a transactional ingest's."""
    demo = DEMO_TRACES.read_text().splitlines()
    first, second = (json.loads(line) for line in demo[:2])
    first.pop("trace_id")
    second.pop("trace_id")
    path = tmp_path / "ids.jsonl"
    rows = [dict(first, index=4), dict(second, id="s"), dict(first, id="x"),
            dict(first, index=4), first]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    query = ("MATCH (t:Trace) RETURN t.key AS key, t.trace_id AS id, t.trace_ids AS ids "
             "ORDER BY key")
    list(write_traces(neo4j.graph, read_traces(path)))
    transactional = neo4j.driver.execute_query(query)[0]
    assert [r["ids"] for r in transactional] in (
        [["4", "x"], ["s"]], [["s"], ["4", "x"]])

    cli, home, port = _local_home(tmp_path, monkeypatch)
    try:
        assert main([*cli, "ingest", "--bulk", "--no-progress", str(path)]) == 0
        server = LocalNeo4j.from_settings(Settings(home=home, bolt_port=int(port)))
        from neo4j import GraphDatabase
        with GraphDatabase.driver(server.uri, auth=("neo4j", server.password())) as driver:
            assert driver.execute_query(query)[0] == transactional
    finally:
        main([*cli, "db", "stop"])
