"""`vctrace query` and `vctrace cypher` against the session's real Neo4j: the listing, the
three output formats, parameters, refusals and exit statuses."""

import csv
import io
import json

import pytest

from vctrace import cypher
from vctrace.cli import main

from support.paths import DEMO_TRACES


@pytest.fixture
def cli(neo4j, monkeypatch):
    """Global options for the session's server, with the demo traces ingested."""
    monkeypatch.setenv("VCTRACE_NEO4J_PASSWORD", neo4j.password)
    options = ["--neo4j-uri", neo4j.uri, "--neo4j-user", neo4j.user]
    assert main([*options, "ingest", "--no-progress", str(DEMO_TRACES)]) == 0
    return options


def test_query_without_a_name_lists_the_library(capsys):
    assert main(["query"]) == 0  # no database needed
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["name", "parameters", "description"]
    assert sorted(line.split()[0] for line in lines[1:]) == sorted(cypher.library())
    assert any(line.split()[:3] == ["traces_by_drug", "drug", "Traces"] for line in lines)


def test_query_in_each_format(cli, capsys):
    query = [*cli, "query", "traces_by_drug", "--param", "drug=Trametinib"]
    assert main(query) == 0
    captured = capsys.readouterr()
    header, row = captured.out.splitlines()
    assert header.split() == ["trace", "trace_id", "trace_ids", "drug", "cell_line", "actions"]
    assert row.split()[1:] == ["demo-trametinib-c32", '["demo-trametinib-c32"]', "Trametinib",
                               "C32", "9"]
    assert captured.err == "(1 row)\n"
    assert main([*query, "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["trace_id"], r["actions"]) for r in rows] == [("demo-trametinib-c32", 9)]
    assert main([*query, "--format", "csv"]) == 0
    table = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert table[0] == ["trace", "trace_id", "trace_ids", "drug", "cell_line", "actions"]
    assert table[1][1:] == ["demo-trametinib-c32", '["demo-trametinib-c32"]', "Trametinib",
                            "C32", "9"]


def test_cypher_with_parameters_and_strict_json(cli, capsys):
    assert main([*cli, "cypher", "RETURN $n + 1 AS n, $names AS names, 0.0 / 0.0 AS nan",
                 "--param", "n=41", "--param", 'names=["a", "b"]', "--format", "json"]) == 0
    out = capsys.readouterr().out
    assert "NaN" not in out
    assert json.loads(out) == [{"n": 42, "names": ["a", "b"], "nan": None}]


def test_refusals_and_exit_statuses(cli, neo4j, capsys):
    assert main([*cli, "cypher", "MATCH (t:Trace) DETACH DELETE t"]) == 1
    assert capsys.readouterr().err.startswith(  # the query gate refuses it from its plan
        "vctrace: query refused: it writes to the graph")
    assert main([*cli, "cypher", "MATCH (t:Trace) RETURN count(t) AS traces"]) == 0
    assert capsys.readouterr().out.splitlines()[1].strip() == "5"  # nothing was deleted
    assert main([*cli, "query", "no_such_query"]) == 2
    assert "no library query named 'no_such_query'" in capsys.readouterr().err
