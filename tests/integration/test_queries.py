"""`vctrace query` (the named query library) and `vctrace cypher` (ad-hoc, read-only)."""

import csv
import io
import json

import pytest

from vctrace import cypher
from vctrace.cli import main
from vctrace.kg.grounding import ground
from vctrace.kg.read_only import QueryRefused, run_read_only
from vctrace.kg.trace_store import write_traces
from vctrace.loaders.tahoe_metadata import TahoeMetadataLoader
from vctrace.traces.records import read_traces

from conftest import EXAMPLES, SAMPLES, TAHOE


@pytest.fixture
def loaded(neo4j, monkeypatch):
    for path in (EXAMPLES / "demo_traces.jsonl", SAMPLES / "vcr_agent_sample.jsonl"):
        list(write_traces(neo4j.driver, read_traces(path)))
    TahoeMetadataLoader(neo4j.driver).load([TAHOE / "drug_metadata.parquet"])
    ground(neo4j.driver, rebuild=True)
    monkeypatch.setenv("VCTRACE_NEO4J_PASSWORD", neo4j.password)
    return ["--neo4j-uri", neo4j.uri, "--neo4j-user", neo4j.user]


def test_writes_are_refused_by_the_database(neo4j):
    for text in ("CREATE (:Evil)", "MATCH (n) DETACH DELETE n",
                 "MATCH (t:Trace) SET t.tampered = true",
                 "CREATE CONSTRAINT x IF NOT EXISTS FOR (n:X) REQUIRE n.k IS UNIQUE"):
        with pytest.raises(QueryRefused):
            run_read_only(neo4j.driver, text)
    assert run_read_only(neo4j.driver, "RETURN $x + 1 AS y", {"x": 41}) == (["y"], [[42]])


def test_every_library_query_is_documented_and_runs(loaded, capsys):
    names = cypher.library()
    assert {"traces_by_drug", "traces_by_cell_line", "traces_by_primitive",
            "traces_by_entity", "claims_shared_by_traces"} <= set(names)
    assert main([*loaded, "query"]) == 0
    listing = capsys.readouterr().out
    assert all(name in listing for name in names)


def test_traces_by_drug_and_formats(loaded, capsys):
    assert main([*loaded, "query", "traces_by_drug", "--param", "drug=Trametinib",
                 "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["trace_id"] for r in rows] == ["demo-trametinib-c32"]
    assert main([*loaded, "query", "traces_by_primitive", "--param",
                 "primitive=alleviates_phenotype", "--format", "csv"]) == 0
    table = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert table[0] == ["trace", "trace_id", "drug", "cell_line", "actions"]
    assert len(table) == 1 + 5  # all five VCR-Agent sample records end in alleviates_phenotype
    assert main([*loaded, "query", "traces_by_entity", "--param", "entity=PSMB5"]) == 0
    out = capsys.readouterr().out
    assert "binds_to" in out and "target" in out and "psmb5" in out


def test_claims_shared_by_traces(loaded, capsys):
    assert main([*loaded, "query", "claims_shared_by_traces", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows and all(r["traces"] >= 2 for r in rows)
    assert any(r["primitive"] == "binds_to" and "vegf-a" in r["arguments"] for r in rows)


def test_cli_cypher_read_and_refused_write(loaded, capsys, neo4j):
    assert main([*loaded, "cypher", "MATCH (t:Trace) RETURN count(t) AS traces"]) == 0
    assert capsys.readouterr().out.splitlines()[2].strip() == "10"
    assert main([*loaded, "cypher", "MATCH (t:Trace) DETACH DELETE t"]) == 1
    assert "query refused" in capsys.readouterr().err
    records, _, _ = neo4j.driver.execute_query("MATCH (t:Trace) RETURN count(t) AS c")
    assert records[0]["c"] == 10
    assert main([*loaded, "query", "no_such_query"]) == 2
