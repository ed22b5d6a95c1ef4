"""A small Tahoe DE table with known TahoeQA answers, drug targets, and hand-made traces.

Three drugs in cell line C1, 20 genes G01…G20. With ``--test-fraction 0.5`` gamma (split
point 0.36) is held out, alpha (0.92) and beta (0.62) train.

- alpha, two doses: up G01 (3.0, the high dose), G02 (2.0), G03 (1.0); down G04 (-2.5),
  G05 (-1.0); G06 padj 0.2 (not DE); G07 up at one dose and down at the other (conflicting,
  left out); G08 not tested at the high dose (no negative); G09…G20 not DE.
- beta, one dose: up G01 (2.0), G03 (1.0); down G02 (-2.0); the rest not DE.
- gamma, one dose: up G01 (3.0), G02 (2.0); down G04 (-2.5), G05 (-1.0); G06 padj 0.2; the
  rest not DE.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from vctrace.loaders.tahoe_de import COLUMNS

from support.de_rows import de_row

GENES = [f"G{i:02d}" for i in range(1, 21)]
TEST_FRACTION = 0.5
# (drug, concentration) -> {gene: (log2FC, padj) or None for not tested}
CALLS = {
    ("alpha", 0.1): {"G01": (2.0, 0.01), "G02": (2.0, 0.001), "G03": (1.0, 0.01),
                     "G04": (-2.5, 0.01), "G05": (-1.0, 0.01), "G06": (2.0, 0.2),
                     "G07": (1.5, 0.01)},
    ("alpha", 1.0): {"G01": (3.0, 0.01), "G07": (-1.5, 0.01), "G08": None},
    ("beta", 0.5): {"G01": (2.0, 0.01), "G02": (-2.0, 0.01), "G03": (1.0, 0.01)},
    ("gamma", 0.5): {"G01": (3.0, 0.01), "G02": (2.0, 0.01), "G04": (-2.5, 0.01),
                     "G05": (-1.0, 0.01), "G06": (2.0, 0.2)},
}
TARGETS = {"alpha": ["MAP2K1"], "beta": ["EGFR"], "gamma": ["MAP2K1", "MAP2K2"]}
NOT_DE = (0.1, 0.9)


def write_de(path: Path, only: set[tuple[str, float]] | None = None) -> Path:
    """The table above (or the ``only`` (drug, concentration) parts of it) as a Tahoe DE
    shard (the real 16 columns)."""
    rows = []
    for (drug, concentration), calls in CALLS.items():
        if only is not None and (drug, concentration) not in only:
            continue
        for gene in GENES:
            stats = calls.get(gene, NOT_DE)
            rows.append(de_row(gene, stats, drug=drug, cell_line="C1",
                               concentration=concentration, base_mean=200.0,
                               cellosaurus="CVCL_0001", depmap="ACH-000001"))
    pd.DataFrame(rows, columns=list(COLUMNS)).to_parquet(path)
    return path


def add_targets(driver) -> None:
    """Curated targets and a mechanism class for the three drugs (as the Tahoe metadata
    loader stores them: Drug -[:TARGETS]-> Gene, ``moa_broad``)."""
    driver.execute_query(
        "UNWIND $rows AS r MERGE (d:Drug {key: r.drug}) SET d.moa_broad = 'inhibitor' "
        "WITH d, r UNWIND r.targets AS t MERGE (g:Gene {key: toLower(t)}) "
        "ON CREATE SET g.symbol = t MERGE (d)-[:TARGETS]->(g)",
        rows=[{"drug": d, "targets": t} for d, t in TARGETS.items()])


def trace_row(drug: str, lines: list[tuple[list[str], str]], *, answer: str | None = None,
              trace_id: str | None = None) -> dict:
    """A VC-TRACES-form row for ``drug`` in C1: binds_to, then one regulates_expression per
    (genes, direction), chained."""
    explain = ['set_context(cell_type="C1", disease="cancer")',
               f'binds_to(id="n1", actor="{drug}", target="{TARGETS[drug][0]}")']
    dag = []
    for i, (genes, direction) in enumerate(lines, 2):
        explain.append(f'regulates_expression(id="n{i}", regulator="{drug}", '
                       f'gene_list={json.dumps(genes)}, direction="{direction}")')
        dag.append(f'edge("n{i - 1}", "n{i}", relation="causal")')
    row = {"perturbation": {"context": [{"cell type": "C1"}],
                            "perturbations": [{"name": drug, "perturbation type": "chemical"}]},
           "explain": "\n".join(explain), "dag": "\n".join(dag)}
    if answer is not None:
        row["answer"] = answer
    if trace_id is not None:
        row["trace_id"] = trace_id
    return row


def write_traces(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


# alpha (train): G04 claimed up, observed down (pruned by the DE verifier);
# gamma (held out): G06 claimed up, not DE (pruned, but the test split keeps the original)
HAND_MADE = [
    trace_row("alpha", [(["G01", "G04"], "up"), (["G05"], "down")], trace_id="t-alpha"),
    trace_row("gamma", [(["G01", "G06"], "up")], trace_id="t-gamma",
              answer="Gamma inhibits MEK and raises G01."),
]
