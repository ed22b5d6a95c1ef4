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
"""

from __future__ import annotations

import time
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from ..app import generation, generation_runs
from ..app import traces as trace_cases
from ..app.evidence import EvidenceOptions, EvidenceResult, entity_recognizer, gather_pairs
from ..app.generation import PerturbationPair, SkippedPair
from ..app.literature import LiteratureClient, LiteratureError
from ..progress import Progress, no_progress
from ..settings import Settings
from .claude import (CONSTRUCTOR, CallRecord, ClaudeClient, ClaudeError, TokenUsage,
                     generated_row)
from . import prompts
from .pricing import CostEstimate

__all__ = ["ClaudeRunResult", "ClaudeTrace", "PairSelection",
           "default_output", "dry_run", "generate_with_claude", "select_pairs", "trace_id"]


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


class _Outcome(BaseModel):
    row: dict[str, Any] | None = None
    trace: ClaudeTrace | None = None
    skipped: SkippedPair | None = None
    calls: list[CallRecord] = Field(default_factory=list)


def _one(client: ClaudeClient, evidence: EvidenceResult) -> _Outcome:
    calls: list[CallRecord] = []
    try:
        report = client.write_report(evidence.perturbation, evidence.question, evidence.items)
        calls += report.calls
        explanation = client.construct_explanation(
            evidence.perturbation, evidence.question, report.report, evidence.items,
            trace_id=trace_id(evidence))
        calls += explanation.calls
    except ClaudeError as exc:
        return _Outcome(skipped=SkippedPair(drug=evidence.drug, cell_line=evidence.cell_line,
                                            reason=str(exc)),
                        calls=calls + list(exc.calls))
    row = generated_row(explanation, evidence=evidence.items, report=report)
    provenance = row["provenance"]
    return _Outcome(row=row, calls=calls, trace=ClaudeTrace(
        drug=evidence.drug, cell_line=evidence.cell_line, trace_id=row["trace_id"],
        evidence_items=len(evidence.items), reasked_report=report.reasked,
        reasked_explanation=explanation.reasked, requests=len(calls),
        cost_usd=provenance["cost_usd"]))


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
    options = EvidenceOptions(literature=literature)
    skipped: list[SkippedPair] = list(selection.skipped)
    outcomes: list[Future[_Outcome]] = []
    recognizer = entity_recognizer(settings) if selection.pairs else None
    literature_client = LiteratureClient(settings) if literature and selection.pairs else None
    bar = progress("generating with Claude", len(selection.pairs), "pairs")
    try:
        with ThreadPoolExecutor(max_workers=concurrency,
                                thread_name_prefix="vctrace-claude") as pool:
            for pair in selection.pairs:
                try:
                    evidence, = gather_pairs(settings, [pair], options, recognizer=recognizer,
                                             literature_client=literature_client)
                except LiteratureError as exc:
                    skipped.append(SkippedPair(drug=pair.drug, cell_line=pair.cell_line,
                                               reason=f"evidence: {exc}"))
                    bar.update(1)
                    continue
                future = pool.submit(_one, client, evidence)
                future.add_done_callback(lambda _: bar.update(1))
                outcomes.append(future)
        results = [f.result() for f in outcomes]
    finally:
        bar.close()
        if literature_client is not None:
            literature_client.close()
    rows = [r.row for r in results if r.row is not None]
    for row in rows:
        row["provenance"]["generation_run"] = run_key
    skipped += [r.skipped for r in results if r.skipped is not None]
    calls = [c for r in results for c in r.calls]
    usage = TokenUsage()
    for call in calls:
        usage = usage + call.usage
    cost = round(sum(c.cost_usd for c in calls), 8)
    generation.write_rows(output, rows)
    ingested = trace_cases.ingest(settings, [output], progress=progress) \
        if ingest and rows else None
    seconds = round(time.monotonic() - started, 3)
    if ingest and (rows or calls):
        generation_runs.record_run(settings, generation_runs.GenerationRun(
            key=run_key, constructor=CONSTRUCTOR, constructor_version=prompts.PROMPT_VERSION,
            model=client.model, pairs=selection.count, traces=len(rows),
            skipped=len(skipped), requests=len(calls), cost_usd=cost, output=str(output),
            seconds=seconds, **usage.model_dump()), rows)
    return ClaudeRunResult(
        run=run_key, model=client.model, pairs=selection.count,
        traces=[r.trace for r in results if r.trace is not None], skipped=skipped,
        output=output, ingest=ingested, requests=len(calls), usage=usage,
        cost_usd=cost, seconds=seconds,
        unmatched_drugs=selection.unmatched_drugs,
        unmatched_cell_lines=selection.unmatched_cell_lines)

