"""The index paths of the audit, show and library lookups (bench/audit.py measures them): a
second trace id found through the keyword full-text index whatever characters it holds, and
verdicts_changed_between_runs read from either run."""

import json

from vctrace.app import audit, queries, traces as app_traces
from vctrace.kg.trace_store import resolve_trace_keys

from support.paths import DEMO_TRACES

ODD_IDS = ['run "2" \\ x', "a b", "AND", "x*y?", "((", "Émile-😀"]


def test_second_ids_with_query_syntax_resolve_exactly(neo4j, tmp_path):
    row = json.loads(DEMO_TRACES.read_text().splitlines()[0])
    settings = neo4j.settings()
    paths = []
    for i, trace_id in enumerate([row["trace_id"], *ODD_IDS]):
        paths.append(tmp_path / f"{i}.jsonl")
        paths[-1].write_text(json.dumps(dict(row, trace_id=trace_id)) + "\n")
    app_traces.ingest(settings, paths)
    key, = resolve_trace_keys(neo4j.graph, row["trace_id"])
    for trace_id in ODD_IDS:
        assert resolve_trace_keys(neo4j.graph, trace_id) == [key], trace_id
        assert audit.audit(settings, trace_id).trace.key == key
        assert app_traces.show(settings, trace_id).key == key
    # exact: neither another case, nor a part, nor a prefix of an id is an id
    for near in ("and", "a", "x*", "Émile"):
        assert resolve_trace_keys(neo4j.graph, near) == [], near
    # a prefix still finds the trace when nothing matches exactly (rank 0)
    assert resolve_trace_keys(neo4j.graph, key[:8]) == [key]


def _runs(neo4j, small: str, large: str) -> None:
    """Two runs judging the same claims: ``large`` (10 traces) and ``small`` (1 trace), whose
    verdicts differ on two of three claims."""
    neo4j.driver.execute_query(
        """
        CREATE (:VerificationRun {key: $large, traces: 10}), (:VerificationRun {key: $small, traces: 1})
        WITH *
        UNWIND range(0, 2) AS i
        CREATE (c:Claim {key: 'c-' + i})
        CREATE (t:Trace {key: 't-' + i})-[:HAS_ACTION]->(:Action {id: 'n1'})-[:ASSERTS]->(c)
        CREATE (:Verdict {key: 'v-l' + i, run: $large, verifier: 'dti-kg', subject: c.key,
                          status: 'supported', reason: 'curated'})-[:JUDGES]->(c)
        CREATE (:Verdict {key: 'v-s' + i, run: $small, verifier: 'dti-kg', subject: c.key,
                          status: CASE WHEN i = 0 THEN 'supported' ELSE 'refuted' END,
                          reason: 'closed'})-[:JUDGES]->(c)
        """, small=small, large=large)


def test_verdicts_changed_between_runs_from_either_run(neo4j):
    _runs(neo4j, "r-small", "r-large")
    settings = neo4j.settings()

    def changed(a, b):
        return queries.run_query(settings, "verdicts_changed_between_runs",
                                 {"run_a": a, "run_b": b}).rows

    forward = changed("r-large", "r-small")
    assert [(r[1], r[3], r[5], r[8]) for r in forward] == [
        ("c-1", "supported", "refuted", ["t-1"]), ("c-2", "supported", "refuted", ["t-2"])]
    backward = changed("r-small", "r-large")
    assert [(r[1], r[3], r[5]) for r in backward] == [
        ("c-1", "refuted", "supported"), ("c-2", "refuted", "supported")]
    assert changed("r-large", "r-large") == [] and changed("nothing", "r-large") == []
    assert changed(None, None) == []
