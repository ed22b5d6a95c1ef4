"""The query use cases (vctrace.app.queries) against the session's real Neo4j: the library
with its parameters, optional parameters defaulting to null, read-only refusals and the row
limit."""

import pytest

from vctrace import cypher
from vctrace.app import queries, traces

from support.paths import DEMO_TRACES


def test_the_library_lists_each_query_with_its_parameters():
    listed = {q.name: q for q in queries.library()}
    assert set(listed) == set(cypher.library())
    assert listed["traces_by_drug"].parameters == ["drug"]
    assert listed["verdicts_changed_between_runs"].parameters == ["run_a", "run_b"]
    assert listed["claims_shared_by_traces"].description.startswith("Claims asserted by")
    assert all("Parameters:" not in q.description for q in listed.values())


def test_run_query_with_and_without_its_parameters(neo4j):
    settings = neo4j.settings()
    traces.ingest(settings, [DEMO_TRACES])
    result = queries.run_query(settings, "traces_by_drug", {"drug": "Trametinib"})
    assert result.columns == ["trace", "trace_id", "trace_ids", "drug", "cell_line", "actions"]
    assert [row[1] for row in result.rows] == ["demo-trametinib-c32"]
    assert result.truncated is False
    # a parameter not given is null: no drug, no rows (and no error)
    assert queries.run_query(settings, "traces_by_drug").rows == []


def test_an_unknown_query_name(neo4j):
    with pytest.raises(queries.UnknownQuery, match="no library query named 'nope'; known: ") \
            as caught:
        queries.run_query(neo4j.settings(), "nope")
    assert caught.value.kind == "unusable"


def test_cypher_is_read_only(neo4j):
    settings = neo4j.settings()
    traces.ingest(settings, [DEMO_TRACES])
    result = queries.run_cypher(settings, "MATCH (t:Trace) RETURN count(t) AS n, $x AS x",
                                {"x": [1, "a"]})
    assert (result.columns, result.rows) == (["n", "x"], [[5, [1, "a"]]])
    with pytest.raises(queries.QueryRefused, match="^query refused: ") as caught:
        queries.run_cypher(settings, "MATCH (t:Trace) DETACH DELETE t")
    assert caught.value.kind == "invalid"
    assert queries.run_cypher(settings, "MATCH (t:Trace) RETURN count(t)").rows == [[5]]


def test_rows_beyond_the_limit_are_left_out_and_flagged(neo4j):
    settings = neo4j.settings()
    result = queries.run_cypher(settings, "UNWIND range(1, $n) AS i RETURN i",
                                {"n": queries.ROW_LIMIT + 5})
    assert len(result.rows) == queries.ROW_LIMIT and result.truncated is True
    exact = queries.run_cypher(settings, "UNWIND range(1, $n) AS i RETURN i",
                               {"n": queries.ROW_LIMIT})
    assert len(exact.rows) == queries.ROW_LIMIT and exact.truncated is False
