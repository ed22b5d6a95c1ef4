"""The verification use cases (vctrace.app.verification) on the knowledge set with known right
and wrong claims (tests/support/knowledge.py, the `kb` fixture): runs, option merging, a
failing verifier and resuming, report files, audit, refine and export."""

from __future__ import annotations

import json

import pytest

from vctrace.app.audit import ClaimAudit, NotFound, TraceAudit, audit
from vctrace.app.verification import (OutputError, RunError, UnknownVerifier, VerifierFailed,
                                      VerifierOptionsError, VerifyRequest, export, list_runs,
                                      refine, report, verify)
from vctrace.runs.engine import DEFAULT_VERIFIERS
from vctrace.runs.report_html import LABELS
from vctrace.settings import Settings
from vctrace.traces.records import read_traces

from support.boltz import FASTA, TRAMETINIB, write_fake_boltz

# dti-kg reading curated lists as closed (not the default): trametinib -> EGFR is refuted and
# the wrong trace discarded, which the report and refine tests rely on
CLOSED = {"dti-kg": {"world": "closed"}}


def test_verify_with_the_defaults_makes_a_run_that_the_same_name_resumes(kb):
    settings = kb.settings()
    assert list_runs(settings) == []
    result = verify(settings)
    assert (result.traces, result.resumed) == (2, False)
    assert [v.name for v in result.verifiers] == list(DEFAULT_VERIFIERS)
    by_name = {v.name: v for v in result.verifiers}
    # trametinib→MAP2K1 (shared by both traces) and MAP2K1→MAPK1 supported, →EGFR on no
    # curated list (open world: unverifiable), →FOOBARIN not grounded: four distinct claims,
    # each judged once
    assert by_name["dti-kg"].judged_now == 4
    assert by_name["dti-kg"].counts == {"supported": 2, "unverifiable": 2}
    assert result.counts["structure"] == {"supported": 2}
    runs = list_runs(settings)
    assert [(r.key, r.status, r.traces) for r in runs] == [(result.run, "complete", 2)]
    assert runs[0].verifiers == list(DEFAULT_VERIFIERS) and runs[0].attempts == 1
    again = verify(settings, VerifyRequest(run_name=result.run))
    assert again.run == result.run and again.resumed
    assert {v.judged_now for v in again.verifiers} == {0}
    assert again.counts == result.counts
    assert list_runs(settings)[0].attempts == 2


def test_filter_and_named_verifiers_limit_the_run(kb):
    result = verify(kb.settings(), VerifyRequest(verifiers=["structure"], run_name="one",
                                                 traces=["trace=wrong-trametinib-c32"]))
    assert result.traces == 1 and result.counts == {"structure": {"supported": 1}}
    every = verify(kb.settings(), VerifyRequest(verifiers="all", run_name="every",
                                                traces=["drug=TRAMETINIB"]))
    assert "dti-boltz" in {v.name for v in every.verifiers} and every.traces == 2
    with pytest.raises(RunError, match="other verifiers"):
        verify(kb.settings(), VerifyRequest(verifiers=["de"], run_name="one"))


def test_options_merge_defaults_environment_and_request(kb, tmp_path, monkeypatch):
    (tmp_path / "targets.fasta").write_text(FASTA)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FAKE_BOLTZ_SCORES", json.dumps({TRAMETINIB: 0.9}))
    settings = kb.settings(boltz_executable=write_fake_boltz(tmp_path), boltz_devices=2,
                           boltz_msa="empty")
    result = verify(settings, VerifyRequest(
        verifiers=["de", "dti-boltz"], run_name="merged",
        options={"dti-boltz": {"fasta": "targets.fasta", "devices": 3}, "de": {"t": 0.5}}))
    assert result.counts["dti-boltz"] == {"supported": 2, "unverifiable": 2}
    params = {v.name: v.parameters for v in report(settings, "merged", tmp_path / "r").verifiers}
    boltz = params["dti-boltz"]
    assert boltz["executable"] == str(tmp_path / "fake-boltz")       # environment
    assert boltz["devices"] == 3                                     # request over environment
    assert boltz["fasta"] == str(tmp_path / "targets.fasta")        # made absolute
    assert boltz["tau"] == 0.5 and boltz["accelerator"] == "gpu"    # model defaults
    assert params["de"] == {"t": 0.5, "padj": 0.05, "dose": "consensus"}


def test_bad_requests_are_refused_before_the_database_is_used(tmp_path):
    nowhere = _unreachable(tmp_path)
    with pytest.raises(UnknownVerifier, match=r"bogus; known: de, dti-boltz, dti-kg"):
        verify(nowhere, VerifyRequest(verifiers=["de", "bogus"]))
    with pytest.raises(UnknownVerifier, match="nope"):
        verify(nowhere, VerifyRequest(options={"nope": {"x": 1}}))
    with pytest.raises(VerifierOptionsError, match=r"verifier 'de': t: .*greater than"):
        verify(nowhere, VerifyRequest(options={"de": {"t": -1}}))
    with pytest.raises(VerifierOptionsError, match="'dti-kg': bogus: Extra inputs"):
        verify(nowhere, VerifyRequest(options={"dti-kg": {"bogus": 1}}))
    with pytest.raises(RunError, match="field must be drug, cell_line or trace"):
        verify(nowhere, VerifyRequest(traces=["colour=red"]))


def _unreachable(tmp_path) -> Settings:
    """Settings of a Neo4j that does not exist: a use case that connected would fail with
    another error than the one a test expects."""
    return Settings(home=tmp_path, neo4j_uri="bolt://127.0.0.1:9", neo4j_password="x")


def test_a_failing_verifier_stops_the_run_and_the_same_request_resumes(kb, tmp_path,
                                                                       monkeypatch):
    fasta = tmp_path / "targets.fasta"
    fasta.write_text(FASTA)
    settings = kb.settings()
    request = VerifyRequest(verifiers=["dti-kg", "dti-boltz"], run_name="gpu", options={
        "dti-boltz": {"fasta": str(fasta), "executable": write_fake_boltz(tmp_path)}})
    monkeypatch.setenv("FAKE_BOLTZ_EXIT", "3")
    with pytest.raises(VerifierFailed, match="exited 3(.|\n)*run the same command again"):
        verify(settings, request)
    run, = list_runs(settings)
    assert run.status == "running"
    with pytest.raises(RunError, match="is running"):
        refine(settings, "gpu")  # verdicts of an unfinished run are not final
    monkeypatch.delenv("FAKE_BOLTZ_EXIT")
    monkeypatch.setenv("FAKE_BOLTZ_SCORES", json.dumps({TRAMETINIB: 0.2}))
    resumed = verify(settings, request)
    assert resumed.resumed
    outcome = {v.name: (v.judged_now, v.already_done) for v in resumed.verifiers}
    assert outcome == {"dti-kg": (0, 4), "dti-boltz": (4, 0)}
    assert resumed.counts["dti-boltz"] == {"refuted": 2, "unverifiable": 2}


def test_report_writes_the_files_and_returns_the_table(kb, tmp_path):
    settings = kb.settings()
    with pytest.raises(RunError, match="no verification runs yet"):
        report(settings, "latest", tmp_path)
    verify(settings, VerifyRequest(run_name="r1", options=CLOSED))
    result = report(settings, "latest", tmp_path / "out")
    assert {v.name: v.parameters for v in result.verifiers}["dti-kg"]["world"] == "closed"
    assert result.run.key == "r1" and result.run.status == "complete"
    assert result.json_path == tmp_path / "out" / "r1.report.json"
    assert json.loads(result.json_path.read_text())["run"]["key"] == "r1"
    assert result.html_path.read_text().count("<svg") >= 4
    rows = {m.key: m for m in result.table}
    assert [m.label for m in result.table] == list(LABELS.values())
    assert rows["dti_excluded"].value == pytest.approx(1 / 3)
    assert rows["dti_excluded"].paper == pytest.approx(0.282)
    assert result.metrics["traces"] == 2
    assert {(o.verifier, o.status, o.reason, o.verdicts) for o in result.outcomes} >= {
        ("dti-kg", "refuted", "not_a_curated_target", 1), ("structure", "supported", "valid", 2)}
    with pytest.raises(RunError, match="no verification run named 'nope'"):
        report(settings, "nope", tmp_path)
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    with pytest.raises(OutputError, match="cannot write the report"):
        report(settings, "r1", blocked)


def test_audit_of_a_trace_and_of_a_claim(kb):
    settings = kb.settings()
    verify(settings, VerifyRequest(run_name="r1"))
    verify(settings, VerifyRequest(run_name="r2", options={"de": {"t": 0.5}}))
    trace = audit(settings, "wrong-trametinib-c32")
    assert isinstance(trace, TraceAudit) and len(trace.actions) == 6
    assert trace.input.file.endswith("traces.jsonl") and set(trace.runs) == {"r1", "r2"}
    assert [v.verifier for v in trace.verdicts] == ["structure", "structure"]
    json.dumps(trace.model_dump(mode="json"))  # strict JSON (sources' dates included)
    latest = audit(settings, "wrong-trametinib-c32", run="latest")
    assert {v.run for a in latest.actions for v in a.verdicts} == {"r2"}
    assert list(latest.runs) == ["r2"]
    egfr, = [a for a in trace.actions if a.action == "n2"]
    claim = audit(settings, egfr.claim_key, run="r1")
    assert isinstance(claim, ClaimAudit) and claim.claim.primitive == "binds_to"
    asserting, = claim.asserted_by
    assert (asserting.trace_id, asserting.action) == ("wrong-trametinib-c32", "n2")
    dti, = [v for v in claim.verdicts if v.verifier == "dti-kg"]
    assert (dti.status, dti.reason) == ("unverifiable", "not_in_curated_targets")
    assert "MAP2K1" in dti.evidence["curated_targets"]
    sources = {s.source: s for s in claim.runs["r1"].sources}
    assert sources["primekg"].version == "test" and "kg.csv" in sources["primekg"].files
    with pytest.raises(NotFound) as info:
        audit(settings, "c-doesnotexist")
    assert info.value.kind == "invalid"
    with pytest.raises(RunError):
        audit(settings, "wrong-trametinib-c32", run="r9")


def test_refine_and_export_apply_the_policy(kb, tmp_path):
    settings = kb.settings()
    verify(settings, VerifyRequest(run_name="r1", options=CLOSED))
    with pytest.raises(OutputError, match=r"\.jsonl, \.json, \.parquet or \.csv"):
        export(settings, "r1", tmp_path / "out.txt")
    done = refine(settings, "latest")
    assert (done.run, done.traces, done.kept, done.refined, done.discarded) == ("r1", 2, 0, 1, 1)
    assert (done.genes_pruned, done.actions_dropped) == (4, 1)
    assert done.policy == {"discard_refuted_binding": True,
                           "prune": ["opposite_direction", "not_de"]}
    out = tmp_path / "verified.jsonl"
    written = export(settings, "r1", out)
    assert (written.written, written.refined, written.discarded) == (1, 1, 1)
    row, = [json.loads(line) for line in out.read_text().splitlines()]
    assert "SPRY4" in row["explain"] and "SPRY4" not in row["explain_verified"]
    kept = export(settings, "r1", tmp_path / "all.parquet", keep_refuted_bindings=True,
                  prune_unmeasured=True)
    assert (kept.written, kept.discarded, kept.refine.genes_pruned) == (2, 0, 6)
    assert all(t.explain_verified for t in read_traces(tmp_path / "all.parquet"))
    with_discarded = export(settings, "r1", out, include_discarded=True)
    assert with_discarded.written == 2 and len(out.read_text().splitlines()) == 2
    with pytest.raises(RunError, match="no-such-run"):
        export(settings, "no-such-run", out)
