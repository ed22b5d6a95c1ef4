"""Benchmark: ingest N synthetic VC-TRACES-shaped traces into a fresh local Neo4j.

    python bench/ingest.py [--n 18950] [--batch-size 500] [--heap 2g] [--pagecache 2g]

Generates the traces (vctrace.traces.synthetic), writes them as a VC-TRACES JSONL file, then
times parsing alone, then `vctrace ingest` itself (vctrace.app.traces.ingest: reading and
parsing overlap with batched Neo4j writes; the grounding of new mentions that follows is timed
apart). Also times a second ingest of the same file (idempotency: reads and parses it again,
writes nothing), and the offline bulk path (`vctrace ingest --bulk`,
vctrace.app.traces.bulk_ingest) into a second, empty server, and compares both graphs.
Prints traces/s and actions/s. Not a test: it asserts nothing about time.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from vctrace.app import database
from vctrace.app.traces import bulk_ingest, ingest
from vctrace.kg.server import free_port
from vctrace.settings import Settings
from vctrace.traces.records import read_traces, write_traces_file
from vctrace.traces.synthetic import synthetic_traces
from vctrace.traces.validation import is_valid


def local_settings(home: Path, args: argparse.Namespace) -> Settings:
    """Settings for a local server of its own under ``home`` (sharing the cached jars)."""
    jars = Settings().lib_dir
    home.mkdir(parents=True)
    (home / jars.name).symlink_to(jars)
    return Settings(home=home, bolt_port=free_port(), heap=args.heap, pagecache=args.pagecache,
                    batch_size=args.batch_size)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--n", type=int, default=18_950)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--heap", default="2g")
    parser.add_argument("--pagecache", default="2g")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="vctrace-bench-"))
    servers = []
    try:
        t0 = time.perf_counter()
        path = work / "traces.jsonl"
        write_traces_file(synthetic_traces(args.n, args.seed), path)
        print(f"generated {args.n:,} traces -> {path.stat().st_size / 1e6:.1f} MB "
              f"in {time.perf_counter() - t0:.1f} s")

        t0 = time.perf_counter()
        traces = list(read_traces(path))
        t_parse = time.perf_counter() - t0
        valid = sum(is_valid(t) for t in traces)
        actions = sum(len(t.actions) for t in traces)
        edges = sum(len(t.edges) for t in traces)
        del traces
        print(f"parse + validate: {t_parse:.1f} s ({args.n / t_parse:,.0f} traces/s); "
              f"{valid:,} valid; {actions:,} actions, {edges:,} edges")

        settings = local_settings(work / "transactional", args)
        servers.append(settings)
        t0 = time.perf_counter()
        database.start(settings)
        print(f"Neo4j started in {time.perf_counter() - t0:.1f} s (heap {args.heap}, "
              f"page cache {args.pagecache})")
        result = ingest(settings, [path])
        total, seconds = result.total, result.seconds
        transactional_rate = total.written / seconds
        print(f"INGEST (vctrace ingest: read + parse + validate overlapped with Neo4j writes, "
              f"then grounding {result.grounding_seconds:.1f} s): {total.written:,} traces in "
              f"{seconds:.1f} s = {transactional_rate:,.0f} traces/s, "
              f"{total.actions / seconds:,.0f} actions/s, {total.edges / seconds:,.0f} edges/s "
              f"(batch {result.batch_size})")
        again = ingest(settings, [path])
        print(f"re-ingest (idempotent, file read and parsed again): {again.total.written} "
              f"written, {again.total.existing:,} already stored, in {again.seconds:.1f} s")
        transactional = database.status(settings).summary
        print("graph:", transactional)

        # the bulk path: a second, empty server (started before the clock, as above)
        bulk_settings = local_settings(work / "bulk", args)
        servers.append(bulk_settings)
        database.start(bulk_settings)
        result = bulk_ingest(bulk_settings, [path])
        seconds = result.seconds
        steps = ", ".join(f"{k} {v:.1f} s" for k, v in result.step_seconds.items())
        print(f"BULK INGEST (ingest --bulk: parse + CSV + neo4j-admin import + restart + "
              f"schema): {result.traces:,} traces in {seconds:.1f} s = "
              f"{result.traces / seconds:,.0f} traces/s, {result.actions / seconds:,.0f} "
              f"actions/s ({steps}); {result.traces / seconds / transactional_rate:.1f}x the "
              "transactional path")
        bulk = database.status(bulk_settings).summary
        print("graph:", bulk, "(same as transactional)" if bulk == transactional
              else "(DIFFERS from transactional)")
    finally:
        for settings in servers:
            database.stop(settings)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
