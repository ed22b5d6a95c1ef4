"""Grounding judged inside the graph (GroundingVerifier.store_in_graph) writes exactly what the
Python judge followed by the engine's write stores, property by property, on hand-made claims
that cover every branch (no mention, all grounded, ungrounded, links of unaccepted kinds,
entities without a kind label, texts the statement leaves to Python); and a whole run gives
the same grounding verdicts either way."""

from __future__ import annotations

import pytest

from vctrace.runs import engine
from vctrace.runs.engine import claim_rows, complete_verdicts, verdict_key
from vctrace.verifiers.grounding import GroundingVerifier

from support.verdicts import run_all

# claim key -> [(role, mention text, [(entity key, match kind), ...])]
CLAIMS = {
    "c-none": [],
    "c-all": [("actor", "trametinib", [("DB1", "exact")]), ("target", "MAP2K1", [("G1", "synonym")])],
    "c-some": [("target", "FOOBARIN", []), ("actor", "trametinib", [("DB1", "exact")]),
               ("gene", "a-gene", [("G2", "fuzzy")]), ("gene", "Z[x]~ 1", []),
               ("entity", "bare", [("E0", "exact")]), ("entity", "BARE", [])],
    "c-order": [("gene", "b", []), ("gene", "B", []), ("gene", "a b", []), ("gene", "a", []),
                ("gene", "a", []), ("gene", "_x", []), ("cell", "9!", [("G1", None)])],
    "c-fuzzy": [("gene", "mapk-1", [("G2", "fuzzy")])],
    "c-quote": [("target", 'say "x"', []), ("actor", "trametinib", [("DB1", "exact")])],
    "c-backslash": [("target", "a\\b", [])],
    "c-unicode": [("target", "TNF-α", []), ("actor", "trametinib", [("DB1", "exact")])],
    "c-control": [("target", "tab\there", [])],
    "c-norole": [(None, "MAP2K1", [])],
}
LEFT = {"c-quote", "c-backslash", "c-unicode", "c-control", "c-norole"}

SETUP = """
CREATE (:Entity:Drug {key: 'DB1'}), (:Entity:Gene {key: 'G1'}), (:Entity:Gene {key: 'G2'}),
       (:Entity:OntologyTerm {key: 'E0'})
WITH 1 AS one
UNWIND $claims AS c
CREATE (claim:Claim {key: c.key, primitive: 'binds_to', args_json: '{}'})
WITH claim, c
UNWIND range(0, size(c.mentions) - 1) AS i
WITH claim, c.key + '-' + toString(i) AS key, c.mentions[i] AS m
CREATE (claim)-[r:MENTIONS]->(x:Mention {key: key, text: m.text})
SET r.role = m.role
WITH x, m
UNWIND m.links AS link
MATCH (e:Entity {key: link.entity})
CREATE (x)-[g:REFERS_TO]->(e)
SET g.match = link.match, g.score = 1.0
"""


def _load(driver) -> None:
    claims = [{"key": key, "mentions": [
        {"role": role, "text": text, "links": [{"entity": e, "match": k} for e, k in links]}
        for role, text, links in mentions]} for key, mentions in CLAIMS.items()]
    driver.execute_query(SETUP, claims=claims)


def _stored(driver, run: str) -> dict[str, dict]:
    records, _, _ = driver.execute_query(
        "MATCH (v:Verdict {run: $run})-[:JUDGES]->(c:Claim) "
        "RETURN c.key AS claim, properties(v) AS v", run=run)
    out = {}
    for r in records:
        assert r["claim"] not in out
        props = dict(r["v"])
        assert props.pop("run") == run and props.pop("created_at")
        out[r["claim"]] = props
    return out


@pytest.mark.parametrize("options", [None, {"match_kinds": ["exact", "synonym"]}])
def test_in_graph_verdicts_equal_the_python_judge(neo4j, options):
    _load(neo4j.driver)
    verifier = GroundingVerifier(neo4j.graph, options)
    keys = sorted(CLAIMS)
    # the reference: judge in Python, store with the engine's write
    rows = claim_rows(neo4j.graph, keys)
    engine._store(neo4j.graph, "py", verifier,
                  complete_verdicts(rows, verifier.judge(rows), verifier))
    # in the graph, then what it left through the Python path
    created, left = verifier.store_in_graph(
        "ig", [{"subject": k, "key": verdict_key("ig", "grounding", k, None)} for k in keys])
    assert set(left) == LEFT and created == len(CLAIMS) - len(LEFT)
    rows = claim_rows(neo4j.graph, left)
    engine._store(neo4j.graph, "ig", verifier,
                  complete_verdicts(rows, verifier.judge(rows), verifier))

    python, graph = _stored(neo4j.driver, "py"), _stored(neo4j.driver, "ig")
    assert set(python) == set(graph) == set(CLAIMS)
    for claim in CLAIMS:
        assert graph[claim].pop("key") == verdict_key("ig", "grounding", claim, None)
        assert python[claim].pop("key") == verdict_key("py", "grounding", claim, None)
        assert graph[claim] == python[claim], claim
        assert type(graph[claim].get("score")) is type(python[claim].get("score"))
    # the branches were all taken
    assert python["c-none"]["reason"] == "no_entity_arguments" and "score" not in python["c-none"]
    if options is None:
        assert python["c-order"]["evidence_json"] == (
            '{"mentions": 7, "ungrounded": ["gene=B", "gene=_x", "gene=a", "gene=a", '
            '"gene=a b", "gene=b"]}')
    assert python["c-some"]["reason"] == "ungrounded_entities"
    assert python["c-fuzzy"]["reason"] == ("all_grounded" if options is None
                                           else "ungrounded_entities")


def test_a_run_stores_the_same_grounding_verdicts_in_the_graph_and_in_python(kb, monkeypatch):
    run_all(kb.graph, "grounding-in-graph", batch_size=3)
    monkeypatch.setattr(GroundingVerifier, "judges_in_graph", False)
    run_all(kb.graph, "grounding-in-python", batch_size=3)
    graph = _by_subject(kb.driver, "grounding-in-graph")
    python = _by_subject(kb.driver, "grounding-in-python")
    assert graph == python and len(graph) > 3


def _by_subject(driver, run: str) -> dict[str, dict]:
    records, _, _ = driver.execute_query(
        "MATCH (v:Verdict {run: $run, verifier: 'grounding'})-[:JUDGES]->(c:Claim) "
        "RETURN c.key AS claim, properties(v) AS v", run=run)
    return {r["claim"]: {k: x for k, x in r["v"].items() if k not in ("key", "run", "created_at")}
            for r in records}
