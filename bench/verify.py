"""Benchmark: verify the full-scale synthetic trace set over a KG and DE set of matching scale.

    python bench/verify.py [--n 18950] [--de-genes 1000] [--slice-drug drug-000]

Set-up (timed, not the benchmark): a fresh local Neo4j; the synthetic VC-TRACES-shaped traces
(vctrace.traces.synthetic: 379 drugs × 50 cell lines) by `ingest --bulk`; a PrimeKG-shaped
kg.csv with the relations the verifiers read, at PrimeKG's published counts for them
(drug_protein, protein_protein, pathway_protein, cellcomp_protein, bioprocess_protein; 27,671
genes), where each drug's curated targets are the ones the trace generator uses minus one for
drugs with several (so some binding claims are on no curated list: unverifiable in dti-kg's
open world, refuted with ``--dti-world closed``); a Tahoe-100M DE shard set in the real
16-column schema with one condition per (drug, cell line) of the traces (18,950 conditions ×
``--de-genes`` genes, 15% untested, 8% significant); grounding.

Then `vctrace verify` (vctrace.app.verification.verify) with every default verifier (Boltz-2
is not one) is timed: distinct claims per verifier, claims/s, total. In the same run, the
traces of one drug (``--slice-drug``) are verified twice more: batched (5,000 claims per
batch) and one claim at a time (batches of one: a query for the claim, the verifier's queries,
a write: the one-query-per-claim approach), and the per-claim speeds are compared. Times are
the runs' own (connecting is not counted). ``--report DIR`` also times `vctrace report`
(vctrace.app.verification.report: metrics, JSON and HTML). After the full run the verdicts are
counted by verifier, status and reason (a table; ``--counts-out FILE`` also writes it as JSON:
a list of ``{verifier, status, reason, n}`` sorted by those three), so that a change of the
engine or a verifier can be checked to give the same verdicts; ``--against REV`` does that
check in the same run: the code of git revision REV verifies the same graph as run
``against`` (a subprocess importing a `git archive` of REV), and its counts and time are
compared with this code's (the baseline ratio of the engine's own history). Prints figures; asserts nothing
about time.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from vctrace.app.robustness import RobustnessOptions, robustness
from vctrace.app.verification import VerifyRequest, report, verify
from vctrace.kg.bulk_import import bulk_import
from vctrace.kg.graph import Graph
from vctrace.kg.grounding import ground
from vctrace.kg.schema import init_schema
from vctrace.kg.server import LocalNeo4j, free_port
from vctrace.loaders.primekg import COLUMNS_12, PrimeKGLoader
from vctrace.loaders.tahoe_de import COLUMNS, TahoeDELoader
from vctrace.runs.engine import DEFAULT_VERIFIERS
from vctrace.runs.metrics import verdict_outcomes
from vctrace.settings import Settings
from vctrace.traces.synthetic import N_CELL_LINES, N_DRUGS, N_GENES, synthetic_traces

GENES = 27_671  # PrimeKG gene/protein nodes; the traces name the first N_GENES
PAIRS = {"protein_protein": 321_075, "pathway_protein": 42_646, "cellcomp_protein": 83_402,
         "bioprocess_protein": 144_805}  # PrimeKG's published rows / 2
TERMS = {"pathway_protein": ("pathway", "REACTOME", 2_516),
         "cellcomp_protein": ("cellular_component", "GO", 4_176),
         "bioprocess_protein": ("biological_process", "GO", 28_642)}


def gene(i: int) -> str:
    return f"{i},{i + 1},gene/protein,GENE{i:05d},NCBI"


def term(kind: str, source: str, i: int, offset: int) -> str:
    if kind == "pathway":  # the generator names pathways "pathway 042"
        name, node_id = f"pathway {i:03d}", f"R-HSA-{i}"
    elif kind == "cellular_component":
        name, node_id = ("nucleus", "cytosol")[i] if i < 2 else f"component {i}", str(1_000_000 + i)
    else:  # biological process GO:0000001… (participates_in names GO ids)
        name, node_id = f"process {i}", str(i + 1)
    return f"{offset + i},{node_id},{kind},{name},{source}"


def write_kg(path: Path, rng: random.Random) -> int:
    rows = 0
    with path.open("w") as out:
        out.write(",".join(COLUMNS_12) + "\n")

        def both(relation: str, display: str, a: str, b: str) -> None:
            nonlocal rows
            out.write(f"{relation},{display},{a},{b}\n{relation},{display},{b},{a}\n")
            rows += 2

        offset = GENES
        for d in range(N_DRUGS):  # the trace generator's targets, minus one of several
            targets = [(d * 7 + k) % N_GENES for k in range(1 + d % 3)]
            drug = f"{offset + d},DB{d:05d},drug,drug-{d:03d},DrugBank"
            for t in targets[:-1] if len(targets) > 1 else targets:
                both("drug_protein", "target", drug, gene(t))
        offset += N_DRUGS
        for _ in range(PAIRS["protein_protein"]):
            a, b = rng.randrange(GENES), rng.randrange(GENES)
            if a != b:
                both("protein_protein", "ppi", gene(a), gene(b))
        for relation, (kind, source, count) in TERMS.items():
            for k in range(PAIRS[relation]):
                # the first terms are the ones traces name: give them members among trace genes
                i = k % count
                g = rng.randrange(N_GENES if i < 300 else GENES)
                both(relation, "interacts with", term(kind, source, i, offset), gene(g))
            offset += count
    return rows


def write_de(folder: Path, genes: int, rng: np.random.Generator) -> int:
    folder.mkdir()
    names = np.array([f"GENE{i:05d}" for i in range(genes)])
    conditions = N_DRUGS * N_CELL_LINES
    per_shard = max(1, 2_000_000 // genes)
    for first in range(0, conditions, per_shard):
        idx = np.arange(first, min(conditions, first + per_shard))
        n = len(idx) * genes
        cond = np.repeat(idx, genes)
        tested = rng.random(n) > 0.15
        significant = rng.random(n) < 0.08
        lfc = np.where(significant, rng.choice([-1, 1], n) * rng.uniform(0.5, 4.0, n),
                       rng.normal(0, 0.3, n))
        padj = np.where(significant, 10 ** -rng.uniform(2, 10, n), rng.uniform(0.05, 1, n))
        frame = pd.DataFrame({
            "gene_name": np.tile(names, len(idx)),
            "baseMean": np.where(tested, 300.0, 0.0),
            "log2FoldChange": np.where(tested, lfc, np.nan), "lfcSE": 0.3,
            "stat": np.where(tested, lfc / 0.3, np.nan),
            "pvalue": np.where(tested, padj / 5, np.nan), "padj": np.where(tested, padj, np.nan),
            "plate": "plate1", "n_cells_trt": 500, "n_cells_ctrl": 9000,
            "Cell_ID_Cellosaur": None, "Cell_ID_DepMap": None,
            # trace i has drug i % N_DRUGS and cell line (i // N_DRUGS) % N_CELL_LINES
            "Cell_Name_Vevo": [f"CELL-{c:02d}" for c in (cond // N_DRUGS) % N_CELL_LINES],
            "drug": [f"drug-{d:03d}" for d in cond % N_DRUGS],
            "concentration": 0.5, "concentration_unit": "uM"}, columns=list(COLUMNS))
        frame.to_parquet(folder / f"de_{first:06d}.parquet", index=False)
    return conditions * genes


def timed(label: str, fn):
    t0 = time.perf_counter()
    value = fn()
    print(f"  {label}: {time.perf_counter() - t0:.1f} s")
    return value


def bench_graph(server: LocalNeo4j, work: Path, n: int, de_genes: int) -> Settings:
    """The bench's graph on ``server`` (started here): the kg.csv and DE shards written under
    ``work``, ``n`` synthetic traces by ``ingest --bulk`` (none for 0), the knowledge loaded
    and grounded, each step timed; the settings that reach it."""
    rows = timed("generate kg.csv", lambda: write_kg(work / "kg.csv", random.Random(0)))
    de_rows = timed("generate DE shards", lambda: write_de(
        work / "de", de_genes, np.random.default_rng(0)))
    print(f"  kg.csv {rows:,} rows; DE {de_rows:,} rows")
    server.start()
    if n:
        timed(f"ingest --bulk {n:,} traces", lambda: bulk_import(
            server, synthetic_traces(n), work / "import"))
    settings = Settings(neo4j_uri=server.uri, neo4j_user="neo4j",
                        neo4j_password=server.password())
    with Graph.connect(settings) as graph:
        init_schema(graph)
        timed("load PrimeKG-shaped kg.csv", lambda: PrimeKGLoader(graph).load(
            [work / "kg.csv"], {"source_version": "bench"}))
        timed("load DE shards", lambda: TahoeDELoader(graph).load(
            sorted((work / "de").glob("*.parquet")), {"source_version": "bench"}))
        timed("ground", lambda: ground(graph, rebuild=True))
    return settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=18_950)
    parser.add_argument("--de-genes", type=int, default=1000)
    parser.add_argument("--slice-drug", default="drug-000")
    parser.add_argument("--batch-size", type=int, default=5000)
    parser.add_argument("--heap", default="4g")
    parser.add_argument("--pagecache", default="4g")
    parser.add_argument("--report", type=Path, help="also time `vctrace report` of the full "
                        "run and keep its JSON and HTML in this folder")
    parser.add_argument("--counts-out", type=Path, help="write the full run's verdict counts "
                        "by verifier, status and reason to this JSON file")
    parser.add_argument("--against", metavar="REV", help="also verify the same graph with the "
                        "code of git REV (run 'against', in a subprocess) and compare its "
                        "verdict counts and time with this code's")
    parser.add_argument("--robustness", action="store_true", help="also judge the run's "
                        "counterfactuals (vctrace robustness) in the open and closed DTI world")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="vctrace-bench-verify-"))
    defaults = Settings()
    server = LocalNeo4j(root=work / "neo4j", lib_dir=defaults.lib_dir, port=free_port(),
                        version=defaults.neo4j_version, heap=args.heap,
                        pagecache=args.pagecache)
    try:
        print("set-up")
        settings = bench_graph(server, work, args.n, args.de_genes)
        with Graph.connect(settings) as graph:
            records, _, _ = graph.driver.execute_query(
                "MATCH ()-[r]->() RETURN count(r) AS rels")
            print(f"  graph: {records[0]['rels']:,} relationships")

        print(f"\nVERIFY all {args.n:,} traces ({', '.join(DEFAULT_VERIFIERS)}; Boltz-2 "
              "excluded)")
        result = verify(settings, VerifyRequest(run_name="bench", batch_size=args.batch_size))
        claims = sum(v.judged_now for v in result.verifiers if v.name != "structure")
        for v in result.verifiers:
            unit = "traces" if v.name == "structure" else "distinct claims"
            print(f"  {v.name:<10} {v.judged_now:>8,} {unit:<16} {v.verdicts:>8,} verdicts "
                  f"{v.seconds:>6.1f} s  {v.judged_now / max(v.seconds, 1e-9):>9,.0f}/s  "
                  f"(read {v.read_s:.1f} s, judge {v.judge_s:.1f} s, write {v.write_s:.1f} s"
                  " overlapped)")
        print(f"  TOTAL {result.seconds:.1f} s: {claims:,} claim judgements = "
              f"{claims / result.seconds:,.0f} claims/s; verdicts {result.counts}")

        counts = verdict_counts(settings, "bench")
        print_counts(counts)
        if args.counts_out:
            args.counts_out.write_text(json.dumps(counts, indent=1) + "\n")
            print(f"  counts written to {args.counts_out}")

        if args.against:
            against(settings, args.against, args.batch_size, counts, result.seconds)

        if args.report:
            written = timed("report (metrics, outcomes, coverage, scores; JSON and HTML)",
                            lambda: report(settings, "bench", args.report))
            print("  metrics:", {k: round(v, 3) for k, v in written.metrics.items()
                                 if isinstance(v, float)})

        if args.robustness:
            print_robustness(settings)

        print(f"\nSLICE: the traces of {args.slice_drug}")
        traces = [f"drug={args.slice_drug}"]
        batched = verify(settings, VerifyRequest(traces=traces, run_name="slice-batched",
                                                 batch_size=args.batch_size))
        naive = verify(settings, VerifyRequest(traces=traces, run_name="slice-one-by-one",
                                               batch_size=1))
        n_slice = sum(v.judged_now for v in naive.verifiers if v.name != "structure")
        print(f"  {batched.traces} traces, {n_slice:,} claim judgements")
        print(f"  batched:          {batched.seconds:6.2f} s = "
              f"{n_slice / batched.seconds:8,.0f} claims/s")
        print(f"  one claim a time: {naive.seconds:6.2f} s = "
              f"{n_slice / naive.seconds:8,.0f} claims/s")
        full_rate = claims / result.seconds
        print(f"  full batched run vs one-at-a-time: {full_rate / (n_slice / naive.seconds):.0f}"
              f"× claims/s; the whole set one at a time would take "
              f"{claims / (n_slice / naive.seconds):,.0f} s")
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


AGAINST = """
import json, sys
from vctrace.app.verification import VerifyRequest, verify
from vctrace.settings import Settings
result = verify(Settings(), VerifyRequest(run_name="against", batch_size=int(sys.argv[1])))
print(json.dumps({"seconds": result.seconds,
                  "verifiers": {v.name: v.seconds for v in result.verifiers}}))
"""


def against(settings: Settings, rev: str, batch_size: int, counts: list[dict[str, object]],
            seconds: float) -> None:
    """Verify the same graph with the code of git ``rev`` (a subprocess importing a `git
    archive` of it; the password travels in the environment) and compare its verdict counts
    by verifier, status and reason, and its time, with this run's."""
    repo = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory(prefix="vctrace-against-") as src:
        archive = subprocess.run(["git", "-C", str(repo), "archive", rev], check=True,
                                 capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", src], input=archive, check=True)
        env = {**os.environ, "PYTHONPATH": src, "VCTRACE_NEO4J_URI": settings.neo4j_uri,
               "VCTRACE_NEO4J_USER": settings.neo4j_user,
               "VCTRACE_NEO4J_PASSWORD": settings.neo4j_password or ""}
        done = subprocess.run([sys.executable, "-c", AGAINST, str(batch_size)], env=env,
                              check=True, capture_output=True, text=True, cwd=src)
    old = json.loads(done.stdout.strip().splitlines()[-1])
    old_counts = verdict_counts(settings, "against")
    same = old_counts == counts
    print(f"\nAGAINST {rev}: the same graph verified by that code in {old['seconds']:.1f} s "
          f"({', '.join(f'{k} {v:.1f} s' for k, v in old['verifiers'].items())}); this code "
          f"{seconds:.1f} s: {old['seconds'] / seconds:.2f}x the speed of {rev}")
    print(f"  verdict counts by verifier, status and reason: "
          f"{'IDENTICAL' if same else 'DIFFERENT'} ({sum(int(c['n']) for c in counts):,} "
          f"verdicts here, {sum(int(c['n']) for c in old_counts):,} there)")
    if not same:
        print_counts(old_counts)


def verdict_counts(settings: Settings, run: str) -> list[dict[str, object]]:
    """The run's verdicts by verifier, status and reason, sorted by those three."""
    with Graph.connect(settings) as graph:
        rows = verdict_outcomes(graph, run)
    return sorted(({"verifier": r["verifier"], "status": r["status"], "reason": r["reason"],
                    "n": r["verdicts"]} for r in rows),
                  key=lambda r: (r["verifier"], r["status"], r["reason"]))


def print_counts(counts: list[dict[str, object]]) -> None:
    print("\nVERDICTS by verifier, status and reason")
    for r in counts:
        print(f"  {r['verifier']:<10} {r['status']:<13} {r['reason']:<30} {r['n']:>9,}")
    print(f"  {'total':<55} {sum(int(r['n']) for r in counts):>9,}")


def print_robustness(settings: Settings) -> None:
    """The counterfactual table of the full run in both DTI worlds (nothing written)."""
    print("\nROBUSTNESS of run bench (counterfactuals of supported claims, 50 per kind)")
    for world in ("open", "closed"):
        started = time.perf_counter()
        result = robustness(settings, "bench", RobustnessOptions(dti_world=world), write=False)
        print(f"  dti-kg world {world} ({time.perf_counter() - started:.1f} s); supported "
              f"together with its counterfactual: {result.supported_with_original}")
        for kind in result.kinds:
            shares = [("refuted", kind.refuted_share), ("unverifiable", kind.unverifiable_share),
                      ("supported", kind.supported_share)]
            print(f"    {kind.kind:<16} {kind.verifier:<8} n={kind.counterfactuals:<4} "
                  + "  ".join(f"{name} {'—' if v is None else f'{v:.2f}'}"
                              for name, v in shares))


if __name__ == "__main__":
    main()
