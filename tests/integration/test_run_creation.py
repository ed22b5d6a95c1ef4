"""Creating verification runs (issue 9): COVERS links written in batches, an interrupted
linking completed on resume with the right count, unique automatic names, and one process per
run (a second verify of the same scope says that one is running)."""

from __future__ import annotations

import os
import socket
import threading
from datetime import datetime, timezone

import pytest

from vctrace.runs import engine
from vctrace.runs.engine import RunError, TraceFilter, build_verifiers, fingerprint, verify

N = 2000


@pytest.fixture
def traces(neo4j):
    neo4j.driver.execute_query(
        "UNWIND range(1, $n) AS i CREATE (:Trace {key: 't-' + toString(i), findings_json: '[]'})",
        n=N)
    return neo4j


def _run(driver, key):
    records, _, _ = driver.execute_query(
        "MATCH (r:VerificationRun {key: $key}) RETURN r.traces AS traces, r.creating AS "
        "creating, r.status AS status, COUNT { (r)-[:COVERS]->() } AS covers, "
        "COUNT { (:Verdict {run: $key}) } AS verdicts", key=key)
    return records[0]


def test_a_run_links_its_traces_in_batches(traces):
    """While the run is created, another session sees its COVERS links grow by whole batches
    (each batch is committed on its own), and the count ends right."""
    structure = build_verifiers(traces.graph, ["structure"])
    seen: set[int] = set()
    stop, polling = threading.Event(), threading.Event()

    def watch() -> None:
        while not stop.is_set():
            records, _, _ = traces.driver.execute_query(
                "OPTIONAL MATCH (r:VerificationRun {key: 'batched'}) "
                "RETURN COUNT { (r)-[:COVERS]->() } AS n")
            seen.add(records[0]["n"])
            polling.set()

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    # the first poll plans the query (slow); the run starts once polls are quick, or a
    # fast machine links every batch between two polls
    assert polling.wait(30)
    try:
        result = verify(traces.graph, structure, run_name="batched", link_batch_size=20,
                        batch_size=1000)
    finally:
        stop.set()
        watcher.join()
    assert result.traces == N and not result.resumed
    run = _run(traces.driver, result.run)
    assert run["traces"] == run["covers"] == run["verdicts"] == N
    assert run["creating"] is None and run["status"] == "complete"
    partial = {n for n in seen if 0 < n < N}
    assert partial, sorted(seen)
    assert all(n % 20 == 0 for n in partial), sorted(partial)


def test_an_interrupted_linking_is_completed_when_the_run_resumes(traces):
    """A run whose process died while linking its traces (500 of 3,000 linked): the next
    verify with the same settings takes it over, links the rest, counts all of them."""
    structure = build_verifiers(traces.graph, ["structure"])
    dead = f"{socket.gethostname()} 999999999 gone"  # above any pid_max: no such process
    props = {"key": "half", "fingerprint": fingerprint(structure, TraceFilter()),
             "batch_size": 1000, "owner": dead, "filter_json": "{}",
             "verifiers_json": "[]", "verifier_names": ["structure"]}
    traces.graph.write("runs/create_run", props=props)
    traces.graph.auto_commit("runs/link_covers", run="half", batch_size=100, drug=None,
                             cell_line=None, traces=[f"t-{i}" for i in range(1, 501)])
    assert _run(traces.driver, "half")["covers"] == 500
    result = verify(traces.graph, structure, link_batch_size=700)
    assert result.run == "half" and result.resumed and result.traces == N
    run = _run(traces.driver, "half")
    assert run["traces"] == run["covers"] == run["verdicts"] == N
    assert run["creating"] is None and run["status"] == "complete"


def test_a_run_of_a_live_process_is_not_taken_over(traces):
    structure = build_verifiers(traces.graph, ["structure"])
    live = f"{socket.gethostname()} {os.getppid()} other"  # a live process of this machine
    props = {"key": "busy", "fingerprint": fingerprint(structure, TraceFilter()),
             "batch_size": 1000, "owner": live, "filter_json": "{}",
             "verifiers_json": "[]", "verifier_names": ["structure"]}
    traces.graph.write("runs/create_run", props=props)
    with pytest.raises(RunError, match=f"run 'busy' .* is running \\(process {os.getppid()}"):
        verify(traces.graph, structure)
    with pytest.raises(RunError, match="'busy' .* is running"):
        verify(traces.graph, structure, run_name="busy")
    assert _run(traces.driver, "busy")["covers"] == 0  # nothing was written
    # another name is another run, and works
    assert verify(traces.graph, structure, run_name="other").traces == N


def test_staleness():
    host = socket.gethostname()
    base = {"key": "r", "status": "running"}
    assert engine._live_owner({**base, "status": "complete", "owner": f"{host} 1 x"}) is None
    assert engine._live_owner({**base, "owner": None}) is None
    assert engine._live_owner({**base, "owner": f"{host} 999999999 x"}) is None
    assert engine._live_owner({**base, "owner": f"{host} {os.getppid()} x"})
    # this process, but not inside verify: a verify that failed
    assert engine._live_owner({**base, "owner": f"{host} {os.getpid()} x"}) is None
    other = {**base, "owner": "elsewhere 1 x"}
    assert engine._live_owner({**other, "heartbeat_age_s": 60})
    assert engine._live_owner({**other, "heartbeat_age_s": engine.STALE_AFTER_S + 1}) is None


def test_two_verifies_in_the_same_second_do_not_collide_on_the_name(traces, monkeypatch):
    """The automatic name is taken by a run created after this verify looked (the same
    second): the unique constraint refuses the second, which looks again and picks the next
    name (the first run is complete) or says the first is running."""
    structure = build_verifiers(traces.graph, ["structure"])
    fixed = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)

    class Frozen(datetime):
        @classmethod
        def now(cls, tz=None):
            return fixed

    monkeypatch.setattr(engine, "datetime", Frozen)
    first = verify(traces.graph, structure)
    assert first.run == "run-20260102-030405"
    real_find = engine.find_runs
    calls = [0]

    def stale_view(graph, fingerprint_=None):
        calls[0] += 1
        return [] if calls[0] == 1 else real_find(graph, fingerprint_)

    monkeypatch.setattr(engine, "find_runs", stale_view)
    second = verify(traces.graph, build_verifiers(traces.graph, ["structure"]))
    assert second.run == "run-20260102-030405-2" and not second.resumed
    assert second.traces == N


def test_two_concurrent_verifies_of_the_same_scope(traces):
    """Both end cleanly: one does the work and the other says the run is running, or (when
    both looked before either created its run) each makes its own complete run."""
    barrier = threading.Barrier(2)
    outcomes: list[object] = [None, None]

    def work(i: int) -> None:
        structure = build_verifiers(traces.graph, ["structure"])
        barrier.wait()
        try:
            outcomes[i] = verify(traces.graph, structure, batch_size=500, link_batch_size=500)
        except RunError as exc:
            outcomes[i] = exc
        except BaseException as exc:  # noqa: BLE001 - the test reports it
            outcomes[i] = ("unexpected", exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done = [o for o in outcomes if isinstance(o, engine.RunResult)]
    refused = [o for o in outcomes if isinstance(o, RunError)]
    assert len(done) + len(refused) == 2, outcomes
    assert done, outcomes
    assert all("is running" in str(e) or "just created" in str(e) for e in refused), refused
    assert len({r.run for r in done}) == len(done)
    for r in done:
        run = _run(traces.driver, r.run)
        assert run["traces"] == run["covers"] == run["verdicts"] == N
        assert run["status"] == "complete"
