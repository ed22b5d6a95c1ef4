"""Batch verification runs: judge each distinct claim once, store verdicts, resume after a kill.

A run is a ``(:VerificationRun {key})`` node holding its parameters, the verifiers and their
versions, the traces it covers (``COVERS``, fixed when the run is created) and the source
releases loaded then (``USED_SOURCE``). For each verifier the engine asks the graph which
subjects (claims of the declared primitives, or traces) of the run have no verdict from that
verifier yet, and works through them in batches: one query for the subjects' rows, the
verifier's own set-based evidence queries, one write transaction for the batch's verdicts.

Resuming is the same code path: a batch's verdicts are written in one transaction (on a writer
thread, while the next batch is read and judged), and the pending subjects are those without a
verdict of this run and verifier, so after a kill (or a Neo4j restart) exactly the subjects
whose verdicts were not committed are judged again. Verdict keys are content hashes of (run,
verifier, subject, part) under a unique constraint: a duplicate cannot be stored.
Verifiers are deterministic functions of the graph, so the resumed run ends with the verdicts an
uninterrupted run gives.
"""

from __future__ import annotations

import hashlib
import json
import queue
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Iterable

from pydantic import BaseModel

from ..errors import VctraceError
from .. import cypher
from ..kg.graph import Graph, statement
from ..traces.identity import normalise_text
from ..verifiers.base import (ClaimRow, Mention, Reason, Status, TraceRow, Verdict, Verifier,
                              get)

cypher.allow_names(("Trace", "Claim"))

DEFAULT_VERIFIERS = ("structure", "grounding", "dti-kg", "de", "pathway")


class RunError(VctraceError, ValueError):
    """A run cannot be created or resumed as asked (the message says why)."""


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
    write_s: float = 0.0        # storing verdicts (on the writer thread, overlapping the rest)


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


def _claim_rows(graph: Graph, keys: list[str]) -> list[ClaimRow]:
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


def _complete(subjects: list[Any], verdicts: list[Verdict], verifier: Verifier) -> list[Verdict]:
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


def _pending(graph: Graph, run: str, verifier: Verifier
             ) -> tuple[list[str], int]:
    """The subjects of the run that ``verifier`` has not judged yet (ordered by context, then
    key), and how many it has."""
    if verifier.subject == "trace":
        records = graph.read("runs/pending_traces", run=run)
    else:
        records = graph.read("runs/pending_claims", run=run,
                             primitives=list(verifier.primitives))
    judged = graph.read("runs/judged_subjects", run=run, verifier=verifier.name)
    done = set(judged[0]["keys"])
    # claims of one (drug, cell line) context next to each other: a batch then looks each
    # context's evidence (DE experiments, drug targets) up once
    pending = sorted((drug, cell, key) for key, drug, cell in records[0]["keys"]
                     if key not in done)
    return [key for _, _, key in pending], len(done)


def _count_verdicts(graph: Graph, run: str) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for r in graph.read("runs/count_verdicts", run=run):
        counts.setdefault(r["verifier"], {})[r["status"]] = r["n"]
    return counts


def _open_run(graph: Graph, verifiers: list[Verifier],
              trace_filter: TraceFilter, run_name: str | None,
              batch_size: int) -> tuple[str, bool, int]:
    """The run to work on: the named one (resumed if it exists with the same fingerprint), or
    without a name the newest unfinished run with the same fingerprint, or a new one."""
    fp = fingerprint(verifiers, trace_filter)
    existing = find_runs(graph)
    if run_name:
        same = [r for r in existing if r["key"] == run_name]
        if same:
            if same[0]["fingerprint"] != fp:
                raise RunError(
                    f"run {run_name!r} exists with other verifiers, versions, parameters or "
                    "filter; choose another --run-name")
            return run_name, True, same[0]["traces"]
    else:
        unfinished = [r for r in existing if r["fingerprint"] == fp and r["status"] != "complete"]
        if unfinished:
            return unfinished[0]["key"], True, unfinished[0]["traces"]
        run_name = "run-" + datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
        taken = {r["key"] for r in existing}
        base, n = run_name, 1
        while run_name in taken:
            n += 1
            run_name = f"{base}-{n}"
    props = {"key": run_name, "fingerprint": fp, "batch_size": batch_size,
             "filter_json": json.dumps(trace_filter.params(), sort_keys=True),
             "verifiers_json": json.dumps([v.record() for v in verifiers], sort_keys=True,
                                          default=str),
             "verifier_names": [v.name for v in verifiers]}
    records = graph.write("runs/create_run", props=props, **trace_filter.params())
    return run_name, False, records[0]["traces"]


class _Writer:
    """Stores verdict batches on a background thread while the next batch is read and judged
    (one writer: Neo4j takes writes one transaction at a time anyway). A failed write is raised
    in the caller at its next ``put`` or at ``close``."""

    def __init__(self, graph: Graph, run: str):
        self.graph, self.run = graph, run
        self.queue: queue.Queue = queue.Queue(maxsize=2)
        self.error: BaseException | None = None
        self.seconds = 0.0
        self.thread = threading.Thread(target=self._loop, name="vctrace-verdict-writer",
                                       daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        while True:
            item = self.queue.get()
            if item is None:
                return
            if self.error is not None:
                continue  # drain: nothing after a failed batch is written
            verifier, verdicts, done = item
            t0 = time.perf_counter()
            try:
                _store(self.graph, self.run, verifier, verdicts)
                done()
            except BaseException as exc:  # re-raised in the caller
                self.error = exc
            self.seconds += time.perf_counter() - t0

    def put(self, verifier: Verifier, verdicts: list[Verdict], done: Callable[[], None]) -> None:
        self._raise()
        self.queue.put((verifier, verdicts, done))

    def close(self, raise_error: bool = True) -> None:
        """Wait until every queued batch is stored (also when the caller is failing)."""
        self.queue.put(None)
        self.thread.join()
        if raise_error:
            self._raise()

    def _raise(self) -> None:
        if self.error is not None:
            raise self.error


def verify(graph: Graph, verifiers: list[Verifier], *, trace_filter: TraceFilter | None = None, run_name: str | None = None,
           batch_size: int = 5000,
           progress: Callable[[str, int], Any] | None = None) -> RunResult:
    """Run (or resume) a verification job; see the module docstring.

    ``progress(verifier_name, total)`` may return an object with ``update(n)`` and ``close()``
    (a tqdm bar, say) that is advanced as batches are stored.
    """
    if batch_size < 1:
        raise RunError(f"batch size must be at least 1, not {batch_size}")
    started = time.perf_counter()
    trace_filter = trace_filter or TraceFilter()
    run, resumed, traces = _open_run(graph, verifiers, trace_filter, run_name,
                                     batch_size)
    result = RunResult(run=run, resumed=resumed, traces=traces)
    attempts = int(get_run(graph, run).get("attempts") or 0) + 1
    graph.write("runs/update_run", run=run, props={"status": "running", "attempts": attempts})
    for verifier in verifiers:
        t0 = time.perf_counter()
        done = VerifierProgress(verifier.name)
        keys, done.already_done = _pending(graph, run, verifier)
        bar = progress(verifier.name, len(keys)) if progress else None
        writer = _Writer(graph, run)
        try:
            for start in range(0, len(keys), batch_size):
                chunk = keys[start:start + batch_size]
                t1 = time.perf_counter()
                rows = (_trace_rows if verifier.subject == "trace" else _claim_rows)(
                    graph, chunk)
                t2 = time.perf_counter()
                verdicts = _complete(rows, verifier.judge(rows), verifier)
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
        done.write_s = writer.seconds
        done.seconds = time.perf_counter() - t0
        result.verifiers.append(done)
    result.seconds = time.perf_counter() - started
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


def build_verifiers(graph: Graph, names: Iterable[str], *,
                    options: dict[str, BaseModel | dict[str, Any]] | None = None
                    ) -> list[Verifier]:
    """Instances of the named verifiers with their options (name -> options model or dict of
    its fields; unknown names raise ``KeyError``, bad options ``ValueError``)."""
    options = options or {}
    return [get(name)(graph, options.get(name)) for name in names]
