"""Benchmark: the knowledge-graph-only constructor on the demo knowledge set's drugs × cell lines.

    python bench/generate_kg.py [--repeat 3] [--heap 1g] [--pagecache 512m] [--tahoe DIR]

Starts a fresh local Neo4j, loads the demo knowledge set (as `vctrace demo` does: Tahoe-100M
metadata of 20 drugs and 5 cell lines, PrimeKG-format targets and pathways, HGNC, the
SYNTHETIC DE table) and times `vctrace generate --constructor kg --no-ingest`
(vctrace.app.generation.generate: graph reads, construction, validation, the JSONL file) for
every pair, evidence read for 200 pairs per graph round trip, against a baseline measured in
the same run: one pair per round trip. Then generates with ingest, verifies the generated
traces with the default verifiers and prints validity, verifiability and the DTI and DE scores
beside the paper's. ``--tahoe DIR`` adds the real Tahoe-100M drug and cell line tables (all
379 drugs × 102 cell lines when obs_cell_grid is not given; the first ``--tahoe-limit``
pairs, 5,000 by default) for a larger timing run. Not a test: it asserts nothing about time.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from vctrace.app import database, generation, generation_runs, knowledge
from vctrace.app.demo import DEMO_KNOWLEDGE, DEMO_VERSION
from vctrace.app.verification import VerifyRequest, report, report_summary, verify
from vctrace.kg.server import free_port
from vctrace.runs.metrics import PAPER
from vctrace.settings import Settings

EXAMPLES = Path(__file__).resolve().parents[1] / "vctrace" / "examples" / "knowledge"


def local_settings(home: Path, args: argparse.Namespace) -> Settings:
    """Settings for a local server of its own under ``home`` (sharing the cached jars)."""
    jars = Settings().lib_dir
    home.mkdir(parents=True)
    (home / jars.name).symlink_to(jars)
    return Settings(home=home, bolt_port=free_port(), heap=args.heap, pagecache=args.pagecache)


def load_demo(settings: Settings) -> float:
    """Load the demo knowledge set (as ``vctrace demo`` does); the seconds it took."""
    t0 = time.perf_counter()
    for source, names in DEMO_KNOWLEDGE:
        knowledge.load(settings, source, [EXAMPLES / name for name in names],
                       {"source_version": DEMO_VERSION})
    return time.perf_counter() - t0


def server_arguments(parser: argparse.ArgumentParser) -> None:
    """The local server's options (``--heap``, ``--pagecache``) that :func:`local_settings`
    reads."""
    parser.add_argument("--heap", default="1g")
    parser.add_argument("--pagecache", default="512m")


def timed(settings: Settings, work: Path, per_query: int, repeat: int,
          limit: int | None = None) -> tuple[float, int]:
    """Median seconds of ``repeat`` generations without ingest, and the traces made."""
    seconds, traces = [], 0
    for i in range(repeat):
        result = generation.generate(settings, generation.GenerateRequest(
            output=work / f"rows-{per_query}-{i}.jsonl", ingest=False,
            pairs_per_query=per_query, limit=limit))
        seconds.append(result.construct_seconds)
        traces = len(result.traces)
    return statistics.median(seconds), traces


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    server_arguments(parser)
    parser.add_argument("--tahoe", type=Path, help="folder of the real Tahoe-100M metadata")
    parser.add_argument("--tahoe-limit", type=int, default=5000,
                        help="pairs of the real metadata to generate")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="vctrace-bench-generate-"))
    settings = local_settings(work / "home", args)
    try:
        database.start(settings)
        print(f"demo knowledge set loaded in {load_demo(settings):.1f} s")
        generation.generate(settings, generation.GenerateRequest(  # warm the server's caches
            output=work / "warm.jsonl", ingest=False))

        batched, n = timed(settings, work, 200, args.repeat)
        single, _ = timed(settings, work, 1, args.repeat)
        print(f"KG CONSTRUCTOR (graph reads + construction + validation + JSONL), {n} pairs: "
              f"{n / batched:,.0f} traces/s batched (200 pairs per round trip, "
              f"{batched:.2f} s) vs {n / single:,.0f} traces/s one pair per round trip "
              f"({single:.2f} s): {single / batched:.1f}x (median of {args.repeat})")

        result = generation.generate(settings, generation.GenerateRequest(
            output=work / "generated.jsonl"))
        print(f"generate + ingest: {len(result.traces)} traces ({result.valid} valid, "
              f"{len(result.skipped)} skipped) in {result.seconds:.2f} s "
              f"(ingest {result.ingest.seconds:.2f} s): "
              f"{len(result.traces) / result.seconds:,.0f} traces/s end to end")
        stored = generation_runs.get_run(settings, result.run)
        rows = [json.loads(line) for line in
                result.output.read_text(encoding="utf-8").splitlines() if line.strip()]
        named = sum(r["provenance"].get("generation_run") == result.run for r in rows)
        print(f"generation run {stored.key} recorded: {stored.pairs} pairs, {stored.traces} "
              f"traces, {stored.stored} stored traces linked; {named}/{len(rows)} rows name "
              "it in provenance.generation_run")
        keys = [t.trace_key for t in result.traces if t.trace_key]
        t0 = time.perf_counter()
        run = verify(settings, VerifyRequest(traces=["trace=" + ",".join(keys)],
                                             run_name="bench-generate-kg"))
        print(f"verify (default verifiers): {run.traces} traces in "
              f"{time.perf_counter() - t0:.2f} s")
        metrics = report_summary(settings, run.run).metrics
        for key in ("validity", "verifiability", "dti_score", "de_score"):
            value = metrics.get(key)
            shown = "n/a" if value is None else f"{value:.3f}"
            print(f"  {key:14} {shown:>6}   (paper {PAPER[key]:.3f})")
        coverage = json.loads(report(settings, run.run, work / "report").json_path.read_text(
            encoding="utf-8"))["primitive_coverage"]
        judged = ", ".join(f"{c['primitive']} {c['judged_actions']}/{c['actions']}"
                           for c in coverage)
        print(f"  actions judged by a truth verifier, per primitive: {judged}")
        unjudged = [c["primitive"] for c in coverage
                    if not c["judged_actions"] and c["primitive"] != "set_context"]
        print("  verifiability is the per-trace share of distinct claims (set_context "
              "excluded) that a truth verifier judged (supported or refuted)"
              + (f"; no truth verifier judged {', '.join(unjudged)}" if unjudged else ""))
        print("  DTI is 1.000 by construction (targets come from the curated edges dti-kg "
              "checks); DE is n/a: the constructor writes no regulates_expression "
              "(DE calls are never evidence)")

        if args.tahoe:
            knowledge.load(settings, "tahoe-metadata",
                           [args.tahoe / "drug_metadata.parquet",
                            args.tahoe / "cell_line_metadata.parquet"])
            batched, n = timed(settings, work, 200, 1, args.tahoe_limit)
            single, m = timed(settings, work, 1, 1, min(500, args.tahoe_limit))
            print(f"real Tahoe metadata, first {n:,} pairs: {n / batched:,.0f} traces/s "
                  f"batched ({batched:.1f} s) vs {m / single:,.0f} traces/s one pair per "
                  f"round trip (first {m} pairs, {single:.1f} s): "
                  f"{(n / batched) / (m / single):.1f}x")
    finally:
        database.stop(settings)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
