"""Benchmark: ingest N synthetic VC-TRACES-shaped traces into a fresh local Neo4j.

    python bench/ingest.py [--n 18950] [--batch-size 200] [--heap 2g] [--pagecache 2g]
                           [--warm N]

Generates the traces (vctrace.traces.synthetic), writes them as a VC-TRACES JSONL file, then
times parsing alone, then `vctrace ingest` itself (vctrace.app.traces.ingest: reading and
parsing overlap with batched Neo4j writes; the grounding of new mentions that follows is timed
apart). Also times a second ingest of the same file (idempotency: reads and parses it again,
writes nothing), and the offline bulk path (`vctrace ingest --bulk`,
vctrace.app.traces.bulk_ingest) into a second, empty server, and compares both graphs.
Prints traces/s and actions/s, and the peak resident memory of this Python process and of the
Neo4j server while `vctrace ingest` runs (sampled every 0.1 s); and for both paths the CPU
seconds each process used, whose sum over the machine's cores is the least wall time that
work allows (a floor no scheduling or overlap can beat without doing less work).

Baseline, measured in the same run on the same server before the ingest (and deleted again):
the naive write path, one MERGE statement per trace, per action (with its claim and
mentions) and per edge, one transaction per trace, over the first `--naive` traces
(vctrace/cypher/traces/naive_*.cypher); its traces/s against the batched path's gives the
ratio. Not a test: it asserts nothing about time.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import threading
import time
from itertools import islice
from pathlib import Path

from vctrace import cypher
from vctrace.app import database
from vctrace.app.traces import bulk_ingest, ingest
from vctrace.kg.graph import Graph
from vctrace.kg.server import LocalNeo4j, free_port
from vctrace.kg.trace_store import _claim_row, trace_row
from vctrace.traces.identity import trace_key
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


def rss_bytes(pid: int) -> int:
    """The resident memory of process ``pid`` now (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds process ``pid`` has used so far, all its threads (0 when it
    is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    """CPU seconds of this process and of the children it has waited for (neo4j-admin)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def cpu_floor(used: dict[str, float]) -> str:
    """The CPU seconds each process used, and the least wall time they allow on this
    machine's cores (if every core had been busy all along)."""
    cores = os.cpu_count() or 1
    total = sum(used.values())
    return (", ".join(f"{name} {seconds:.1f} s" for name, seconds in used.items())
            + f": {total:.1f} CPU s, so at least {total / cores:.1f} s on {cores} cores")


class PeakMemory:
    """Samples the resident memory of some processes every ``every`` seconds in a thread,
    keeping each one's peak (a context manager)."""

    def __init__(self, pids: dict[str, int], every: float = 0.1):
        self.pids, self.every = pids, every
        self.peak = {name: rss_bytes(pid) for name, pid in pids.items()}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            for name, pid in self.pids.items():
                self.peak[name] = max(self.peak[name], rss_bytes(pid))

    def __enter__(self) -> "PeakMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def __str__(self) -> str:
        return ", ".join(f"{name} {peak / 2**20:,.0f} MiB" for name, peak in self.peak.items())


def _naive_trace(tx, tkey: str, trace) -> None:
    row = trace_row(tkey, trace)
    tx.run(cypher.load("traces/naive_trace"), row={k: v for k, v in row.items()
                                                   if k != "actions"}).consume()
    for action, action_row in zip(trace.actions, row["actions"]):
        tx.run(cypher.load("traces/naive_action"), trace_key=tkey,
               claim=_claim_row(action, action_row),
               action={"label": action_row["label"], "props": action_row["props"]}).consume()
    for edge in row["edges"]:
        tx.run(cypher.load("traces/naive_edge"), trace_key=tkey, edge=edge).consume()


def naive_rate(settings: Settings, path: Path, n: int) -> float:
    """Traces/s of the naive path (one MERGE statement per trace, action and edge, one
    transaction per trace) over the first ``n`` valid traces of ``path``, written into the
    server of ``settings`` and deleted afterwards; parsing included, as in the ingest."""
    with Graph.connect(settings) as graph:
        t0 = time.perf_counter()
        traces = islice((t for t in read_traces(path) if is_valid(t)), n)
        done = 0
        with graph.session() as session:
            for trace in traces:
                session.execute_write(_naive_trace, trace_key(trace), trace)
                done += 1
        seconds = time.perf_counter() - t0
        graph.auto_commit("kg/clear_graph")
    return done / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--n", type=int, default=18_950)
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument("--heap", default="2g")
    parser.add_argument("--pagecache", default="2g")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--warm", type=int, default=0, metavar="N",
                        help="first ingest (and delete) N other traces, so that the timed "
                        "ingest meets a server whose JIT has warmed up, as a running "
                        "service's has")
    parser.add_argument("--naive", type=int, default=300,
                        help="traces written by the naive path for the baseline ratio")
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
        naive = naive_rate(settings, path, args.naive) if args.naive else None
        if args.warm:  # a server that has run a while: its JIT has compiled the write path
            warm = work / "warm.jsonl"
            write_traces_file(synthetic_traces(args.warm, args.seed + 1), warm)
            t0 = time.perf_counter()
            ingest(settings, [warm])
            with Graph.connect(settings) as graph:
                graph.auto_commit("kg/clear_graph")
            print(f"warm-up: {args.warm:,} other traces ingested and deleted in "
                  f"{time.perf_counter() - t0:.1f} s")
        pids = {"Python": os.getpid(), "Neo4j": LocalNeo4j.from_settings(settings).pid() or 0}
        cpu_before = own_cpu_seconds(), cpu_seconds(pids["Neo4j"])
        with PeakMemory(pids) as memory:
            result = ingest(settings, [path])
        cpu = {"Python": own_cpu_seconds() - cpu_before[0],
               "Neo4j": cpu_seconds(pids["Neo4j"]) - cpu_before[1]}
        total, seconds = result.total, result.seconds
        transactional_rate = total.written / seconds
        print(f"INGEST (vctrace ingest: read + parse + validate overlapped with Neo4j writes, "
              f"then grounding {result.grounding_seconds:.1f} s): {total.written:,} traces in "
              f"{seconds:.1f} s = {transactional_rate:,.0f} traces/s, "
              f"{total.actions / seconds:,.0f} actions/s, {total.edges / seconds:,.0f} edges/s "
              f"(batch {result.batch_size})")
        print(f"peak resident memory during the ingest: {memory}")
        print(f"CPU used by the ingest: {cpu_floor(cpu)}")
        if naive:
            print(f"baseline (naive path: one MERGE statement per trace, action and edge, one "
                  f"transaction per trace; first {args.naive:,} traces): {naive:,.1f} traces/s; "
                  f"batched ingest {transactional_rate / naive:.1f}x the naive path "
                  f"(naive, extrapolated: {args.n / naive:,.0f} s for {args.n:,} traces)")
        again = ingest(settings, [path])
        print(f"re-ingest (idempotent, file read and parsed again): {again.total.written} "
              f"written, {again.total.existing:,} already stored, in {again.seconds:.1f} s")
        transactional = database.status(settings).summary
        print("graph:", transactional)

        # the bulk path: a second, empty server (started before the clock, as above)
        bulk_settings = local_settings(work / "bulk", args)
        servers.append(bulk_settings)
        database.start(bulk_settings)
        old_server = LocalNeo4j.from_settings(bulk_settings).pid() or 0
        cpu_before = own_cpu_seconds(), cpu_seconds(old_server)
        result = bulk_ingest(bulk_settings, [path])
        # the server stopped for the import is gone: its share (stopping) is not counted
        cpu = {"Python + neo4j-admin": own_cpu_seconds() - cpu_before[0],
               "restarted Neo4j": cpu_seconds(LocalNeo4j.from_settings(bulk_settings).pid()
                                              or 0)}
        seconds = result.seconds
        steps = ", ".join(f"{k} {v:.1f} s" for k, v in result.step_seconds.items())
        print(f"BULK INGEST (ingest --bulk: parse + CSV + neo4j-admin import + restart + "
              f"schema): {result.traces:,} traces in {seconds:.1f} s = "
              f"{result.traces / seconds:,.0f} traces/s, {result.actions / seconds:,.0f} "
              f"actions/s ({steps}); {result.traces / seconds / transactional_rate:.1f}x the "
              "transactional path")
        print(f"CPU used by the bulk ingest: {cpu_floor(cpu)}")
        bulk = database.status(bulk_settings).summary
        print("graph:", bulk, "(same as transactional)" if bulk == transactional
              else "(DIFFERS from transactional)")
    finally:
        for settings in servers:
            database.stop(settings)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
