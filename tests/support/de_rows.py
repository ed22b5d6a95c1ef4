"""Rows of a Tahoe-100M DE shard (the real 16 columns) for tests that write their own DE."""

from __future__ import annotations

from typing import Any


def de_row(gene: str, stats: tuple[float, float] | None, *, drug: str, cell_line: str,
           concentration: float, base_mean: float = 250.0, plate: str = "plate1",
           cellosaurus: str = "CVCL_1097", depmap: str = "ACH-000458") -> dict[str, Any]:
    """One gene's call: ``stats`` is (log2FC, padj), or None for a gene not tested (no
    statistics, baseMean 0)."""
    lfc, padj = stats if stats else (None, None)
    return {"gene_name": gene, "baseMean": 0.0 if stats is None else base_mean,
            "log2FoldChange": lfc, "lfcSE": None if stats is None else 0.3,
            "stat": None if stats is None else lfc / 0.3,
            "pvalue": None if stats is None else padj / 10, "padj": padj, "plate": plate,
            "n_cells_trt": 600, "n_cells_ctrl": 9000, "Cell_ID_Cellosaur": cellosaurus,
            "Cell_ID_DepMap": depmap, "Cell_Name_Vevo": cell_line, "drug": drug,
            "concentration": concentration, "concentration_unit": "uM"}
