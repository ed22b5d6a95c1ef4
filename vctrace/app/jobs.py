"""Verification runs as background jobs of a long-lived process (the HTTP service).

:class:`Jobs` starts a run the way ``vctrace verify`` does, in two steps: while the request
waits, the run is created or resumed and taken for this process
(:func:`~vctrace.app.verification.begin_verify`), so the caller gets its key at once, or a
:class:`~vctrace.errors.Conflict` naming the run of the same scope that a live process is
working on; then a thread judges it, recording each verifier's progress. The state of a run
(:meth:`Jobs.state`) joins what this process knows with the run record:

- ``running``: a job of this process judges it, or the record says ``running`` and its owner
  (another process) is alive;
- ``finished``: the record is ``complete`` (with the run's metrics);
- ``failed``: a job of this process stopped on an error (the message is kept in memory only);
- ``interrupted``: the record says ``running`` but nobody works on it: its owner died (a
  killed CLI verify, a service restart) or this service stopped the job at shutdown.

**Restart decision.** After a restart the service does not resume anything by itself: an
interrupted run is shown as ``interrupted`` and resumes only on request
(:meth:`Jobs.resume`, ``POST /runs/{ref}/resume``), which continues it through the engine's
resume path (only the subjects without a verdict are judged). Resuming automatically would
let a restart (a crash loop, a redeploy) silently start hours of GPU work (``dti-boltz``)
that nobody asked for at that moment, and two replicas restarting together would race for the
same runs. Asking again with the same options (``POST /runs``) resumes it too, as
``vctrace verify`` does.

At shutdown (:meth:`Jobs.shutdown`) every job is asked to stop between batches: what was
judged is stored, and the run is left ``interrupted``.

Verifier options that name files or programs of the server (``SERVER_OPTIONS``: the Boltz
executable, its cache, FASTA, MSA folder, work folder, extra arguments) are refused in
requests: they come from the service's environment (``VCTRACE_BOLTZ_*``), since a client
choosing them would choose what the server runs or reads.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Literal

from pydantic import BaseModel, Field

from ..errors import Busy, Conflict, InvalidRequest, NotFound, VctraceError
from ..runs import engine, metrics as metrics_mod
from ..settings import Settings
from . import verification
from .graph_session import open_graph
from .verification import (RunError, RunStopped, RunSummary, StartedRun, UnknownVerifier,
                           VerifierOptionsError, VerifyRequest)

log = logging.getLogger("vctrace.jobs")

Status = Literal["running", "finished", "interrupted", "failed"]
EVENT_POLL_S = 0.1
SHUTDOWN_WAIT_S = 30.0
# verifier options that name files or programs on the server: a request giving them would run
# or read what the client chooses, so they come only from the service's environment
SERVER_OPTIONS = frozenset({"executable", "cache", "msa", "extra_args", "work_dir", "fasta"})


class RunNotFound(NotFound):
    """No run of that key (or no run at all, for ``latest``)."""


class InvalidVerifyRequest(InvalidRequest):
    """Verifier names, options or a trace filter that cannot be used (nothing was started)."""


class RunNotFinished(Conflict):
    """What was asked needs a finished run (refine, export) or an unfinished one (resume)."""


class VerifierProgress(BaseModel):
    """One verifier's share of a run."""

    verifier: str
    unit: str = Field(description="what it judges: claims or traces")
    done: int | None = Field(None, description="subjects judged by the running job (None "
                             "when no job of this service works on the run)")
    total: int | None = Field(None, description="subjects the running job has to judge "
                              "(None until the verifier starts)")
    verdicts: dict[str, int] = Field({}, description="stored verdicts by status (runs not "
                                     "judged in this service, and finished runs)")


class RunState(BaseModel):
    """A verification run as the service sees it (see the module docstring)."""

    key: str
    status: Status
    in_this_process: bool = Field(description="a job of this service works or worked on it")
    worked_on_by: str | None = Field(None, description="the live process working on it")
    run: RunSummary
    progress: list[VerifierProgress]
    metrics: dict[str, float | int | None] | None = Field(
        None, description="the run-level metrics, when finished (not in lists of runs)")
    error: str | None = Field(None, description="why the job failed")


class RunEvent(BaseModel):
    """An event of a run's stream: ``progress`` (data: verifier, done, total) or its final
    state (``finished``, ``failed``, ``interrupted``, or ``running`` for a run another
    process works on; data: the :class:`RunState`)."""

    event: str
    data: dict[str, Any]


@dataclass
class _Job:
    key: str
    started: StartedRun
    progress: dict[str, list[Any]] = field(default_factory=dict)  # name -> [unit, done, total]
    stop: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None
    outcome: Status | None = None       # None while running
    error: str | None = None

    def bar(self, task: str, total: int | None = None, unit: str = "items") -> "_Bar":
        self.progress[task] = [unit, 0, total]
        return _Bar(self, task)


class _Bar:
    def __init__(self, job: _Job, task: str):
        self.job, self.task = job, task

    def update(self, n: int = 1) -> None:
        self.job.progress[self.task][1] += n

    def close(self) -> None:
        pass


class Jobs:
    """The verification jobs of one service (see the module docstring).

    ``hold``: when set to a ``threading.Event``, a job waits for it after taking its run and
    before judging (tests use it to keep a run deterministically running)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.hold: threading.Event | None = None
        self._jobs: dict[str, _Job] = {}
        self._lock = threading.Lock()
        self._starting = threading.Lock()  # takes runs one at a time: same-scope requests collide
        self._closed = False

    # ------------------------------------------------------------ start

    def start(self, request: VerifyRequest) -> RunState:
        """Create or resume the run ``request`` asks for and judge it in the background.
        Raises ``InvalidVerifyRequest`` (nothing started), ``Conflict`` when a live process
        (this one included) works on a run of the same scope, and the graph's errors."""
        local = sorted({f"{name}.{option}" for name, given in request.options.items()
                        for option in given if option in SERVER_OPTIONS})
        if local:
            raise InvalidVerifyRequest(
                f"option(s) {', '.join(local)} name files or programs of the server: they are "
                "set in the service's environment (VCTRACE_BOLTZ_*), not by a request")
        try:
            verification.check_request(self.settings, request)
        except (UnknownVerifier, VerifierOptionsError, RunError) as exc:
            raise InvalidVerifyRequest(str(exc)) from None
        return self._launch(lambda: verification.begin_verify(self.settings, request))

    def resume(self, run_ref: str) -> RunState:
        """Resume an interrupted (or failed) run with the options it was created with.
        ``RunNotFound``; ``RunNotFinished`` when it is complete; ``Conflict`` when a live
        process works on it."""
        key = self.resolve(run_ref)
        with self._lock:
            job = self._jobs.get(key)
        if job is not None and job.outcome is None:
            raise Conflict(f"run {key!r} is running in this service")
        return self._launch(lambda: self._begin_resume(key))

    def _begin_resume(self, key: str) -> StartedRun:
        try:
            return verification.begin_resume(self.settings, key)
        except verification.RunBusy:
            raise
        except RunError as exc:
            if "is complete" in str(exc):
                raise RunNotFinished(str(exc)) from None
            raise

    def _launch(self, begin: Any) -> RunState:
        if self._closed:
            raise Busy("the service is shutting down")
        with self._starting:
            try:
                started = begin()
            except (VerifierOptionsError, verification.FastaError) as exc:
                raise InvalidVerifyRequest(str(exc)) from None
        job = _Job(started.key, started)
        for name, unit in started.verifiers:
            job.progress[name] = [unit, 0, None]
        job.thread = threading.Thread(target=self._work, args=(job,), daemon=True,
                                      name=f"vctrace-run-{started.key}")
        with self._lock:
            self._jobs[started.key] = job
        job.thread.start()
        return self.state(started.key)

    def _work(self, job: _Job) -> None:
        hold = self.hold
        try:
            while hold is not None and not hold.wait(EVENT_POLL_S):
                if job.stop.is_set():
                    break
            job.started.judge(job.bar, stop=job.stop.is_set)
        except RunStopped:
            job.outcome = "interrupted"
        except VctraceError as exc:
            job.error, job.outcome = str(exc), "failed"
        except BaseException as exc:
            if job.stop.is_set():  # shutting down: the connection may be gone before the job
                job.outcome = "interrupted"
            else:  # a bug: kept for the state, logged with its traceback
                log.exception("verification run %s failed", job.key)
                job.error, job.outcome = f"unexpected error: {exc!r}", "failed"
        else:
            job.outcome = "finished"

    # ------------------------------------------------------------ state

    def resolve(self, run_ref: str) -> str:
        """The key of the run ``run_ref`` names (``"latest"``: the newest); ``RunNotFound``."""
        with open_graph(self.settings) as graph:
            try:
                return verification.resolve_run(graph, run_ref)
            except RunError as exc:
                raise RunNotFound(str(exc)) from None

    def state(self, run_ref: str) -> RunState:
        """The state of a run (its key or ``"latest"``); ``RunNotFound``."""
        with open_graph(self.settings) as graph:
            try:
                record = engine.get_run(graph, verification.resolve_run(graph, run_ref))
            except RunError as exc:
                raise RunNotFound(str(exc)) from None
            return self._state(graph, record)

    def states(self) -> list[RunState]:
        """Every stored run, newest first (without metrics: :meth:`state` has them)."""
        with open_graph(self.settings) as graph:
            return [self._state(graph, r, with_metrics=False) for r in engine.find_runs(graph)]

    def _state(self, graph: Any, record: dict[str, Any], *,
               with_metrics: bool = True) -> RunState:
        key = record["key"]
        with self._lock:
            job = self._jobs.get(key)
        summary = verification._run_summary(record)
        who = engine.live_owner(record)
        error = None
        if job is not None and job.outcome is None:
            status: Status = "running"
        elif record.get("status") == "complete":
            status = "finished"
        elif who is not None:
            status = "running"
        elif job is not None:
            status, error = job.outcome or "interrupted", job.error
        else:
            status = "interrupted"
        counts = summary.counts if status == "finished" else engine.count_verdicts(graph, key)
        live = job is not None and job.outcome is None
        progress = []
        names = list(job.progress) if live else summary.verifiers
        for name in names:
            unit, done, total = job.progress[name] if live else (
                _unit(name), None, None)
            progress.append(VerifierProgress(verifier=name, unit=unit, done=done, total=total,
                                             verdicts=counts.get(name, {})))
        metrics = None
        if status == "finished" and with_metrics:
            metrics = metrics_mod.run_metrics(metrics_mod.trace_metrics(graph, key))
        return RunState(key=key, status=status, in_this_process=job is not None,
                        worked_on_by=who, run=summary, progress=progress, metrics=metrics,
                        error=error)

    # ------------------------------------------------------------ events

    async def events(self, key: str) -> AsyncIterator[RunEvent]:
        """The events of run ``key`` (resolved first): while a job of this service judges it,
        a ``progress`` event whenever a verifier's count changes (each verifier's current one
        first), then the final state; otherwise its current state once."""
        with self._lock:
            job = self._jobs.get(key)
        seen: dict[str, tuple[Any, Any]] = {}
        while job is not None:
            outcome = job.outcome
            for name, (_, done, total) in list(job.progress.items()):
                if seen.get(name) != (done, total):
                    seen[name] = (done, total)
                    yield RunEvent(event="progress",
                                   data={"verifier": name, "done": done, "total": total})
            if outcome is not None:
                break
            await asyncio.sleep(EVENT_POLL_S)
        state = await asyncio.to_thread(self.state, key)
        yield RunEvent(event=state.status, data=state.model_dump(mode="json"))

    # ------------------------------------------------------------ shutdown

    def shutdown(self, wait_s: float = SHUTDOWN_WAIT_S) -> None:
        """Ask every job to stop between batches and wait for them (up to ``wait_s`` each):
        their runs are left ``interrupted`` and resume on request."""
        self._closed = True
        with self._lock:
            jobs = list(self._jobs.values())
        for job in jobs:
            job.stop.set()
        for job in jobs:
            if job.thread is not None:
                job.thread.join(wait_s)


def _unit(name: str) -> str:
    info = {v.name: v for v in verification.verifier_catalog()}.get(name)
    return (info.subject + "s") if info else "subjects"


# ---------------------------------------------------------------- finished runs


def _finished(settings: Settings, run_ref: str) -> str:
    with open_graph(settings) as graph:
        try:
            record = engine.get_run(graph, verification.resolve_run(graph, run_ref))
        except RunError as exc:
            raise RunNotFound(str(exc)) from None
    if record.get("status") != "complete":
        raise RunNotFinished(f"run {record['key']!r} is not finished: wait for it, or resume "
                             "it if it was interrupted")
    return record["key"]


def report_html(settings: Settings, run_ref: str) -> str:
    """The HTML report page of a run (``RunNotFound``)."""
    with open_graph(settings) as graph:
        try:
            key = verification.resolve_run(graph, run_ref)
        except RunError as exc:
            raise RunNotFound(str(exc)) from None
    return verification.report_html(settings, key)


def refine(settings: Settings, run_ref: str, *, keep_refuted_bindings: bool = False,
           prune_unmeasured: bool = False) -> verification.RefineOutcome:
    """:func:`~vctrace.app.verification.refine` of a finished run (``RunNotFound``,
    ``RunNotFinished``)."""
    key = _finished(settings, run_ref)
    return verification.refine(settings, key, keep_refuted_bindings=keep_refuted_bindings,
                               prune_unmeasured=prune_unmeasured)


def export_rows(settings: Settings, run_ref: str, *, keep_refuted_bindings: bool = False,
                prune_unmeasured: bool = False,
                include_discarded: bool = False) -> verification.ExportRows:
    """:func:`~vctrace.app.verification.export_rows` of a finished run (``RunNotFound``,
    ``RunNotFinished``)."""
    key = _finished(settings, run_ref)
    return verification.export_rows(settings, key, keep_refuted_bindings=keep_refuted_bindings,
                                    prune_unmeasured=prune_unmeasured,
                                    include_discarded=include_discarded)
