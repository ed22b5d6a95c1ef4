"""Benchmark: the floor of verdict writes, and what each index entry and the JUDGES edge costs.

    python bench/verdict_writes.py [--n 482921] [--claims 335320] [--batch-size 5000] [--repeat 2]

On a fresh local Neo4j holding ``--claims`` bare ``Claim`` nodes (keyed, under the schema's
unique constraint), ``--n`` verdict nodes with the properties the engine stores
(``runs/create_verdicts``: key, run, verifier, version, subject, status, reason,
evidence_json, created_at, score) are created ``--batch-size`` per transaction (one
``UNWIND $rows`` statement each, rows built before the clock starts), in each of these
set-ups (each its own label, so each has only the indexes named; the nodes are deleted
after each pass):

    bare           no index, no edge: the floor of creating the nodes
    key            + the unique constraint on key (what refuses a duplicate verdict)
    run            + the (run, verifier) index only (what every verdict lookup uses)
    key+run        both indexes (the schema's Verdict)
    key+run+edge   both, and a JUDGES edge to the claim looked up by key: what the engine
                   writes (the baseline of this bench's ratios)
    run+edge       the (run, verifier) index and the edge, without the key constraint

The passes are interleaved (``--repeat`` rounds, each round every set-up once), and each line
prints the best round's verdicts/s and its ratio to ``key+run+edge`` of the same run. The
verdict bench's 482,921 verdicts (``bench/verify.py`` at full scale) are the default. Prints
figures; asserts nothing about time. Cypher is inline here (not in ``vctrace/cypher``): these
statements measure schema variants under throwaway labels, nothing of vctrace runs them.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from vctrace.kg.graph import Graph, Statement
from vctrace.kg.schema import init_schema
from vctrace.kg.server import LocalNeo4j, free_port
from vctrace.runs.engine import verdict_key
from vctrace.settings import Settings

# set-up -> (unique key constraint, (run, verifier) index, JUDGES edge)
SETUPS = {"bare": (False, False, False), "key": (True, False, False),
          "run": (False, True, False), "key+run": (True, True, False),
          "key+run+edge": (True, True, True), "run+edge": (False, True, True)}
BASELINE = "key+run+edge"
PROPS = ("{key: v.key, run: $run, verifier: $verifier, version: $version, subject: v.subject, "
         "status: v.status, reason: v.reason, evidence_json: v.evidence_json, "
         "created_at: datetime()}")


def label(setup: str) -> str:
    return "BenchVerdict" + "".join(p.capitalize() for p in setup.replace("+", " ").split())


def prepare(graph: Graph, setup: str) -> None:
    key, run, _ = SETUPS[setup]
    name = label(setup)
    if key:
        graph.write(Statement(f"CREATE CONSTRAINT {name.lower()}_key IF NOT EXISTS "
                              f"FOR (n:{name}) REQUIRE n.key IS UNIQUE"))
    if run:
        graph.write(Statement(f"CREATE INDEX {name.lower()}_run IF NOT EXISTS "
                              f"FOR (n:{name}) ON (n.run, n.verifier)"))
    graph.write(Statement("CALL db.awaitIndexes(300)"))


def create_statement(setup: str) -> Statement:
    name = label(setup)
    if SETUPS[setup][2]:
        return Statement(f"UNWIND $rows AS v MATCH (s:Claim {{key: v.subject}}) "
                         f"CREATE (x:{name} {PROPS}) SET x.score = v.score "
                         "CREATE (x)-[:JUDGES]->(s)")
    return Statement(f"UNWIND $rows AS v CREATE (x:{name} {PROPS}) SET x.score = v.score")


def one_pass(graph: Graph, setup: str, batches: list[list[dict]]) -> float:
    text = create_statement(setup)
    t0 = time.perf_counter()
    for rows in batches:
        graph.write(text, rows=rows, run="bench", verifier="grounding", version="2")
    seconds = time.perf_counter() - t0
    graph.auto_commit(Statement(f"MATCH (x:{label(setup)}) CALL (x) {{ DETACH DELETE x }} "
                                "IN TRANSACTIONS OF 10000 ROWS"))
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=482_921)
    parser.add_argument("--claims", type=int, default=335_320)
    parser.add_argument("--batch-size", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--setups", default=",".join(SETUPS),
                        help="comma-separated subset of: " + ", ".join(SETUPS))
    parser.add_argument("--heap", default="2g")
    parser.add_argument("--pagecache", default="2g")
    args = parser.parse_args()
    setups = args.setups.split(",")

    work = Path(tempfile.mkdtemp(prefix="vctrace-bench-verdicts-"))
    defaults = Settings()
    server = LocalNeo4j(root=work / "neo4j", lib_dir=defaults.lib_dir, port=free_port(),
                        version=defaults.neo4j_version, heap=args.heap,
                        pagecache=args.pagecache)
    try:
        server.start()
        settings = Settings(neo4j_uri=server.uri, neo4j_user="neo4j",
                            neo4j_password=server.password())
        with Graph.connect(settings) as graph:
            init_schema(graph)
            claims = [f"c-{i:08d}" for i in range(args.claims)]
            for start in range(0, len(claims), 20_000):
                graph.write(Statement("UNWIND $keys AS k CREATE (:Claim {key: k})"),
                            keys=claims[start:start + 20_000])
            for setup in setups:
                prepare(graph, setup)
            rows = [{"key": verdict_key("bench", "grounding", claims[i % len(claims)],
                                        str(i // len(claims)) if i >= len(claims) else None),
                     "subject": claims[i % len(claims)], "status": "supported",
                     "reason": "all_grounded", "score": 1.0,
                     "evidence_json": '{"mentions": 2, "ungrounded": []}'}
                    for i in range(args.n)]
            batches = [rows[s:s + args.batch_size] for s in range(0, len(rows),
                                                                    args.batch_size)]
            print(f"{args.n:,} verdicts in batches of {args.batch_size:,} over {args.claims:,} "
                  f"claims; {args.repeat} interleaved rounds")
            best: dict[str, float] = {}
            for round_ in range(args.repeat):
                for setup in setups:
                    seconds = one_pass(graph, setup, batches)
                    best[setup] = min(best.get(setup, seconds), seconds)
                    print(f"  round {round_ + 1} {setup:<14} {seconds:6.1f} s "
                          f"{args.n / seconds:>9,.0f} verdicts/s", flush=True)
            print("best round")
            for setup in setups:
                ratio = (f"  {best[BASELINE] / best[setup]:.2f}x the engine's writes"
                         if BASELINE in best else "")
                print(f"  {setup:<14} {best[setup]:6.1f} s {args.n / best[setup]:>9,.0f} "
                      f"verdicts/s{ratio}")
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
