"""Generation commands: ``pairs`` (the VC-TRACES perturbation records and questions of the
loaded Tahoe-100M metadata) and ``generate`` (traces written by a constructor, validated and
ingested)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from ..agents import batch_generate
from ..agents import run as claude_run
from ..agents.claude import DEFAULT_MODEL, ClaudeClient, MissingApiKey
from ..agents.pricing import UnknownPrice, price_of
from ..app import generation as use_cases
from ..app import generation_runs
from ..settings import Settings
from .render import (EXIT_INVALID, EXIT_OK, EXIT_UNUSABLE, error, json_text, no_progress_option,
                     note, progress_bars, say, table)
from .traces import render_ingest

DRUG = click.option("--drug", "drugs", multiple=True, metavar="NAME",
                    help="only this drug (name, base name such as 'ixazomib'; repeatable)")
CELL_LINE = click.option("--cell-line", "cell_lines", multiple=True, metavar="NAME",
                         help="only this cell line (repeatable)")
LIMIT = click.option("--limit", type=click.IntRange(min=0), metavar="N",
                     help="at most N pairs (in drug, then cell line order)")
CONSTRUCTOR = click.option(
    "--constructor", type=click.Choice([*use_cases.CONSTRUCTORS, "claude"]), default="kg",
    show_default=True, help="kg: from knowledge-graph paths (no language model, no key); "
    "claude: evidence -> report -> trace by Claude (key from ANTHROPIC_API_KEY)")
PAIRS_FILE = click.option("--pairs", "pairs_file",
                          type=click.Path(dir_okay=False, path_type=Path),
                          help="JSONL of pairs (what `vctrace pairs` writes; or VC-TRACES rows)")
LITERATURE = click.option("--literature", is_flag=True,
                          help="claude: add PubMed abstracts, Wikipedia summaries and "
                          "Harmonizome API associations to the evidence")
MODEL = click.option("--model", default=DEFAULT_MODEL, show_default=True, metavar="ID",
                     help="claude: the model id")
CONCURRENCY = click.option("--concurrency", type=click.IntRange(1, 64), default=4,
                           show_default=True, help="claude: pairs whose calls run at once")
POLL_INTERVAL = click.option("--poll-interval", type=click.FloatRange(min=0), default=60.0,
                             show_default=True, metavar="SECONDS",
                             help="--batch: seconds between batch status requests")
FORMAT = click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
                      show_default=True)


def report_unmatched(drugs: list[str], cell_lines: list[str]) -> None:
    """Say on stderr which drug and cell line names given matched no loaded pair."""
    for name in drugs:
        error(f"no loaded Tahoe-100M drug named {name!r}")
    for name in cell_lines:
        error(f"no loaded Tahoe-100M cell line named {name!r}")


@click.command()
@DRUG
@CELL_LINE
@LIMIT
@click.option("--format", "fmt", type=click.Choice(["jsonl", "table"]), default="jsonl",
              show_default=True, help="jsonl: one pair per line (drug, cell_line, keys, "
              "perturbation, question); table: one line per pair")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="write to this file instead of stdout")
@click.pass_obj
def pairs(settings: Settings, drugs: tuple[str, ...], cell_lines: tuple[str, ...],
          limit: int | None, fmt: str, output: Path | None) -> int:
    """The (drug, cell line) pairs of the loaded Tahoe-100M metadata as VC-TRACES
    perturbation records (context: cell line, organ, driver mutations; drug: name, targets,
    mechanism of action, SMILES) with the VC-TRACES question text. The jsonl output is what
    `vctrace generate --pairs FILE` reads.

    Exit status: 0 pairs listed, 1 a drug or cell line given matched nothing, 2 the output
    or the database cannot be used."""
    result = use_cases.pairs(settings, drugs=list(drugs), cell_lines=list(cell_lines),
                             limit=limit)
    report_unmatched(result.unmatched_drugs, result.unmatched_cell_lines)
    if fmt == "jsonl":
        lines = [json.dumps(p.row(), ensure_ascii=False) for p in result.pairs]
        if output is None:
            for line in lines:
                say(line)
        else:
            try:
                output.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
            except OSError as exc:
                error(f"cannot write {output}: {exc.strerror}")
                return EXIT_UNUSABLE
            note(f"{len(lines)} pairs written to {output}")
    else:
        if output is not None:
            raise click.UsageError("-o/--output writes jsonl; leave out --format table")
        table(["drug", "cell_line", "known targets", "moa_type"],
              [(p.drug, p.cell_line, p.perturbation["perturbations"][0].get("known targets"),
                p.perturbation["perturbations"][0].get("moa_type")) for p in result.pairs])
        note(f"({len(result.pairs)} pairs)")
    return EXIT_INVALID if result.unmatched_drugs or result.unmatched_cell_lines else EXIT_OK


@click.command()
@CONSTRUCTOR
@PAIRS_FILE
@DRUG
@CELL_LINE
@LIMIT
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="JSONL of the generated VC-TRACES rows (default "
              "$VCTRACE_HOME/generated/CONSTRUCTOR-TIME.jsonl)")
@click.option("--no-ingest", is_flag=True, help="write the rows, do not store them")
@click.option("--max-targets", type=click.IntRange(1, 20), default=3, show_default=True,
              help="targets per trace")
@click.option("--max-terms", type=click.IntRange(0, 20), default=2, show_default=True,
              help="pathways / GO processes per target (kg)")
@click.option("--dry-run", is_flag=True, help="claude: print the pairs, requests, estimated "
              "tokens and cost (interactive and batch), send nothing (no key needed)")
@LITERATURE
@MODEL
@CONCURRENCY
@click.option("--batch", is_flag=True, help="claude: through Message Batches at half the "
              "price; state in OUTPUT.batch/, so the same command again resumes")
@POLL_INTERVAL
@FORMAT
@no_progress_option
@click.pass_obj
def generate(settings: Settings, constructor: str, pairs_file: Path | None,
             drugs: tuple[str, ...], cell_lines: tuple[str, ...], limit: int | None,
             output: Path | None, no_ingest: bool, max_targets: int, max_terms: int,
             dry_run: bool, literature: bool, model: str, concurrency: int, batch: bool,
             poll_interval: float, fmt: str, no_progress: bool) -> int:
    """Write a trace for each (drug, cell line) pair with a constructor (kg: the drug's
    curated targets -> their activity -> their pathways / GO processes -> a phenotype, from
    the knowledge graph; never the Tahoe DE calls), validate each with the project's
    validator, write them as VC-TRACES rows (with provenance) and ingest that file.

    With --constructor claude: per pair, the numbered evidence (never the DE calls), a
    report by Claude citing it, a trace by Claude as structured output (validated; one
    re-ask), the row with provenance (model, prompt hashes, evidence, calls, usage, cost);
    --dry-run prints the estimate first and sends nothing. The key is read only from
    ANTHROPIC_API_KEY. With --batch the requests go through Message Batches (each stage a
    batch, re-asks and errored or expired requests a further one); a stopped run resumes
    when the same command is run again with the same -o, sending nothing twice.

    Exit status: 0 every pair gave a valid trace, 1 some were skipped, invalid or not
    stored (or a name matched nothing), 2 a file, the database or the API key cannot be
    used."""
    if pairs_file is not None and (drugs or cell_lines):
        raise click.UsageError("--pairs FILE names the pairs: leave out --drug/--cell-line")
    if constructor == "claude":
        return _generate_claude(settings, pairs_file=pairs_file, drugs=list(drugs),
                                cell_lines=list(cell_lines), limit=limit, output=output,
                                ingest=not no_ingest, dry_run=dry_run, literature=literature,
                                model=model, concurrency=concurrency, batch=batch,
                                poll_interval=poll_interval, fmt=fmt, no_progress=no_progress)
    if dry_run or literature or batch:
        raise click.UsageError("--dry-run, --literature and --batch are for --constructor "
                               "claude")
    request = use_cases.GenerateRequest(
        constructor=constructor, drugs=list(drugs), cell_lines=list(cell_lines), limit=limit,
        pairs_file=pairs_file, output=output, ingest=not no_ingest, max_targets=max_targets,
        max_terms=max_terms)
    progress = progress_bars(not no_progress)
    result = use_cases.generate(settings, request, progress=progress)
    report_unmatched(result.unmatched_drugs, result.unmatched_cell_lines)
    if fmt == "json":
        say(json_text(dict(result.model_dump(mode="json"), valid=result.valid,
                           invalid=result.invalid, traces_per_s=result.traces_per_s)))
    else:
        for trace in result.traces:
            if not trace.valid:
                say(f"{trace.trace_id}: invalid: " + "; ".join(trace.errors))
        for skip in result.skipped:
            say(f"{skip.drug} in {skip.cell_line}: skipped: {skip.reason}")
        say(f"{result.constructor} {result.constructor_version}: {result.pairs} pairs, "
            f"{len(result.traces)} traces ({result.valid} valid, {result.invalid} invalid), "
            f"{len(result.skipped)} skipped, in {result.construct_seconds:.2f} s "
            f"({result.traces_per_s:,.0f} traces/s); rows in {result.output}")
        if result.ingest is not None:
            render_ingest(result.ingest)
            say(f"generation run {result.run} stored (vctrace generation-runs)")
    status = EXIT_OK
    if result.invalid or result.skipped or result.unmatched_drugs \
            or result.unmatched_cell_lines:
        status = EXIT_INVALID
    if result.ingest is not None and result.ingest.total.failed:
        status = EXIT_INVALID
    sys.stdout.flush()
    return status


def _render_estimate(pairs_count: int, estimate) -> None:
    cached = estimate.cache_read_tokens
    total_in = estimate.input_tokens + estimate.cache_write_tokens + cached
    share = cached / total_in if total_in else 0.0
    say(f"dry run, {estimate.model}: {pairs_count} pairs, {estimate.requests} requests")
    say(f"estimated tokens: input {total_in:,} (uncached {estimate.input_tokens:,}, cache "
        f"write {estimate.cache_write_tokens:,}, cache read {cached:,}; cached share "
        f"{share:.1%}), output {estimate.output_tokens:,}")
    say(f"estimated cost: ${estimate.interactive_usd:,.2f} interactive, "
        f"${estimate.batch_usd:,.2f} with Message Batches (list prices as of "
        f"{estimate.prices_as_of}, assumed)")
    for line in estimate.assumptions:
        note(f"  assumed: {line}")


def _run_claude(settings: Settings, client: ClaudeClient, selection, *,
                output: Path | None, ingest: bool, literature: bool, concurrency: int,
                batch: bool, poll_interval: float, no_progress: bool):
    progress = progress_bars(not no_progress)
    if not batch:
        return claude_run.generate_with_claude(
            settings, selection, client, concurrency=concurrency, literature=literature,
            output=output, ingest=ingest, progress=progress)
    output = output or claude_run.default_output(settings)
    state = batch_generate.state_dir_for(output)
    note(f"Message Batches; state in {state} (if this run stops, the same command with "
         f"-o {output} resumes it)")
    return batch_generate.generate_with_batches(
        settings, selection, client, output=output, ingest=ingest, literature=literature,
        poll_interval=poll_interval, progress=progress)


def _render_claude(result) -> None:
    for skip in result.skipped:
        say(f"{skip.drug} in {skip.cell_line}: skipped: {skip.reason}")
    usage = result.usage
    total_in = usage.input_tokens + usage.cache_creation_input_tokens \
        + usage.cache_read_input_tokens
    share = usage.cache_read_input_tokens / total_in if total_in else 0.0
    say(f"claude {result.model}{' (Message Batches)' if result.batch else ''}: "
        f"{result.pairs} pairs, {len(result.traces)} traces written, "
        f"{len(result.skipped)} skipped, in {result.seconds:.2f} s; rows in {result.output}")
    say(f"{result.requests} requests; tokens: input {usage.input_tokens:,}, output "
        f"{usage.output_tokens:,}, cache read {usage.cache_read_input_tokens:,}, cache "
        f"write {usage.cache_creation_input_tokens:,} (cached share {share:.1%}); cost "
        f"${result.cost_usd:,.4f}{' at the batch price' if result.batch else ''}")
    if result.batch:
        say(f"{len(result.batches)} batch(es), {result.batch_requests} batch requests "
            f"({result.resent} re-sent): {', '.join(result.batches) or '—'}; state in "
            f"{result.state}")
    if result.ingest is not None:
        render_ingest(result.ingest)
        say(f"generation run {result.run} stored (vctrace generation-runs)")


def _generate_claude(settings: Settings, *, pairs_file: Path | None, drugs: list[str],
                     cell_lines: list[str], limit: int | None, output: Path | None,
                     ingest: bool, dry_run: bool, literature: bool, model: str,
                     concurrency: int, batch: bool, poll_interval: float, fmt: str,
                     no_progress: bool) -> int:
    try:
        price_of(model)
    except UnknownPrice as exc:
        error(str(exc.args[0]))
        return EXIT_UNUSABLE
    if dry_run:
        selection, estimate = claude_run.dry_run(settings, model=model, pairs_file=pairs_file,
                                                 drugs=drugs, cell_lines=cell_lines,
                                                 limit=limit)
        if selection is not None:
            report_unmatched(selection.unmatched_drugs, selection.unmatched_cell_lines)
        if fmt == "json":
            say(json_text(estimate.model_dump(mode="json")))
        else:
            _render_estimate(estimate.pairs, estimate)
        return EXIT_OK
    try:
        client = ClaudeClient.from_env(model=model)
    except MissingApiKey as exc:
        error(str(exc))
        return EXIT_UNUSABLE
    try:
        selection = claude_run.select_pairs(settings, pairs_file=pairs_file, drugs=drugs,
                                            cell_lines=cell_lines, limit=limit)
        report_unmatched(selection.unmatched_drugs, selection.unmatched_cell_lines)
        result = _run_claude(settings, client, selection, output=output, ingest=ingest,
                             literature=literature, concurrency=concurrency, batch=batch,
                             poll_interval=poll_interval, no_progress=no_progress)
    finally:
        client.close()
    if fmt == "json":
        say(json_text(result.model_dump(mode="json")))
    else:
        _render_claude(result)
    status = EXIT_OK
    if result.skipped or result.unmatched_drugs or result.unmatched_cell_lines:
        status = EXIT_INVALID
    if result.ingest is not None and result.ingest.total.failed:
        status = EXIT_INVALID
    sys.stdout.flush()
    return status


@click.command("generation-runs")
@click.argument("run", required=False)
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True,
              help="the newest N runs")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
@click.pass_obj
def generation_runs_command(settings: Settings, run: str | None, limit: int,
                            fmt: str) -> int:
    """The stored generation runs, newest first (or RUN, a key 'g-…'): constructor, model,
    pairs, traces written and stored, requests, tokens, cached share of input tokens and
    cost (USD, list prices). Runs with --no-ingest are not stored.

    Exit status: 0 listed, 1 RUN not found, 2 the database cannot be used."""
    runs = [generation_runs.get_run(settings, run)] if run else \
        generation_runs.list_runs(settings, limit=limit)
    if fmt == "json":
        say(json_text([dict(r.model_dump(mode="json"), cached_share=r.cached_share)
                       for r in runs]))
        return EXIT_OK
    table(["run", "constructor", "model", "pairs", "traces", "stored", "skipped", "requests",
           "input tokens", "cached", "output tokens", "cost USD", "seconds"],
          [(r.key, f"{r.constructor} {r.constructor_version}" + (" batch" if r.batch else ""),
            r.model or "—", r.pairs, r.traces, r.stored, r.skipped, r.requests,
            f"{r.input_tokens + r.cache_creation_input_tokens + r.cache_read_input_tokens:,}",
            "—" if r.cached_share is None else f"{r.cached_share:.1%}",
            f"{r.output_tokens:,}", f"{r.cost_usd:,.4f}", f"{r.seconds:,.1f}") for r in runs],
          numeric=("pairs", "traces", "stored", "skipped", "requests", "input tokens",
                   "output tokens", "cost USD", "seconds"))
    if not runs:
        note("no generation runs stored (vctrace generate stores one per run)")
    return EXIT_OK


COMMANDS = [pairs, generate, generation_runs_command]
