"""An interactive Claude generation run (``vctrace generate --constructor claude``): for each
(drug, cell line) pair, its evidence (:func:`vctrace.app.evidence.gather_pairs`), the report
(:meth:`ClaudeClient.write_report`), the trace (:meth:`ClaudeClient.construct_explanation`)
and its VC-TRACES row with provenance (:func:`generated_row`); rows written to a JSONL file
and ingested through :func:`vctrace.app.traces.ingest`.

Evidence is read in the calling thread, pair after pair (one entity recogniser, one literature
client); the two Claude calls of each pair run on a pool of ``concurrency`` threads sharing one
client (the SDK client is thread-safe). A pair whose evidence or calls fail (a refusal, a
rejected report or trace, an API error after the SDK's retries, a literature error) is skipped
with its reason; the others go on. Requests, token usage and cost count every call made,
including those of skipped pairs.

The same run through Message Batches is :mod:`vctrace.agents.batch_generate`; both end in
:func:`finish_run` (rows written, ingested, the run recorded) and give a
:class:`ClaudeRunResult`.
"""

from __future__ import annotations

import time
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from pydantic import BaseModel, Field

from ..app import generation, generation_runs
from ..app import traces as trace_cases
from ..app.evidence import EvidenceOptions, EvidenceResult, entity_recognizer, gather_pairs
from ..app.generation import PerturbationPair, SkippedPair
from ..app.literature import LiteratureClient, LiteratureError
from ..progress import Progress, no_progress
from ..settings import Settings
from .claude import (CONSTRUCTOR, CallRecord, ClaudeClient, ClaudeError, ExplanationResult,
                     ReportResult, TokenUsage, call_totals, compact_request,
                     generated_row)
from . import prompts
from .pricing import CostEstimate

__all__ = ["ClaudeRunResult", "ClaudeTrace", "PairOutcome", "PairSelection",
           "compact_calls", "default_output", "dry_run", "evidence_source", "finish_run",
           "generate_with_claude", "pair_outcome", "select_pairs", "skipped_outcome",
           "trace_id"]


class PairSelection(BaseModel):
    """The pairs of a run, the pairs of a pairs file that are not loaded, and the names
    given that matched nothing."""

    pairs: list[PerturbationPair]
    skipped: list[SkippedPair] = Field(default_factory=list)
    unmatched_drugs: list[str] = Field(default_factory=list)
    unmatched_cell_lines: list[str] = Field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.pairs) + len(self.skipped)


class ClaudeTrace(BaseModel):
    """One written trace: its pair, id, the re-asks it took, its calls, usage and cost."""

    drug: str
    cell_line: str
    trace_id: str
    evidence_items: int
    reasked_report: bool
    reasked_explanation: bool
    requests: int
    cost_usd: float


class ClaudeRunResult(BaseModel):
    """A Claude generation run."""

    constructor: str = CONSTRUCTOR
    constructor_version: str = prompts.PROMPT_VERSION
    run: str = Field(description="the generation run's key (``g-…``), stored in the graph")
    model: str
    pairs: int
    traces: list[ClaudeTrace]
    skipped: list[SkippedPair]
    output: Path
    ingest: trace_cases.IngestResult | None = None
    requests: int
    usage: TokenUsage
    cost_usd: float
    seconds: float
    unmatched_drugs: list[str] = Field(default_factory=list)
    unmatched_cell_lines: list[str] = Field(default_factory=list)
    batch: bool = Field(False, description="generated through the Message Batches API")
    batches: list[str] = Field(default_factory=list, description="batch: the batch ids")
    batch_requests: int = Field(0, description="batch: requests sent, re-sends included")
    resent: int = Field(0, description="batch: errored / expired requests sent again")
    state: Path | None = Field(None, description="batch: the state folder a rerun resumes")


def trace_id(pair: PerturbationPair) -> str:
    """``claude:<drug key>|<cell line key>``."""
    return f"{CONSTRUCTOR}:{pair.drug_key}|{pair.cell_line_key}"


def default_output(settings: Settings) -> Path:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    return settings.home / "generated" / f"{CONSTRUCTOR}-{stamp}.jsonl"


def _file_keys(pairs_file: Path, limit: int | None) -> list[tuple[str, str]]:
    keys = generation.read_pairs_file(pairs_file)
    return keys if limit is None else keys[:limit]


def select_pairs(settings: Settings, *, pairs_file: Path | None = None,
                 drugs: list[str] | None = None, cell_lines: list[str] | None = None,
                 limit: int | None = None) -> PairSelection:
    """The pairs of a pairs file (in its order; rows that are not a loaded drug and cell
    line are skipped with the reason), or those :func:`vctrace.app.generation.pairs`
    selects."""
    if pairs_file is None:
        found = generation.pairs(settings, drugs=drugs, cell_lines=cell_lines, limit=limit)
        return PairSelection(pairs=found.pairs, unmatched_drugs=found.unmatched_drugs,
                             unmatched_cell_lines=found.unmatched_cell_lines)
    keys = _file_keys(pairs_file, limit)
    found = generation.pairs(settings, drugs=sorted({d for d, _ in keys}),
                             cell_lines=sorted({c for _, c in keys}))
    by_key = {(p.drug_key, p.cell_line_key): p for p in found.pairs}
    selection = PairSelection(pairs=[])
    for key in keys:
        pair = by_key.get(key)
        if pair is None:
            selection.skipped.append(SkippedPair(
                drug=key[0], cell_line=key[1],
                reason="not a loaded Tahoe-100M drug and cell line"))
        else:
            selection.pairs.append(pair)
    return selection


def dry_run(settings: Settings, *, model: str, pairs_file: Path | None = None,
            drugs: list[str] | None = None, cell_lines: list[str] | None = None,
            limit: int | None = None) -> tuple[PairSelection | None, CostEstimate]:
    """The estimate of a run before anything is spent (no key, no request): a pairs file is
    only counted (no graph read; the selection is ``None``), filters select the pairs."""
    from .claude import estimate_run
    if pairs_file is not None:
        return None, estimate_run(len(_file_keys(pairs_file, limit)), model=model)
    selection = select_pairs(settings, drugs=drugs, cell_lines=cell_lines, limit=limit)
    return selection, estimate_run(len(selection.pairs), model=model)


class PairOutcome(BaseModel):
    """What one pair gave: its row and trace, or why it was skipped; and the calls made."""

    row: dict[str, Any] | None = None
    trace: ClaudeTrace | None = None
    skipped: SkippedPair | None = None
    calls: list[CallRecord] = Field(default_factory=list)


def compact_calls(calls: Iterable[CallRecord]) -> list[CallRecord]:
    """The records with their requests compacted (:func:`compact_request`: the static prefix
    and schema as hashes), so that thousands of pairs' records held until the run ends do
    not each hold a copy of the prefix."""
    return [c.model_copy(update={"request": compact_request(c.request)}) for c in calls]


def skipped_outcome(pair: PerturbationPair, reason: str,
                    calls: Iterable[CallRecord] = ()) -> PairOutcome:
    """A pair skipped with ``reason`` (the calls it made still count)."""
    return PairOutcome(skipped=SkippedPair(drug=pair.drug, cell_line=pair.cell_line,
                                           reason=reason), calls=compact_calls(calls))


def pair_outcome(evidence: EvidenceResult, report: ReportResult,
                 explanation: ExplanationResult) -> PairOutcome:
    """The row (:func:`generated_row`) and trace summary of a pair that got both replies
    (interactive or from Message Batches)."""
    row = generated_row(explanation, evidence=evidence.items, report=report)
    calls = compact_calls(report.calls + explanation.calls)
    return PairOutcome(row=row, calls=calls, trace=ClaudeTrace(
        drug=evidence.drug, cell_line=evidence.cell_line, trace_id=row["trace_id"],
        evidence_items=len(evidence.items), reasked_report=report.reasked,
        reasked_explanation=explanation.reasked, requests=len(calls),
        cost_usd=row["provenance"]["cost_usd"]))


def _one(client: ClaudeClient, evidence: EvidenceResult) -> PairOutcome:
    calls: list[CallRecord] = []
    try:
        report = client.write_report(evidence.perturbation, evidence.question, evidence.items)
        calls += report.calls
        explanation = client.construct_explanation(
            evidence.perturbation, evidence.question, report.report, evidence.items,
            trace_id=trace_id(evidence))
    except ClaudeError as exc:
        return skipped_outcome(evidence, str(exc), calls + list(exc.calls))
    return pair_outcome(evidence, report, explanation)


@contextmanager
def evidence_source(settings: Settings, pairs: list[PerturbationPair], *,
                    literature: bool = False
                    ) -> Iterator[Callable[[PerturbationPair], EvidenceResult | str]]:
    """A function giving one pair's evidence (:func:`vctrace.app.evidence.gather_pairs`),
    or the reason it has none (a literature error), through one entity recogniser and one
    literature client, closed on leaving."""
    options = EvidenceOptions(literature=literature)
    recognizer = entity_recognizer(settings) if pairs else None
    literature_client = LiteratureClient(settings) if literature and pairs else None

    def evidence_of(pair: PerturbationPair) -> EvidenceResult | str:
        try:
            evidence, = gather_pairs(settings, [pair], options, recognizer=recognizer,
                                     literature_client=literature_client)
        except LiteratureError as exc:
            return f"evidence: {exc}"
        return evidence

    try:
        yield evidence_of
    finally:
        if literature_client is not None:
            literature_client.close()


def finish_run(settings: Settings, selection: PairSelection, outcomes: Iterable[PairOutcome],
               *, model: str, run_key: str, output: Path, ingest: bool,
               elapsed: Callable[[], float], progress: Progress = no_progress,
               batch: bool = False, **fields: Any) -> ClaudeRunResult:
    """The tail both paths share: the run key into each row's provenance, the rows written
    to ``output``, ingested and the run recorded (:func:`generation_runs.record_run`) unless
    ``ingest`` is false, and the result (``fields``: the batch figures)."""
    outcomes = list(outcomes)
    rows = [o.row for o in outcomes if o.row is not None]
    for row in rows:
        row["provenance"]["generation_run"] = run_key
    skipped = list(selection.skipped) + [o.skipped for o in outcomes if o.skipped is not None]
    calls = [c for o in outcomes for c in o.calls]
    usage, cost = call_totals(calls)
    generation.write_rows(output, rows)
    ingested = trace_cases.ingest(settings, [output], progress=progress) \
        if ingest and rows else None
    seconds = round(elapsed(), 3)
    if ingest and (rows or calls):
        generation_runs.record_run(settings, generation_runs.GenerationRun(
            key=run_key, constructor=CONSTRUCTOR, constructor_version=prompts.PROMPT_VERSION,
            model=model, batch=batch, pairs=selection.count, traces=len(rows),
            skipped=len(skipped), requests=len(calls), cost_usd=cost, output=str(output),
            seconds=seconds, **usage.model_dump()), rows)
    return ClaudeRunResult(
        run=run_key, model=model, pairs=selection.count,
        traces=[o.trace for o in outcomes if o.trace is not None], skipped=skipped,
        output=output, ingest=ingested, requests=len(calls), usage=usage,
        cost_usd=cost, seconds=seconds, batch=batch,
        unmatched_drugs=selection.unmatched_drugs,
        unmatched_cell_lines=selection.unmatched_cell_lines, **fields)


def generate_with_claude(settings: Settings, selection: PairSelection, client: ClaudeClient,
                         *, concurrency: int = 4, literature: bool = False,
                         output: Path | None = None, ingest: bool = True,
                         progress: Progress = no_progress) -> ClaudeRunResult:
    """Generate a trace for each selected pair with Claude (see the module docstring), write
    the rows to ``output`` (default :func:`default_output`) and, unless ``ingest`` is false,
    ingest them. ``concurrency``: pairs whose Claude calls run at once."""
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    started = time.monotonic()
    run_key = generation_runs.new_run_key()
    output = output or default_output(settings)
    futures: list[Future[PairOutcome]] = []
    bar = progress("generating with Claude", len(selection.pairs), "pairs")
    try:
        with evidence_source(settings, selection.pairs, literature=literature) as evidence_of, \
                ThreadPoolExecutor(max_workers=concurrency,
                                   thread_name_prefix="vctrace-claude") as pool:
            for pair in selection.pairs:
                evidence = evidence_of(pair)
                if isinstance(evidence, str):
                    done: Future[PairOutcome] = Future()
                    done.set_result(skipped_outcome(pair, evidence))
                    futures.append(done)
                    bar.update(1)
                    continue
                future = pool.submit(_one, client, evidence)
                future.add_done_callback(lambda _: bar.update(1))
                futures.append(future)
        outcomes = [f.result() for f in futures]
    finally:
        bar.close()
    return finish_run(settings, selection, outcomes, model=client.model, run_key=run_key,
                      output=output, ingest=ingest,
                      elapsed=lambda: time.monotonic() - started, progress=progress)
