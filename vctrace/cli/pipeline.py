"""``vctrace pipeline DIR``: pairs -> generated traces -> ingest -> verify -> refine -> export
in one resumable command (:mod:`vctrace.agents.pipeline`), with its summary."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..agents.pipeline import PipelineRequest, PipelineResult, run_pipeline
from ..agents.pricing import UnknownPrice, price_of
from ..settings import Settings
from .agents import (CELL_LINE, CONCURRENCY, CONSTRUCTOR, DRUG, FORMAT, LIMIT, LITERATURE,
                     MODEL, PAIRS_FILE, POLL_INTERVAL, report_unmatched)
from .render import (EXIT_INVALID, EXIT_OK, EXIT_UNUSABLE, error, json_text,
                     no_progress_option, progress_bars, say, table)

LABELS = {"validity": "validity", "verifiability": "verifiability", "dti_score": "DTI",
          "de_score": "DE"}


def _figure(value: float | int | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def render(result: PipelineResult) -> None:
    """The summary as text."""
    for skip in result.skipped:
        say(f"{skip.drug} in {skip.cell_line}: skipped: {skip.reason}")
    for bad in result.invalid:
        say(f"{bad.trace_id}: invalid: " + "; ".join(bad.errors))
    constructor = result.constructor + (f" {result.model}" if result.model else "") + \
        (" (Message Batches)" if result.batch else "")
    say(f"pipeline {result.directory} ({constructor})" +
        (" — resumed: earlier calls had finished some stages" if result.resumed else ""))
    say(f"  pairs {result.pairs}; traces generated {result.generated}, valid {result.valid}, "
        f"stored {result.stored}; skipped {len(result.skipped)}, invalid "
        f"{len(result.invalid)}" + (f", not stored {result.ingest_failed}"
                                    if result.ingest_failed else ""))
    if result.generation_run:
        say(f"  generation run {result.generation_run} (vctrace generation-runs)")
    if result.verification_run:
        say(f"  verification run {result.verification_run}:")
        for name, counts in sorted(result.verification.items()):
            say(f"    {name:<10}" + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
        say("  metrics: " + ", ".join(f"{label} {_figure(result.metrics.get(key))}"
                                      for key, label in LABELS.items()))
        if result.report:
            say(f"  report: {result.report}")
    say(f"  refine: {result.kept} kept, {result.refined} refined, {result.discarded} "
        "discarded")
    say(f"  export: {result.exported} VC-TRACES rows in {result.export}" +
        (f" and {result.parquet}" if result.parquet else ""))
    usage = result.usage
    say(f"  cost ${result.cost_usd:,.4f}" + (
        f" ({result.requests} requests; tokens: input {usage.input_tokens:,}, output "
        f"{usage.output_tokens:,}, cache read {usage.cache_read_input_tokens:,}, cache write "
        f"{usage.cache_creation_input_tokens:,})" if result.requests else ""))
    table(("stage", "seconds", "attempts", "this call"),
          [(s.name, f"{s.seconds:.2f}", s.attempts, "ran" if s.ran else "done before")
           for s in result.stages], numeric=("seconds", "attempts"), indent=2)


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@CONSTRUCTOR
@click.option("--batch", is_flag=True, help="claude: through the Message Batches API (half "
              "the price; resumable from DIR/batches)")
@PAIRS_FILE
@DRUG
@CELL_LINE
@LIMIT
@MODEL
@CONCURRENCY
@click.option("--chunk-size", type=click.IntRange(min=1), default=25, show_default=True,
              help="claude: pairs per chunk file (a killed run redoes at most one chunk)")
@LITERATURE
@POLL_INTERVAL
@click.option("--parquet", is_flag=True, help="also export DIR/vc_traces.parquet")
@FORMAT
@no_progress_option
@click.pass_obj
def pipeline(settings: Settings, directory: Path, constructor: str, batch: bool,
             pairs_file: Path | None, drugs: tuple[str, ...], cell_lines: tuple[str, ...],
             limit: int | None, model: str, concurrency: int, chunk_size: int,
             literature: bool, poll_interval: float, parquet: bool, fmt: str,
             no_progress: bool) -> int:
    """Close the loop in DIR: select the (drug, cell line) pairs, generate a report and a
    trace for each (kg or claude), ingest them, verify them in one verification run (only
    these traces), refine by the verdicts and export VC-TRACES rows (perturbation,
    question, report_text, explain, dag, explain_verified) to DIR/vc_traces.jsonl.

    DIR/state.json records what each stage did. Running the same command again on DIR
    skips the finished stages and resumes the unfinished one (a Claude run redoes at most
    one chunk; the verification run resumes by its key); other parameters for an existing
    DIR are refused. The summary names the pairs, traces generated/valid/stored, skipped
    pairs with reasons, verdicts, metrics (validity, verifiability, DTI, DE),
    kept/refined/discarded traces, the export, the cost and the seconds of each stage.

    Exit status: 0 done, every pair gave a valid stored trace; 1 done, but some pairs were
    skipped, invalid or not stored (or a name matched nothing); 2 DIR, a file, the
    database or the API key cannot be used (what finished is kept: run it again to
    resume)."""
    if pairs_file is not None and (drugs or cell_lines):
        raise click.UsageError("--pairs FILE names the pairs: leave out --drug/--cell-line")
    if constructor != "claude" and (batch or literature):
        raise click.UsageError("--batch and --literature are for --constructor claude")
    if constructor == "claude":
        try:
            price_of(model)
        except UnknownPrice as exc:
            error(str(exc.args[0]))
            return EXIT_UNUSABLE
    request = PipelineRequest(
        directory=directory, constructor=constructor, batch=batch, drugs=list(drugs),
        cell_lines=list(cell_lines), limit=limit, pairs_file=pairs_file, model=model,
        concurrency=concurrency, chunk_size=chunk_size, literature=literature,
        parquet=parquet, poll_interval=poll_interval)
    result = run_pipeline(settings, request, progress=progress_bars(not no_progress))
    report_unmatched(result.unmatched_drugs, result.unmatched_cell_lines)
    if fmt == "json":
        say(json_text(dict(result.model_dump(mode="json"), resumed=result.resumed,
                           complete=result.complete)))
    else:
        render(result)
    sys.stdout.flush()
    return EXIT_OK if result.complete else EXIT_INVALID


COMMANDS = [pipeline]
