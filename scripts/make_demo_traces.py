"""Write vctrace/examples/demo_traces.jsonl: example traces for Tahoe-100M drugs.

The perturbation records are built from the real Tahoe-100M metadata (drug name, targets,
mechanism class, SMILES; cell line organ and driver mutations) in the Tahoe form of
VC-TRACES. The explanations are written by the vctrace project to exercise the tool: they are
illustrative, follow textbook pharmacology, and are NOT verified mechanism records.

Run from the repository root: python scripts/make_demo_traces.py [../shared/data/tahoe]
"""

import json
import sys
from pathlib import Path

import pandas as pd

QUESTION = ("**Q: How does the following perturbation influence the cell in the described "
            "context, mechanistically and functionally?**")

EXAMPLES = [
    ("Trametinib", "C32", """
set_context(cell_type="C32", genotype="BRAF GoF; PTEN LoF; TERT GoF", disease="melanoma", prior_perturbation="none")
binds_to(id="n1", actor="trametinib", target="MAP2K1", affinity="0.9 nM", via="allosteric pocket adjacent to ATP site")
binds_to(id="n2", actor="trametinib", target="MAP2K2", affinity="1.8 nM", via="allosteric pocket adjacent to ATP site")
modulates_molecule_activity(id="n3", target="MEK1/2", direction="down", via="allosteric inhibition")
post_translational_modification(id="n4", protein="MAPK1", mod_type="phosphorylation", site="T185/Y187", direction="down", via="loss of MEK kinase activity")
modulates_pathway_activity(id="n5", pathway="MAPK/ERK signaling", direction="down")
regulates_expression(id="n6", regulator="ERK-dependent transcription", gene_list=["DUSP6","SPRY4","ETV5","CCND1"], direction="down", mechanism="loss of ETS factor activation")
regulates_expression(id="n7", regulator="FOXO release", gene_list=["CDKN1B"], direction="up")
induces_phenotype(id="n8", source="trametinib", phenotype="G1 cell cycle arrest", from_state="proliferating", to_state="arrested")
""", """
edge("n1", "n3", relation="causal")
edge("n2", "n3", relation="causal")
edge("n3", "n4", relation="causal")
edge("n4", "n5", relation="causal")
edge("n5", "n6", relation="causal")
edge("n5", "n7", relation="causal")
edge("n6", "n8", relation="causal")
edge("n7", "n8", relation="correlative")
"""),
    ("Bortezomib", "A549", """
set_context(cell_type="A549", genotype="KRAS GoF; STK11 LoF; CDKN2A LoF; SMARCA4 LoF", disease="lung adenocarcinoma", prior_perturbation="none")
binds_to(id="n1", actor="bortezomib", target="PSMB5", affinity="0.6 nM", via="boronic acid adduct with the catalytic threonine")
modulates_molecule_activity(id="n2", target="26S proteasome", direction="down", via="chymotrypsin-like site inhibition")
degrades_or_stabilises(id="n3", regulator="26S proteasome", target="misfolded proteins", direction="up")
modulates_pathway_activity(id="n4", pathway="unfolded protein response", direction="up", via="ER stress")
regulates_expression(id="n5", regulator="ATF4/CHOP", gene_list=["DDIT3","ATF3","HSPA5","HMOX1"], direction="up", mechanism="integrated stress response")
degrades_or_stabilises(id="n6", regulator="26S proteasome", target="NOXA", direction="up")
induces_phenotype(id="n7", source="bortezomib", phenotype="apoptosis", from_state="viable", to_state="apoptotic")
""", """
edge("n1", "n2", relation="causal")
edge("n2", "n3", relation="causal")
edge("n3", "n4", relation="causal")
edge("n4", "n5", relation="causal")
edge("n2", "n6", relation="causal")
edge("n5", "n7", relation="correlative")
edge("n6", "n7", relation="causal")
"""),
    ("palbociclib", "MCF-7", """
set_context(cell_type="MCF-7", disease="breast adenocarcinoma", prior_perturbation="none")
binds_to(id="n1", actor="palbociclib", target="CDK4", affinity="11 nM", via="ATP-competitive")
binds_to(id="n2", actor="palbociclib", target="CDK6", affinity="16 nM", via="ATP-competitive")
modulates_complex(id="n3", members=["CDK4", "CCND1"], complex="cyclin D1-CDK4", direction="down")
post_translational_modification(id="n4", protein="RB1", mod_type="phosphorylation", site="S780", direction="down")
modulates_molecule_activity(id="n5", target="E2F1", direction="down", via="sequestration by hypophosphorylated RB1")
regulates_expression(id="n6", regulator="E2F1", gene_list=["CCNE2","MCM2","E2F1","CDC6","TYMS"], direction="down")
induces_phenotype(id="n7", source="palbociclib", phenotype="G1 cell cycle arrest", from_state="cycling", to_state="G1-arrested")
""", """
edge("n1", "n3", relation="causal")
edge("n2", "n3", relation="causal")
edge("n3", "n4", relation="causal")
edge("n4", "n5", relation="causal")
edge("n5", "n6", relation="causal")
edge("n6", "n7", relation="causal")
"""),
    ("Erlotinib", "A549", """
set_context(cell_type="A549", genotype="KRAS GoF; STK11 LoF", disease="lung adenocarcinoma", prior_perturbation="none")
binds_to(id="n1", actor="erlotinib", target="EGFR", affinity="2 nM", via="ATP-competitive, reversible")
post_translational_modification(id="n2", protein="EGFR", mod_type="autophosphorylation", site="Y1068", direction="down")
modulates_pathway_activity(id="n3", pathway="PI3K/AKT signaling", direction="down")
gain_of_function(id="n4", variant="G12S", protein="KRAS", via="EGFR-independent RAS signalling")
modulates_pathway_activity(id="n5", pathway="MAPK/ERK signaling", direction="up", via="mutant KRAS keeps the pathway active")
regulates_expression(id="n6", regulator="ERK-dependent transcription", gene_list=["DUSP6","FOSL1"], direction="up")
induces_phenotype(id="n7", source="erlotinib", phenotype="limited growth inhibition", from_state="proliferating", to_state="proliferating")
""", """
edge("n1", "n2", relation="causal")
edge("n2", "n3", relation="causal")
edge("n4", "n5", relation="causal")
edge("n5", "n6", relation="causal")
edge("n3", "n7", relation="causal")
edge("n6", "n7", relation="correlative")
"""),
    ("olaparib", "HT-29", """
set_context(cell_type="HT-29", genotype="BRAF GoF; APC LoF; TP53 LoF; SMAD4 LoF", disease="colorectal adenocarcinoma", prior_perturbation="none")
binds_to(id="n1", actor="olaparib", target="PARP1", affinity="5 nM", via="nicotinamide pocket")
binds_to(id="n2", actor="olaparib", target="PARP2", affinity="1 nM", via="nicotinamide pocket")
modulates_molecule_activity(id="n3", target="PARP1", direction="down", via="catalytic inhibition and DNA trapping")
localises_to(id="n4", entity="PARP1", from_loc="nucleoplasm", to_loc="chromatin", mechanism="PARP trapping")
modulates_pathway_activity(id="n5", pathway="base excision repair", direction="down")
modulates_pathway_activity(id="n6", pathway="DNA damage response", direction="up", via="replication fork collapse")
regulates_expression(id="n7", regulator="TP53-independent DNA damage signalling", gene_list=["GADD45A","CDKN1A"], direction="up")
induces_phenotype(id="n8", source="olaparib", phenotype="S/G2 cell cycle arrest", from_state="cycling", to_state="arrested")
""", """
edge("n1", "n3", relation="causal")
edge("n2", "n3", relation="causal")
edge("n3", "n4", relation="causal")
edge("n3", "n5", relation="causal")
edge("n4", "n6", relation="causal")
edge("n5", "n6", relation="causal")
edge("n6", "n7", relation="causal")
edge("n7", "n8", relation="correlative")
"""),
]


def perturbation(drugs: pd.DataFrame, cells: pd.DataFrame, drug: str, cell: str) -> dict:
    d = drugs[drugs["drug"].str.strip() == drug].iloc[0]
    c = cells[cells["cell_name"] == cell]
    drivers = "; ".join(
        f"{row.Driver_GeneType_DM} on gene {row.Driver_Gene_Symbol} which causes "
        f"{row.Driver_Mech_InferDM if isinstance(row.Driver_Mech_InferDM, str) else 'None'}"
        for row in c.drop_duplicates("Driver_Gene_Symbol").itertuples())
    organ = c["Organ"].iloc[0] if len(c) else "unknown"
    description = (f"The source organ of cell line {cell} is {organ}. The key driver mutations "
                   f"of this cell line are listed as follow. {drivers}")
    return {"context": [{"cell type": cell, "subtype": "disease cell",
                         "description": description}],
            "perturbations": [{"name": d["drug"].strip(), "perturbation type": "chemical",
                               "known targets": d["targets"], "moa_type": d["moa-broad"],
                               "smiles": d["canonical_smiles"]}]}


def main() -> None:
    tahoe = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/tahoe")
    drugs = pd.read_parquet(tahoe / "drug_metadata.parquet")
    cells = pd.read_parquet(tahoe / "cell_line_metadata.parquet")
    out = Path("vctrace/examples/demo_traces.jsonl")
    with out.open("w", encoding="utf-8") as handle:
        for drug, cell, explain, dag in EXAMPLES:
            pert = perturbation(drugs, cells, drug, cell)
            row = {"trace_id": f"demo-{drug.lower()}-{cell.lower()}",
                   "perturbation": pert,
                   "question": QUESTION + "\n\n" + json.dumps(pert, indent=4),
                   "report_text": "(example written by the vctrace project; illustrative, "
                                  "not a verified mechanism record)",
                   "explain": explain.strip(), "dag": dag.strip(), "explain_verified": None}
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"wrote {len(EXAMPLES)} traces to {out}")


if __name__ == "__main__":
    main()
