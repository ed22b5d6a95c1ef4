"""Benchmark: latency of `vctrace audit`, `vctrace show` and every named library query at the
scale of the verify benchmark.

    python bench/audit.py [--n 18950] [--samples 200] [--de-genes 1000]

Set-up (timed, not the benchmark): the verify benchmark's graph (bench/verify.py: its
PrimeKG-shaped kg.csv, Tahoe DE shards, ``ingest --bulk`` of ``--n`` synthetic traces,
grounding), then `vctrace verify` with the default verifiers (run ``bench``) and a second run
over the traces of one drug with ``--dti-world closed`` (run ``bench-closed``: verdicts that
differ between two runs, for ``verdicts_changed_between_runs``).

Then each operation is called ``--samples`` times with random realistic parameters (claim
keys, trace keys and ids, drugs, cell lines, entities, primitives, verifiers drawn from the
graph with a fixed seed), through the application layer the CLI and the HTTP service call
(:mod:`vctrace.app.audit`, :mod:`vctrace.app.traces`, :mod:`vctrace.app.queries`) inside
``shared_connections`` (the service's one driver: connecting is not counted); the call alone
is timed, after ``--warmup`` untimed calls. Prints p50/p95/p99/max per operation in ms, the
mean rows each query answered, and the goal (audit p95 < 50 ms, library queries p95
< 100 ms); then the floor of the largest answer: as many rows read from stored traces with no
filter or sort, through the same query path.

Baseline measured in the same run: the audit of the same claims done naively, one query per
mention, asserting action and verdict (what the audit statement does in one round trip), and
the page-cache hit ratio of the server over the measurement when the server reports it.
Prints figures; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))
import verify as verify_bench  # noqa: E402  (bench/verify.py: the graph it builds)

from vctrace.app import audit as audit_case  # noqa: E402
from vctrace.app import queries, traces  # noqa: E402
from vctrace.app.graph_session import shared_connections  # noqa: E402
from vctrace.app.verification import VerifyRequest, verify  # noqa: E402
from vctrace.kg.graph import Graph  # noqa: E402
from vctrace.kg.server import LocalNeo4j, free_port  # noqa: E402
from vctrace.settings import Settings  # noqa: E402

AUDIT_GOAL_MS = 50.0
QUERY_GOAL_MS = 100.0


def build(server: LocalNeo4j, work: Path, n: int, de_genes: int, slice_drug: str) -> Settings:
    """The verify benchmark's graph on ``server``, verified (runs ``bench`` and
    ``bench-closed``)."""
    timed = verify_bench.timed
    print("set-up")
    settings = verify_bench.bench_graph(server, work, n, de_genes)
    timed("verify (run bench)", lambda: verify(settings, VerifyRequest(run_name="bench")))
    timed(f"verify {slice_drug} --dti-world closed (run bench-closed)", lambda: verify(
        settings, VerifyRequest(run_name="bench-closed", traces=[f"drug={slice_drug}"],
                                options={"dti-kg": {"world": "closed"}})))
    return settings


def _column(graph: Graph, text: str, **params: Any) -> list[Any]:
    records, _, _ = graph.driver.execute_query(text, params, database_=graph.database,
                                               routing_="r")
    return [r[0] for r in records]


def draw(settings: Settings, samples: int, rng: random.Random) -> dict[str, list[Any]]:
    """Random realistic parameters from the graph: ``samples`` of each kind."""
    with Graph.connect(settings) as graph:
        q = lambda text, **p: _column(graph, text, **p)  # noqa: E731
        claims = q("MATCH (c:Claim) RETURN c.key")
        trace_rows = q("MATCH (t:Trace) RETURN [t.key, t.trace_id]")
        runs = q("MATCH (r:VerificationRun) RETURN r.key ORDER BY r.created_at")
        pools = {
            "drug": q("MATCH (d:Drug)<-[:PERTURBED_BY]-(:Trace) RETURN DISTINCT d.name"),
            "cell_line": q("MATCH (c:CellLine)<-[:IN_CELL_LINE]-(:Trace) "
                           "RETURN DISTINCT c.name"),
            "entity": q("MATCH (:Mention)-[:REFERS_TO]->(e:Entity) RETURN DISTINCT e.key "
                        "LIMIT 20000"),
            "primitive": q("MATCH (c:Claim) RETURN DISTINCT c.primitive"),
            "verifier": q("MATCH (v:Verdict {run: $run}) WHERE v.status = 'refuted' "
                          "RETURN DISTINCT v.verifier", run=runs[0]),
        }
    picks = {"claim": [rng.choice(claims) for _ in range(samples)]}
    chosen = [rng.choice(trace_rows) for _ in range(samples)]
    picks["trace_key"] = [k for k, _ in chosen]
    picks["trace_id"] = [i for _, i in chosen]
    for kind, pool in pools.items():
        picks[kind] = [rng.choice(pool) for _ in range(samples)] if pool else []
    picks["min_traces"] = [rng.choice([2, 5, 20, 50]) for _ in range(samples)]
    picks["runs"] = runs
    return picks


def operations(settings: Settings, picks: dict[str, list[Any]]
               ) -> list[tuple[str, float, Callable[[int], Any]]]:
    """(name, goal in ms, call of sample i) per measured operation."""
    def named(name: str, **params: Callable[[int], Any]) -> tuple[str, float, Callable]:
        return (f"query {name}", QUERY_GOAL_MS, lambda i: queries.run_named(
            settings, name, {k: f(i) for k, f in params.items()}))

    run_a, run_b = picks["runs"][0], picks["runs"][-1]
    ops = [
        ("audit claim key", AUDIT_GOAL_MS,
         lambda i: audit_case.audit_document(settings, picks["claim"][i])),
        ("audit trace key", AUDIT_GOAL_MS,
         lambda i: audit_case.audit_document(settings, picks["trace_key"][i])),
        ("audit trace id", AUDIT_GOAL_MS,
         lambda i: audit_case.audit_document(settings, picks["trace_id"][i])),
        ("show trace key", AUDIT_GOAL_MS, lambda i: traces.show(settings, picks["trace_key"][i])),
        ("show trace id", AUDIT_GOAL_MS, lambda i: traces.show(settings, picks["trace_id"][i])),
        named("claim_provenance", claim=lambda i: picks["claim"][i]),
        named("claims_refuted_by_verifier", verifier=lambda i: picks["verifier"][i]),
        named("claims_shared_by_traces", min_traces=lambda i: picks["min_traces"][i]),
        named("traces_by_cell_line", cell_line=lambda i: picks["cell_line"][i]),
        named("traces_by_drug", drug=lambda i: picks["drug"][i]),
        named("traces_by_entity", entity=lambda i: picks["entity"][i]),
        named("traces_by_primitive", primitive=lambda i: picks["primitive"][i]),
        named("verdicts_changed_between_runs", run_a=lambda i: run_a, run_b=lambda i: run_b),
    ]
    known = {name for name, _, _ in ops}
    missing = [n for n in queries.library() if f"query {n.name}" not in known]
    if missing:  # a query added to the library since: measured with its parameters null
        ops += [named(info.name) for info in missing]
    return ops


def naive_claim_audit(graph: Graph, key: str) -> dict[str, Any]:
    """The baseline: a claim's audit gathered with one query per mention, asserting action
    and verdict (the same facts as ``runs/audit_claims``)."""
    run = lambda text, **p: graph.driver.execute_query(  # noqa: E731
        text, p, database_=graph.database, routing_="r")[0]
    claim, = run("MATCH (c:Claim {key: $key}) RETURN properties(c) AS c", key=key)
    out: dict[str, Any] = {"claim": claim["c"], "mentions": [], "actions": [], "verdicts": []}
    for m in run("MATCH (:Claim {key: $key})-[m:MENTIONS]->(x) RETURN elementId(x) AS id, "
                 "m.role AS role", key=key):
        out["mentions"].append(run("MATCH (x) WHERE elementId(x) = $id "
                                   "OPTIONAL MATCH (x)-[g:REFERS_TO]->(e) "
                                   "RETURN x.text, e.key, g.match", id=m["id"]))
    for a in run("MATCH (:Claim {key: $key})<-[:ASSERTS]-(a) RETURN elementId(a) AS id",
                 key=key):
        out["actions"].append(run("MATCH (a) WHERE elementId(a) = $id "
                                  "MATCH (t:Trace)-[:HAS_ACTION]->(a) "
                                  "OPTIONAL MATCH (t)-[:READ_FROM]->(i) "
                                  "RETURN t.key, t.trace_id, a.id, i.file, i.record", id=a["id"]))
    for v in run("MATCH (:Claim {key: $key})<-[:JUDGES]-(v) RETURN elementId(v) AS id",
                 key=key):
        out["verdicts"].append(run("MATCH (v) WHERE elementId(v) = $id RETURN properties(v)",
                                   id=v["id"]))
    return out


def percentiles(ms: list[float]) -> dict[str, float]:
    s = sorted(ms)
    at = lambda p: s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]  # noqa: E731
    return {"p50": at(50), "p95": at(95), "p99": at(99), "max": s[-1],
            "mean": statistics.fmean(s)}


def measure(call: Callable[[int], Any], samples: int, warmup: int,
            rows: list[int] | None = None) -> list[float]:
    """The times of ``samples`` calls in ms (after ``warmup`` untimed ones); the rows each
    answered go to ``rows`` when the call returns a query result."""
    for i in range(warmup):
        call(i % samples)
    out = []
    for i in range(samples):
        t0 = time.perf_counter()
        result = call(i)
        out.append((time.perf_counter() - t0) * 1000)
        if rows is not None and hasattr(result, "rows"):
            rows.append(len(result.rows))
    return out


#: The rows of traces_by_primitive, from stored traces without filter or sort: handing
#: over N such rows is the part of a query's time no query plan can save.
ROWS_ONLY = ("MATCH (t:Trace) RETURN t.key AS trace, t.trace_id AS trace_id, "
             "coalesce(t.trace_ids, []) AS trace_ids, t.drug AS drug, "
             "t.cell_line AS cell_line, t.n_actions AS actions LIMIT $n")


def paired(first: Callable[[int], Any], second: Callable[[int], Any], samples: int,
           warmup: int) -> tuple[list[float], list[float]]:
    """Both calls on each sample, alternating which goes first; their times in ms."""
    for i in range(warmup):
        first(i % samples), second(i % samples)
    times: tuple[list[float], list[float]] = ([], [])
    for i in range(samples):
        order = (0, 1) if i % 2 else (1, 0)
        for which in order:
            t0 = time.perf_counter()
            (first, second)[which](i)
            times[which].append((time.perf_counter() - t0) * 1000)
    return times


def page_cache(settings: Settings) -> tuple[int, int] | None:
    """(hits, faults) of the server's page cache so far, when the server reports them."""
    try:
        with Graph.connect(settings) as graph:
            records, _, _ = graph.driver.execute_query(
                "CALL dbms.queryJmx('org.neo4j:*') YIELD name, attributes "
                "WHERE name CONTAINS 'Page cache' RETURN attributes", database_="system")
    except Exception:  # noqa: BLE001  (an edition or configuration without JMX beans)
        return None
    for record in records:
        attrs = record["attributes"]
        if "Hits" in attrs and "Faults" in attrs:
            return int(attrs["Hits"]["value"]), int(attrs["Faults"]["value"])
    return None


def report(settings: Settings, picks: dict[str, list[Any]], samples: int, warmup: int) -> None:
    """Measure and print every operation, then the baseline."""
    before = page_cache(settings)
    print(f"\nLATENCY ({samples} samples each after {warmup} warm-up calls; ms)")
    print(f"  {'operation':<42} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7} {'rows':>7}"
          "  goal p95")
    largest = 0
    with shared_connections(settings):
        for name, goal, call in operations(settings, picks):
            rows: list[int] = []
            p = percentiles(measure(call, samples, warmup, rows))
            largest = max([largest, *rows])
            shown = f"{statistics.fmean(rows):7.0f}" if rows else f"{'':7}"
            print(f"  {name:<42} {p['p50']:7.1f} {p['p95']:7.1f} {p['p99']:7.1f} "
                  f"{p['max']:7.1f} {shown}  < {goal:.0f} "
                  f"{'met' if p['p95'] < goal else 'MISSED'}", flush=True)
        if largest:
            p = percentiles(measure(lambda i: queries.run_cypher(
                settings, ROWS_ONLY, {"n": largest}), samples, warmup))
            print(f"  FLOOR: {largest:,} rows of traces_by_primitive's shape, read from "
                  f"stored traces with no filter or sort (the same query path): p50 "
                  f"{p['p50']:.1f} ms, p95 {p['p95']:.1f} ms", flush=True)
        # the baseline and the audit of the same claims, interleaved (the machine's load
        # changes over a run: figures taken minutes apart do not compare)
        with Graph.connect(settings) as graph:
            audit_ms, naive_ms = paired(
                lambda i: audit_case.audit_document(settings, picks["claim"][i]),
                lambda i: naive_claim_audit(graph, picks["claim"][i]), samples, warmup)
    audit_p, naive = percentiles(audit_ms), percentiles(naive_ms)
    print(f"\nBASELINE: claim audit as one query per mention, action and verdict (bare "
          f"driver, no models): p50 {naive['p50']:.1f} ms, p95 {naive['p95']:.1f} ms; the "
          f"audit, interleaved with it: p50 {audit_p['p50']:.1f} ms, p95 {audit_p['p95']:.1f}"
          f" ms; audit/baseline time at p50: {audit_p['p50'] / naive['p50']:.2f}")
    after = page_cache(settings)
    if before and after and after[0] + after[1] > before[0] + before[1]:
        hits, faults = after[0] - before[0], after[1] - before[1]
        print(f"  page cache over the measurement: {hits:,} hits, {faults:,} faults, "
              f"hit ratio {hits / (hits + faults):.4f}")
    else:
        print("  page cache hit ratio: not reported by this server (Neo4j Community has no "
              "page-cache metrics beans)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=18_950)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--de-genes", type=int, default=1000)
    parser.add_argument("--slice-drug", default="drug-000")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--heap", default="4g")
    parser.add_argument("--pagecache", default="4g")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="vctrace-bench-audit-"))
    defaults = Settings()
    server = LocalNeo4j(root=work / "neo4j", lib_dir=defaults.lib_dir, port=free_port(),
                        version=defaults.neo4j_version, heap=args.heap,
                        pagecache=args.pagecache)
    try:
        settings = build(server, work, args.n, args.de_genes, args.slice_drug)
        with Graph.connect(settings) as graph:
            counts = {k: _column(graph, f"MATCH (n:{k}) RETURN count(n)")[0]
                      for k in ("Trace", "Claim", "Verdict")}
            counts["relationships"] = _column(graph, "MATCH ()-[r]->() RETURN count(r)")[0]
        print("  graph: " + ", ".join(f"{v:,} {k}" for k, v in counts.items()))
        picks = draw(settings, args.samples, random.Random(args.seed))
        report(settings, picks, args.samples, args.warmup)
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
