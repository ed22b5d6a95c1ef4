"""Tahoe-100M pseudobulk differential expression: the 16-column parquet shards.

Only what verification needs goes into the graph (the full table, ~4.1 billion rows, stays in
parquet): for each condition (drug, cell line, concentration) a ``(:DEExperiment)`` node, its
significant calls as ``(:DEExperiment)-[:DE {log2fc, padj, base_mean, …}]->(:Gene)``, and which
genes were *tested* (non-null p-value), so that "not differentially expressed" can be told
apart from "not measured". The tested set is a bitmap (``tested_bitmap``, bytes) over the
load's gene universe (``(:GeneUniverse {genes})``, one per load): 62,710 genes fit in 7.8 KB
per condition instead of a list of names.

Shards are streamed batch by batch with a column projection; the thresholds (padj below, and
|log2FC| at least) are options recorded on the load. The default |log2FC| ≥ 0.5 is below the
verifier's default t = 1.5 on purpose: verdicts at any t ≥ 0.5 (the paper's sensitivity
range) can then be computed from the graph. ``conditions="traces"`` keeps only the (drug,
cell line) pairs of ingested traces; names are matched lower-cased and trimmed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..kg import gene_bitmap
from ..traces.identity import normalise_text
from pydantic import Field

from .base import Loader, LoaderOptions, SourceRelease, open_parquet, read_row_groups

SOURCE = "tahoe-100m-de"
COLUMNS = ("gene_name", "baseMean", "log2FoldChange", "lfcSE", "stat", "pvalue", "padj",
           "plate", "n_cells_trt", "n_cells_ctrl", "Cell_ID_Cellosaur", "Cell_ID_DepMap",
           "Cell_Name_Vevo", "drug", "concentration", "concentration_unit")
_CONDITION = ("drug", "Cell_Name_Vevo", "concentration")


def condition_key(drug: str, cell_line: str, concentration: float) -> str:
    return f"{normalise_text(drug)}|{normalise_text(cell_line)}|{concentration:g}"


def _lower(array: pa.Array) -> pa.Array:
    return pc.utf8_lower(pc.utf8_trim_whitespace(pc.cast(array, pa.string())))


class TahoeDELoader(Loader):
    name = "tahoe-de"
    source = SOURCE
    version = "1"
    description = ("Tahoe-100M pseudobulk DE parquet shards (16 columns); options --padj, "
                   "--min-abs-lfc, --conditions all|traces")

    class Options(LoaderOptions):
        padj: float = Field(0.05, gt=0, le=1,
                            description="keep calls with padj below this")
        min_abs_lfc: float = Field(0.5, ge=0, description="keep calls with |log2FC| at least "
                                   "this (leave room to verify at any t >= it)")
        conditions: Literal["all", "traces"] = Field(
            "all", description="every condition, or those of ingested traces")

    def _load(self, paths: list[Path], options: Options) -> SourceRelease:
        padj, min_abs_lfc, conditions = options.padj, options.min_abs_lfc, options.conditions
        files = [self._check(p) for p in paths]
        self._genes_merged: set[str] = set()
        allowed = self._trace_conditions() if conditions == "traces" else None
        release = self.new_release(paths, options)
        universe: dict[str, int] = {}
        experiments: dict[str, dict[str, Any]] = {}
        tested: dict[str, set[int]] = {}
        for path, handle in files:
            self._current_file = path.name
            # row group by row group: a corrupt group is reported, the others are loaded
            for _, table in read_row_groups(handle, path, COLUMNS, release):
                for batch in table.to_batches(max_chunksize=250_000):
                    self._batch(batch, path, release, allowed, padj, min_abs_lfc, universe,
                                experiments, tested)
        universe_key = f"{release.key}:genes"
        genes = sorted(universe, key=universe.get)
        rows = [dict(experiment, tested_bitmap=gene_bitmap.encode(tested.get(key, ()), len(genes)),
                     genes_tested=len(tested.get(key, ())))
                for key, experiment in experiments.items()]
        self.graph.write("loaders/merge_gene_universe", key=universe_key, genes=genes,
                         source=SOURCE, release=release.key)

        def experiment_refused(index: int, reason: str) -> None:
            release.note("-", 0, f"experiment {rows[index]['key'][:200]!r} not stored: {reason}")
        self.run("loaders/merge_de_experiments", rows, refused=experiment_refused,
                 source=SOURCE, release=release.key, universe=universe_key)
        self.record(release)
        return release

    def _check(self, path: Path) -> tuple[Path, pq.ParquetFile]:
        return path, open_parquet(path, COLUMNS, "Tahoe DE shard")

    def _trace_conditions(self) -> set[tuple[str, str]]:
        records = self.graph.read("loaders/trace_conditions")
        return {(r["drug"].strip().lower(), r["cell_line"].strip().lower()) for r in records}

    def _batch(self, batch: pa.RecordBatch, path: Path, release: SourceRelease,
               allowed: set[tuple[str, str]] | None, padj: float, min_abs_lfc: float,
               universe: dict[str, int], experiments: dict[str, dict[str, Any]],
               tested: dict[str, set[int]]) -> None:
        table = pa.Table.from_batches([batch])
        release.rows_read += table.num_rows
        valid = pc.and_(pc.and_(pc.is_valid(table["gene_name"]), pc.is_valid(table["drug"])),
                        pc.and_(pc.is_valid(table["Cell_Name_Vevo"]),
                                pc.is_valid(table["concentration"])))
        bad = table.num_rows - pc.sum(valid).as_py() if table.num_rows else 0
        if bad:
            release.rows_rejected += bad
            release.note(path.name, 0, f"{bad} row(s) without gene, drug, cell line or "
                         "concentration")
        table = table.filter(valid)
        if allowed is not None:
            pairs = pc.binary_join_element_wise(_lower(table["drug"]),
                                                _lower(table["Cell_Name_Vevo"]), "\x1f")
            keep = pa.array([f"{d}\x1f{c}" for d, c in allowed], type=pa.string())
            table = table.filter(pc.is_in(pairs, value_set=keep))
        for gene in pc.unique(table["gene_name"]).to_pylist():
            universe.setdefault(gene, len(universe))
        self._conditions(table, experiments, tested, universe)
        significant = table.filter(pc.and_(
            pc.less(table["padj"], padj),
            pc.greater_equal(pc.abs(table["log2FoldChange"]), min_abs_lfc)))
        groups: dict[str, list[dict[str, Any]]] = {}
        genes: dict[str, dict[str, Any]] = {}
        for r in significant.to_pylist():
            gene_key = normalise_text(r["gene_name"])
            genes.setdefault(gene_key, {"key": gene_key, "symbol": r["gene_name"]})
            groups.setdefault(condition_key(r["drug"], r["Cell_Name_Vevo"], r["concentration"]),
                              []).append({"gene_key": gene_key, "props": {
                                  "log2fc": r["log2FoldChange"], "padj": r["padj"],
                                  "pvalue": r["pvalue"], "base_mean": r["baseMean"],
                                  "lfc_se": r["lfcSE"], "stat": r["stat"],
                                  "direction": "up" if r["log2FoldChange"] > 0 else "down"}})
        new_genes = [g for key, g in genes.items() if key not in self._genes_merged]

        def gene_refused(index: int, reason: str) -> None:  # its calls then link nothing
            release.reject(path.name, 0, f"gene {new_genes[index]['symbol'][:200]!r} not "
                           f"stored, its calls left out: {reason}")
        self.run("loaders/merge_de_genes", new_genes, refused=gene_refused, source=SOURCE)
        self._genes_merged.update(genes)
        # one row per experiment: small batches, as each carries its calls
        for key, calls in groups.items():
            def calls_refused(index: int, reason: str, key: str = key) -> None:
                release.note(path.name, 0, f"calls of experiment {key[:200]!r} not stored: "
                             f"{reason}")
            self.run("loaders/merge_de_calls", [{"experiment": key, "calls": calls}],
                     refused=calls_refused, source=SOURCE, release=release.key)
        release.rows_loaded += table.num_rows

    def _conditions(self, table: pa.Table, experiments: dict[str, dict[str, Any]],
                    tested: dict[str, set[int]], universe: dict[str, int]) -> None:
        """Experiment rows and tested genes of the conditions in ``table`` (vectorised: the
        rows of one condition are selected by dictionary code, not looped over)."""
        if table.num_rows == 0:
            return
        parts = [pc.cast(table[c], pa.string()) for c in _CONDITION]
        codes = pc.binary_join_element_wise(*parts, "\x1f").dictionary_encode()
        indices = codes.combine_chunks().indices.to_numpy(zero_copy_only=False)
        names = pa.array(list(universe), type=pa.string())
        genes = pc.index_in(pc.cast(table["gene_name"], pa.string()), value_set=names) \
            .to_numpy(zero_copy_only=False)
        was_tested = pc.is_valid(table["pvalue"]).to_numpy(zero_copy_only=False)
        for code in np.unique(indices):
            rows = np.flatnonzero(indices == code)
            first = table.slice(int(rows[0]), 1).to_pylist()[0]
            key = condition_key(first["drug"], first["Cell_Name_Vevo"], first["concentration"])
            tested.setdefault(key, set()).update(genes[rows[was_tested[rows]]].tolist())
            if key not in experiments:
                experiments[key] = {
                    "key": key, "drug": first["drug"].strip(),
                    "drug_key": normalise_text(first["drug"]),
                    "cell_line": first["Cell_Name_Vevo"].strip(),
                    "cell_line_key": normalise_text(first["Cell_Name_Vevo"]),
                    "concentration": first["concentration"],
                    "unit": first["concentration_unit"], "plate": first["plate"],
                    "cellosaurus_id": first["Cell_ID_Cellosaur"],
                    "depmap_id": first["Cell_ID_DepMap"],
                    "n_cells_trt": first["n_cells_trt"], "n_cells_ctrl": first["n_cells_ctrl"]}
