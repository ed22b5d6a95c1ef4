"""Generation commands: ``pairs`` (the VC-TRACES perturbation records and questions of the
loaded Tahoe-100M metadata) and ``generate`` (traces written by a constructor, validated and
ingested)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from ..app import generation as use_cases
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


def _unmatched(drugs: list[str], cell_lines: list[str]) -> None:
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
    _unmatched(result.unmatched_drugs, result.unmatched_cell_lines)
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
@click.option("--constructor", type=click.Choice(use_cases.CONSTRUCTORS), default="kg",
              show_default=True, help="kg: from knowledge-graph paths (no language model)")
@click.option("--pairs", "pairs_file", type=click.Path(dir_okay=False, path_type=Path),
              help="JSONL of pairs (what `vctrace pairs` writes; or VC-TRACES rows)")
@DRUG
@CELL_LINE
@LIMIT
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="JSONL of the generated VC-TRACES rows (default "
              "$VCTRACE_HOME/generated/kg-TIME.jsonl)")
@click.option("--no-ingest", is_flag=True, help="write the rows, do not store them")
@click.option("--max-targets", type=click.IntRange(1, 20), default=3, show_default=True,
              help="targets per trace")
@click.option("--max-terms", type=click.IntRange(0, 20), default=2, show_default=True,
              help="pathways / GO processes per target")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@no_progress_option
@click.pass_obj
def generate(settings: Settings, constructor: str, pairs_file: Path | None,
             drugs: tuple[str, ...], cell_lines: tuple[str, ...], limit: int | None,
             output: Path | None, no_ingest: bool, max_targets: int, max_terms: int, fmt: str,
             no_progress: bool) -> int:
    """Write a trace for each (drug, cell line) pair with a constructor (kg: the drug's
    curated targets -> their activity -> their pathways / GO processes -> a phenotype, from
    the knowledge graph; never the Tahoe DE calls), validate each with the project's
    validator, write them as VC-TRACES rows (with provenance) and ingest that file.

    Exit status: 0 every pair gave a valid trace, 1 some were skipped, invalid or not
    stored (or a name matched nothing), 2 a file or the database cannot be used."""
    if pairs_file is not None and (drugs or cell_lines):
        raise click.UsageError("--pairs FILE names the pairs: leave out --drug/--cell-line")
    request = use_cases.GenerateRequest(
        constructor=constructor, drugs=list(drugs), cell_lines=list(cell_lines), limit=limit,
        pairs_file=pairs_file, output=output, ingest=not no_ingest, max_targets=max_targets,
        max_terms=max_terms)
    progress = progress_bars(not no_progress)
    result = use_cases.generate(settings, request, progress=progress)
    _unmatched(result.unmatched_drugs, result.unmatched_cell_lines)
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
    status = EXIT_OK
    if result.invalid or result.skipped or result.unmatched_drugs \
            or result.unmatched_cell_lines:
        status = EXIT_INVALID
    if result.ingest is not None and result.ingest.total.failed:
        status = EXIT_INVALID
    sys.stdout.flush()
    return status


COMMANDS = [pairs, generate]
