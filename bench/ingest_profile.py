"""Profile of the transactional ingest: where a batch's time goes (not a test, asserts nothing).

    python bench/ingest_profile.py [--n 3000] [--batch-size 200] [--cprofile FILE]

Starts a fresh local Neo4j, parses N synthetic traces into memory, then writes them batch by
batch with the store's own functions, timing apart: building the rows in Python (keys,
conversion), the existing-keys look-ups, and each write statement (client time, and the
server's own time from the result summary: ``result_available_after`` +
``result_consumed_after``). With ``--explain`` it also prints the PROFILE of the write
statements of one batch (db hits and rows per operator).
"""

from __future__ import annotations

import argparse
import cProfile
import shutil
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from vctrace import cypher
from vctrace.app import database
from vctrace.kg import trace_store
from vctrace.kg.graph import Graph
from vctrace.traces.synthetic import synthetic_traces

from ingest import local_settings  # type: ignore[import-not-found]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=3000)
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument("--heap", default="2g")
    parser.add_argument("--pagecache", default="2g")
    parser.add_argument("--cprofile", help="write a cProfile of the whole write loop here")
    parser.add_argument("--explain", action="store_true", help="PROFILE one batch's statements")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="vctrace-prof-"))
    settings = local_settings(work / "db", args)
    try:
        traces = list(synthetic_traces(args.n, 0))
        database.start(settings)
        timings: dict[str, float] = defaultdict(float)
        server: dict[str, float] = defaultdict(float)
        prof = cProfile.Profile() if args.cprofile else None
        with Graph.connect(settings) as graph:
            if prof:
                prof.enable()
            t_all = time.perf_counter()
            for start in range(0, len(traces), args.batch_size):
                chunk = traces[start:start + args.batch_size]
                t0 = time.perf_counter()
                batch = trace_store._prepare_batch(graph, chunk)
                timings["prepare (keys, rows, 2 look-ups)"] += time.perf_counter() - t0
                explain = args.explain and start == args.batch_size  # the second batch
                t0 = time.perf_counter()
                before = sum(timings.values())
                with graph.session() as session:
                    session.execute_write(_timed_batch, batch, timings, server, explain)
                timings["commit + transaction overhead"] += (
                    time.perf_counter() - t0 - (sum(timings.values()) - before))
            total = time.perf_counter() - t_all
            if prof:
                prof.disable()
                prof.dump_stats(args.cprofile)
        print(f"{args.n:,} traces, batch {args.batch_size}: {total:.1f} s "
              f"({args.n / total:,.0f} traces/s), no overlap")
        for name, seconds in timings.items():
            extra = f" (server {server[name]:.1f} s)" if name in server else ""
            print(f"  {name:40s} {seconds:6.1f} s{extra}")
    finally:
        database.stop(settings)
        shutil.rmtree(work, ignore_errors=True)


def _timed_batch(tx, batch, timings, server, explain) -> None:
    """The statements of ``trace_store._write_batch`` one by one, each timed."""
    def run(name: str, text: str, **params):
        t0 = time.perf_counter()
        prefix = "PROFILE " if explain else ""
        result = tx.run(prefix + text, **params)
        records = list(result)
        summary = result.consume()
        timings[name] += time.perf_counter() - t0
        server[name] += ((summary.result_available_after or 0)
                         + (summary.result_consumed_after or 0)) / 1000
        if explain and summary.profile:
            print(f"--- PROFILE {name}")
            _print_plan(summary.profile)
        return records

    found, = run("existing_keys (in tx)", cypher.load("traces/existing_keys"),
                 traces=list(batch.rows), claims=list(batch.claims))
    existing, stored = set(found["traces"]), set(found["claims"])
    new = [row for key, row in batch.rows.items() if key not in existing and row is not None]
    if new:
        t0 = time.perf_counter()
        params, _ = trace_store._write_params(new, batch.claims, stored, batch.inputs)
        timings["parameters (Python)"] += time.perf_counter() - t0
        run("create_traces", cypher.load("traces/create_traces"), **params)


def _print_plan(plan, depth: int = 0) -> None:
    args = plan.get("args", {})
    print(f"{'  ' * depth}{plan['operatorType']:40s} rows {plan.get('rows', '?'):>8} "
          f"dbHits {plan.get('dbHits', '?'):>9} {args.get('Details', '')[:90]}")
    for child in plan.get("children", []):
        _print_plan(child, depth + 1)


if __name__ == "__main__":
    main()
