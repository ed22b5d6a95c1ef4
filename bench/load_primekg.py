"""Benchmark: PrimeKG at full published scale into a fresh local Neo4j.

    python bench/load_primekg.py [--scale 1.0] [--naive-rows 100000]

Generates a PrimeKG-shaped kg.csv (12 columns; 129,375 nodes of the 10 published types;
8,100,498 rows = 4,050,249 pairs listed in both directions, with the published relation mix),
loads it with `vctrace load primekg --bulk` (neo4j-admin import), and reports rows/s and peak
memory. In the same run it times a naive loader — one MERGE query per row, as a first attempt
would — on a slice, and prints the ratio. Not a test: it asserts nothing about time.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from pathlib import Path

from vctrace.app import database, knowledge, queries
from vctrace.app.graph_session import open_graph
from vctrace.kg.server import free_port
from vctrace.loaders.primekg import COLUMNS_12, PrimeKGLoader
from vctrace.settings import Settings

NODES = {"biological_process": 28_642, "gene/protein": 27_671, "disease": 17_080,
         "effect/phenotype": 15_311, "anatomy": 14_035, "molecular_function": 11_169,
         "drug": 7_957, "cellular_component": 4_176, "pathway": 2_516, "exposure": 818}
SOURCES = {"biological_process": "GO", "gene/protein": "NCBI", "disease": "MONDO",
           "effect/phenotype": "HPO", "anatomy": "UBERON", "molecular_function": "GO",
           "drug": "DrugBank", "cellular_component": "GO", "pathway": "REACTOME",
           "exposure": "CTD"}
BP, GP, DI, PH, AN, MF, DR, CC, PA, EX = NODES
RELATIONS = [  # relation, display_relation, x type, y type, rows (both directions)
    ("anatomy_protein_present", "expression present", AN, GP, 3_036_406),
    ("drug_drug", "synergistic interaction", DR, DR, 2_672_628),
    ("protein_protein", "ppi", GP, GP, 642_150),
    ("disease_phenotype_positive", "phenotype present", DI, PH, 300_634),
    ("bioprocess_protein", "interacts with", BP, GP, 289_610),
    ("cellcomp_protein", "interacts with", CC, GP, 166_804),
    ("disease_protein", "associated with", DI, GP, 160_822),
    ("molfunc_protein", "interacts with", MF, GP, 139_060),
    ("drug_effect", "side effect", DR, PH, 129_568),
    ("bioprocess_bioprocess", "parent-child", BP, BP, 105_772),
    ("pathway_protein", "interacts with", PA, GP, 85_292),
    ("disease_disease", "parent-child", DI, DI, 64_388),
    ("contraindication", "contraindication", DR, DI, 61_350),
    ("drug_protein", "target", DR, GP, 51_306),
    ("anatomy_protein_absent", "expression absent", AN, GP, 39_774),
    ("phenotype_phenotype", "parent-child", PH, PH, 37_472),
    ("anatomy_anatomy", "parent-child", AN, AN, 28_064),
    ("molfunc_molfunc", "parent-child", MF, MF, 27_148),
    ("indication", "indication", DR, DI, 18_776),
    ("cellcomp_cellcomp", "parent-child", CC, CC, 9_690),
    ("phenotype_protein", "associated with", PH, GP, 6_660),
    ("off-label use", "off-label use", DR, DI, 5_136),
    ("pathway_pathway", "parent-child", PA, PA, 5_070),
    ("exposure_disease", "linked to", EX, DI, 4_608),
    ("exposure_exposure", "parent-child", EX, EX, 4_140),
    ("exposure_bioprocess", "interacts with", EX, BP, 3_250),
    ("exposure_protein", "interacts with", EX, GP, 2_424),
    ("disease_phenotype_negative", "phenotype absent", DI, PH, 2_386),
    ("exposure_molfunc", "interacts with", EX, MF, 90),
    ("exposure_cellcomp", "interacts with", EX, CC, 20),
]


def _node(kind: str, i: int, offset: dict[str, int]) -> str:
    prefix = kind.split("/")[0][:4].upper()
    return f"{offset[kind] + i},{i + 1},{kind},{prefix} {i},{SOURCES[kind]}"


def write_kg(path: Path, scale: float) -> int:
    """Each pair once per direction; pairs of one relation are distinct (same-type pairs
    x < y), as in PrimeKG."""
    offset, total = {}, 0
    for kind, count in NODES.items():
        offset[kind] = total
        total += count
    rows = 0
    with path.open("w") as out:
        out.write(",".join(COLUMNS_12) + "\n")
        for relation, display, x_kind, y_kind, count in RELATIONS:
            pairs = max(1, int(count * scale) // 2)
            nx, ny = NODES[x_kind], NODES[y_kind]
            lines = []
            for k in range(pairs):
                x, step = k % nx, k // nx
                y = (x + 1 + step) % ny if x_kind == y_kind else (step * 7919 + x) % ny
                if x_kind == y_kind and y <= x:
                    x, y = y, x
                    if x == y:
                        continue
                a, b = _node(x_kind, x, offset), _node(y_kind, y, offset)
                lines.append(f"{relation},{display},{a},{b}\n{relation},{display},{b},{a}\n")
                if len(lines) >= 50_000:
                    out.write("".join(lines))
                    lines = []
            out.write("".join(lines))
            rows += 2 * pairs
    return rows


def naive_load(settings: Settings, path: Path, limit: int, work: Path) -> float:
    """The first ``limit`` rows through the same loader with batches of one row: a query (and
    transaction) per row, the approach the bulk path replaces."""
    head = work / "kg_head.csv"
    with path.open() as source, head.open("w") as out:
        for n, line in enumerate(source):
            if n > limit:
                break
            out.write(line)
    t0 = time.perf_counter()
    with open_graph(settings, schema=True) as graph:
        PrimeKGLoader(graph, batch_size=1).load([head])
    return time.perf_counter() - t0


def _settings(home: Path, pagecache: str) -> Settings:
    """A fresh local server of its own under ``home`` (jars shared with the default home)."""
    settings = Settings(home=home, bolt_port=free_port(), heap="2g", pagecache=pagecache)
    home.mkdir(parents=True)
    (home / f"neo4j-{settings.neo4j_version}-lib").symlink_to(Settings().lib_dir)
    return settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the rows")
    parser.add_argument("--naive-rows", type=int, default=100_000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="vctrace-bench-primekg-"))
    servers: list[Settings] = []
    try:
        t0 = time.perf_counter()
        kg = work / "kg.csv"
        rows = write_kg(kg, args.scale)
        print(f"generated {rows:,} rows, {kg.stat().st_size / 1e9:.2f} GB in "
              f"{time.perf_counter() - t0:.1f} s")

        bulk = _settings(work / "bulk", "2g")
        servers.append(bulk)
        database.start(bulk)
        t0 = time.perf_counter()
        result = knowledge.load(bulk, "primekg", [kg], bulk=True)  # `load primekg --bulk`
        elapsed = time.perf_counter() - t0
        nodes = queries.run_cypher(bulk, "MATCH (n) RETURN count(n)").rows[0][0]
        rels = queries.run_cypher(bulk, "MATCH ()-[r]->() RETURN count(r)").rows[0][0]
        peak_py = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        peak_java = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        steps = ", ".join(f"{k} {v:.1f} s" for k, v in result.bulk_seconds.items())
        rows_read = result.release.rows_read
        print(f"BULK LOAD (load primekg --bulk, then schema and grounding): {rows_read:,} rows "
              f"in {elapsed:.1f} s = {rows_read / elapsed:,.0f} rows/s; {nodes:,} nodes, "
              f"{rels:,} relationships ({steps}); peak memory: Python {peak_py:,.0f} MB, "
              f"largest child (JVM) {peak_java:,.0f} MB")
        bulk_rate = rows_read / elapsed

        naive = _settings(work / "naive", "1g")
        servers.append(naive)
        database.start(naive)
        naive_s = naive_load(naive, kg, args.naive_rows, work)
        naive_rate = args.naive_rows / naive_s
        print(f"NAIVE (one MERGE query per row) on {args.naive_rows:,} rows: {naive_s:.1f} s = "
              f"{naive_rate:,.0f} rows/s; the bulk path is {bulk_rate / naive_rate:,.0f}x faster "
              f"(the published 8,100,498 rows at that rate: ~{8_100_498 / naive_rate / 3600:.1f} h)")
    finally:
        for server in servers:
            database.stop(server)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
