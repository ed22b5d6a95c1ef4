"""A Claude generation run through the Message Batches API (``vctrace generate --constructor
claude --batch``): the same rows, provenance and :class:`~vctrace.agents.run.ClaudeRunResult`
as the interactive run (:func:`vctrace.agents.run.generate_with_claude`), at the batch price,
for thousands of pairs, resumable after a kill.

Signature (stable; :mod:`vctrace.agents.pipeline` calls it)::

    generate_with_batches(settings, selection, client, *, state_dir=None, output=None,
                          ingest=True, literature=False, poll_interval=60.0, timeout=None,
                          progress=no_progress, sleep=time.sleep, max_tries=MAX_TRIES
                          ) -> ClaudeRunResult

Stages, each finished before the next starts:

1. **evidence** of every pair (:func:`vctrace.agents.run.evidence_source`), one line per pair
   appended to ``evidence.jsonl`` as it is read (a killed run reads only the pairs missing);
2. **report** requests (:meth:`ClaudeClient.report_params`) for every pair with evidence, in
   batches; then the rounds a reply asks for, each one more batch: a report citing ids it was
   not given is re-asked once (:meth:`ClaudeClient.reask_params`), a reply cut at
   ``max_tokens`` is sent once more with twice the budget (capped), as interactively;
3. **explanation** requests (:meth:`ClaudeClient.explanation_params`) for every pair with a
   report, and the same rounds: an invalid trace is re-asked once quoting its error findings;
4. the rows (:func:`~vctrace.agents.claude.generated_row` over the records of the batch
   replies, costed at the batch price), written to ``output``, ingested and the run recorded
   with ``batch=True`` (:func:`vctrace.agents.run.finish_run`).

A pair is skipped with its reason when a reply is a refusal, stays cut off, has no text, is
still rejected after its re-ask, or its request failed for good. Errored, expired and
canceled results are sent again, each request at most :data:`~vctrace.agents.batches.MAX_TRIES`
times in all (the first and two re-sends); an ``invalid_request_error`` is not sent again
(the same body cannot succeed).

State, in ``state_dir`` (default :func:`state_dir_for` the output: ``<output>.batch/`` beside
it, so the same command with the same ``-o`` resumes):

- ``run.json``: the run key (a resumed run records under the same key), when it began, and
  what fixes its requests: model, prompt version and template hashes, schema hash, token
  budgets, literature, the pairs. A state made for other values is refused
  (:class:`BatchStateMismatch`) rather than mixed.
- ``evidence.jsonl``: each pair's evidence (or why it has none), as read once.
- ``batches.json``: the :class:`~vctrace.agents.batches.BatchRun` state: batch ids and
  statuses, custom id → batch, tries, and every collected result (the replies).

Request bodies are not stored: each is rebuilt from the stored evidence and the stored replies
of the earlier rounds, with the same client code whose prompt version and template hashes
``run.json`` pins. So a run killed anywhere resumes without re-sending any request that is in
a batch and has not failed (custom ids are ``(stage, pair, prompt version, attempt)``), and a
completed state run again sends nothing and only redoes the rows, ingest and record. The API
key is in none of these files.

``timeout`` (seconds) bounds the waiting of this call: when batches are still processing then,
:class:`BatchPending` says so, and the same call later resumes.

The figures: ``requests``, tokens and cost count the replies (billed, at the batch price),
refused and rejected ones included; ``batch_requests`` counts every request sent, re-sends
included (errored and expired requests are not billed). ``seconds`` is the wall time since the
run began (its first call), waits and stops included.

One window is not covered: a kill after the API has created a batch and before its id is in
``batches.json`` (the create request is in flight) leaves that batch unknown to the state, and
its requests are sent again on resume. The API offers no idempotency key for batch creation.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Mapping

from ..app import generation_runs
from ..app.evidence import EvidenceResult
from ..app.generation import PerturbationPair
from ..app.llm_traces import (CheckedTrace, check_structured_trace, cited_ids, schema_sha256,
                              unknown_citations)
from ..progress import Progress, no_progress
from ..settings import Settings
from . import prompts
from .batches import MAX_TRIES, BatchRun, custom_id
from .claude import (MAX_TOKENS_CAP, CallRecord, ClaudeClient, ClaudeError, ExplanationResult,
                     OutputTruncated, ReportResult, call_totals)
from .run import (ClaudeRunResult, PairOutcome, PairSelection, compact_calls, default_output,
                  evidence_source, finish_run, pair_outcome, skipped_outcome, trace_id)

__all__ = ["STATE_FORMAT", "BatchPending", "BatchStateMismatch", "generate_with_batches",
           "pair_key", "state_dir_for"]

STATE_FORMAT = 1
RUN_FILE, EVIDENCE_FILE, BATCHES_FILE = "run.json", "evidence.jsonl", "batches.json"


class BatchPending(ClaudeError):
    """Batches were still processing when the call's ``timeout`` ran out; the same call
    later resumes from the state folder."""

    kind = "busy"


class BatchStateMismatch(ClaudeError):
    """The state folder holds another run (another model, prompt version or pair list)."""


def state_dir_for(output: Path) -> Path:
    """``<output>.batch`` beside ``output``: where a batch run writing ``output`` keeps its
    state by default."""
    return output.with_name(output.name + ".batch")


def pair_key(pair: PerturbationPair) -> str:
    """``<drug key>|<cell line key>``: the pair part of its custom ids."""
    return f"{pair.drug_key}|{pair.cell_line_key}"


# ---------------------------------------------------------------- state files


def _write_json(path: Path, data: Any) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def _identity(client: ClaudeClient, selection: PairSelection, literature: bool
              ) -> dict[str, Any]:
    """What fixes the requests of a run: a state made for other values is not resumed."""
    return {
        "format": STATE_FORMAT, "model": client.model,
        "prompt_version": prompts.PROMPT_VERSION,
        "template_hashes": {"report": prompts.template_hash(prompts.report_prefix()),
                            "explanation": prompts.template_hash(prompts.explanation_prefix())},
        "schema_sha256": schema_sha256(prompts.trace_schema()),
        "max_tokens": {"report": client.max_tokens_report,
                       "explanation": client.max_tokens_trace},
        "literature": literature,
        "pairs": [pair_key(p) for p in selection.pairs],
    }


def _open_run(directory: Path, identity: dict[str, Any], new_key: Callable[[], str]
              ) -> dict[str, Any]:
    """``run.json``: read back (checked against ``identity``) or written anew."""
    path = directory / RUN_FILE
    if path.exists():
        stored = json.loads(path.read_text(encoding="utf-8"))
        differ = sorted(k for k in identity if stored.get(k) != identity[k])
        if differ:
            raise BatchStateMismatch(
                f"the batch state in {directory} belongs to another run (its "
                f"{', '.join(differ)} differ): write to another output (-o), or remove "
                f"{directory} to start over")
        return stored
    directory.mkdir(parents=True, exist_ok=True)
    stored = {**identity, "run": new_key(),
              "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    _write_json(path, stored)
    return stored


def _read_evidence(path: Path) -> dict[str, EvidenceResult | str]:
    """The pairs' evidence read so far (pair key → evidence, or the reason it has none). A
    line cut short by a kill is dropped (and the file rewritten without it)."""
    if not path.exists():
        return {}
    done: dict[str, EvidenceResult | str] = {}
    good, bad = [], False
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
            done[record["pair"]] = record["skipped"] if "skipped" in record \
                else EvidenceResult.model_validate(record["evidence"])
            good.append(line)
        except (ValueError, KeyError, TypeError):
            bad = True
    if bad:
        path.write_text("".join(g + "\n" for g in good), encoding="utf-8")
    return done


# ---------------------------------------------------------------- one stage's rounds


@dataclass
class _Step:
    """Where one pair stands in one stage: ``done`` (``text``, ``checked``), ``skip``
    (``reason``), or ``need`` (``cid`` and ``body`` to send, or pending in a batch)."""

    status: str
    records: list[CallRecord] = field(default_factory=list)
    reasked: bool = False
    text: str = ""
    checked: CheckedTrace | None = None
    reason: str = ""
    cid: str = ""
    body: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Judged:
    """A reply read as the stage reads it: accepted, or what a re-ask names and the
    rejection if the re-ask was already spent."""

    checked: CheckedTrace | None = None
    reask: dict[str, Any] | None = None
    rejected: str = ""


class _Rounds:
    """The rounds of one batch run: each stage's requests rebuilt from the first bodies and
    the stored replies, sent, waited for and read."""

    def __init__(self, client: ClaudeClient, batches: BatchRun, *, poll_interval: float,
                 deadline: float | None, progress: Progress,
                 sleep: Callable[[float], None], state: Path):
        self.client, self.batches = client, batches
        self.poll_interval, self.deadline = poll_interval, deadline
        self.progress, self.sleep, self.state = progress, sleep, state
        self._read: dict[str, tuple[str, CallRecord] | ClaudeError] = {}
        self._judged: dict[str, _Judged] = {}  # each reply checked once, not at each replay

    def _reply(self, stage: str, cid: str, body: Mapping[str, Any], message: Mapping[str, Any],
               attempt: int) -> tuple[str, CallRecord] | ClaudeError:
        if cid not in self._read:  # read once per process; records kept compacted
            try:
                text, record = self.client.batch_reply(stage, body, message, attempt=attempt)
                self._read[cid] = text, compact_calls([record])[0]
            except ClaudeError as exc:
                exc.calls = compact_calls(exc.calls)
                self._read[cid] = exc
        return self._read[cid]

    def walk(self, stage: str, key: str, body: dict[str, Any],
             judge: Callable[[str, bool], _Judged]) -> _Step:
        """Replay one pair's requests of ``stage`` from its first ``body`` through the stored
        replies: where it stands now."""
        records: list[CallRecord] = []
        attempt, grown, reasked = 1, False, False
        while True:
            cid = custom_id(stage, key, prompts.PROMPT_VERSION, attempt)
            message = self.batches.message(cid)
            if message is None:
                reason = self.batches.given_up(cid)
                if reason:
                    return _Step("skip", records, reasked,
                                 reason=f"Message Batches: the {stage} request {reason}")
                return _Step("need", records, reasked, cid=cid, body=body)
            read = self._reply(stage, cid, body, message, attempt)
            if isinstance(read, ClaudeError):
                records += read.calls
                budget = body["max_tokens"]
                bigger = min(budget * 2, MAX_TOKENS_CAP)
                if isinstance(read, OutputTruncated) and not grown and bigger > budget \
                        and message.get("stop_reason") == "max_tokens":
                    body, grown, attempt = {**body, "max_tokens": bigger}, True, attempt + 1
                    continue
                suffix = f" at max_tokens={budget}" if isinstance(read, OutputTruncated) \
                    else ""
                return _Step("skip", records, reasked, reason=f"{read}{suffix}")
            text, record = read
            records.append(record)
            if cid not in self._judged:
                self._judged[cid] = judge(text, reasked)
            judged = self._judged[cid]
            if judged.reask is None:
                return _Step("done", records, reasked, text=text, checked=judged.checked)
            if judged.rejected:
                return _Step("skip", records, reasked, reason=judged.rejected)
            body = self.client.reask_params(body, text, **judged.reask)
            attempt, grown, reasked = attempt + 1, False, True

    def stage(self, stage: str, firsts: dict[str, dict[str, Any]],
              judges: dict[str, Callable[[str, bool], _Judged]]) -> dict[str, _Step]:
        """Run ``stage`` for the pairs of ``firsts`` (pair key → first body) until every
        pair is done or skipped."""
        while True:
            steps = {k: self.walk(stage, k, body, judges[k]) for k, body in firsts.items()}
            need = {s.cid: s.body for s in steps.values() if s.status == "need"}
            if not need:
                return steps
            self.batches.submit(need)
            if not self.batches.open_batches():
                raise ClaudeError(f"the batch state in {self.state} lists {stage} requests "
                                  "as sent with no batch to wait for; remove it to start over")
            self._wait(stage)

    def _wait(self, stage: str) -> None:
        """Poll every open batch until all have ended (a bar of the requests processed),
        then collect their results."""
        batches = self.batches.state["batches"]
        open_ = self.batches.open_batches()
        total = sum(len(batches[b]["custom_ids"]) for b in open_)
        bar = self.progress(f"{stage}: {len(open_)} batch(es) processing", total, "requests")
        shown = 0
        try:
            while True:
                ended = self.batches.poll_once()
                done = sum(n for b in open_ for kind, n in batches[b].get("counts", {}).items()
                           if kind != "processing")
                if done > shown:
                    bar.update(done - shown)
                    shown = done
                if ended:
                    break
                if self.deadline is not None and time.monotonic() >= self.deadline:
                    raise BatchPending(
                        f"Message Batches {', '.join(open_)} still processing at the time "
                        f"limit; run the same command again to resume (state in "
                        f"{self.state})")
                self.sleep(self.poll_interval)
        finally:
            bar.close()
        self.batches.collect()


def _report_judge(known: list[str]) -> Callable[[str, bool], _Judged]:
    def judge(text: str, reasked: bool) -> _Judged:
        unknown = unknown_citations(text, known)
        if not unknown:
            return _Judged()
        return _Judged(reask={"unknown": unknown, "known": known}, rejected=(
            "the report still cites evidence ids it was not given after one re-ask: "
            + ", ".join(unknown)) if reasked else "")
    return judge


def _explanation_judge(evidence: EvidenceResult, report: str
                       ) -> Callable[[str, bool], _Judged]:
    def judge(text: str, reasked: bool) -> _Judged:
        checked = check_structured_trace(text, perturbation=dict(evidence.perturbation),
                                         question=evidence.question, report_text=report,
                                         trace_id=trace_id(evidence))
        if checked.valid:
            return _Judged(checked=checked)
        return _Judged(checked=checked, reask={"errors": checked.errors}, rejected=(
            f"the trace is still invalid after one re-ask ({len(checked.errors)} error(s)); "
            f"first: {checked.errors[0] if checked.errors else '?'}") if reasked else "")
    return judge


# ---------------------------------------------------------------- the run


def _evidence(settings: Settings, selection: PairSelection, path: Path, literature: bool,
              progress: Progress) -> dict[str, EvidenceResult | str]:
    done = _read_evidence(path)
    todo = [p for p in selection.pairs if pair_key(p) not in done]
    if not todo:
        return done
    bar = progress("evidence", len(selection.pairs), "pairs")
    bar.update(len(selection.pairs) - len(todo))
    try:
        with evidence_source(settings, todo, literature=literature) as evidence_of, \
                path.open("a", encoding="utf-8") as handle:
            for pair in todo:
                evidence = evidence_of(pair)
                key = pair_key(pair)
                line = {"pair": key, "skipped": evidence} if isinstance(evidence, str) else \
                    {"pair": key, "evidence": evidence.model_dump(mode="json")}
                handle.write(json.dumps(line, ensure_ascii=False) + "\n")
                handle.flush()
                done[key] = evidence
                bar.update(1)
    finally:
        bar.close()
    return done


def _result(records: list[CallRecord], reasked: bool, text: str) -> ReportResult:
    usage, cost = call_totals(records)
    return ReportResult(report=text, cited=cited_ids(text), reasked=reasked, calls=records,
                        usage=usage, cost_usd=cost)


def _explanation(step: _Step) -> ExplanationResult:
    assert step.checked is not None
    usage, cost = call_totals(step.records)
    return ExplanationResult(trace=step.checked.trace, explain=step.checked.explain,
                             dag=step.checked.dag, warnings=step.checked.warnings,
                             reasked=step.reasked, calls=step.records, usage=usage,
                             cost_usd=cost)


def generate_with_batches(settings: Settings, selection: PairSelection, client: ClaudeClient,
                          *, state_dir: Path | None = None, output: Path | None = None,
                          ingest: bool = True, literature: bool = False,
                          poll_interval: float = 60.0, timeout: float | None = None,
                          progress: Progress = no_progress,
                          sleep: Callable[[float], None] = time.sleep,
                          max_tries: int = MAX_TRIES) -> ClaudeRunResult:
    """Generate a trace for each selected pair through Message Batches (see the module
    docstring), write the rows to ``output`` (default
    :func:`~vctrace.agents.run.default_output`) and, unless ``ingest`` is false, ingest them
    and record the run. ``state_dir``: the state folder (default :func:`state_dir_for`
    ``output``); ``poll_interval``: seconds between status requests; ``timeout``: seconds
    this call waits for batches before :class:`BatchPending`; ``max_tries``: times one
    request is sent in all."""
    started = time.monotonic()
    output = output or default_output(settings)
    directory = state_dir or state_dir_for(output)
    run = _open_run(directory, _identity(client, selection, literature),
                    generation_runs.new_run_key)
    batches = BatchRun(client, directory / BATCHES_FILE, max_tries=max_tries)
    rounds = _Rounds(client, batches, poll_interval=poll_interval,
                     deadline=None if timeout is None else started + timeout,
                     progress=progress, sleep=sleep, state=directory)

    evidence = _evidence(settings, selection, directory / EVIDENCE_FILE, literature, progress)
    ready = {pair_key(p): e for p in selection.pairs
             if isinstance(e := evidence[pair_key(p)], EvidenceResult)}
    reports = rounds.stage(
        "report",
        {k: client.report_params(e.perturbation, e.question, e.items) for k, e in ready.items()},
        {k: _report_judge([i.id for i in e.items]) for k, e in ready.items()})
    written = {k: s for k, s in reports.items() if s.status == "done"}
    explanations = rounds.stage(
        "explanation",
        {k: client.explanation_params(ready[k].perturbation, ready[k].question, s.text,
                                      ready[k].items) for k, s in written.items()},
        {k: _explanation_judge(ready[k], s.text) for k, s in written.items()})

    outcomes: list[PairOutcome] = []
    for pair in selection.pairs:
        key = pair_key(pair)
        found = evidence[key]
        if isinstance(found, str):
            outcomes.append(skipped_outcome(pair, found))
            continue
        report = reports[key]
        explanation = explanations.get(key)
        if explanation is None:
            outcomes.append(skipped_outcome(pair, report.reason, report.records))
        elif explanation.status != "done":
            outcomes.append(skipped_outcome(pair, explanation.reason,
                                            report.records + explanation.records))
        else:
            outcomes.append(pair_outcome(found, _result(report.records, report.reasked,
                                                        report.text),
                                         _explanation(explanation)))
    created = datetime.fromisoformat(run["created_at"])
    tries = batches.state["tries"]
    return finish_run(
        settings, selection, outcomes, model=client.model, run_key=run["run"],
        output=output, ingest=ingest, progress=progress, batch=True,
        elapsed=lambda: (datetime.now(timezone.utc) - created).total_seconds(),
        batches=list(batches.state["batches"]), batch_requests=sum(tries.values()),
        resent=sum(n - 1 for n in tries.values()), state=directory)
