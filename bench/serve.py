"""Benchmark: the HTTP service under concurrent clients on the benchmark-scale graph.

    python bench/serve.py [--n 18950] [--clients 1,8,32] [--seconds 60] [--de-genes 200]

Set-up (timed, not the benchmark): the graph of ``bench/verify.py`` (a fresh local Neo4j, the
synthetic VC-TRACES-shaped traces by bulk import, a PrimeKG-shaped kg.csv, Tahoe-shaped DE
shards, grounding) verified once with the default verifiers; a read and a write token; the
service started as its own process (``vctrace serve``, one uvicorn worker) on a free port.

Then, for each count in ``--clients``, that many asyncio clients (httpx2, one connection each,
no think time: a closed loop) send requests over loopback for ``--seconds``, each picking at
random: the audit of a random claim (35%) or trace (10%), a trace read as JSON
(35%), a named library query (``traces_by_drug``, 15%), and the ingest of one new synthetic
trace (5%). Printed per route: requests, requests/s, p50/p95/p99 latency and errors (with
their status and message). Goals (issue 10): 0 errors, audit p95 < 50 ms and trace read p95 <
30 ms at 32 clients. In a closed loop the mean latency is clients / throughput, which the
output prints beside the measured mean: at 32 clients a 50 ms p95 needs well over 640
requests/s, which two cores shared by the clients, the service and Neo4j do not have.

Baseline in the same run: the same audit and trace reads called in process through the
application layer (one shared driver, no HTTP, one caller), so the ratio shows what HTTP,
JSON and concurrency add. Prints figures; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import httpx2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from verify import timed, write_de, write_kg  # noqa: E402  (the same graph as bench/verify)

from vctrace.app import audit as audit_app, tokens, traces as traces_app  # noqa: E402
from vctrace.app.graph_session import shared_connections  # noqa: E402
from vctrace.app.verification import VerifyRequest, verify  # noqa: E402
from vctrace.kg.bulk_import import bulk_import  # noqa: E402
from vctrace.kg.graph import Graph  # noqa: E402
from vctrace.kg.grounding import ground  # noqa: E402
from vctrace.kg.schema import init_schema  # noqa: E402
from vctrace.kg.server import LocalNeo4j, free_port  # noqa: E402
from vctrace.loaders.primekg import PrimeKGLoader  # noqa: E402
from vctrace.loaders.tahoe_de import TahoeDELoader  # noqa: E402
from vctrace.settings import Settings  # noqa: E402
from vctrace.traces.records import to_json_form  # noqa: E402
from vctrace.traces.synthetic import synthetic_trace, synthetic_traces  # noqa: E402

MIX = (("audit claim", 0.35), ("audit trace", 0.10), ("read trace", 0.35),
       ("library query", 0.15), ("ingest", 0.05))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))] if ordered else 0.0


def build_graph(work: Path, server: LocalNeo4j, n: int, de_genes: int) -> Settings:
    timed("generate kg.csv", lambda: write_kg(work / "kg.csv", random.Random(0)))
    timed("generate DE shards", lambda: write_de(work / "de", de_genes,
                                                 np.random.default_rng(0)))
    server.start()
    timed(f"ingest --bulk {n:,} traces", lambda: bulk_import(server, synthetic_traces(n),
                                                             work / "import"))
    settings = Settings(neo4j_uri=server.uri, neo4j_user="neo4j",
                        neo4j_password=server.password(), home=work / "home")
    with Graph.connect(settings) as graph:
        init_schema(graph)
        timed("load kg.csv", lambda: PrimeKGLoader(graph).load([work / "kg.csv"]))
        timed("load DE", lambda: TahoeDELoader(graph).load(sorted((work / "de").glob("*"))))
        timed("ground", lambda: ground(graph, rebuild=True))
    timed("verify (default verifiers)", lambda: verify(settings, VerifyRequest(run_name="bench")))
    return settings


def sample_keys(settings: Settings, count: int = 2000) -> tuple[list[str], list[str], list[str]]:
    with Graph.connect(settings) as graph:
        rows = graph.driver.execute_query(
            "MATCH (t:Trace) WITH t ORDER BY rand() LIMIT $n RETURN t.key AS k, t.drug AS d",
            n=count).records
        claims = graph.driver.execute_query(
            "MATCH (c:Claim) WITH c ORDER BY rand() LIMIT $n RETURN c.key AS k", n=count).records
    return [r["k"] for r in rows], [r["k"] for r in claims], sorted({r["d"] for r in rows})


def start_service(settings: Settings, port: int, log: Path) -> subprocess.Popen:
    env = dict(os.environ, VCTRACE_NEO4J_URI=settings.neo4j_uri, VCTRACE_NEO4J_USER="neo4j",
               VCTRACE_NEO4J_PASSWORD=settings.neo4j_password, VCTRACE_HOME=str(settings.home))
    process = subprocess.Popen([sys.executable, "-m", "vctrace.cli", "serve", "--port",
                                str(port)], env=env, stdout=log.open("w"),
                               stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx2.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return process
        except httpx2.TransportError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"the service did not start: {log.read_text()[-2000:]}")


async def load(base: str, read: str, write: str, trace_keys: list[str], claim_keys: list[str],
               drugs: list[str], clients: int, seconds: float
               ) -> tuple[dict[str, list[float]], dict[str, int], float]:
    latencies: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    reasons: dict[str, int] = defaultdict(int)
    names, weights = zip(*MIX)
    new_trace = iter(range(10_000_000, 20_000_000))
    end = time.perf_counter() + seconds

    async def client(seed: int) -> None:
        rng = random.Random(seed)
        limits = httpx2.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx2.AsyncClient(base_url=base, limits=limits, timeout=30) as http:
            while time.perf_counter() < end:
                route = rng.choices(names, weights)[0]
                auth = {"Authorization": f"Bearer {write if route == 'ingest' else read}"}
                started = time.perf_counter()
                try:
                    if route == "audit claim":
                        response = await http.get(f"/audit/{rng.choice(claim_keys)}", headers=auth)
                    elif route == "audit trace":
                        response = await http.get(f"/audit/{rng.choice(trace_keys)}", headers=auth)
                    elif route == "read trace":
                        response = await http.get(f"/traces/{rng.choice(trace_keys)}",
                                                  headers=auth)
                    elif route == "library query":
                        response = await http.post("/queries/traces_by_drug", headers=auth,
                                                   json={"params": {"drug": rng.choice(drugs)},
                                                         "limit": 100})
                    else:
                        body = json.dumps(to_json_form(synthetic_trace(next(new_trace))))
                        response = await http.post("/traces", headers={
                            **auth, "Content-Type": "application/json"}, content=body)
                    ok = response.status_code < 300
                    why = f"{response.status_code} {response.text[:120]}"
                except httpx2.HTTPError as exc:
                    ok, why = False, type(exc).__name__
                latencies[route].append(time.perf_counter() - started)
                if not ok:
                    errors[route] += 1
                    reasons[f"{route}: {why}"] += 1

    started = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(clients)))
    for why, count in sorted(reasons.items()):
        print(f"  error ×{count}: {why}")
    return latencies, errors, time.perf_counter() - started


def baseline(settings: Settings, trace_keys: list[str], claim_keys: list[str], n: int = 300
             ) -> dict[str, float]:
    """p50 latency (ms) of the same reads through the application layer, in process."""
    out = {}
    with shared_connections(settings):
        for label, call in (("audit claim", lambda k: audit_app.audit(settings, k)),
                            ("read trace", lambda k: traces_app.trace_json_form(
                                traces_app.show(settings, k)))):
            keys = claim_keys if label == "audit claim" else trace_keys
            call(keys[0])  # warm
            samples = []
            for key in keys[:n]:
                t0 = time.perf_counter()
                call(key)
                samples.append(time.perf_counter() - t0)
            out[label] = statistics.median(samples) * 1000
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=18_950)
    parser.add_argument("--de-genes", type=int, default=200)
    parser.add_argument("--clients", type=lambda text: [int(c) for c in text.split(",")],
                        default=[1, 8, 32], help="client counts to run, e.g. 1,8,32")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--heap", default="4g")
    parser.add_argument("--pagecache", default="4g")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="vctrace-bench-serve-"))
    defaults = Settings()
    server = LocalNeo4j(root=work / "neo4j", lib_dir=defaults.lib_dir, port=free_port(),
                        version=defaults.neo4j_version, heap=args.heap, pagecache=args.pagecache)
    service = None
    try:
        print("set-up")
        settings = build_graph(work, server, args.n, args.de_genes)
        read = tokens.create(settings, "read", "bench-read").token
        write = tokens.create(settings, "write", "bench-write").token
        trace_keys, claim_keys, drugs = sample_keys(settings)
        port = free_port()
        service = start_service(settings, port, work / "serve.log")
        print(f"  service on 127.0.0.1:{port}; {len(trace_keys):,} trace and "
              f"{len(claim_keys):,} claim keys sampled")

        served_p50 = {}
        for clients in args.clients:
            print(f"\nLOAD: {clients} clients for {args.seconds:g} s")
            latencies, errors, elapsed = asyncio.run(load(
                f"http://127.0.0.1:{port}", read, write, trace_keys, claim_keys, drugs,
                clients, args.seconds))
            total = sum(len(v) for v in latencies.values())
            mean = sum(sum(v) for v in latencies.values()) / max(total, 1)
            print(f"  {total:,} requests in {elapsed:.1f} s = {total / elapsed:,.0f} requests/s, "
                  f"{sum(errors.values())} errors; mean latency {mean * 1000:.0f} ms "
                  f"(closed loop: clients / throughput = "
                  f"{clients / (total / elapsed) * 1000:.0f} ms)")
            print(f"  {'route':<14} {'requests':>9} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} "
                  f"{'p99 ms':>8} {'errors':>7}")
            for route, _ in MIX:
                values = latencies.get(route, [])
                print(f"  {route:<14} {len(values):>9,} {len(values) / elapsed:>7,.0f} "
                      f"{percentile(values, 50) * 1000:>8.1f} "
                      f"{percentile(values, 95) * 1000:>8.1f} "
                      f"{percentile(values, 99) * 1000:>8.1f} {errors.get(route, 0):>7}")
            served_p50[clients] = {route: percentile(latencies.get(route, []), 50) * 1000
                                   for route, _ in MIX}

        print("\nBASELINE: the same reads in process through the application layer "
              "(one caller, no HTTP)")
        base = baseline(settings, trace_keys, claim_keys)
        for route, p50 in base.items():
            served = "; ".join(f"{clients} clients {p50s[route]:.1f} ms = "
                               f"{p50s[route] / p50:.1f}×" for clients, p50s in served_p50.items())
            print(f"  {route:<14} in process p50 {p50:6.1f} ms; served p50: {served}")
    finally:
        if service is not None:
            service.send_signal(signal.SIGINT)
            try:
                service.wait(30)
            except subprocess.TimeoutExpired:
                service.kill()
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
