"""The verification commands: verify, report, audit, refine, export."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import click

from ..app import Settings
from ..app.audit import (ClaimAudit, GenerationAudit, TraceActionAudit, TraceAudit,
                         VerdictRecord, audit as audit_case)
from ..app.verification import (ConstructorMetrics, VerifierFailed, VerifyRequest,
                                export as export_case, figure, list_runs, refine as refine_case,
                                report as report_case, verifier_catalog, verify as verify_case)
from .model_options import given_options, model_flags
from .render import (EXIT_INVALID, EXIT_OK, error, json_text, no_progress_option, note,
                     progress_bars, say, table)
from .root import pass_settings

CATALOG = verifier_catalog()
DEFAULTS = [v.name for v in CATALOG if v.default]
verifier_flags, FLAGS = model_flags({v.name: (v.options, v.cli_prefix) for v in CATALOG})
FORMAT = click.option("--format", "format_", type=click.Choice(["text", "json"]),
                      default="text", show_default=True, help="output format")
EVIDENCE_WIDTH = 300  # characters of one evidence value in the audit text
SEEN_SHOWN = 8  # evidence items a generator saw listed per trace in the audit text


def _epilog() -> str:
    lines = "\n".join(f"  {v.name:<11}{v.description}" for v in CATALOG)
    return (f"\b\nVerifiers:\n{lines}\n\nDefault: {','.join(DEFAULTS)} (dti-boltz needs a "
            "GPU, Boltz-2 and --fasta; --boltz-backend ray or --ray-address spreads its pairs "
            "over a Ray cluster as tasks of --boltz-pairs-per-task pairs with --boltz-ray-gpus "
            "GPUs each, caching each finished task: see docs/ray.md).")


# ---------------------------------------------------------------- verify


@click.command(epilog=_epilog())
@click.option("--traces", multiple=True, metavar="FILTER",
              help="drug=NAME, cell_line=NAME or trace=KEY_OR_ID[,…] (repeatable, ANDed; "
              "default: every trace)")
@click.option("--verifiers", metavar="LIST", help="comma-separated names, or 'all' "
              "(default: the defaults below)")
@click.option("--run-name", help="name of the run (default: resume the unfinished run with "
              "the same settings, else run-<UTC time>)")
@click.option("--batch-size", type=click.IntRange(min=1), metavar="N",
              help=f"claims per batch (default "
              f"{VerifyRequest.model_fields['batch_size'].default})")
@verifier_flags
@click.option("--list", "list_", is_flag=True, help="list the runs and exit")
@no_progress_option
@FORMAT
@pass_settings
def verify(settings: Settings, traces: tuple[str, ...], verifiers: str | None,
           run_name: str | None, batch_size: int | None, list_: bool, no_progress: bool,
           format_: str, **options: Any) -> int:
    """Judge each distinct claim of the selected traces once per verifier and store the
    verdicts with their evidence in a run record. Killed midway (or with Neo4j restarted), the
    same command resumes the unfinished run. Verifier options are flags below (defaults from
    each verifier; VCTRACE_BOLTZ_* set dti-boltz's)."""
    if list_:
        return _list_runs(settings, format_)
    chosen: list[str] | str | None = None
    if verifiers and verifiers.strip() == "all":
        chosen = "all"
    elif verifiers:
        chosen = [n.strip() for n in verifiers.split(",") if n.strip()]
    fields: dict[str, Any] = {"verifiers": chosen, "traces": list(traces),
                              "run_name": run_name, "options": given_options(FLAGS, options)}
    if batch_size is not None:
        fields["batch_size"] = batch_size
    try:
        result = verify_case(settings, VerifyRequest(**fields),
                             progress=progress_bars(not no_progress))
    except VerifierFailed as exc:  # exit 1 (not 2): the run is stored and resumes
        error(str(exc))
        return EXIT_INVALID
    if format_ == "json":
        say(json_text({"run": result.run, "resumed": result.resumed, "traces": result.traces,
                       "seconds": round(result.seconds, 3), "verdicts": result.counts,
                       "judged_now": {v.name: v.judged_now for v in result.verifiers},
                       "verifiers": [v.model_dump(mode="json") for v in result.verifiers]}))
        return EXIT_OK
    verb = "resumed" if result.resumed else "created"
    say(f"run {result.run} ({verb}): {result.traces:,} traces, {result.seconds:.1f} s")
    table(["verifier", "judged now", "supported", "refuted", "unverifiable", "error",
           "seconds"],
          [[v.name, v.judged_now, *(v.counts.get(s, 0) for s in
                                    ("supported", "refuted", "unverifiable", "error")),
            f"{v.seconds:.1f}"] for v in result.verifiers],
          numeric=["judged now", "supported", "refuted", "unverifiable", "error", "seconds"])
    say(f"next: vctrace report {result.run}   vctrace export {result.run} verified.jsonl")
    return EXIT_OK


def _list_runs(settings: Settings, format_: str) -> int:
    runs = list_runs(settings)
    if format_ == "json":
        say(json_text([r.model_dump(mode="json") for r in runs]))
    elif not runs:
        note("no verification runs yet (vctrace verify makes one)")
    else:
        table(["run", "status", "traces", "verifiers", "created"],
              [[r.key, r.status, r.traces, ", ".join(r.verifiers), r.created_at]
               for r in runs], numeric=["traces"])
    return EXIT_OK


# ---------------------------------------------------------------- report


@click.command()
@click.argument("run", metavar="RUN")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="folder for the JSON and HTML files")
@FORMAT
@pass_settings
def report(settings: Settings, run: str, out: Path, format_: str) -> int:
    """Print the metrics of a verification run (RUN, or 'latest') next to the paper's, and
    write RUN.report.json and a self-contained RUN.report.html with plots into --out."""
    result = report_case(settings, run, out)
    if format_ == "json":
        say(json_text(result.metrics))
    else:
        names = ", ".join(v.label for v in result.verifiers)
        say(f"run {result.run.key}: {result.run.status}, {result.run.traces} traces, "
            f"verifiers {names}")
        say()
        table(["metric", "this run", "paper"],
              [[m.label, figure(m.value), figure(m.paper)] for m in result.table],
              numeric=["this run", "paper"])
        say()
        _constructor_lines(result.by_constructor)
        table(["verifier", "status", "reason", "verdicts"],
              [[o.verifier, o.status, o.reason, o.verdicts] for o in result.outcomes],
              numeric=["verdicts"])
    note(f"wrote {result.json_path} and {result.html_path}")
    return EXIT_OK


def _constructor_lines(groups: list[ConstructorMetrics]) -> None:
    """The metrics per constructor, when any trace of the run was generated: the kg
    baseline beside any language model's traces (nothing for a run of imported traces
    only, where the one row would repeat the metrics table)."""
    if all(g.constructor == "imported" for g in groups):
        return
    columns = ["constructor", "traces", "validity", "verifiability", "DTI score", "DE score"]
    table(columns, [[g.constructor + (" (baseline)" if g.baseline else ""), g.traces,
                     figure(g.validity), figure(g.verifiability), figure(g.dti_score),
                     figure(g.de_score)] for g in groups], numeric=columns[1:])
    if not any(g.baseline for g in groups):
        note("no kg traces in this run: verify the kg constructor's traces of the same pairs "
             "in the same run to see the baseline")
    say()


# ---------------------------------------------------------------- audit


@click.command()
@click.argument("ref", metavar="CLAIM_OR_TRACE")
@click.option("--run", help="only the verdicts of this run (a name or 'latest')")
@FORMAT
@pass_settings
def audit(settings: Settings, ref: str, run: str | None, format_: str) -> int:
    """Show the provenance of a claim (c-…) or of every claim of a trace (t-… or trace id):
    the traces and input records asserting it, how generated traces were generated and the
    evidence the generator saw, every verdict with its evidence, the runs and the source
    releases they used."""
    result = audit_case(settings, ref, run)
    if format_ == "json":
        say(json_text(result.model_dump(mode="json")))
    else:
        say("\n".join(audit_lines(result)))
    return EXIT_OK


def audit_lines(result: ClaimAudit | TraceAudit) -> list[str]:
    """The audit as text for a person."""
    lines = []
    if isinstance(result, ClaimAudit):
        lines += _claim_lines(result, "")
        lines.append(f"asserted by {len(result.asserted_by)} action(s):")
        for a in result.asserted_by:
            src = a.input
            lines.append(f"  trace {a.trace} ({a.trace_id}) action {a.action} "
                         f"<- {src and src.file} record {src and src.record} "
                         f"sha256 {str(src and src.sha256)[:12]}…")
            if a.generation is not None:
                lines += _generation_lines(a.generation, "    ")
    else:
        t, src = result.trace, result.input
        lines.append(f"trace {t.key} ({t.trace_id}): {t.drug} in {t.cell_line}, "
                     f"{t.n_actions} actions")
        lines.append(f"  read from {src and src.file} record {src and src.record} "
                     f"(sha256 {src and src.sha256})")
        if result.generation is not None:
            lines += _generation_lines(result.generation, "  ")
        lines += [f"  refined version of {r.key} (run {r.run})" for r in result.refines]
        lines += [f"  refined into {r.key} by run {r.run}" for r in result.refined_into]
        for v in result.verdicts:
            lines += _verdict_lines(v, "  ")
        for a in result.actions:
            support = f", supported by {', '.join(a.supported_by)}" if a.supported_by else ""
            lines.append(f"action {a.action or '(no id)'} ({a.primitive}){support}:")
            lines += _claim_lines(a, "  ")
    for r in result.runs.values():
        names = ", ".join(r.verifier_labels)
        lines.append(f"run {r.key}: {r.status}, created {r.created_at}, verifiers {names}")
        for s in r.sources:
            lines.append(f"  source {s.source} {s.version} ({s.key}, loader {s.loader} "
                         f"v{s.loader_version}, files {', '.join(s.files)})")
    return lines


def _shorten(text: str, width: int = EVIDENCE_WIDTH) -> str:
    return text if len(text) <= width else text[:width - 3] + "..."


def _one_line(text: Any) -> str:
    """Text from the input (evidence a generator saw) as one printable line: control
    characters (terminal escapes) and line breaks become spaces."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in str(text)).split())


def _generation_lines(g: GenerationAudit, indent: str) -> list[str]:
    """How a trace was generated, then the evidence items worth reading first: those
    supporting the audited action, else those the report cites (at most ``SEEN_SHOWN``),
    and how many more the JSON form lists."""
    model = f", model {g.model}" if g.model else ""
    version = f" v{g.constructor_version}" if g.constructor_version else ""
    record = g.run_record
    cost = "" if record is None or record.cost_usd is None else f", run cost ${record.cost_usd:.4f}"
    run = f", run {g.run}{cost}" if g.run else ""
    lines = [f"{indent}generated by {g.constructor or '?'}{version}{model}{run}: "
             f"saw {g.evidence_items} evidence item(s), report cites {g.cited_items}"]
    if g.supporting is not None:
        lines.append(f"{indent}  supporting this action: {', '.join(g.supporting) or 'none'}")
        chosen = [e for e in g.evidence if e.id in g.supporting] or \
            [e for e in g.evidence if e.cited]
    else:
        chosen = [e for e in g.evidence if e.cited]
    for e in chosen[:SEEN_SHOWN]:
        mark = "cited" if e.cited else "not cited"
        where = _shorten(", ".join(_one_line(x) for x in (e.source, e.source_id) if x), 120)
        head = f"[{_one_line(e.id)}] {where}".rstrip()
        lines.append(f"{indent}  {head} ({mark}): " + _shorten(_one_line(e.text or "")))
    more = g.evidence_items - min(len(chosen), SEEN_SHOWN)
    if more > 0:
        lines.append(f"{indent}  … {more} more item(s) (--format json lists every item)")
    return lines


def _claim_lines(c: ClaimAudit | TraceActionAudit, indent: str) -> list[str]:
    claim = c.claim
    args = ", ".join(f"{k}={v!r}" for k, v in claim.args.items())
    context = f" in ({claim.drug}, {claim.cell_line})" if claim.drug else ""
    lines = [f"{indent}claim {claim.key}: {claim.primitive}({args}){context}"]
    for m in c.mentions:
        entities = ", ".join(f"{e.label}:{e.key}" for e in m.entities) or "NOT GROUNDED"
        lines.append(f"{indent}  mention {m.role}={m.text!r} -> {entities}")
    if not c.verdicts:
        lines.append(f"{indent}  no verdicts")
    for v in c.verdicts:
        lines += _verdict_lines(v, indent + "  ")
    return lines


def _verdict_lines(v: VerdictRecord, indent: str) -> list[str]:
    """A verdict's line, then one line per item of its evidence (long values shortened)."""
    part = f" [{v.part}]" if v.part else ""
    score = "" if v.score is None else f" score {v.score:.3g}"
    threshold = "" if v.threshold is None else f" (threshold {v.threshold:g})"
    lines = [f"{indent}verdict {v.run} · {v.verifier} v{v.version}{part}: "
             f"{v.status.upper()} ({v.reason}){score}{threshold}"]
    for key, value in v.evidence.items():
        text = _shorten(json.dumps(value, default=str, sort_keys=True))
        lines.append(f"{indent}    {key}: {text}")
    return lines


# ---------------------------------------------------------------- refine and export


def _policy_options(command: Callable) -> Callable:
    command = click.option("--prune-unmeasured", is_flag=True,
                           help="also prune genes the DE data did not measure (default: keep "
                           "them)")(command)
    return click.option("--keep-refuted-bindings", is_flag=True,
                        help="keep traces whose drug-target binding is refuted (default: "
                        "discard them)")(command)


@click.command()
@click.argument("run", metavar="RUN")
@_policy_options
@FORMAT
@pass_settings
def refine(settings: Settings, run: str, keep_refuted_bindings: bool, prune_unmeasured: bool,
           format_: str) -> int:
    """Apply the policy to a complete run's traces (RUN, or 'latest'): discard traces with a
    refuted drug-target binding, prune refuted genes from gene_list; changed traces are
    stored as new versions linked to the original."""
    result = refine_case(settings, run, keep_refuted_bindings=keep_refuted_bindings,
                         prune_unmeasured=prune_unmeasured)
    if format_ == "json":
        say(json_text(result.model_dump(mode="json")))
    else:
        say(f"run {result.run}: {result.traces:,} traces: {result.kept:,} unchanged, "
            f"{result.refined:,} refined ({result.genes_pruned:,} genes pruned, "
            f"{result.actions_dropped:,} actions dropped), {result.discarded:,} discarded")
    return EXIT_OK


@click.command()
@click.argument("run", metavar="RUN")
@click.argument("output", metavar="OUTPUT", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--include-discarded", is_flag=True,
              help="also write discarded traces (explain_verified empty)")
@_policy_options
@FORMAT
@pass_settings
def export(settings: Settings, run: str, output: Path, include_discarded: bool,
           keep_refuted_bindings: bool, prune_unmeasured: bool, format_: str) -> int:
    """Refine the run (RUN, or 'latest'; if not done) and write its kept traces as VC-TRACES
    rows (.jsonl, .json, .parquet or .csv by suffix) with explain_verified filled."""
    result = export_case(settings, run, output, keep_refuted_bindings=keep_refuted_bindings,
                         prune_unmeasured=prune_unmeasured,
                         include_discarded=include_discarded)
    if format_ == "json":
        say(json_text(result.model_dump(mode="json")))
    note(f"wrote {result.written:,} VC-TRACES rows to {result.output} "
         f"({result.refined:,} refined, {result.discarded:,} discarded"
         f"{'' if result.include_discarded else ' and left out'})")
    return EXIT_OK


COMMANDS = [verify, report, audit, refine, export]
