"""Benchmark: load generated Tahoe-100M DE shards (the real 16-column schema) into a fresh
local Neo4j.

    python bench/load_tahoe_de.py [--shards 4] [--rows 1000000]

Each shard holds whole conditions (drug × cell line × dose) of 20,000 genes; about 15% of
the genes are untested (null statistics) and the log2 fold changes are drawn so that a few
percent (6%) pass padj < 0.05 and |log2FC| ≥ 0.5. Prints rows scanned/s and calls loaded/s. Not a
test: it asserts nothing about time.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from vctrace.app import database, knowledge, queries
from vctrace.kg.server import free_port
from vctrace.loaders.tahoe_de import COLUMNS
from vctrace.settings import Settings

GENES = 20_000


def write_shard(path: Path, rows: int, first_condition: int, rng: np.random.Generator) -> int:
    conditions = max(1, rows // GENES)
    n = conditions * GENES
    condition = np.repeat(np.arange(first_condition, first_condition + conditions), GENES)
    tested = rng.random(n) > 0.15
    significant = rng.random(n) < 0.06
    lfc = np.where(significant, rng.choice([-1, 1], n) * rng.uniform(0.5, 3.0, n),
                   rng.normal(0, 0.3, n))
    padj = np.where(significant, 10 ** -rng.uniform(2, 10, n), rng.uniform(0.05, 1, n))
    frame = pd.DataFrame({
        "gene_name": np.tile([f"GENE{i:05d}" for i in range(GENES)], conditions),
        "baseMean": np.where(tested, rng.gamma(2, 200, n), 0.0),
        "log2FoldChange": np.where(tested, lfc, np.nan),
        "lfcSE": np.where(tested, 0.3, np.nan), "stat": np.where(tested, lfc / 0.3, np.nan),
        "pvalue": np.where(tested, padj / 5, np.nan), "padj": np.where(tested, padj, np.nan),
        "plate": [f"plate{c % 14 + 1}" for c in condition],
        "n_cells_trt": 500, "n_cells_ctrl": 9000,
        "Cell_ID_Cellosaur": [f"CVCL_{c % 50:04d}" for c in condition],
        "Cell_ID_DepMap": [f"ACH-{c % 50:06d}" for c in condition],
        "Cell_Name_Vevo": [f"CELL-{c % 50:02d}" for c in condition],
        "drug": [f"drug-{(c // 150) % 379:03d}" for c in condition],
        "concentration": [(0.05, 0.5, 5.0)[(c // 50) % 3] for c in condition],
        "concentration_unit": "uM"}, columns=list(COLUMNS))
    frame.to_parquet(path, index=False)
    return conditions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows per shard")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="vctrace-bench-de-"))
    # a fresh local server of its own (jars shared with the default home)
    settings = Settings(home=work, bolt_port=free_port(), heap="2g", pagecache="1g")
    (work / f"neo4j-{settings.neo4j_version}-lib").symlink_to(Settings().lib_dir)
    try:
        rng = np.random.default_rng(0)
        t0 = time.perf_counter()
        paths, first = [], 0
        for i in range(args.shards):
            path = work / f"shard_{i:04d}.parquet"
            first += write_shard(path, args.rows, first, rng)
            paths.append(path)
        size = sum(p.stat().st_size for p in paths) / 1e6
        print(f"generated {args.shards} shards, {first:,} conditions, "
              f"{first * GENES:,} rows, {size:.0f} MB in {time.perf_counter() - t0:.1f} s")
        database.start(settings)
        t0 = time.perf_counter()
        result = knowledge.load(settings, "tahoe-de", paths)  # as `vctrace load tahoe-de`
        elapsed = time.perf_counter() - t0
        calls = queries.run_cypher(settings, "MATCH ()-[d:DE]->() RETURN count(d)").rows[0][0]
        rows = result.release.rows_read
        print(f"loaded: {rows:,} rows scanned in {elapsed:.1f} s = {rows / elapsed:,.0f} "
              f"rows/s; {calls:,} significant calls (padj < 0.05, |log2FC| >= 0.5) = "
              f"{calls / elapsed:,.0f} calls/s (re-grounding included: "
              f"{result.grounding.aliases:,} aliases indexed)")
    finally:
        database.stop(settings)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
