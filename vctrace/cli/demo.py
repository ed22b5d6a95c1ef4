"""``vctrace demo``: the whole pipeline on the bundled examples, rendered step by step."""

from __future__ import annotations

import click

from ..app.demo import demo as run_demo
from ..settings import Settings
from .render import (EXIT_OK, counts_text, grounding_table, no_progress_option, progress_bars,
                     say, table)
from .traces import render_ingest

METRICS = ("validity", "verifiability", "dti_score", "de_score", "dti_excluded", "de_refined")


@click.command()
@no_progress_option
@click.pass_obj
def demo(settings: Settings, no_progress: bool) -> int:
    """Start the local Neo4j (or use VCTRACE_NEO4J_URI), load the bundled demo knowledge set,
    ingest the example traces for Tahoe-100M drugs (one file of valid traces, one of
    deliberately broken ones), generate a trace for each of the 100 demo (drug, cell line)
    pairs with the knowledge-graph-only constructor (the baseline; no language model, no
    key) and ingest them, verify every claim of both in one run and write the report with
    plots into $VCTRACE_HOME/reports. Prints what each step did.

    Exit status: 0 done, 2 the database or a file cannot be used."""
    say("== vctrace demo ==")
    result = run_demo(settings, progress=progress_bars(not no_progress))
    server = result.server
    if server.local is not None:
        state = "already running" if server.was_running else \
            f"started in {server.start_seconds:.1f} s"
        say(f"1. local Neo4j {server.local.version} (jars from Maven Central on first run) at "
            f"{server.uri}: {state}")
    else:
        say(f"1. using the Neo4j at {server.uri}")
    say("2. loading the demo knowledge set (real Tahoe-100M metadata of 20 drugs and 5 cell "
        "lines, PrimeKG-format targets and pathways, HGNC aliases; a SYNTHETIC DE table):")
    for load in result.knowledge:
        say(f"   {load.source:<16}{load.release.rows_loaded:>6,} rows loaded")
    say("3. ingesting example traces for Tahoe-100M drugs (one file of valid traces, one of "
        "deliberately broken ones):")
    render_ingest(result.ingest)
    generated = result.generation
    say(f"4. generating a trace for each demo pair with the knowledge-graph-only constructor "
        f"(kg {generated.constructor_version}, the baseline; no language model):")
    say(f"   {generated.pairs} pairs, {len(generated.traces)} traces ({generated.valid} valid), "
        f"{len(generated.skipped)} skipped, {generated.traces_per_s:,.0f} traces/s; "
        f"{generated.ingest.total.written if generated.ingest else 0} new traces stored; "
        f"{generated.seconds:.1f} s in all; generation run {generated.run}")
    say(f"5. the graph now holds: {counts_text(result.summary)}")
    say("   actions per primitive:")
    for row in result.primitives:
        say(f"     {row.primitive:<34}{row.actions:>5} actions in {row.traces} traces")
    say("   trace arguments grounded to knowledge-graph entities, per primitive and role:")
    grounding_table(result.grounding, indent=2)
    run = result.verification
    say(f"6. verifying every claim ({', '.join(v.name for v in run.verifiers)}):")
    for name, counts in sorted(run.counts.items()):
        say(f"   {name:<10}" + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
    say("   metrics (the DE table is synthetic, so DE figures mean nothing here):")
    rows = {row.key: row for row in result.report.table}
    table(("metric", "value"),
          [(rows[key].label, "—" if rows[key].value is None else f"{rows[key].value:.3f}")
           for key in METRICS], numeric=("value",), indent=5)
    by_constructor = result.report.by_constructor
    if by_constructor:
        say("   per constructor (kg: the knowledge-graph-only baseline):")
        table(("constructor", "traces", *(rows[key].label for key in METRICS[:4])),
              [(group.constructor, group.traces,
                *("—" if getattr(group, key) is None else f"{getattr(group, key):.3f}"
                  for key in METRICS[:4])) for group in by_constructor],
              numeric=("traces", *(rows[key].label for key in METRICS[:4])), indent=5)
    say(f"   report with plots: {result.report.html_path}")
    say("next, try:\n  vctrace show demo-trametinib-c32\n  vctrace audit demo-trametinib-c32\n"
        "  vctrace show 'kg:trametinib|c32'   # a generated trace\n"
        "  vctrace generation-runs\n"
        "  vctrace pipeline /tmp/vctrace-loop --limit 5   # pairs -> traces -> verify -> "
        "export, resumable\n"
        "  vctrace query claims_refuted_by_verifier --param verifier=de\n"
        f"  vctrace export {run.run} verified.jsonl\n"
        f"  vctrace validate {result.trace_files[1]}\n"
        "  vctrace token create --role read && vctrace serve   # then open "
        "http://127.0.0.1:8000/viewer\n  vctrace db stop")
    return EXIT_OK


COMMANDS = [demo]
