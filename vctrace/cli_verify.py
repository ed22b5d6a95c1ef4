"""The verification commands of the CLI: verify, report, audit, refine, export."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from neo4j.exceptions import ServiceUnavailable, SessionExpired
from tqdm import tqdm

from .settings import Settings

EXIT_OK, EXIT_FAILED, EXIT_UNUSABLE = 0, 1, 2


def _err(message: str) -> None:
    print(f"vctrace: {message}", file=sys.stderr)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _verifier_params(args: argparse.Namespace, settings: Settings) -> dict[str, dict[str, Any]]:
    de = {k: v for k, v in (("t", args.t), ("padj", args.padj)) if v is not None}
    boltz = {"fasta": args.fasta or settings.boltz_fasta,
             "executable": args.boltz_executable or settings.boltz_executable,
             "cache": args.boltz_cache or settings.boltz_cache,
             "devices": settings.boltz_devices, "accelerator": settings.boltz_accelerator,
             "msa": args.boltz_msa or settings.boltz_msa}
    if args.tau is not None:
        boltz["tau"] = args.tau
    if args.boltz_work_dir:
        boltz["work_dir"] = str(args.boltz_work_dir)
    if boltz["fasta"]:
        boltz["fasta"] = str(Path(boltz["fasta"]).resolve())
    return {"de": de, "dti-boltz": boltz}


def _resolve_run(driver, ref: str, database: str) -> str:
    """The run named ``ref`` ('latest': the newest); LookupError/RunError when there is none."""
    from .verifiers.engine import find_runs, get_run
    if ref == "latest":
        runs = find_runs(driver, database)
        if not runs:
            raise LookupError("no verification runs yet (vctrace verify makes one)")
        return runs[0]["key"]
    return get_run(driver, ref, database)["key"]


def cmd_verify(args: argparse.Namespace, settings: Settings) -> int:
    from .kg.connection import driver_for
    from .kg.schema import init_schema
    from .verifiers import REGISTRY
    from .verifiers.boltz import BoltzRunError, FastaError
    from .verifiers.engine import (DEFAULT_VERIFIERS, RunError, TraceFilter, build_verifiers,
                                   find_runs, verify)

    with driver_for(settings) as driver:
        if args.list:
            for run in find_runs(driver, settings.neo4j_database):
                print(f"{run['key']:<28}{run['status']:<10}{run.get('traces', 0):>8} traces  "
                      f"{', '.join(run.get('verifier_names') or [])}  {run['created_at']}")
            return EXIT_OK
        names = list(DEFAULT_VERIFIERS) if not args.verifiers else \
            sorted(REGISTRY) if args.verifiers == "all" else \
            [n.strip() for n in args.verifiers.split(",") if n.strip()]
        unknown = [n for n in names if n not in REGISTRY]
        if unknown:
            _err(f"unknown verifier(s) {', '.join(unknown)}; known: {', '.join(sorted(REGISTRY))}")
            return EXIT_UNUSABLE
        init_schema(driver, settings.neo4j_database)
        params = _verifier_params(args, settings)
        try:
            verifiers = build_verifiers(driver, names, database=settings.neo4j_database,
                                        params={n: params.get(n, {}) for n in names})
            trace_filter = TraceFilter.parse(args.traces or [])
        except (ValueError, FastaError, OSError) as exc:
            _err(str(exc))
            return EXIT_UNUSABLE

        def progress(name: str, total: int):
            return tqdm(total=total, desc=name, unit=" claims", file=sys.stderr, leave=False,
                        disable=args.no_progress or None)

        try:
            result = verify(driver, verifiers, database=settings.neo4j_database,
                            trace_filter=trace_filter, run_name=args.run_name,
                            batch_size=args.batch_size, progress=progress)
        except RunError as exc:
            _err(str(exc))
            return EXIT_UNUSABLE
        except BoltzRunError as exc:
            _err(f"{exc}\nnothing of the failed batch was stored; fix the cause and run the "
                 "same command again to resume")
            return EXIT_FAILED
        except (ServiceUnavailable, SessionExpired) as exc:
            _err(f"lost the connection to Neo4j ({exc}); the verdicts already committed are "
                 "kept: run the same command again to resume")
            return EXIT_UNUSABLE
    if args.format == "json":
        print(json.dumps({"run": result.run, "resumed": result.resumed,
                          "traces": result.traces, "seconds": round(result.seconds, 3),
                          "verdicts": result.counts,
                          "judged_now": {v.name: v.subjects for v in result.verifiers}},
                         indent=2))
        return EXIT_OK
    verb = "resumed" if result.resumed else "created"
    print(f"run {result.run} ({verb}): {result.traces:,} traces, {result.seconds:.1f} s")
    print(f"{'verifier':<12}{'judged now':>11}{'supported':>11}{'refuted':>9}"
          f"{'unverif.':>10}{'error':>7}{'seconds':>9}")
    for v in result.verifiers:
        c = result.counts.get(v.name, {})
        print(f"{v.name:<12}{v.subjects:>11,}{c.get('supported', 0):>11,}"
              f"{c.get('refuted', 0):>9,}{c.get('unverifiable', 0):>10,}{c.get('error', 0):>7,}"
              f"{v.seconds:>9.1f}")
    print(f"next: vctrace report {result.run}   vctrace export {result.run} verified.jsonl")
    return EXIT_OK


def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    from .kg.connection import driver_for
    from .verifiers.engine import RunError
    from .verifiers.report import build_report, format_table, write_html, write_json

    with driver_for(settings) as driver:
        try:
            run = _resolve_run(driver, args.run, settings.neo4j_database)
            report = build_report(driver, run, settings.neo4j_database)
        except (RunError, LookupError) as exc:
            _err(str(exc))
            return EXIT_UNUSABLE
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    json_path, html_path = out / f"{run}.report.json", out / f"{run}.report.html"
    write_json(report, json_path)
    write_html(report, html_path)
    if args.format == "json":
        print(json.dumps(report["metrics"], indent=2))
    else:
        print(format_table(report))
    print(f"wrote {json_path} and {html_path}", file=sys.stderr)
    return EXIT_OK


def cmd_audit(args: argparse.Namespace, settings: Settings) -> int:
    from .kg.connection import driver_for
    from .verifiers.audit import NotFound, audit, format_audit

    with driver_for(settings) as driver:
        try:
            result = audit(driver, args.ref, settings.neo4j_database, run=args.run)
        except NotFound as exc:
            _err(str(exc))
            return EXIT_FAILED
    print(json.dumps(result, indent=2, default=str) if args.format == "json"
          else format_audit(result))
    return EXIT_OK


def _policy(args: argparse.Namespace):
    from .verifiers.refine import Policy
    prune = ("opposite_direction", "not_de") + (("not_measured",) if args.prune_unmeasured
                                                else ())
    return Policy(discard_refuted_binding=not args.keep_refuted_bindings, prune=prune)


def cmd_refine(args: argparse.Namespace, settings: Settings) -> int:
    """`vctrace refine RUN`, and `vctrace export RUN OUTPUT` (refine, then write the file)."""
    from .kg.connection import driver_for
    from .verifiers.engine import RunError
    from .verifiers.refine import export, refine

    output = getattr(args, "output", None)
    with driver_for(settings) as driver:
        try:
            run = _resolve_run(driver, args.run, settings.neo4j_database)
            policy = _policy(args)
            result = refine(driver, run, policy, database=settings.neo4j_database)
        except (RunError, LookupError) as exc:
            _err(str(exc))
            return EXIT_UNUSABLE
        if output:
            counts = export(driver, run, Path(output), policy,
                            database=settings.neo4j_database,
                            include_discarded=args.include_discarded)
    if not output:
        print(f"run {run}: {result.traces:,} traces: {result.kept:,} unchanged, "
              f"{result.refined:,} refined ({result.genes_pruned:,} genes pruned, "
              f"{result.actions_dropped:,} actions dropped), {result.discarded:,} discarded")
        return EXIT_OK
    print(f"wrote {counts['written']:,} VC-TRACES rows to {output} "
          f"({counts['refined']:,} refined, {counts['discarded']:,} discarded"
          f"{'' if args.include_discarded else ' and left out'})", file=sys.stderr)
    return EXIT_OK


def demo_verification(settings: Settings) -> str:
    """Step 5 of `vctrace demo`: verify the demo traces, print the metrics, write the report
    into $VCTRACE_HOME/reports. Returns the run's name."""
    from .kg.connection import driver_for
    from .verifiers.engine import DEFAULT_VERIFIERS, build_verifiers, verify
    from .verifiers.report import LABELS, build_report, write_html, write_json

    print("5. verifying every claim (" + ", ".join(DEFAULT_VERIFIERS) + "):")
    with driver_for(settings) as driver:
        result = verify(driver, build_verifiers(driver, DEFAULT_VERIFIERS,
                                                database=settings.neo4j_database),
                        database=settings.neo4j_database)
        report = build_report(driver, result.run, settings.neo4j_database)
    for name, counts in sorted(result.counts.items()):
        print(f"   {name:<10}" + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
    print("   metrics (the DE table is synthetic, so DE figures mean nothing here):")
    for key in ("validity", "verifiability", "dti_score", "de_score", "dti_excluded",
                "de_refined"):
        value = report["metrics"][key]
        print(f"     {LABELS[key]:<22}{'—' if value is None else f'{value:.3f}'}")
    out = settings.home / "reports"
    out.mkdir(parents=True, exist_ok=True)
    write_json(report, out / f"{result.run}.report.json")
    write_html(report, out / f"{result.run}.report.html")
    print(f"   report with plots: {out / (result.run + '.report.html')}")
    return result.run


def _policy_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--keep-refuted-bindings", action="store_true",
                   help="keep traces whose drug-target binding is refuted (default: discard)")
    p.add_argument("--prune-unmeasured", action="store_true",
                   help="also prune genes the DE data did not measure (default: keep them)")


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Add verify, report, audit, refine and export to the CLI's subcommands."""
    from .verifiers import REGISTRY
    from .verifiers.engine import DEFAULT_VERIFIERS

    p = sub.add_parser(
        "verify", help="judge the stored claims with verifiers (a resumable batch run)",
        description="Judge each distinct claim of the selected traces once per verifier and "
        "store verdicts with evidence, in a run record. Killed midway, the same command "
        "resumes the unfinished run. Verifiers: " +
        "; ".join(f"{n}: {c.description}" for n, c in sorted(REGISTRY.items())) +
        f". Default: {','.join(DEFAULT_VERIFIERS)} (dti-boltz needs a GPU, Boltz-2 and "
        "--fasta).")
    p.add_argument("--traces", action="append", metavar="FILTER",
                   help="drug=NAME, cell_line=NAME or trace=KEY_OR_ID[,…] (repeatable, ANDed; "
                   "default: every trace)")
    p.add_argument("--verifiers", metavar="LIST", help="comma-separated names, or 'all'")
    p.add_argument("--run-name", help="name of the run (default: resume the unfinished run "
                   "with the same settings, else run-<UTC time>)")
    p.add_argument("--t", type=float, help="de: |log2FC| threshold (default 1.5)")
    p.add_argument("--padj", type=float, help="de: adjusted p-value threshold (default 0.05)")
    p.add_argument("--tau", type=float, help="dti-boltz: binder probability threshold "
                   "(default 0.5)")
    p.add_argument("--fasta", type=Path, help="dti-boltz: protein sequences (UniProt FASTA; "
                   "VCTRACE_BOLTZ_FASTA)")
    p.add_argument("--boltz-executable", help="dti-boltz: the boltz program "
                   "(VCTRACE_BOLTZ_EXECUTABLE, default boltz)")
    p.add_argument("--boltz-cache", help="dti-boltz: weights folder (VCTRACE_BOLTZ_CACHE)")
    p.add_argument("--boltz-msa", help="dti-boltz: 'empty' or a folder of <gene>.a3m")
    p.add_argument("--boltz-work-dir", type=Path, help="dti-boltz: where inputs and outputs "
                   "are written (default: a temporary folder)")
    p.add_argument("--batch-size", type=_positive, default=5000, help="claims per batch "
                   "(default 5000)")
    p.add_argument("--list", action="store_true", help="list the runs and exit")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("report", help="metrics of a run: table, JSON and HTML page",
                       description="Print the metrics of a verification run (RUN or 'latest') "
                       "and write RUN.report.json and a self-contained RUN.report.html with "
                       "plots into --out.")
    p.add_argument("run", metavar="RUN")
    p.add_argument("--out", default=".", help="folder for the JSON and HTML files (default .)")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("audit", help="where a claim or trace came from and what judged it",
                       description="Show the provenance of a claim (c-…) or of every claim of "
                       "a trace (t-… or trace id): traces and input records asserting it, every "
                       "verdict with its evidence, the runs and the source releases they used.")
    p.add_argument("ref", metavar="CLAIM_OR_TRACE")
    p.add_argument("--run", help="only the verdicts of this run")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=cmd_audit)

    p = sub.add_parser("refine", help="apply a run's verdicts: discard / prune, new versions",
                       description="Apply the policy to a run's traces: discard traces with a "
                       "refuted drug-target binding, prune refuted genes from gene_list; "
                       "changed traces are stored as new versions linked to the original.")
    p.add_argument("run", metavar="RUN")
    _policy_options(p)
    p.set_defaults(func=cmd_refine)

    p = sub.add_parser("export", help="write a run's traces as VC-TRACES with explain_verified",
                       description="Refine (if not done) and write the run's kept traces as "
                       "VC-TRACES rows (.jsonl, .json, .parquet or .csv by suffix) with "
                       "explain_verified filled.")
    p.add_argument("run", metavar="RUN")
    p.add_argument("output", metavar="OUTPUT")
    p.add_argument("--include-discarded", action="store_true",
                   help="also write discarded traces (explain_verified empty)")
    _policy_options(p)
    p.set_defaults(func=cmd_refine)
