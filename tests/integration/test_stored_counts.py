"""The counts ingest keeps for the library queries (issue 13): each claim's ``n_traces`` (how
many traces assert it) and each trace's ``primitive_counts`` (actions per primitive, in the
order of ``primitives``) equal what the graph's paths say, after batches that share claims,
after ingesting the same traces again, and after the backfill that gives them to nodes an
older vctrace stored; the two library queries that read them answer as the path-counting
statements they replace."""

from __future__ import annotations

from vctrace import cypher
from vctrace.kg.schema import init_schema
from vctrace.kg.trace_store import write_traces
from vctrace.traces.synthetic import synthetic_traces

COUNTED_CLAIMS = """
MATCH (t:Trace)-[:HAS_ACTION]->(:Action)-[:ASSERTS]->(c:Claim)
RETURN c.key AS key, count(DISTINCT t) AS counted, c.n_traces AS stored ORDER BY key"""

COUNTED_PRIMITIVES = """
MATCH (t:Trace)-[:HAS_ACTION]->(a:Action)
WITH t, a.primitive AS p, count(a) AS n ORDER BY p
RETURN t.key AS key, collect(p) AS primitives, collect(n) AS counted,
       t.primitives AS stored_primitives, t.primitive_counts AS stored ORDER BY key"""


def _rows(neo4j, text, **params):
    return [r.data() for r in neo4j.driver.execute_query(text, params)[0]]


def _assert_counts_hold(neo4j, traces: int) -> None:
    claims = _rows(neo4j, COUNTED_CLAIMS)
    assert claims and all(r["stored"] == r["counted"] for r in claims)
    assert any(r["counted"] > 1 for r in claims), "the set must share claims between traces"
    rows = _rows(neo4j, COUNTED_PRIMITIVES)
    assert len(rows) == traces
    for r in rows:
        assert r["stored_primitives"] == r["primitives"] and r["stored"] == r["counted"]


def test_counts_follow_shared_claims_across_batches_and_repeats(neo4j):
    traces = list(synthetic_traces(60, 3))
    # small batches: most shared claims are created in one batch and met again in later ones
    list(write_traces(neo4j.graph, traces[:40], batch_size=7))
    _assert_counts_hold(neo4j, 40)
    # the same traces again (nothing new) and the rest, in one batch with repeats inside it
    list(write_traces(neo4j.graph, traces[30:] + traces[45:50], batch_size=100))
    _assert_counts_hold(neo4j, 60)


def test_backfill_gives_counts_to_nodes_stored_without_them(neo4j):
    list(write_traces(neo4j.graph, list(synthetic_traces(25, 1)), batch_size=10))
    before = (_rows(neo4j, COUNTED_CLAIMS), _rows(neo4j, COUNTED_PRIMITIVES))
    neo4j.driver.execute_query("MATCH (c:Claim) REMOVE c.n_traces")
    neo4j.driver.execute_query("MATCH (t:Trace) REMOVE t.primitive_counts")
    assert _rows(neo4j, "MATCH (c:Claim) WHERE c.n_traces IS NOT NULL RETURN c") == []
    init_schema(neo4j.graph)
    assert (_rows(neo4j, COUNTED_CLAIMS), _rows(neo4j, COUNTED_PRIMITIVES)) == before
    _assert_counts_hold(neo4j, 25)


def test_library_queries_answer_as_the_path_counts(neo4j):
    list(write_traces(neo4j.graph, list(synthetic_traces(40, 2)), batch_size=9))
    for least in (2, 3):
        answered = _rows(neo4j, cypher.library_query("claims_shared_by_traces"),
                         min_traces=least)
        counted = sorted(({"claim": r["key"], "traces": r["counted"]}
                          for r in _rows(neo4j, COUNTED_CLAIMS) if r["counted"] >= least),
                         key=lambda r: (-r["traces"], r["claim"]))
        assert [{"claim": r["claim"], "traces": r["traces"]} for r in answered] == counted
        assert answered or least == 3
    for primitive in ("binds_to", "regulates_expression"):
        answered = _rows(neo4j, cypher.library_query("traces_by_primitive"),
                         primitive=primitive)
        counted = _rows(neo4j, """
            MATCH (t:Trace)-[:HAS_ACTION]->(a:Action {primitive: $p})
            RETURN t.key AS trace, count(a) AS actions ORDER BY actions DESC, trace""",
                        p=primitive)
        assert counted and [(r["trace"], r["actions"]) for r in answered] == \
            [(r["trace"], r["actions"]) for r in counted]
