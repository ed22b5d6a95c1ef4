"""A small knowledge set and traces with known right and wrong claims, written in the sources'
real formats and loaded through the real loaders (shared by the verification tests; the
integration fixture ``kb`` loads it once and reuses it while tests only add runs).

Knowledge: PrimeKG-format edges (trametinib → MAP2K1 and erlotinib → EGFR drug targets, the
Reactome "RAF/MAP kinase cascade" with MAP2K1 and MAPK1, GO cellular components cytosol →
MAP2K1 and nucleus → PARP1, a MAP2K1–MAPK1 PPI), the real Tahoe-100M rows of the demo drugs,
and a Tahoe DE shard for (Trametinib, C32) at two concentrations with chosen values:

| gene | 0.5 µM log2FC / padj | 5 µM | verdict for a "down" claim at t = 1.5 |
|---|---|---|---|
| DUSP6 | −3.0 / 1e-6 | −2.0 / 1e-3 | supported |
| SPRY4 | +2.5 / 1e-4 | +0.1 / 0.9 | refuted, opposite direction |
| ETV5 | −0.3 / 0.4 | — | refuted, not DE |
| CCND1 | −1.0 / 1e-3 | — | refuted, not DE (supported at t = 0.5) |
| XIST | not tested | — | unverifiable, not measured |
| FAKEGENE1 | absent | — | unverifiable, not measured |
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from vctrace.kg.grounding import ground
from vctrace.kg.trace_store import write_traces
from vctrace.loaders.primekg import PrimeKGLoader
from vctrace.loaders.tahoe_de import TahoeDELoader
from vctrace.loaders.tahoe_metadata import TahoeMetadataLoader
from vctrace.traces.records import read_traces

from vctrace.kg.graph import Graph

from support.paths import EXAMPLES

GENES = {"MAP2K1": "5604", "MAPK1": "5594", "EGFR": "1956", "PARP1": "142"}


def _kg_csv(path: Path) -> None:
    header = ("relation,display_relation,x_index,x_id,x_type,x_name,x_source,y_index,y_id,"
              "y_type,y_name,y_source")
    index: dict[tuple, int] = {}
    lines = [header]

    def node(kind, node_id, name, source):
        index.setdefault((kind, node_id), len(index))
        return [str(index[(kind, node_id)]), node_id, kind, name, source]

    def gene(symbol):
        return node("gene/protein", GENES[symbol], symbol, "NCBI")

    def both(relation, display, a, b):
        lines.append(",".join([relation, display, *a, *b]))
        lines.append(",".join([relation, display, *b, *a]))

    both("drug_protein", "target", node("drug", "DB08911", "Trametinib", "DrugBank"),
         gene("MAP2K1"))
    both("drug_protein", "target", node("drug", "DB00530", "Erlotinib", "DrugBank"),
         gene("EGFR"))
    pathway = node("pathway", "R-HSA-5673001", "RAF/MAP kinase cascade", "REACTOME")
    both("pathway_protein", "interacts with", pathway, gene("MAP2K1"))
    both("pathway_protein", "interacts with", pathway, gene("MAPK1"))
    both("cellcomp_protein", "interacts with",
         node("cellular_component", "5829", "cytosol", "GO"), gene("MAP2K1"))
    both("cellcomp_protein", "interacts with",
         node("cellular_component", "5634", "nucleus", "GO"), gene("PARP1"))
    both("protein_protein", "ppi", gene("MAP2K1"), gene("MAPK1"))
    path.write_text("\n".join(lines) + "\n")


def _de_row(gene, lfc, padj, concentration, tested=True):
    return {"gene_name": gene, "baseMean": 500.0 if tested else 0.0, "log2FoldChange": lfc,
            "lfcSE": 0.3 if tested else None, "stat": lfc / 0.3 if tested else None,
            "pvalue": padj / 10 if tested else None, "padj": padj, "plate": "plate1",
            "n_cells_trt": 500, "n_cells_ctrl": 9000, "Cell_ID_Cellosaur": "CVCL_1097",
            "Cell_ID_DepMap": "ACH-000580", "Cell_Name_Vevo": "C32", "drug": "Trametinib",
            "concentration": concentration, "concentration_unit": "uM"}


def _de_parquet(path: Path) -> None:
    rows = [_de_row("DUSP6", -3.0, 1e-6, 0.5), _de_row("SPRY4", 2.5, 1e-4, 0.5),
            _de_row("ETV5", -0.3, 0.4, 0.5), _de_row("CCND1", -1.0, 1e-3, 0.5),
            _de_row("XIST", None, None, 0.5, tested=False),
            _de_row("DUSP6", -2.0, 1e-3, 5.0), _de_row("SPRY4", 0.1, 0.9, 5.0)]
    pq.write_table(pa.Table.from_pylist(rows), path)


PERTURBATION = {
    "context": [{"cell type": "C32", "subtype": "disease cell", "description": "melanoma"}],
    "perturbations": [{"name": "Trametinib", "perturbation type": "chemical",
                       "known targets": "MAP2K1, MAP2K2", "moa_type": "inhibitor/antagonist"}]}

TRACE_RIGHT = {  # mostly right claims; n7 only claims a gene that goes the other way
    "trace_id": "right-trametinib-c32",
    "explain": "\n".join([
        'set_context(cell_type="C32", disease="melanoma")',
        'binds_to(id="n1", actor="trametinib", target="MAP2K1")',
        'binds_to(id="n2", actor="trametinib", target="FOOBARIN")',
        'participates_in(id="n3", entity="MAP2K1", ontology_id="RAF/MAP kinase cascade")',
        'localises_to(id="n4", entity="MAP2K1", from_loc="nucleus", to_loc="cytosol")',
        'modulates_pathway_activity(id="n5", pathway="RAF/MAP kinase cascade", '
        'direction="down")',
        'regulates_expression(id="n6", regulator="ERK", gene_list=["DUSP6", "SPRY4", "ETV5", '
        '"CCND1", "XIST", "FAKEGENE1"], direction="down")',
        'regulates_expression(id="n7", regulator="ERK", gene_list=["SPRY4"], direction="down")',
        'induces_phenotype(id="n8", source="trametinib", phenotype="G1 arrest")']),
    "dag": "\n".join(['edge("n1", "n5", relation="causal")', 'edge("n2", "n5", relation="causal")',
                      'edge("n3", "n5", relation="causal")', 'edge("n4", "n5", relation="causal")',
                      'edge("n5", "n6", relation="causal")', 'edge("n5", "n7", relation="causal")',
                      'edge("n6", "n8", relation="causal")',
                      'edge("n7", "n8", relation="correlative")']),
}
TRACE_WRONG = {  # a wrong drug target, a wrong localisation; shares n1 with TRACE_RIGHT
    "trace_id": "wrong-trametinib-c32",
    "explain": "\n".join([
        'set_context(cell_type="C32", disease="melanoma")',
        'binds_to(id="n1", actor="trametinib", target="MAP2K1")',
        'binds_to(id="n2", actor="trametinib", target="EGFR")',
        'binds_to(id="n3", actor="MAP2K1", target="MAPK1")',
        'localises_to(id="n4", entity="PARP1", from_loc="cytosol", to_loc="cytosol")',
        'regulates_expression(id="n5", regulator="ERK", gene_list=["DUSP6"], direction="down")']),
    "dag": "\n".join(['edge("n1", "n3", relation="causal")', 'edge("n2", "n3", relation="causal")',
                      'edge("n3", "n4", relation="causal")',
                      'edge("n4", "n5", relation="causal")']),
}


def write_trace_file(path: Path) -> Path:
    with path.open("w") as handle:
        for record in (TRACE_RIGHT, TRACE_WRONG):
            handle.write(json.dumps(dict(record, perturbation=PERTURBATION)) + "\n")
    return path


def load_knowledge_and_traces(graph: Graph, folder: Path) -> None:
    """Load the knowledge set, ingest the two traces and ground them (files written into
    ``folder``)."""
    folder.mkdir(parents=True, exist_ok=True)
    _kg_csv(folder / "kg.csv")
    _de_parquet(folder / "de.parquet")
    TahoeMetadataLoader(graph).load([EXAMPLES / "knowledge" / "tahoe" /
                                     "drug_metadata.demo.parquet"])
    PrimeKGLoader(graph).load([folder / "kg.csv"], {"source_version": "test"})
    TahoeDELoader(graph).load([folder / "de.parquet"], {"source_version": "test"})
    traces = list(read_traces(write_trace_file(folder / "traces.jsonl")))
    list(write_traces(graph, traces))
    ground(graph, rebuild=True)


def load_demo_knowledge(server) -> None:
    """Load the bundled demo knowledge set (vctrace/examples/knowledge) as the demo does."""
    from vctrace.app import knowledge
    from vctrace.app.demo import DEMO_KNOWLEDGE, DEMO_VERSION

    settings = server.settings()
    folder = EXAMPLES / "knowledge"
    for source, names in DEMO_KNOWLEDGE:
        knowledge.load(settings, source, [folder / name for name in names],
                       {"source_version": DEMO_VERSION})
