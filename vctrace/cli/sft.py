"""``vctrace sft``: supervised fine-tuning data from a verification run's verified traces."""

from __future__ import annotations

from pathlib import Path

import click

from ..app import Settings
from ..app.sft import export as export_case
from .render import EXIT_OK, json_text, no_progress_option, note, progress_bars, say, table
from .root import pass_settings

EXITS = ("\b\nExit status: 0 done; 1 something named is invalid or absent; 2 an "
         "unusable file, option, run or database.")


@click.group(epilog=EXITS)
def sft() -> None:
    """Supervised fine-tuning exports for the VCR-Agent paper's two settings."""


@sft.command(epilog="\b\nFiles: sft_<setting>.<train|test>.jsonl and manifest.json (run, "
             "policy, split rule and drugs, counts).\n"
             "Answer: the trace's answer; when absent, a sentence naming the up- and "
             "down-regulated genes of its verified regulates_expression claims.\n" + EXITS)
@click.argument("run", metavar="RUN")
@click.argument("out_dir", metavar="OUT_DIR", type=click.Path(file_okay=False, path_type=Path))
@click.option("--setting", type=click.Choice(["prompt", "generate", "both"]), default="both",
              show_default=True, help="prompt: the verified explanation in the prompt, the "
              "answer as target; generate: explanation then answer as target")
@click.option("--test-fraction", type=click.FloatRange(0, 1), default=0.2, show_default=True,
              help="share of drugs held out (the TahoeQA split)")
@no_progress_option
@click.option("--format", "format_", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="output format")
@pass_settings
def export(settings: Settings, run: str, out_dir: Path, setting: str, test_fraction: float,
           no_progress: bool, format_: str) -> int:
    """Write chat-format JSONL (system, user, assistant messages) from the kept traces of
    verification run RUN (a key or 'latest'; refined first with the default policy) into
    OUT_DIR, split by held-out drugs; every row names its split."""
    result = export_case(settings, run, out_dir, setting=setting,  # type: ignore[arg-type]
                         test_fraction=test_fraction, progress=progress_bars(not no_progress))
    if format_ == "json":
        say(json_text(result.model_dump(mode="json")))
        return EXIT_OK
    say(f"run {result.run}: {result.traces:,} kept traces, {result.drugs['train']:,} training "
        f"and {result.drugs['test']:,} held-out drugs")
    table(["setting", "train rows", "test rows"],
          [[s, result.rows[s]["train"], result.rows[s]["test"]] for s in result.settings],
          numeric=["train rows", "test rows"])
    if result.skipped:
        note("skipped: " + ", ".join(f"{k} {v}" for k, v in sorted(result.skipped.items())))
    note(f"wrote {len(result.files)} files and {result.manifest}")
    return EXIT_OK


COMMANDS = [sft]
