"""``vctrace tahoeqa``: build the TahoeQA benchmark from the loaded DE, score predictions,
and report the built-in baselines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ..app import Settings
from ..app.tahoeqa import (BASELINES, BuildOptions, PredictorScore, baselines as baselines_case,
                           build as build_case, score as score_case)
from .render import EXIT_OK, json_text, no_progress_option, note, progress_bars, say, table
from .root import pass_settings

FORMAT = click.option("--format", "format_", type=click.Choice(["text", "json"]),
                      default="text", show_default=True, help="output format")
EXITS = ("\b\nExit status: 0 done; 1 something named is invalid or absent; 2 an "
         "unusable file, option, run or database.")
DEFAULTS = BuildOptions()


@click.group(epilog=EXITS)
def tahoeqa() -> None:
    """TahoeQA, the VCR-Agent paper's downstream benchmark: per (drug, cell line) the top
    up- and down-regulated genes and not-regulated genes of the loaded Tahoe-100M DE, asked
    as two tasks — DE (is the gene differentially expressed? yes/no) and DOC (direction,
    up/down, on DE genes) — with whole drugs held out for testing."""


@tahoeqa.command(epilog="\b\nNext to OUT.jsonl, OUT.manifest.json records the options, the "
                 "split (salt, fraction, drugs), the DE loads read and the counts.\n" + EXITS)
@click.argument("output", metavar="OUT.jsonl", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--seed", type=int, default=DEFAULTS.seed, show_default=True,
              help="seed of the negatives' sampling")
@click.option("--test-fraction", type=click.FloatRange(0, 1), default=DEFAULTS.test_fraction,
              show_default=True, help="share of drugs held out (by a hash of the name)")
@click.option("--up", type=click.IntRange(min=0), default=DEFAULTS.up, show_default=True,
              help="top up-regulated genes per condition")
@click.option("--down", type=click.IntRange(min=0), default=DEFAULTS.down, show_default=True,
              help="top down-regulated genes per condition")
@click.option("--negatives", type=click.IntRange(min=0), default=DEFAULTS.negatives,
              show_default=True, help="not-regulated genes per condition")
@click.option("--padj", type=click.FloatRange(0, 1, min_open=True), default=DEFAULTS.padj,
              show_default=True, help="a call is significant below this")
@no_progress_option
@FORMAT
@pass_settings
def build(settings: Settings, output: Path, seed: int, test_fraction: float, up: int,
          down: int, negatives: int, padj: float, no_progress: bool, format_: str) -> int:
    """Write the TahoeQA questions drawn from the loaded DE to OUT.jsonl, one per line (id,
    task, condition, gene, answer, split, question text, perturbation record). Genes are
    ranked by |log2FC|; doses must agree on a gene's direction; the same seed and DE give
    the same file."""
    result = build_case(settings, output, BuildOptions(
        seed=seed, test_fraction=test_fraction, up=up, down=down, negatives=negatives,
        padj=padj), progress=progress_bars(not no_progress))
    if format_ == "json":
        say(json_text(result.model_dump(mode="json")))
    else:
        say(f"{result.conditions:,} conditions, {result.drugs['train']:,} training and "
            f"{result.drugs['test']:,} held-out drugs")
        table(["split", "DE questions", "DOC questions"],
              [[split, result.questions[split]["de"], result.questions[split]["doc"]]
               for split in ("train", "test", "all")], numeric=["DE questions", "DOC questions"])
        note(f"wrote {result.output} and {result.manifest}")
    for warning in result.warnings:
        note(f"warning: {warning}")
    return EXIT_OK


def _rows(results: list[PredictorScore]) -> list[list[Any]]:
    rows = []
    for r in results:
        for split in ("train", "test", "all"):
            tasks = r.scores.get(split)
            if not tasks:
                continue
            de, doc = tasks.get("de"), tasks.get("doc")
            rows.append([r.predictor, split, de.questions if de else 0,
                         de.f1 if de else None, doc.questions if doc else 0,
                         doc.f1 if doc else None])
    return rows


COLUMNS = ["predictor", "split", "DE questions", "DE F1", "DOC questions", "DOC macro-F1"]
NUMERIC = COLUMNS[2:]


@tahoeqa.command(epilog="\b\nPredictions file: JSONL, one {\"id\": QUESTION_ID, "
                 "\"prediction\": \"yes|no|up|down\"} per line. DE: F1 of 'yes' (a question "
                 "without a prediction counts as 'no'); DOC: macro-F1 of up and down (a "
                 "missing prediction is a miss).\n" + EXITS)
@click.argument("questions", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.argument("predictions", required=False,
                type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--predictor", type=click.Choice(["traces", *BASELINES]),
              help="a built-in predictor instead of a PREDICTIONS file")
@click.option("--run", help="traces predictor: the kept traces of this verification run "
              "(a key or 'latest'; default: every stored trace)")
@click.option("--seed", type=int, default=0, show_default=True, help="random: its seed")
@click.option("--k", type=click.IntRange(min=1), default=5, show_default=True,
              help="knn: neighbours")
@click.option("--write-predictions", type=click.Path(dir_okay=False, path_type=Path),
              help="write the predictions scored to this JSONL file")
@no_progress_option
@FORMAT
@pass_settings
def score(settings: Settings, questions: Path, predictions: Path | None,
          predictor: str | None, run: str | None, seed: int, k: int,
          write_predictions: Path | None, no_progress: bool, format_: str) -> int:
    """F1 per task and split of PREDICTIONS (or of a built-in --predictor) on the QUESTIONS
    that `vctrace tahoeqa build` wrote. The traces predictor takes each trace's
    regulates_expression genes and directions for its drug and cell line; genes no trace
    mentions are predicted not DE."""
    if (predictions is None) == (predictor is None):
        raise click.UsageError("give either PREDICTIONS or --predictor")
    result = score_case(settings, questions, predictions, predictor=predictor,
                        run=run, seed=seed, k=k, write_predictions=write_predictions,
                        progress=progress_bars(not no_progress))
    if format_ == "json":
        say(json_text(result.model_dump(mode="json")))
        return EXIT_OK
    table(COLUMNS, _rows([result]), numeric=NUMERIC)
    if result.details:
        note(", ".join(f"{k}: {v}" for k, v in result.details.items()))
    return EXIT_OK


@tahoeqa.command(epilog=EXITS)
@click.argument("questions", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--seed", type=int, default=0, show_default=True, help="random: its seed")
@click.option("--k", type=click.IntRange(min=1), default=5, show_default=True,
              help="knn: neighbours")
@click.option("--traces", "with_traces", is_flag=True,
              help="also the trace-based predictor (reads the database)")
@click.option("--run", help="with --traces: the kept traces of this verification run")
@no_progress_option
@FORMAT
@pass_settings
def baselines(settings: Settings, questions: Path, seed: int, k: int, with_traces: bool,
              run: str | None, no_progress: bool, format_: str) -> int:
    """The paper's simple baselines on QUESTIONS in one table: random (a fair coin), mean
    (each gene's majority answer on the training split) and knn (the k nearest training
    conditions: same cell line, then shared targets and mechanism class). Only training
    labels are used to predict."""
    if run is not None and not with_traces:
        raise click.UsageError("--run applies with --traces")
    result = baselines_case(questions, seed=seed, k=k, settings=settings, traces=with_traces,
                            run=run, progress=progress_bars(not no_progress))
    if format_ == "json":
        say(json_text(result.model_dump(mode="json")))
        return EXIT_OK
    table(COLUMNS, _rows(result.results), numeric=NUMERIC)
    return EXIT_OK


COMMANDS = [tahoeqa]
