"""Verifier and run decisions that need no database: options, the DE direction rule, the gene
bitmap, trace filters and refine policies."""

from __future__ import annotations

import pytest

from vctrace.kg import gene_bitmap
from vctrace.runs.engine import RunError, TraceFilter
from vctrace.runs.refine import Policy
from vctrace.verifiers.base import Reason, Status
from vctrace.verifiers.de import DEVerifier


def test_a_gene_claim_without_up_or_down_is_not_judged():
    verifier = DEVerifier(None)
    experiment = {"key": "e", "options": {"padj": 0.05, "min_abs_lfc": 0.5}, "universe": "u",
                  "tested_bitmap": b"\x01", "concentration": 1.0, "unit": "uM", "release": "r"}
    verdict = verifier._gene("c-1", "DUSP6", ["dusp6"], "none", [experiment], {})
    assert (verdict.status.value, verdict.reason) == ("unverifiable", "direction_not_up_or_down")
    assert verdict.reason is Reason.DIRECTION_NOT_UP_OR_DOWN
    assert verdict.row()["reason"] == "direction_not_up_or_down"


def test_verifier_options_are_validated_and_recorded():
    assert DEVerifier(None).params == {"t": 1.5, "padj": 0.05, "dose": "consensus"}
    assert DEVerifier(None, {"t": 0.5}).record()["parameters"] == \
        {"t": 0.5, "padj": 0.05, "dose": "consensus"}
    assert DEVerifier(None, {"dose": " 0.5uM"}).params["dose"] == "0.5um"
    with pytest.raises(ValueError, match="dose"):
        DEVerifier(None, {"dose": "lots"})
    with pytest.raises(ValueError, match="verifier 'de'"):
        DEVerifier(None, {"t": -1})
    with pytest.raises(ValueError, match="tau"):
        DEVerifier(None, {"tau": 0.5})  # another verifier's option


def test_gene_bitmap_round_trip():
    bitmap = gene_bitmap.encode([0, 3, 9], 12)
    assert len(bitmap) == 2
    assert [i for i in range(12) if gene_bitmap.is_set(bitmap, i)] == [0, 3, 9]
    assert not gene_bitmap.is_set(bitmap, 16) and not gene_bitmap.is_set(bitmap, -1)


def test_trace_filters_parse_and_refuse_what_they_do_not_know():
    parsed = TraceFilter.parse(["drug=TRAMETINIB", "cell-line=C32", "trace=a,b", "trace=c"])
    assert parsed.params() == {"drug": "trametinib", "cell_line": "c32",
                               "traces": ["a", "b", "c"]}
    with pytest.raises(RunError, match="FIELD=VALUE"):
        TraceFilter.parse(["drug"])
    with pytest.raises(RunError, match="drug, cell_line or trace"):
        TraceFilter.parse(["colour=red"])


def test_policy_from_the_two_user_choices():
    assert Policy.from_flags() == Policy()
    assert Policy().prune == ("opposite_direction", "not_de")
    assert Policy.from_flags(keep_refuted_bindings=True, prune_unmeasured=True) == Policy(
        discard_refuted_binding=False, prune=("opposite_direction", "not_de", "not_measured"))
    assert Policy().json() != Policy.from_flags(prune_unmeasured=True).json()


def test_reason_values_are_the_stored_codes():
    assert Status("refuted") is Status.REFUTED
    assert Reason("not_a_curated_target") is Reason.NOT_A_CURATED_TARGET
    assert len({r.value for r in Reason}) == len(Reason)
