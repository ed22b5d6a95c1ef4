"""Verifiers, runs, metrics, refinement, export, report and audit on a knowledge set and
traces with known right and wrong claims (tests/support/knowledge.py, loaded once by the `kb`
fixture and shared: each test only adds runs)."""

from __future__ import annotations


import pytest

from vctrace.runs import metrics
from vctrace.runs.engine import RunError, TraceFilter, build_verifiers, verify

from support.verdicts import find, run_all, verdicts


def test_known_right_and_wrong_claims_get_the_expected_verdicts(kb):
    result = run_all(kb.graph)
    assert result.traces == 2 and not result.resumed
    vs = verdicts(kb.driver, "r1")
    # dti-kg: curated target, a target on no curated list (open world: unverifiable, the
    # list shown), ungroundable target, PPI
    right = find(vs, "dti-kg", "binds_to", actor="trametinib", target="map2k1")[None]
    assert right[:3] == ("supported", "curated_target", 1.0)
    assert {"primekg_target", "tahoe_target"} <= set(right[3]["kinds"])
    wrong = find(vs, "dti-kg", "binds_to", actor="trametinib", target="egfr")[None]
    assert wrong[:3] == ("unverifiable", "not_in_curated_targets", None)
    assert wrong[3]["world"] == "open"
    assert "MAP2K1" in wrong[3]["curated_targets"] and "EGFR" not in wrong[3]["curated_targets"]
    assert find(vs, "dti-kg", "binds_to", target="foobarin")[None][:2] == \
        ("unverifiable", "ungrounded_entities")
    ppi = find(vs, "dti-kg", "binds_to", actor="map2k1", target="mapk1")[None]
    assert ppi[:2] == ("supported", "ppi_edge") and ppi[3]["edges"]
    # de: one verdict per gene
    de = find(vs, "de", "regulates_expression", gene_list=["ccnd1", "dusp6", "etv5",
                                                            "fakegene1", "spry4", "xist"])
    assert {g: v[:2] for g, v in de.items()} == {
        "DUSP6": ("supported", "observed"), "SPRY4": ("refuted", "opposite_direction"),
        "ETV5": ("refuted", "not_de"), "CCND1": ("refuted", "not_de"),
        "XIST": ("unverifiable", "not_measured"), "FAKEGENE1": ("unverifiable", "not_measured")}
    assert de["DUSP6"][2] == -3.0  # the strongest of the two concentrations is the evidence
    assert {c["concentration"] for c in de["DUSP6"][3]["calls"]} == {0.5, 5.0}
    assert de["SPRY4"][2] == 2.5 and de["XIST"][3]["tested_in"] == []
    # pathway: membership, localisation (right and wrong), drug target in pathway
    assert find(vs, "pathway", "participates_in", entity="map2k1")[None][:2] == \
        ("supported", "annotated")
    assert find(vs, "pathway", "localises_to", entity="map2k1")[None][:2] == \
        ("supported", "annotated")
    assert find(vs, "pathway", "localises_to", entity="parp1")[None][:2] == \
        ("refuted", "not_annotated")
    activity = find(vs, "pathway", "modulates_pathway_activity")[None]
    assert activity[:2] == ("supported", "drug_target_in_pathway")
    assert activity[3]["members_targeted"][0]["gene"] == "MAP2K1"
    # structure and grounding
    assert {k[2]: v[0] for k, v in vs.items() if k[0] == "structure"} == {
        "right-trametinib-c32": "supported", "wrong-trametinib-c32": "supported"}
    grounding = find(vs, "grounding", "binds_to", target="foobarin")[None]
    assert grounding[0] == "unverifiable" and grounding[3] == {"mentions": 2, "ungrounded": ["target=FOOBARIN"]}


def test_each_distinct_claim_is_judged_once_and_shared(kb):
    run_all(kb.graph)
    records, _, _ = kb.driver.execute_query(
        "MATCH (c:Claim {primitive: 'binds_to'})<-[:ASSERTS]-(a:Action) "
        "WHERE c.args_json CONTAINS 'map2k1' AND c.args_json CONTAINS 'trametinib' "
        "RETURN count(a) AS actions, COUNT { (c)<-[:JUDGES]-(:Verdict {verifier: 'dti-kg'}) } "
        "AS verdicts")
    assert [tuple(r.values()) for r in records] == [(2, 1)]


def test_thresholds_are_parameters_and_loose_ones_are_refused(kb):
    run_all(kb.graph, "loose", options={"de": {"t": 0.5}})
    de = find(verdicts(kb.driver, "loose"), "de", "regulates_expression",
              gene_list=["ccnd1", "dusp6", "etv5", "fakegene1", "spry4", "xist"])
    assert de["CCND1"][:2] == ("supported", "observed")
    run_all(kb.graph, "too-loose", options={"de": {"t": 0.2}})  # below the load's 0.5
    de = find(verdicts(kb.driver, "too-loose"), "de", "regulates_expression",
              gene_list=["ccnd1", "dusp6", "etv5", "fakegene1", "spry4", "xist"])
    assert {v[:2] for v in de.values()} == {("error", "threshold_below_load_cutoff")}


def test_metrics_follow_the_verdicts(kb):
    run_all(kb.graph, options={"dti-kg": {"world": "closed"}})  # EGFR refuted
    rows = {r["trace_id"]: r for r in metrics.trace_metrics(kb.graph, "r1")}
    right, wrong = rows["right-trametinib-c32"], rows["wrong-trametinib-c32"]
    assert right["validity"] == 1.0 and wrong["validity"] == 1.0
    # right: n6 has DUSP6 supported, SPRY4/ETV5/CCND1 refuted; n7 has SPRY4 refuted
    assert (right["de_supported"], right["de_refuted"]) == (1, 4)
    assert right["de"] == pytest.approx(0.2)
    assert right["dti"] == 1.0 and right["dti_judged"] == 1  # FOOBARIN is not judged
    assert wrong["dti"] == pytest.approx(0.5) and wrong["dti_refuted"] == 1
    run = metrics.run_metrics(list(rows.values()))
    assert run["dti_excluded"] == pytest.approx(1 / 3)
    assert run["de_refined"] == pytest.approx(2 / 3)  # n6 and n7 refined, wrong's n5 not
    assert run["coverage_both"] == 1.0 and run["coverage_neither"] == 0.0
    # verifiability: right has 8 claims besides set_context; FOOBARIN's binding and the
    # phenotype (no phenotype verifier) are not judged
    assert right["claims"] == 8 and right["judged"] == 6
    assert right["verifiability"] == pytest.approx(6 / 8)


def test_filter_limits_the_run(kb):
    verifiers = build_verifiers(kb.graph, ["structure"])
    result = verify(kb.graph, verifiers, trace_filter=TraceFilter.parse(
        ["trace=wrong-trametinib-c32"]))
    assert result.traces == 1 and result.counts == {"structure": {"supported": 1}}
    assert verify(kb.graph, verifiers, trace_filter=TraceFilter.parse(
        ["drug=TRAMETINIB", "cell_line=c32"])).traces == 2
    with pytest.raises(RunError, match="FIELD=VALUE"):
        TraceFilter.parse(["drug"])


def test_a_new_verifier_is_a_local_change(kb):
    """A verifier defined here and nowhere else runs; only its reason codes are not local:
    they are members of the closed ``Reason`` enum (verifiers/base.py), and a code that is not
    one is refused before anything of its batch is stored."""
    from vctrace.verifiers.base import REGISTRY, Reason, Status, Verdict, Verifier

    class ArrestWords(Verifier):  # a toy phenotype check, defined here and nowhere else
        name = "test-arrest-words"
        version = "0"
        primitives = ("induces_phenotype",)
        reason = Reason.ANNOTATED

        def judge(self, subjects):
            return [Verdict(c.key, Status.SUPPORTED if "arrest" in c.args["phenotype"]
                            else Status.UNVERIFIABLE, self.reason) for c in subjects]

    class UndeclaredReason(ArrestWords):
        name = "test-undeclared-reason"
        reason = "word_match"

    try:
        verifiers = build_verifiers(kb.graph, ["test-arrest-words"])
        result = verify(kb.graph, verifiers, run_name="toy")
        assert result.counts == {"test-arrest-words": {"supported": 1}}
        assert find(verdicts(kb.driver, "toy"), "test-arrest-words", "induces_phenotype",
                    phenotype="g1 arrest")[None][:2] == ("supported", "annotated")
        with pytest.raises(ValueError, match="'word_match' is not a valid Reason"):
            verify(kb.graph, build_verifiers(kb.graph, ["test-undeclared-reason"]),
                   run_name="undeclared")
        assert verdicts(kb.driver, "undeclared") == {}
    finally:
        del REGISTRY["test-arrest-words"]
        REGISTRY.pop("test-undeclared-reason", None)
