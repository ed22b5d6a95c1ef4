"""Batch verification runs: judge each distinct claim once, store verdicts, resume after a kill.

A run is a ``(:VerificationRun {key})`` node holding its parameters, the verifiers and their
versions, the traces it covers (``COVERS``, fixed when the run is created) and the source
releases loaded then (``USED_SOURCE``). For each verifier the engine asks the graph which
subjects (claims of the declared primitives, or traces) of the run have no verdict from that
verifier yet, and works through them in batches: one query for the subjects' rows, the
verifier's own set-based evidence queries, one write transaction for the batch's verdicts.
A verifier that judges inside the graph (``judges_in_graph``: grounding) gets no rows: one
statement per batch reads, judges and creates the verdicts (two batches in flight, so that
Neo4j uses both of a small machine's cores), and the few subjects it leaves are judged the
ordinary way afterwards.

Resuming is the same code path: a batch's verdicts are written in one transaction (on a writer
thread, while the next batch is read and judged), and the pending subjects are those without a
verdict of this run and verifier, so after a kill (or a Neo4j restart) exactly the subjects
whose verdicts were not committed are judged again. Verdict keys are content hashes of (run,
verifier, subject, part) under a unique constraint: a duplicate cannot be stored.
Verifiers are deterministic functions of the graph, so the resumed run ends with the verdicts an
uninterrupted run gives.

**Creating a run** is three steps, so that its size does not depend on the heap: the run node
(marked ``creating``) with its source releases; its ``COVERS`` links, ``link_batch_size``
traces per transaction (``CALL … IN TRANSACTIONS``); then its trace count, and the mark is
removed. A run found still ``creating`` (the process was killed while linking) is completed
before it is resumed: the linking is a MERGE over the same filter, so what was linked stays and
the rest is added, and the count is taken from the links. (The scope is fixed when the
linking completes: traces ingested between the kill and the resume, and matching the filter,
are covered too.)

**One process per run.** A run records its ``owner`` (host, pid and a token of the process
working on it) and a ``heartbeat_at`` updated after every stored batch; taking a run (a new
one, or resuming one) is a compare-and-set on the owner under the node's write lock. A run
whose status is ``running`` belongs to a live owner unless it is *stale*: its owner is a
process of this machine that no longer exists (or this very process, outside of ``verify``:
a verify that failed), or, for an owner on another machine, no heartbeat for
``STALE_AFTER_S`` (30 minutes). A second ``verify`` that would resume or create a run of the
same scope while a live owner works on it stops with a :class:`RunError` naming that run and
its owner (nothing is written); it may be run again once the first has finished. Automatic
run names are ``run-YYYYMMDD-HHMMSS`` (``-2``, ``-3``, … when taken); two verifies started in
the same second cannot take the same name (the unique constraint decides, and the loser looks
again: it then finds the other's run and says it is running). Two verifies of the same scope
that both looked before either had created its run make two distinct runs, each complete.

**Taking a run and judging it are two steps** (:func:`open_run`, then :func:`judge`;
:func:`verify` does both): a face that works in the background (the HTTP service) takes the
run while the request waits, so that it can answer with the run's key, or with the
``RunBusy`` of a run of the same scope, and judges in a thread.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Iterable

from neo4j.exceptions import ConstraintError
from pydantic import BaseModel

from ..errors import Conflict, VctraceError
from .. import cypher
from ..kg.graph import Graph, statement
from ..kg.server import pid_alive
from ..traces.identity import normalise_text
from ..verifiers.base import (ClaimRow, Mention, Reason, Status, TraceRow, Verdict, Verifier,
                              get)

cypher.allow_names(("Trace", "Claim"))

DEFAULT_VERIFIERS = ("structure", "grounding", "dti-kg", "de", "pathway")
STALE_AFTER_S = 30 * 60     # no heartbeat this long: an owner on another machine is gone
LINK_BATCH_SIZE = 10_000    # COVERS links per transaction when a run is created
IN_GRAPH_IN_FLIGHT = 2      # statements of a verifier judging in the graph run at once (1 or 2)

# the owners (see _owner_id) of the runs this process is working on right now
_ACTIVE_OWNERS: set[str] = set()
_ACTIVE_LOCK = threading.Lock()


class RunError(VctraceError, ValueError):
    """A run cannot be created or resumed as asked (the message says why)."""


class RunBusy(RunError, Conflict):
    """Another live process works on the run this call would take (or created it a moment
    ago); the same call succeeds once that one has finished."""


class RunStopped(RunError):
    """A run was asked to stop between batches (:func:`judge`'s ``stop``); what was judged is
    stored, and the run resumes on the next request."""


@dataclass
class TraceFilter:
    """Which traces a run covers; ``None`` fields match anything. Names are matched in their
    normalised form (case-folded); ``traces`` holds trace keys or trace ids."""

    drug: str | None = None
    cell_line: str | None = None
    traces: list[str] | None = None

    @classmethod
    def parse(cls, items: Iterable[str]) -> "TraceFilter":
        """From ``field=value`` items (``drug=…``, ``cell_line=…``, ``trace=…``; ``trace`` may
        repeat); anything else raises ``RunError``."""
        out = cls()
        for item in items:
            name, sep, value = item.partition("=")
            name = name.strip().replace("-", "_")
            if not sep or not value.strip():
                raise RunError(f"trace filter {item!r}: expected FIELD=VALUE")
            if name == "drug":
                out.drug = normalise_text(value)
            elif name == "cell_line":
                out.cell_line = normalise_text(value)
            elif name in ("trace", "traces"):
                out.traces = (out.traces or []) + [v.strip() for v in value.split(",")]
            else:
                raise RunError(f"trace filter {item!r}: field must be drug, cell_line or trace")
        return out

    def params(self) -> dict[str, Any]:
        return {"drug": self.drug, "cell_line": self.cell_line,
                "traces": sorted(self.traces) if self.traces else None}


@dataclass
class VerifierProgress:
    name: str
    subjects: int = 0           # judged in this invocation
    already_done: int = 0       # judged by an earlier attempt of the same run (not counted above)
    verdicts: int = 0
    seconds: float = 0.0
    read_s: float = 0.0         # fetching the subjects' rows
    judge_s: float = 0.0        # the verifier's evidence queries and decisions
    write_s: float = 0.0        # storing verdicts (on the writer thread, overlapping the rest;
                                # for a verifier judging in the graph, its statements' time)


@dataclass
class RunResult:
    run: str
    resumed: bool
    traces: int
    verifiers: list[VerifierProgress] = field(default_factory=list)
    seconds: float = 0.0
    counts: dict[str, dict[str, int]] = field(default_factory=dict)


def verdict_key(run: str, verifier: str, subject: str, part: str | None) -> str:
    digest = hashlib.sha256(f"{run}\x1f{verifier}\x1f{subject}\x1f{part or ''}".encode())
    return "v-" + digest.hexdigest()[:32]


def fingerprint(verifiers: list[Verifier], trace_filter: TraceFilter) -> str:
    """What makes two runs the same job: verifiers, versions, parameters and the filter."""
    payload = {"verifiers": [v.record() for v in verifiers], "filter": trace_filter.params()}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()) \
        .hexdigest()[:16]


def find_runs(graph: Graph, fingerprint_: str | None = None) -> list[dict[str, Any]]:
    """Stored runs, newest first."""
    return [r["run"] for r in graph.read("runs/find_runs", fingerprint=fingerprint_)]


def get_run(graph: Graph, run: str) -> dict[str, Any]:
    for record in find_runs(graph):
        if record["key"] == run:
            return record
    raise RunError(f"no verification run named {run!r} (vctrace verify --list shows them)")


def claim_rows(graph: Graph, keys: list[str]) -> list[ClaimRow]:
    """The claims of ``keys`` as verifiers see them (one read for the batch)."""
    records = graph.read("runs/claim_rows", keys=keys)
    rows = []
    for r in records[0]["rows"]:
        mentions = [Mention(m["role"], m["text"], [e for e in m["entities"] if e["label"]])
                    for m in r["mentions"]]
        rows.append(ClaimRow(r["key"], r["primitive"], json.loads(r["args_json"] or "{}"),
                             r["drug"], r["cell_line"], mentions))
    return rows


def _trace_rows(graph: Graph, keys: list[str]) -> list[TraceRow]:
    records = graph.read("runs/trace_rows", keys=keys)
    return [TraceRow(r["key"], json.loads(r["findings_json"] or "[]"))
            for r in records[0]["rows"]]


def complete_verdicts(subjects: list[Any], verdicts: list[Verdict],
                      verifier: Verifier) -> list[Verdict]:
    """Every subject gets at least one verdict: a verifier that skipped one is an error, stored
    as such (so a run never silently leaves a claim unjudged, and resuming stays exact)."""
    judged = {v.subject for v in verdicts}
    for subject in subjects:
        if subject.key not in judged:
            verdicts.append(Verdict(subject.key, Status.ERROR, Reason.VERIFIER_RETURNED_NOTHING,
                                    evidence={"verifier": verifier.name}))
    return verdicts


def _store(graph: Graph, run: str, verifier: Verifier,
           verdicts: list[Verdict]) -> None:
    rows = []
    for v in verdicts:
        row = v.row()
        row["key"] = verdict_key(run, verifier.name, v.subject, v.part)
        rows.append(row)
    label = "Trace" if verifier.subject == "trace" else "Claim"
    graph.write(statement("runs/create_verdicts", LABEL=label), rows=rows, run=run,
                verifier=verifier.name, version=verifier.version)


def _pending(graph: Graph, run: str, verifier: Verifier,
             claims: list[list[str]] | None = None) -> tuple[list[str], int]:
    """The subjects of the run that ``verifier`` has not judged yet (ordered by context, then
    key), and how many it has. ``claims``: the run's claims as ``runs/pending_claims`` gives
    them, when already read (they are read once per run, not once per verifier)."""
    if verifier.subject == "trace":
        records = graph.read("runs/pending_traces", run=run)[0]["keys"]
    else:
        if claims is None:
            claims = graph.read("runs/pending_claims", run=run)[0]["keys"]
        wanted = set(verifier.primitives)
        records = {(key, drug, cell) for key, drug, cell, primitive in claims
                   if primitive in wanted}
    judged = graph.read("runs/judged_subjects", run=run, verifier=verifier.name)
    done = set(judged[0]["keys"])
    # claims of one (drug, cell line) context next to each other: a batch then looks each
    # context's evidence (DE experiments, drug targets) up once
    pending = sorted((drug, cell, key) for key, drug, cell in records if key not in done)
    return [key for _, _, key in pending], len(done)


def _count_verdicts(graph: Graph, run: str) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for r in graph.read("runs/count_verdicts", run=run):
        counts.setdefault(r["verifier"], {})[r["status"]] = r["n"]
    return counts


def _owner_id() -> str:
    return f"{socket.gethostname()} {os.getpid()} {uuid.uuid4().hex[:12]}"


def _live_owner(run: dict[str, Any]) -> str | None:
    """Who is working on ``run`` now, in words; ``None`` when nobody is (it is finished, or its
    owner is stale: see the module docstring)."""
    owner = run.get("owner")
    if run.get("status") != "running" or not owner:
        return None
    host, _, rest = owner.partition(" ")
    pid_text = rest.partition(" ")[0]
    pid = int(pid_text) if pid_text.isdigit() else -1
    if host == socket.gethostname():
        if pid == os.getpid():
            with _ACTIVE_LOCK:
                alive = owner in _ACTIVE_OWNERS
        else:
            alive = pid > 0 and pid_alive(pid)
    else:
        age = run.get("heartbeat_age_s")
        alive = age is not None and age < STALE_AFTER_S
    if not alive:
        return None
    return f"process {pid} on {host}, last heartbeat {run.get('heartbeat_at') or '?'}"


def live_owner(run: dict[str, Any]) -> str | None:
    """Who is working on ``run`` (a record of :func:`find_runs`) now, in words; ``None`` when
    nobody is: it is finished, or it is ``running`` but its owner is stale (an interrupted
    run)."""
    return _live_owner(run)


def count_verdicts(graph: Graph, run: str) -> dict[str, dict[str, int]]:
    """The run's verdicts so far, by verifier and status."""
    return _count_verdicts(graph, run)


def _busy(run: dict[str, Any], who: str) -> RunError:
    return RunBusy(f"run {run['key']!r} over the same traces and verifiers is running "
                    f"({who}); wait until it has finished (vctrace verify --list), or give "
                    "another --run-name")


def _is_constraint_error(exc: BaseException) -> bool:
    return isinstance(exc, ConstraintError) or isinstance(exc.__cause__, ConstraintError)


def _claim(graph: Graph, run: dict[str, Any], owner: str) -> None:
    """Take ``run`` for ``owner`` unless a live process works on it (``RunError``)."""
    who = _live_owner(run)
    if who is not None:
        raise _busy(run, who)
    if not graph.write("runs/claim_run", run=run["key"], expected=run.get("owner") or "",
                       owner=owner):
        fresh = get_run(graph, run["key"])  # taken meanwhile by another process
        raise _busy(fresh, _live_owner(fresh) or f"taken by {fresh.get('owner')}")


def _link_covers(graph: Graph, run: str, trace_filter: TraceFilter, batch_size: int) -> int:
    """Link the traces of the run's scope in batches, then fix its count (see the module
    docstring); the number of traces it covers."""
    graph.auto_commit("runs/link_covers", run=run, batch_size=batch_size,
                      **trace_filter.params())
    return graph.write("runs/finish_covers", run=run)[0]["traces"]


class _NameTaken(Exception):
    """Another process created a run of the chosen automatic name first: look again."""


def _open_run(graph: Graph, verifiers: list[Verifier],
              trace_filter: TraceFilter, run_name: str | None,
              batch_size: int, owner: str = "",
              link_batch_size: int = LINK_BATCH_SIZE) -> tuple[str, bool, int]:
    """The run to work on: the named one (resumed if it exists with the same fingerprint), or
    without a name the newest unfinished run with the same fingerprint, or a new one; taken
    for ``owner`` (``RunError`` when another live process works on it)."""
    owner = owner or _owner_id()
    for _ in range(10):
        try:
            return _open_run_once(graph, verifiers, trace_filter, run_name, batch_size, owner,
                                  link_batch_size)
        except _NameTaken:
            continue
    raise RunError("could not choose a free run name (10 tries); give one with --run-name")


def _open_run_once(graph: Graph, verifiers: list[Verifier], trace_filter: TraceFilter,
                   run_name: str | None, batch_size: int, owner: str,
                   link_batch_size: int) -> tuple[str, bool, int]:
    fp = fingerprint(verifiers, trace_filter)
    existing = find_runs(graph)
    found: dict[str, Any] | None = None
    if run_name:
        same = [r for r in existing if r["key"] == run_name]
        if same:
            if same[0]["fingerprint"] != fp:
                raise RunError(
                    f"run {run_name!r} exists with other verifiers, versions, parameters or "
                    "filter; choose another --run-name")
            found = same[0]
    else:
        unfinished = [r for r in existing if r["fingerprint"] == fp and r["status"] != "complete"]
        if unfinished:
            found = unfinished[0]
    if found is not None:
        _claim(graph, found, owner)
        traces = found.get("traces")
        if found.get("creating") or traces is None:
            traces = _link_covers(graph, found["key"], trace_filter, link_batch_size)
        return found["key"], True, traces
    named = run_name is not None
    if not named:
        run_name = "run-" + datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
        taken = {r["key"] for r in existing}
        base, n = run_name, 1
        while run_name in taken:
            n += 1
            run_name = f"{base}-{n}"
    props = {"key": run_name, "fingerprint": fp, "batch_size": batch_size, "owner": owner,
             "filter_json": json.dumps(trace_filter.params(), sort_keys=True),
             "verifiers_json": json.dumps([v.record() for v in verifiers], sort_keys=True,
                                          default=str),
             "verifier_names": [v.name for v in verifiers]}
    try:
        graph.write("runs/create_run", props=props)
    except Exception as exc:
        if not _is_constraint_error(exc):
            raise
        if named:  # created by another process a moment ago: that one works on it
            raise RunBusy(f"run {run_name!r} was just created by another verify; wait until "
                           "it has finished (vctrace verify --list), or give another "
                           "--run-name") from None
        raise _NameTaken() from None
    return run_name, False, _link_covers(graph, run_name, trace_filter, link_batch_size)


class _Writer:
    """Stores verdict batches on a background thread while the next batch is read and judged
    (one writer: Neo4j takes writes one transaction at a time anyway). A failed write is raised
    in the caller at its next ``put`` or at ``close``."""

    def __init__(self, graph: Graph, run: str, owner: str = ""):
        self.graph, self.run, self.owner = graph, run, owner
        self.queue: queue.Queue = queue.Queue(maxsize=2)
        self.error: BaseException | None = None
        self.seconds = 0.0
        self.thread = threading.Thread(target=self._loop, name="vctrace-verdict-writer",
                                       daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        while True:
            item = self.queue.get()
            try:
                if item is None:
                    return
                if self.error is None:  # else drain: nothing after a failed batch is written
                    self._run(item)
            finally:
                self.queue.task_done()

    def _run(self, item: Any) -> None:
        if callable(item):  # a batch judged in the graph: it keeps its own time
            try:
                item()
            except BaseException as exc:  # re-raised in the caller
                self.error = exc
            return
        verifier, verdicts, done = item
        t0 = time.perf_counter()
        try:
            _store(self.graph, self.run, verifier, verdicts)
            if self.owner:
                self.graph.write("runs/heartbeat_run", run=self.run, owner=self.owner)
            done()
        except BaseException as exc:  # re-raised in the caller
            self.error = exc
        self.seconds += time.perf_counter() - t0

    def put(self, verifier: Verifier, verdicts: list[Verdict], done: Callable[[], None]) -> None:
        self._raise()
        self.queue.put((verifier, verdicts, done))

    def put_job(self, job: Callable[[], None]) -> None:
        """Run ``job`` (a batch judged in the graph) on the writer thread."""
        self._raise()
        self.queue.put(job)

    def wait(self) -> None:
        """Wait until everything queued so far is done (raising a failure)."""
        self.queue.join()
        self._raise()

    def close(self, raise_error: bool = True) -> None:
        """Wait until every queued batch is stored (also when the caller is failing)."""
        self.queue.put(None)
        self.thread.join()
        if raise_error:
            self._raise()

    def _raise(self) -> None:
        if self.error is not None:
            raise self.error


@dataclass
class OpenRun:
    """A run taken by this process (:func:`open_run`), to be judged (:func:`judge`) or
    released (:func:`release`)."""

    run: str
    resumed: bool
    traces: int
    owner: str
    verifiers: list[Verifier]
    batch_size: int
    started: float = field(default_factory=time.perf_counter)


def open_run(graph: Graph, verifiers: list[Verifier], *, trace_filter: TraceFilter | None = None,
             run_name: str | None = None, batch_size: int = 5000,
             link_batch_size: int = LINK_BATCH_SIZE) -> OpenRun:
    """Create or resume the run :func:`verify` would work on, take it for this process and mark
    it ``running`` (one more attempt), without judging anything yet: the caller knows the run
    before the work starts (the HTTP service answers with its key and judges in the
    background). Until :func:`judge` (or :func:`release`) the run counts as owned by a live
    process. ``RunBusy`` when another live process works on it, ``RunError`` for bad input."""
    if batch_size < 1 or link_batch_size < 1:
        raise RunError(f"batch size must be at least 1, not {min(batch_size, link_batch_size)}")
    started = time.perf_counter()
    owner = _owner_id()
    with _ACTIVE_LOCK:
        _ACTIVE_OWNERS.add(owner)
    try:
        run, resumed, traces = _open_run(graph, verifiers, trace_filter or TraceFilter(),
                                         run_name, batch_size, owner, link_batch_size)
        attempts = int(get_run(graph, run).get("attempts") or 0) + 1
        graph.write("runs/update_run", run=run,
                    props={"status": "running", "attempts": attempts})
    except BaseException:
        with _ACTIVE_LOCK:
            _ACTIVE_OWNERS.discard(owner)
        raise
    return OpenRun(run, resumed, traces, owner, list(verifiers), batch_size, started)


def release(opened: OpenRun) -> None:
    """This process stops working on ``opened``: unless finished, it is stale from now on (and
    resumes on the next request)."""
    with _ACTIVE_LOCK:
        _ACTIVE_OWNERS.discard(opened.owner)


def verify(graph: Graph, verifiers: list[Verifier], *, trace_filter: TraceFilter | None = None, run_name: str | None = None,
           batch_size: int = 5000,
           progress: Callable[[str, int], Any] | None = None,
           link_batch_size: int = LINK_BATCH_SIZE) -> RunResult:
    """Run (or resume) a verification job; see the module docstring. The same as
    :func:`open_run` then :func:`judge`.

    ``progress(verifier_name, total)`` may return an object with ``update(n)`` and ``close()``
    (a tqdm bar, say) that is advanced as batches are stored. ``link_batch_size``: traces
    linked to a new run per transaction. ``RunError`` (``RunBusy``) when another process is
    working on the run this call would take.
    """
    opened = open_run(graph, verifiers, trace_filter=trace_filter, run_name=run_name,
                      batch_size=batch_size, link_batch_size=link_batch_size)
    return judge(graph, opened, progress=progress)


def judge(graph: Graph, opened: OpenRun, *,
          progress: Callable[[str, int], Any] | None = None,
          stop: Callable[[], bool] | None = None) -> RunResult:
    """Judge the pending subjects of a run taken by :func:`open_run`, verifier by verifier,
    and close it (``complete``); the run is released in any case. ``stop()`` is asked before
    each batch: when it says so, what was judged is stored and :class:`RunStopped` is raised
    (the run stays unfinished and resumes later)."""
    try:
        return _judge(graph, opened, progress, stop)
    finally:
        release(opened)


def _judge(graph: Graph, opened: OpenRun, progress: Callable[[str, int], Any] | None,
           stop: Callable[[], bool] | None) -> RunResult:
    run, batch_size = opened.run, opened.batch_size
    result = RunResult(run=run, resumed=opened.resumed, traces=opened.traces)
    claims: list[list[str]] | None = None  # the run's claims, read for the first claim verifier
    for verifier in opened.verifiers:
        t0 = time.perf_counter()
        done = VerifierProgress(verifier.name)
        if verifier.subject == "claim" and claims is None:
            claims = graph.read("runs/pending_claims", run=run)[0]["keys"]
        keys, done.already_done = _pending(graph, run, verifier, claims)
        bar = progress(verifier.name, len(keys)) if progress else None
        writer = _Writer(graph, run, opened.owner)
        try:
            if verifier.judges_in_graph and verifier.subject == "claim":
                keys = _judge_in_graph(graph, opened, verifier, keys, done, bar, writer, stop)
            for start in range(0, len(keys), batch_size):
                if stop is not None and stop():
                    raise RunStopped(f"run {run!r} was stopped; it resumes on request")
                chunk = keys[start:start + batch_size]
                t1 = time.perf_counter()
                rows = (_trace_rows if verifier.subject == "trace" else claim_rows)(
                    graph, chunk)
                t2 = time.perf_counter()
                verdicts = complete_verdicts(rows, verifier.judge(rows), verifier)
                done.read_s += t2 - t1
                done.judge_s += time.perf_counter() - t2

                def stored(n=len(chunk), v=len(verdicts)) -> None:
                    done.subjects += n
                    done.verdicts += v
                    if bar is not None:
                        bar.update(n)
                writer.put(verifier, verdicts, stored)
        except BaseException:
            writer.close(raise_error=False)  # store what was judged; report the first error
            raise
        else:
            writer.close()
        finally:
            if bar is not None:
                bar.close()
        done.write_s += writer.seconds
        done.seconds = time.perf_counter() - t0
        result.verifiers.append(done)
    result.seconds = time.perf_counter() - opened.started
    result.counts = _count_verdicts(graph, run)
    previous = get_run(graph, run)
    timings = json.loads(previous.get("timings_json") or "{}")
    for v in result.verifiers:
        timings[v.name] = round(timings.get(v.name, 0.0) + v.seconds, 3)
    timings["total"] = round(timings.get("total", 0.0) + result.seconds, 3)
    graph.write("runs/finish_run", run=run, props={
        "status": "complete", "counts_json": json.dumps(result.counts, sort_keys=True),
        "timings_json": json.dumps(timings, sort_keys=True)})
    return result


def _judge_in_graph(graph: Graph, opened: OpenRun, verifier: Verifier, keys: list[str],
                    done: VerifierProgress, bar: Any, writer: _Writer,
                    stop: Callable[[], bool] | None) -> list[str]:
    """Judge and store ``keys`` inside the graph, a batch per statement (each followed by the
    heartbeat); the subjects the statements left for ``judge``. Two batches are in flight
    (alternately on this thread and on the writer's): Neo4j runs a statement on one core, so
    the second keeps the other busy; batches hold distinct claims, so they do not contend for
    locks."""
    left: list[str] = []
    lock = threading.Lock()

    def one(chunk: list[str]) -> None:
        t0 = time.perf_counter()
        rows = [{"subject": key, "key": verdict_key(opened.run, verifier.name, key, None)}
                for key in chunk]
        created, rest = verifier.store_in_graph(opened.run, rows)
        graph.write("runs/heartbeat_run", run=opened.run, owner=opened.owner)
        with lock:
            done.write_s += time.perf_counter() - t0
            done.subjects += len(chunk) - len(rest)
            done.verdicts += created
            left.extend(rest)
            if bar is not None:
                bar.update(len(chunk) - len(rest))

    for n, start in enumerate(range(0, len(keys), opened.batch_size)):
        if stop is not None and stop():
            raise RunStopped(f"run {opened.run!r} was stopped; it resumes on request")
        chunk = keys[start:start + opened.batch_size]
        if IN_GRAPH_IN_FLIGHT > 1 and n % 2 == 0:
            writer.put_job(lambda chunk=chunk: one(chunk))
        else:
            one(chunk)
    writer.wait()
    return sorted(left)


def build_verifiers(graph: Graph, names: Iterable[str], *,
                    options: dict[str, BaseModel | dict[str, Any]] | None = None
                    ) -> list[Verifier]:
    """Instances of the named verifiers with their options (name -> options model or dict of
    its fields; unknown names raise ``KeyError``, bad options ``ValueError``)."""
    options = options or {}
    return [get(name)(graph, options.get(name)) for name in names]
