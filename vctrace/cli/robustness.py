"""``vctrace robustness``: would the verifiers catch a wrong claim? Counterfactuals of a run's
supported claims judged by its verifiers, without writing anything into the graph."""

from __future__ import annotations

import click

from ..app import Settings
from ..app.robustness import RobustnessOptions, robustness as robustness_case
from .render import EXIT_OK, json_text, no_progress_option, note, progress_bars, say, table
from .root import pass_settings

EXITS = ("\b\nExit status: 0 done; 2 no such run, or an unusable option, database or "
         "output folder.")
DEFAULTS = RobustnessOptions()


@click.command(epilog="Kinds: target_swap (dti-kg: binds_to with a gene on no curated "
               "list of the drug), direction_flip (de), unmeasured_gene (de: a gene not "
               "measured in the context), term_swap (pathway), hidden_target (dti-kg: true "
               "bindings with the target hidden from the lists; refuted = a false "
               "refutation). Writes $VCTRACE_HOME/reports/RUN.robustness.json and "
               "RUN.robustness.svg.\n\n" + EXITS)
@click.argument("run", metavar="RUN|latest")
@click.option("--per-kind", type=click.IntRange(min=1), default=DEFAULTS.per_kind,
              show_default=True, help="counterfactuals per kind at most")
@click.option("--seed", type=int, default=DEFAULTS.seed, show_default=True,
              help="seed of the draws")
@click.option("--dti-world", type=click.Choice(["open", "closed"]),
              help="dti-kg's world (default: the run's)")
@no_progress_option
@click.option("--format", "format_", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="output format")
@pass_settings
def robustness(settings: Settings, run: str, per_kind: int, seed: int, dti_world: str | None,
               no_progress: bool, format_: str) -> int:
    """Derive counterfactual claims from RUN's supported claims (target swapped, DE direction
    flipped, gene swapped for an unmeasured one, pathway swapped) and the leave-one-target-out
    claims, judge them with RUN's verifiers in memory, and report per kind the shares refuted,
    unverifiable and still supported, and the counterfactuals supported together with their
    original (must be 0)."""
    result = robustness_case(settings, run, RobustnessOptions(
        per_kind=per_kind, seed=seed, dti_world=dti_world),
        progress=progress_bars(not no_progress))
    if format_ == "json":
        say(json_text(result.model_dump(mode="json")))
        return EXIT_OK
    table(["kind", "verifier", "counterfactuals", "refuted", "unverifiable", "supported",
           "supported with original"],
          [[k.kind, k.verifier, k.counterfactuals, k.refuted_share, k.unverifiable_share,
            k.supported_share, k.supported_with_original] for k in result.kinds],
          numeric=["counterfactuals", "refuted", "unverifiable", "supported",
                   "supported with original"])
    note(f"run {result.run}, dti-kg world {result.dti_world or '-'}; supported together with "
         f"their counterfactual: {result.supported_with_original} (must be 0)")
    note(f"wrote {result.json_path} and {result.svg_path}")
    return EXIT_OK


COMMANDS = [robustness]
