"""Benchmark: ingest N synthetic VC-TRACES-shaped traces into a fresh local Neo4j.

    python bench/ingest.py [--n 18950] [--batch-size 500] [--heap 2g] [--pagecache 2g]

Generates the traces (vctrace.traces.synthetic), writes them as a VC-TRACES JSONL file, then
times parsing alone, then the same streamed path as `vctrace ingest` (reading and parsing
overlap with batched Neo4j writes). Also times a second ingest of the same file (idempotency: writes nothing), and the offline
bulk path (`vctrace ingest --bulk`) into a second, empty server.
Prints traces/s and actions/s. Not a test: it asserts nothing about time.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from neo4j import GraphDatabase

from vctrace.kg.bulk_import import bulk_import
from vctrace.kg.schema import init_schema
from vctrace.kg.server import LocalNeo4j, free_port
from vctrace.kg.trace_store import graph_summary, write_traces
from vctrace.settings import Settings
from vctrace.traces.records import read_traces, write_traces_file
from vctrace.traces.synthetic import synthetic_traces
from vctrace.traces.validation import is_valid


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--n", type=int, default=18_950)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--heap", default="2g")
    parser.add_argument("--pagecache", default="2g")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="vctrace-bench-"))
    settings = Settings()
    server = LocalNeo4j(root=work / "neo4j", lib_dir=settings.lib_dir, port=free_port(),
                        version=settings.neo4j_version, heap=args.heap,
                        pagecache=args.pagecache)
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
        print(f"parse + validate: {t_parse:.1f} s ({len(traces) / t_parse:,.0f} traces/s); "
              f"{valid:,} valid; {actions:,} actions, {edges:,} edges")

        t0 = time.perf_counter()
        server.start()
        print(f"Neo4j started in {time.perf_counter() - t0:.1f} s (heap {args.heap}, "
              f"page cache {args.pagecache})")
        with GraphDatabase.driver(server.uri, auth=("neo4j", server.password())) as driver:
            init_schema(driver)
            t0 = time.perf_counter()
            written = sum(r.traces_written for r in write_traces(
                driver, read_traces(path), batch_size=args.batch_size))
            total = time.perf_counter() - t0
            print(f"INGEST (streamed: read + parse + validate overlapped with Neo4j writes): "
                  f"{written:,} traces in {total:.1f} s = {written / total:,.0f} traces/s, "
                  f"{actions / total:,.0f} actions/s, {edges / total:,.0f} edges/s "
                  f"(batch {args.batch_size})")

            t0 = time.perf_counter()
            again = sum(r.traces_written for r in
                        write_traces(driver, traces, batch_size=args.batch_size))
            print(f"re-ingest (idempotent): {again} written in {time.perf_counter() - t0:.1f} s")
            transactional = graph_summary(driver)
            print("graph:", transactional)

        # the bulk path: a second, empty server
        bulk_server = LocalNeo4j(root=work / "neo4j-bulk", lib_dir=settings.lib_dir,
                                 port=free_port(), version=settings.neo4j_version,
                                 heap=args.heap, pagecache=args.pagecache)
        bulk_server.start()
        try:
            t0 = time.perf_counter()
            result = bulk_import(bulk_server, read_traces(path), work / "import")
            with GraphDatabase.driver(bulk_server.uri,
                                      auth=("neo4j", bulk_server.password())) as driver:
                init_schema(driver)
                total = time.perf_counter() - t0
                steps = ", ".join(f"{k} {v:.1f} s" for k, v in result.seconds.items())
                print(f"BULK INGEST (ingest --bulk: parse + CSV + neo4j-admin import + restart + "
                      f"schema): {result.traces:,} traces in {total:.1f} s = "
                      f"{result.traces / total:,.0f} traces/s, {actions / total:,.0f} actions/s "
                      f"({steps})")
                bulk = graph_summary(driver)
                print("graph:", bulk, "(same as transactional)" if bulk == transactional
                      else "(DIFFERS from transactional)")
        finally:
            bulk_server.stop()
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
