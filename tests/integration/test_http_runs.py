"""Verification runs over HTTP against the real Neo4j (the knowledge set): a background job
followed to the end, its events, report, refine and export; a conflicting second job; an
interrupted run resumed on request; tokens and bad input."""

from __future__ import annotations

import json
import socket
import threading

from vctrace.app import verification
from vctrace.http.routes.runs import _jobs


def _finished(api, key: str) -> dict:
    """The run's state once its job has ended (polled as a client would, a few times)."""
    job = _jobs(api.client)._jobs[key]
    while job.thread.is_alive():
        assert api.get(f"/runs/{key}").json()["status"] == "running"
        job.thread.join(0.5)
    return api.get(f"/runs/{key}").json()


def _events(api, path: str, on_first=None) -> list[tuple[str, dict]]:
    """The stream's events; ``on_first()`` is called once the first one has arrived."""
    events, name = [], None
    with api.client.stream("GET", path, headers=api.headers()) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("event:"):
                name = line.partition(":")[2].strip()
            elif line.startswith("data:"):
                events.append((name, json.loads(line.partition(":")[2])))
                if on_first is not None and len(events) == 1:
                    on_first()
    return events


def test_progress_events_and_a_conflicting_second_run(kb_api):
    api = kb_api
    jobs = _jobs(api.client)
    jobs.hold = threading.Event()
    first = api.post("/runs", json={"verifiers": ["structure", "dti-kg"]})
    assert first.status_code == 202, first.text
    key = first.json()["key"]
    assert first.json()["status"] == "running"
    second = api.post("/runs", json={"verifiers": ["structure", "dti-kg"]})
    assert second.status_code == 409
    assert second.headers["content-type"] == "application/problem+json"
    assert key in second.json()["detail"]
    running = api.get(f"/runs/{key}").json()
    assert running["status"] == "running" and running["in_this_process"]
    assert [(p["verifier"], p["done"]) for p in running["progress"]] == [
        ("structure", 0), ("dti-kg", 0)]
    events = _events(api, f"/runs/{key}/events", on_first=jobs.hold.set)
    progress = [data for name, data in events if name == "progress"]
    first = {p["verifier"]: (p["done"], p["total"]) for p in reversed(progress)}
    last = {p["verifier"]: (p["done"], p["total"]) for p in progress}
    assert first == {"structure": (0, None), "dti-kg": (0, None)}  # sent while held
    assert last == {"structure": (2, 2), "dti-kg": (4, 4)}
    assert events[-1][0] == "finished"
    assert events[-1][1]["progress"][1]["verdicts"]["supported"] == 2


def test_an_interrupted_run_is_shown_so_and_resumes_on_request(kb, kb_api):
    api = kb_api
    started = verification.begin_verify(api.settings, verification.VerifyRequest(
        verifiers=["structure"], run_name="orphan"))
    started.release()
    dead = f"{socket.gethostname()} 999999999 gone"  # above any pid_max: a dead process
    kb.driver.execute_query("MATCH (r:VerificationRun {key: 'orphan'}) SET r.owner = $o",
                            o=dead)
    state = api.get("/runs/orphan").json()
    assert (state["status"], state["in_this_process"]) == ("interrupted", False)
    events = _events(api, "/runs/orphan/events")
    assert [name for name, _ in events] == ["interrupted"]
    assert api.get("/runs/orphan/export", role="write").status_code == 409
    assert api.post("/runs/orphan/resume", role="read").status_code == 403
    resumed = api.post("/runs/orphan/resume")
    assert resumed.status_code == 202, resumed.text
    assert resumed.headers["location"].endswith("/runs/orphan")
    assert _finished(api, "orphan")["status"] == "finished"


def test_bad_input_is_422_or_404_and_never_starts_a_run(kb_api):
    api = kb_api
    for body in ({"verifiers": ["nope"]}, {"options": {"de": {"t": -1}}},
                 {"traces": ["colour=red"]}, {"batch_size": 0}, {"unknown": 1},
                 {"options": {"dti-boltz": {"executable": "/bin/sh"}}},
                 {"options": {"dti-boltz": {"fasta": {"x": 1}}}},
                 {"run_name": "a/b"}, {"verifiers": "some"}):
        response = api.post("/runs", json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.headers["content-type"] == "application/problem+json"
    assert api.get("/runs").json() == []
    for path in ("/runs/latest", "/runs/nope", "/runs/nope/report", "/runs/nope/events"):
        assert api.get(path).status_code == 404, path
    assert api.post("/runs/nope/refine").status_code == 404
    assert api.post("/runs/nope/resume").status_code == 404
    assert api.get("/runs/" + "x" * 300).status_code == 422


def test_a_run_from_start_to_report_refine_and_export(kb_api):
    api = kb_api
    assert api.post("/runs", role="read").status_code == 403
    # dti-kg in the closed world (an option): trametinib -> EGFR refuted, a trace discarded
    started = api.post("/runs", json={"run_name": "web", "verifiers": ["dti-kg", "de"],
                                      "options": {"dti-kg": {"world": "closed"}}})
    assert started.status_code == 202, started.text
    assert started.headers["location"].endswith("/runs/web")
    assert started.json()["key"] == "web"
    state = _finished(api, "web")
    assert state["status"] == "finished" and state["error"] is None
    assert state["metrics"]["traces"] == 2
    verdicts = {p["verifier"]: p["verdicts"] for p in state["progress"]}
    assert verdicts["dti-kg"] == {"supported": 2, "refuted": 1, "unverifiable": 1}
    assert [r["key"] for r in api.get("/runs").json()] == ["web"]
    assert api.get("/runs/latest").json()["key"] == "web"

    events = _events(api, "/runs/web/events")
    assert events[-1][0] == "finished" and events[-1][1]["key"] == "web"

    report = api.get("/runs/latest/report")
    assert report.status_code == 200 and report.headers["content-type"].startswith("text/html")
    assert "<svg" in report.text and "<script" not in report.text

    assert api.post("/runs/web/refine", role="read").status_code == 403
    refined = api.post("/runs/web/refine", json={})
    assert refined.status_code == 200, refined.text
    assert (refined.json()["refined"], refined.json()["discarded"]) == (1, 1)
    export = api.get("/runs/web/export", role="write")
    assert export.headers["content-type"].startswith("application/x-ndjson")
    row, = [json.loads(line) for line in export.text.splitlines()]
    assert "SPRY4" in row["explain"] and "SPRY4" not in row["explain_verified"]
    every = api.get("/runs/web/export?include_discarded=true", role="write")
    assert len(every.text.splitlines()) == 2
    assert api.post("/runs/web/resume").status_code == 409  # finished: nothing to resume
