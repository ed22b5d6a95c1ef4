"""Write the demo knowledge set into vctrace/examples/knowledge/ (run from the repo root).

Real values: the Tahoe-100M metadata rows of 20 drugs and of the demo cell lines (CC0, copied
from ../shared/data/tahoe), DrugBank / Entrez / Reactome identifiers and drug-target and
pathway memberships in PrimeKG's format, HGNC alias symbols. Synthetic values: the whole
differential-expression table (labelled so in its parquet metadata, its file name and the
README). Usage: python scripts/make_demo_knowledge.py [../shared/data/tahoe]
"""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

OUT = Path("vctrace/examples/knowledge")
DRUGS = ["Trametinib", "Binimetinib", "Cobimetinib", "Bortezomib", "Ixazomib",
         "Ixazomib citrate", "palbociclib", "Abemaciclib", "Erlotinib", "Gefitinib",
         "Afatinib", "Osimertinib (mesylate)", "olaparib", "venetoclax", "Vemurafenib",
         "Dabrafenib", "Everolimus", "crizotinib", "Panobinostat", "Doxorubicin (hydrochloride)"]
CELL_LINES = ["C32", "A549", "MCF-7", "HT-29", "HOP62"]
DRUGBANK = {"Trametinib": "DB08911", "Bortezomib": "DB00188", "palbociclib": "DB09073",
            "Erlotinib": "DB00530", "olaparib": "DB09074", "venetoclax": "DB11581",
            "Binimetinib": "DB11967", "Gefitinib": "DB00317"}
ENTREZ = {"MAP2K1": "5604", "MAP2K2": "5605", "PSMB5": "5693", "CDK4": "1019", "CDK6": "1021",
          "EGFR": "1956", "PARP1": "142", "PARP2": "10038", "BCL2": "596", "MAPK1": "5594",
          "MAPK3": "5595", "BRAF": "673"}
PATHWAYS = {  # Reactome stable id, name, member genes
    "R-HSA-5673001": ("RAF/MAP kinase cascade", ["BRAF", "MAP2K1", "MAP2K2", "MAPK1", "MAPK3"]),
    "R-HSA-177929": ("Signaling by EGFR", ["EGFR"]),
    "R-HSA-109581": ("Apoptosis", ["BCL2"]),
    "R-HSA-73894": ("DNA Repair", ["PARP1", "PARP2"]),
}
HGNC = [  # hgnc_id, symbol, name, alias symbols, previous symbols
    ("HGNC:6840", "MAP2K1", "mitogen-activated protein kinase kinase 1", "MEK1|MKK1", "PRKMK1"),
    ("HGNC:6842", "MAP2K2", "mitogen-activated protein kinase kinase 2", "MEK2|MKK2", "PRKMK2"),
    ("HGNC:6871", "MAPK1", "mitogen-activated protein kinase 1", "ERK2|ERK|p41MAPK", "PRKM2"),
    ("HGNC:6877", "MAPK3", "mitogen-activated protein kinase 3", "ERK1|p44-ERK1", "PRKM3"),
    ("HGNC:990", "BCL2", "BCL2 apoptosis regulator", "Bcl-2", ""),
    ("HGNC:270", "PARP1", "poly(ADP-ribose) polymerase 1", "PARP|ARTD1", "ADPRT"),
]
DE_GENES = ["DUSP6", "SPRY4", "ETV5", "CCND1", "CDKN1B", "DDIT3", "ATF3", "HSPA5", "HMOX1",
            "CCNE2", "MCM2", "E2F1", "CDC6", "TYMS", "FOSL1", "GADD45A", "CDKN1A", "BBC3", "BAX",
            "APAF1", "XIST"]
DE_CONDITIONS = [("Trametinib", "C32"), ("Bortezomib", "A549"), ("palbociclib", "MCF-7"),
                 ("Erlotinib", "A549"), ("olaparib", "HT-29"), ("venetoclax", "HOP62")]


def tahoe(source: Path) -> None:
    drugs = pd.read_parquet(source / "drug_metadata.parquet")
    keep = drugs[drugs["drug"].str.strip().isin(DRUGS)]
    assert len(keep) == len(DRUGS), set(DRUGS) - set(keep["drug"].str.strip())
    (OUT / "tahoe").mkdir(parents=True, exist_ok=True)
    keep.to_parquet(OUT / "tahoe" / "drug_metadata.demo.parquet", index=False)
    cells = pd.read_parquet(source / "cell_line_metadata.parquet")
    cells[cells["cell_name"].isin(CELL_LINES)].to_parquet(
        OUT / "tahoe" / "cell_line_metadata.demo.parquet", index=False)


def primekg(targets: dict[str, list[str]]) -> None:
    header = ("relation,display_relation,x_index,x_id,x_type,x_name,x_source,y_index,y_id,"
              "y_type,y_name,y_source")
    lines, index = [header], {}

    def node(kind, node_id, name, source):
        index.setdefault((kind, node_id), len(index))
        return [str(index[(kind, node_id)]), node_id, kind, name, source]

    def both(relation, display, a, b):
        lines.append(",".join([relation, display, *a, *b]))
        lines.append(",".join([relation, display, *b, *a]))

    for drug, bank in DRUGBANK.items():
        for gene in targets[drug]:
            both("drug_protein", "target", node("drug", bank, drug, "DrugBank"),
                 node("gene/protein", ENTREZ[gene], gene, "NCBI"))
    for pathway_id, (name, genes) in PATHWAYS.items():
        for gene in genes:
            both("pathway_protein", "interacts with",
                 node("pathway", pathway_id, name.replace(",", ""), "REACTOME"),
                 node("gene/protein", ENTREZ[gene], gene, "NCBI"))
    both("protein_protein", "ppi", node("gene/protein", "5604", "MAP2K1", "NCBI"),
         node("gene/protein", "5594", "MAPK1", "NCBI"))
    (OUT / "primekg").mkdir(parents=True, exist_ok=True)
    (OUT / "primekg" / "kg.csv").write_text("\n".join(lines) + "\n")


def hgnc() -> None:
    header = "hgnc_id\tsymbol\tname\talias_symbol\tprev_symbol\tentrez_id"
    rows = [header] + [f"{i}\t{s}\t{n}\t\"{a}\"\t{p}\t{ENTREZ.get(s, '')}"
                       for i, s, n, a, p in HGNC]
    (OUT / "hgnc").mkdir(parents=True, exist_ok=True)
    (OUT / "hgnc" / "hgnc_complete_set.txt").write_text("\n".join(rows) + "\n")


def de() -> None:
    rng = np.random.default_rng(7)
    rows = []
    for drug, cell in DE_CONDITIONS:
        for gene in DE_GENES:
            tested = gene != "XIST"
            lfc = float(rng.normal(0, 2.2)) if tested else None
            padj = float(10 ** -rng.uniform(0.2, 9)) if tested else None
            rows.append({"gene_name": gene, "baseMean": float(rng.gamma(2, 300)) if tested else 0.0,
                         "log2FoldChange": lfc, "lfcSE": 0.35 if tested else None,
                         "stat": lfc / 0.35 if tested else None,
                         "pvalue": padj / 20 if tested else None, "padj": padj,
                         "plate": "plate1", "n_cells_trt": 600, "n_cells_ctrl": 8000,
                         "Cell_ID_Cellosaur": None, "Cell_ID_DepMap": None,
                         "Cell_Name_Vevo": cell, "drug": drug, "concentration": 0.5,
                         "concentration_unit": "uM"})
    table = pa.Table.from_pylist(rows)
    table = table.replace_schema_metadata({
        "vctrace.synthetic": "true: every value in this table is synthetic (random draws), "
                             "written by the vctrace project for its demo; not a measurement"})
    (OUT / "tahoe_de").mkdir(parents=True, exist_ok=True)
    pq.write_table(table, OUT / "tahoe_de" / "demo_de_SYNTHETIC.parquet")


def main() -> None:
    source = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/tahoe")
    tahoe(source)
    drugs = pd.read_parquet(OUT / "tahoe" / "drug_metadata.demo.parquet")
    targets = {d.strip(): [t.strip() for t in str(v).split(",")]
               for d, v in zip(drugs["drug"], drugs["targets"])}
    primekg(targets)
    hgnc()
    de()
    print(f"wrote the demo knowledge set under {OUT}")


if __name__ == "__main__":
    main()
