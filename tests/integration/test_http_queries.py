"""The query routes against the real Neo4j: the library, named queries, ad-hoc Cypher through
the query gate, the service's row cap, refusals as problems."""

from __future__ import annotations

from support.api import api_client


def test_the_library_lists_names_descriptions_and_parameters(api):
    response = api.get("/queries")
    assert response.status_code == 200
    by_name = {q["name"]: q for q in response.json()}
    assert by_name["traces_by_drug"]["parameters"] == ["drug"]
    assert by_name["traces_by_drug"]["description"].startswith("Traces of a drug")
    assert api.client.get("/queries").status_code == 401


def test_a_named_query_runs_with_its_parameters_and_an_unknown_one_is_404(api, neo4j):
    neo4j.driver.execute_query(
        "CREATE (:Trace {key: 't-1', trace_id: 'x', cell_line: 'C32', n_actions: 3})"
        "-[:PERTURBED_BY]->(:Drug {key: 'trametinib', name: 'Trametinib'})")
    response = api.post("/queries/traces_by_drug", role="read",
                        json={"params": {"drug": "TRAMETINIB"}})
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["columns"][:2] == ["trace", "trace_id"]
    assert [row[:2] for row in result["rows"]] == [["t-1", "x"]]
    assert (result["truncated"], result["limit"]) == (False, api.settings.http_row_limit)
    missing = api.post("/queries/no_such_query", role="read", json={})
    assert missing.status_code == 404
    assert "no library query named 'no_such_query'" in missing.json()["detail"]


def test_cypher_returns_columns_and_rows_and_strict_json(api):
    response = api.post("/cypher", role="read", json={
        "query": "UNWIND range(1, $n) AS i RETURN i, i * 2 AS twice, 0.0 / 0.0 AS nan",
        "params": {"n": 3}})
    assert response.status_code == 200, response.text
    assert response.json() == {"columns": ["i", "twice", "nan"],
                               "rows": [[1, 2, None], [2, 4, None], [3, 6, None]],
                               "truncated": False, "limit": 1000}
    cut = api.post("/cypher", role="read", json={"query": "UNWIND range(1, 10) AS i RETURN i",
                                                 "limit": 4}).json()
    assert (len(cut["rows"]), cut["truncated"], cut["limit"]) == (4, True, 4)


def test_the_row_cap_and_timeout_of_the_service_bound_every_query(neo4j, tmp_path):
    with api_client(neo4j.settings(http_row_limit=3), tmp_path) as api:
        result = api.post("/cypher", role="read", json={
            "query": "UNWIND range(1, 10) AS i RETURN i", "limit": 500, "timeout_s": 10_000})
        assert result.status_code == 200, result.text
        assert (len(result.json()["rows"]), result.json()["truncated"],
                result.json()["limit"]) == (3, True, 3)
        named = api.post("/queries/traces_by_drug", role="read", json={"limit": 50}).json()
        assert named["limit"] == 3


def test_refusals_are_422_problems_and_nothing_is_written(api, neo4j):
    neo4j.driver.execute_query("CREATE (:Trace {key: 't-keep'})")
    for query in ("MATCH (t:Trace) DETACH DELETE t", "CREATE (:Trace {key: 't-new'})",
                  "MATCH (n RETURN n", "CALL dbms.security.listUsers()"):
        for role in ("read", "write"):
            response = api.post("/cypher", role=role, json={"query": query})
            assert response.status_code == 422, (query, response.text)
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["detail"].startswith("query refused"), query
    records, _, _ = neo4j.driver.execute_query("MATCH (t:Trace) RETURN collect(t.key) AS keys")
    assert records[0]["keys"] == ["t-keep"]
    for body in ({"query": ""}, {"query": "RETURN 1", "limit": 0},
                 {"query": "RETURN 1", "timeout_s": 0}, {"query": "x" * 100_001},
                 {"query": "RETURN $n", "params": {"n": 2 ** 70}}, {}):
        response = api.post("/cypher", role="read", json=body)
        assert response.status_code == 422, (body, response.text)
    for body in (b'{"query": "RETURN \\ud800"}',
                 b'{"query": "RETURN $s", "params": {"s": ["\\ud800"]}}'):
        surrogate = api.post("/cypher", role="read", content=body,
                             headers={"Content-Type": "application/json"})
        assert surrogate.status_code == 422, surrogate.text  # not sendable to Neo4j
    assert api.client.post("/cypher", json={"query": "RETURN 1"}).status_code == 401
