"""`vctrace query` (the named query library) and `vctrace cypher` (ad-hoc, read-only)."""

import csv
import io
import json
import re

import pytest

from vctrace import cypher
from vctrace.cli import main
from vctrace.kg.grounding import ground
from vctrace.kg.read_only import QueryRefused, run_read_only
from vctrace.kg.trace_store import write_traces
from vctrace.loaders.tahoe_metadata import TahoeMetadataLoader
from vctrace.traces.records import read_traces

from support.paths import EXAMPLES, SAMPLES, TAHOE
from support.verdicts import run_all

# The columns each library query returns: what users of `vctrace query NAME` rely on. A new
# library query is documented here too.
LIBRARY_COLUMNS = {
    "claim_provenance": ["claim", "primitive", "arguments", "asserted_by", "run", "verifier",
                         "version", "part", "status", "reason", "score", "threshold",
                         "evidence", "run_status", "sources"],
    "claims_refuted_by_verifier": ["run", "claim", "primitive", "part", "reason", "score",
                                   "drug", "cell_line", "actions"],
    "claims_shared_by_traces": ["claim", "primitive", "arguments", "traces"],
    "traces_by_cell_line": ["trace", "trace_id", "trace_ids", "drug", "cell_line", "actions"],
    "traces_by_drug": ["trace", "trace_id", "trace_ids", "drug", "cell_line", "actions"],
    "traces_by_entity": ["trace", "trace_id", "trace_ids", "action", "primitive", "role", "entity"],
    "traces_by_primitive": ["trace", "trace_id", "trace_ids", "drug", "cell_line", "actions"],
    "verdicts_changed_between_runs": ["verifier", "subject", "part", "status_a", "reason_a",
                                      "status_b", "reason_b", "n_traces", "traces"],
}


@pytest.fixture
def cli(neo4j, monkeypatch):
    """Global CLI options for the session's server (password from the environment)."""
    monkeypatch.setenv("VCTRACE_NEO4J_PASSWORD", neo4j.password)
    return ["--neo4j-uri", neo4j.uri, "--neo4j-user", neo4j.user]


@pytest.fixture
def loaded(neo4j, cli):
    for path in (EXAMPLES / "demo_traces.jsonl", SAMPLES / "vcr_agent_sample.jsonl"):
        list(write_traces(neo4j.graph, read_traces(path)))
    TahoeMetadataLoader(neo4j.graph).load([TAHOE / "drug_metadata.parquet"])
    ground(neo4j.graph, rebuild=True)
    return cli


def test_writes_are_refused_by_the_database(neo4j):
    for text in ("CREATE (:Evil)", "MATCH (n) DETACH DELETE n",
                 "MATCH (t:Trace) SET t.tampered = true",
                 "CREATE CONSTRAINT x IF NOT EXISTS FOR (n:X) REQUIRE n.k IS UNIQUE"):
        with pytest.raises(QueryRefused):
            run_read_only(neo4j.graph, text)
    assert run_read_only(neo4j.graph, "RETURN $x + 1 AS y", {"x": 41}) == (["y"], [[42]])


def test_every_library_query_is_documented_and_runs(kb):
    """Each query runs read-only against the knowledge set with a verification run in it,
    every parameter null (as `vctrace query` defaults the ones not given), and returns its
    documented columns."""
    run_all(kb.graph)
    names = cypher.library()
    assert {"traces_by_drug", "traces_by_cell_line", "traces_by_primitive",
            "traces_by_entity", "claims_shared_by_traces"} <= set(names)
    assert set(names) == set(LIBRARY_COLUMNS), "document the columns of every library query"
    rows_of = {}
    for name in names:
        text = cypher.library_query(name)
        params = {p: None for p in re.findall(r"\$([A-Za-z_][A-Za-z0-9_]*)", text)}
        columns, rows_of[name] = run_read_only(kb.graph, text, params)
        assert columns == LIBRARY_COLUMNS[name], name
    # with no parameter given, a query with defaults still answers: both traces of the
    # knowledge set assert that trametinib binds MAP2K1 (and share their context)
    shared = rows_of["claims_shared_by_traces"]
    assert shared and all(r[3] == 2 for r in shared)
    assert any(r[1] == "binds_to" and "map2k1" in r[2] for r in shared)
    assert rows_of["traces_by_drug"] == []  # no drug given: nothing, and no error


def test_the_cli_lists_every_library_query(cli, capsys):
    names = cypher.library()
    assert main([*cli, "query"]) == 0
    listing = capsys.readouterr().out
    assert all(name in listing for name in names)


@pytest.mark.shared_data
def test_traces_by_drug_and_formats(loaded, capsys):
    assert main([*loaded, "query", "traces_by_drug", "--param", "drug=Trametinib",
                 "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["trace_id"] for r in rows] == ["demo-trametinib-c32"]
    assert main([*loaded, "query", "traces_by_primitive", "--param",
                 "primitive=alleviates_phenotype", "--format", "csv"]) == 0
    table = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert table[0] == ["trace", "trace_id", "trace_ids", "drug", "cell_line", "actions"]
    assert len(table) == 1 + 5  # all five VCR-Agent sample records end in alleviates_phenotype
    assert main([*loaded, "query", "traces_by_entity", "--param", "entity=PSMB5"]) == 0
    out = capsys.readouterr().out
    assert "binds_to" in out and "target" in out and "psmb5" in out


@pytest.mark.shared_data
def test_claims_shared_by_traces(loaded, capsys):
    assert main([*loaded, "query", "claims_shared_by_traces", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows and all(r["traces"] >= 2 for r in rows)
    assert any(r["primitive"] == "binds_to" and "vegf-a" in r["arguments"] for r in rows)


@pytest.mark.shared_data
def test_cli_cypher_read_and_refused_write(loaded, capsys, neo4j):
    assert main([*loaded, "cypher", "MATCH (t:Trace) RETURN count(t) AS traces"]) == 0
    assert [line.strip() for line in capsys.readouterr().out.splitlines()] == ["traces", "10"]
    assert main([*loaded, "cypher", "MATCH (t:Trace) DETACH DELETE t"]) == 1
    assert "query refused" in capsys.readouterr().err
    records, _, _ = neo4j.driver.execute_query("MATCH (t:Trace) RETURN count(t) AS c")
    assert records[0]["c"] == 10
    assert main([*loaded, "query", "no_such_query"]) == 2
