"""Open-world DTI (``dti-kg`` version 2): a protein on no curated list of the drug is
unverifiable, refuted only on positive evidence against binding (an explicit negative record
``(:Drug)-[:NOT_TARGET {source, release}]->(:Gene)``); the closed-world proxy is an option
recorded on the run; the leave-one-target-out measure of the difference, on the knowledge set
of tests/support/knowledge.py and on the bundled demo knowledge."""

from __future__ import annotations

import json

import pytest

from vctrace.kg.grounding import ground
from vctrace.runs import metrics
from vctrace.runs.leave_one_out import leave_one_target_out
from vctrace.runs.refine import refine

from support.knowledge import load_knowledge_and_traces
from support.verdicts import find, run_all, verdicts

CLOSED = {"dti-kg": {"world": "closed"}}


def _dti(server, run, target):
    return find(verdicts(server.driver, run, "dti-kg"), "dti-kg", "binds_to",
                actor="trametinib", target=target)[None]


def _recorded(server, run):
    records, _, _ = server.driver.execute_query(
        "MATCH (r:VerificationRun {key: $run}) RETURN r.verifiers_json AS v", run=run)
    return {v["name"]: v for v in json.loads(records[0]["v"])}


def test_absence_is_unverifiable_by_default_and_refuted_only_in_the_closed_world(kb):
    run_all(kb.graph, "open")
    run_all(kb.graph, "closed", options=CLOSED)
    status, reason, score, evidence = _dti(kb, "open", "egfr")
    assert (status, reason, score) == ("unverifiable", "not_in_curated_targets", None)
    assert evidence["world"] == "open" and "MAP2K1" in evidence["curated_targets"]
    assert _dti(kb, "closed", "egfr")[:3] == ("refuted", "not_a_curated_target", 0.0)
    for run in ("open", "closed"):  # a curated target is supported in both worlds
        assert _dti(kb, run, "map2k1")[:3] == ("supported", "curated_target", 1.0)
        assert _recorded(kb, run)["dti-kg"]["version"] == "2"
    assert _recorded(kb, "open")["dti-kg"]["parameters"]["world"] == "open"
    assert _recorded(kb, "closed")["dti-kg"]["parameters"]["world"] == "closed"
    # the discard policy follows: nothing is discarded on absence alone
    assert refine(kb.graph, "open").discarded == 0
    assert refine(kb.graph, "closed").discarded == 1
    open_rows = {r["trace_id"]: r for r in metrics.trace_metrics(kb.graph, "open")}
    assert open_rows["wrong-trametinib-c32"]["dti_judged"] == 1  # only MAP2K1 judged
    assert open_rows["wrong-trametinib-c32"]["dti_refuted"] == 0


def test_an_explicit_negative_record_refutes_in_either_world(neo4j, tmp_path):
    load_knowledge_and_traces(neo4j.graph, tmp_path)
    # negative records as a loader of negative data would write them: trametinib does not
    # bind EGFR (one source), and a record contradicting the curated MAP2K1 target
    neo4j.driver.execute_query(
        "MATCH (c:Claim {primitive: 'binds_to'})-[:MENTIONS {role: 'actor'}]->(:Mention)"
        "-[:REFERS_TO]->(d:Drug) WHERE c.args_json CONTAINS 'egfr' "
        "WITH DISTINCT d "
        "MATCH (egfr:Gene {symbol: 'EGFR'}), (mek:Gene {symbol: 'MAP2K1'}) "
        "MERGE (d)-[:NOT_TARGET {source: 'test-negatives', release: 'negatives-1'}]->(egfr) "
        "MERGE (d)-[:NOT_TARGET {source: 'test-contrary', release: 'contrary-1'}]->(mek)")
    ground(neo4j.graph)
    for run, options in (("open", None), ("closed", CLOSED)):
        run_all(neo4j.graph, run, options=options)
        status, reason, score, evidence = _dti(neo4j, run, "egfr")
        assert (status, reason, score) == ("refuted", "curated_non_target", 0.0)
        negative, = evidence["negative_records"]
        assert (negative["source"], negative["release"]) == ("test-negatives", "negatives-1")
        status, reason, _, evidence = _dti(neo4j, run, "map2k1")
        assert (status, reason) == ("unverifiable", "conflicting_curated_records")
        assert evidence["edges"] and evidence["negative_records"]
    # the refuted binding counts for the metrics and the discard policy
    rows = {r["trace_id"]: r for r in metrics.trace_metrics(neo4j.graph, "open")}
    assert rows["wrong-trametinib-c32"]["dti_refuted"] == 1
    assert refine(neo4j.graph, "open").discarded == 1


def test_leave_one_target_out_on_the_knowledge_set(kb):
    result = leave_one_target_out(kb.graph)
    assert result.pairs >= 2 and result.drugs >= 1
    trametinib = [r for r in result.rows if r.drug_name.lower() == "trametinib"]
    assert {r.symbol for r in trametinib} >= {"MAP2K1", "MAP2K2"}
    # every hidden target is a true binding: refuted when the lists are closed, unverifiable
    # when they are open
    assert result.statuses["closed"] == {"refuted": result.pairs}
    assert result.reasons["open"] == {"not_in_curated_targets": result.pairs}
    assert result.share("closed", "refuted") == 1.0 and result.share("open", "refuted") == 0.0
    assert all(r.targets_left >= 1 for r in result.rows)
    summary = result.summary()
    assert summary["closed"]["refuted_share"] == 1.0 and summary["pairs"] == result.pairs
    json.dumps(result.as_dict())
    assert leave_one_target_out(kb.graph, limit=1, keep_rows=False).drugs == 1
    single = leave_one_target_out(kb.graph, min_targets=1)
    assert single.pairs > result.pairs  # drugs with one target: nothing left when hidden
    assert single.reasons["closed"]["no_curated_targets"] == single.pairs - result.pairs


def test_leave_one_target_out_on_the_demo_knowledge(demo, capsys):
    result = leave_one_target_out(demo.graph)
    assert result.pairs > 0
    assert result.share("closed", "refuted") == 1.0
    assert result.statuses["open"] == {"unverifiable": result.pairs}
    with capsys.disabled():
        print(f"\nleave-one-target-out on the demo: {result.drugs} drugs, {result.pairs} "
              f"hidden targets; closed {dict(result.statuses['closed'])}, "
              f"open {dict(result.statuses['open'])}")
