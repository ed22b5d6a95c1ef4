"""Verification runs as background jobs (vctrace.app.jobs) on the knowledge set: the run is
taken before the job judges it, a second job of the same scope is a conflict, progress and
states, a stopped job and a dead owner's run are interrupted and resume on request, options
naming server files are refused."""

from __future__ import annotations

import json
import socket
import threading

import pytest

from vctrace.app import Conflict, verification
from vctrace.app.jobs import (InvalidVerifyRequest, Jobs, RunNotFinished, RunNotFound,
                              export_rows, refine)
from vctrace.app.verification import VerifyRequest
from vctrace.runs.engine import DEFAULT_VERIFIERS

from support.boltz import FASTA, TRAMETINIB, write_fake_boltz


def _wait(jobs: Jobs, key: str) -> None:
    jobs._jobs[key].thread.join(60)


def test_a_job_takes_its_run_first_and_a_second_of_the_same_scope_conflicts(kb):
    jobs = Jobs(kb.settings())
    jobs.hold = threading.Event()
    try:
        state = jobs.start(VerifyRequest())
        assert state.status == "running" and state.in_this_process
        assert [p.verifier for p in state.progress] == list(DEFAULT_VERIFIERS)
        assert {p.done for p in state.progress} == {0}
        assert jobs.states()[0].key == state.key
        with pytest.raises(Conflict, match=f"run '{state.key}' .* is running"):
            jobs.start(VerifyRequest())
        with pytest.raises(Conflict, match="running in this service"):
            jobs.resume(state.key)
        with pytest.raises(RunNotFinished):
            refine(kb.settings(), state.key)
        other = jobs.start(VerifyRequest(verifiers=["structure"]))  # another scope runs too
    finally:
        jobs.hold.set()
    _wait(jobs, state.key)
    _wait(jobs, other.key)
    done = jobs.state(state.key)
    assert done.status == "finished" and done.error is None
    assert done.metrics["traces"] == 2
    # open world (the default): trametinib -> EGFR, on no curated list, is unverifiable
    assert {p.verifier: p.verdicts for p in done.progress}["dti-kg"] == {
        "supported": 2, "unverifiable": 2}
    assert jobs.state(other.key).status == "finished"


def test_bad_requests_are_refused_before_anything_starts(kb):
    jobs = Jobs(kb.settings())
    for request, message in [
            (VerifyRequest(verifiers=["nope"]), "unknown verifier"),
            (VerifyRequest(options={"de": {"t": -1}}), "greater than or equal"),
            (VerifyRequest(traces=["colour=red"]), "field must be"),
            (VerifyRequest(options={"dti-boltz": {"executable": "/bin/sh"}}), "server"),
            (VerifyRequest(options={"dti-boltz": {"fasta": 3}}), "fasta")]:
        with pytest.raises(InvalidVerifyRequest, match=message):
            jobs.start(request)
    assert jobs.states() == []
    with pytest.raises(RunNotFound):
        jobs.state("latest")
    with pytest.raises(RunNotFound):
        jobs.resume("no-such-run")


def test_a_stopped_job_and_a_dead_owners_run_are_interrupted_and_resume(kb):
    settings = kb.settings()
    jobs = Jobs(settings)
    jobs.hold = threading.Event()  # never set: shutdown stops the job before its first batch
    state = jobs.start(VerifyRequest(verifiers=["structure", "dti-kg"], run_name="stopped"))
    jobs.shutdown()
    assert jobs.state("stopped").status == "interrupted"
    with pytest.raises(Exception, match="shutting down"):
        jobs.start(VerifyRequest())

    # a run left 'running' by a process that no longer exists (a killed service)
    started = verification.begin_verify(settings, VerifyRequest(verifiers=["de"],
                                                                run_name="orphan"))
    started.release()
    kb.driver.execute_query("MATCH (r:VerificationRun {key: 'orphan'}) SET r.owner = $owner",
                            owner=f"{socket.gethostname()} 999999999 gone")
    fresh = Jobs(settings)  # the restarted service
    orphan = fresh.state("orphan")
    assert (orphan.status, orphan.in_this_process, orphan.worked_on_by) == (
        "interrupted", False, None)
    assert orphan.progress[0].verifier == "de" and orphan.progress[0].done is None
    with pytest.raises(RunNotFinished):
        export_rows(settings, "orphan")
    for key in ("orphan", state.key):
        resumed = fresh.resume(key)
        assert resumed.status == "running" and resumed.run.attempts == 2
        _wait(fresh, key)
        assert fresh.state(key).status == "finished"
    with pytest.raises(RunNotFinished, match="nothing to resume"):
        fresh.resume("orphan")


def test_a_failing_verifier_fails_the_job_and_the_run_resumes(kb, tmp_path, monkeypatch):
    fasta = tmp_path / "targets.fasta"
    fasta.write_text(FASTA)
    settings = kb.settings(boltz_executable=write_fake_boltz(tmp_path), boltz_fasta=str(fasta))
    jobs = Jobs(settings)
    monkeypatch.setenv("FAKE_BOLTZ_EXIT", "3")
    jobs.start(VerifyRequest(verifiers=["dti-boltz"], run_name="gpu"))
    _wait(jobs, "gpu")
    failed = jobs.state("gpu")
    assert failed.status == "failed" and "exited 3" in failed.error
    assert Jobs(settings).state("gpu").status == "interrupted"  # what a restart sees
    monkeypatch.delenv("FAKE_BOLTZ_EXIT")
    monkeypatch.setenv("FAKE_BOLTZ_SCORES", json.dumps({TRAMETINIB: 0.2}))
    jobs.resume("gpu")
    _wait(jobs, "gpu")
    done = jobs.state("gpu")
    assert done.status == "finished" and done.error is None
    assert done.progress[0].verdicts == {"refuted": 2, "unverifiable": 2}
    assert jobs.states()[0].metrics is None  # lists leave the metrics out
