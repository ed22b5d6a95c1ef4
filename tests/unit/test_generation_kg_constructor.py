"""The knowledge-graph-only constructor (vctrace.traces.kg_explanation), pure: deterministic
ranking within the bounds, the direction from the mechanism of action, the phenotype choice,
and traces that the project's own parser and validator accept."""

from __future__ import annotations

import json
import random

from vctrace.traces import kg_explanation as kg
from vctrace.traces.perturbation import perturbation_record
from vctrace.traces.records import trace_from_record
from vctrace.traces.validation import is_valid

PRIMEKG = {"relationship": "DRUG_PROTEIN", "display": "target", "source": "primekg",
           "release": "sr-p"}
TAHOE = {"relationship": "TARGETS", "display": None, "source": "tahoe-100m", "release": "sr-t"}


def term(key, name, label="Pathway", members=10):
    return {"key": key, "name": name, "label": label, "members": members,
            "relationship": "PATHWAY_PROTEIN" if label == "Pathway" else "BIOPROCESS_PROTEIN",
            "source": "primekg", "release": "sr-p"}


MAPK = term("REACTOME:R-HSA-5673001", "RAF/MAP kinase cascade", members=40)
ERK = term("REACTOME:R-HSA-1", "ERK signalling", members=5)
PROLIF = term("GO:0008284", "positive regulation of cell population proliferation",
              "BiologicalProcess", 500)
APOPTOSIS = term("GO:0006915", "apoptotic process", "BiologicalProcess", 900)
TARGETS = [
    {"key": "map2k1", "symbol": "MAP2K1", "links": [PRIMEKG, TAHOE],
     "terms": [MAPK, ERK, PROLIF]},
    {"key": "map2k2", "symbol": "MAP2K2", "links": [TAHOE, PRIMEKG], "terms": [MAPK]},
    {"key": "braf", "symbol": "BRAF", "links": [TAHOE], "terms": [MAPK, APOPTOSIS]},
    {"key": "egfr", "symbol": "EGFR", "links": [TAHOE], "terms": []},
]
DRUG = {"key": "trametinib", "name": "Trametinib", "moa_fine": "MEK inhibitor",
        "moa_broad": "inhibitor/antagonist"}
CELL = {"key": "c32", "name": "C32", "organ": "Skin",
        "drivers": [{"symbol": "BRAF", "mechanism": "GoF", "gene_type": "Oncogene"},
                    {"symbol": "PTEN", "mechanism": "LoF", "gene_type": "Suppressor"}]}
RECORD = perturbation_record(cell_line="C32", organ="Skin", drivers=CELL["drivers"],
                             drug="Trametinib", targets=["MAP2K1", "MAP2K2"])


def build(targets=TARGETS, drug=DRUG, **bounds):
    return kg.construct(perturbation=RECORD, drug=drug, cell_line=CELL,
                        targets=[kg.target_from_row(t) for t in targets], **bounds)


def test_direction_from_the_mechanism_of_action():
    assert kg.activity_direction("MEK inhibitor", "inhibitor/antagonist")[0] == "down"
    assert kg.activity_direction("Adrenoceptor agonist", "activator/agonist")[0] == "up"
    assert kg.activity_direction("unclear", "activator/agonist")[0] == "up"
    direction, basis = kg.activity_direction("unclear", "unclear")
    assert direction == "down" and basis.startswith("assumed")
    assert kg.activity_direction(None, None)[0] == "down"


def test_ranking_is_bounded_and_does_not_depend_on_input_order():
    targets = [kg.target_from_row(t) for t in TARGETS]
    chosen = kg.rank_targets(targets)
    assert [t.symbol for t in chosen] == ["MAP2K1", "MAP2K2", "BRAF"]
    for seed in range(5):
        shuffled = targets[:]
        random.Random(seed).shuffle(shuffled)
        assert kg.rank_targets(shuffled) == chosen
    # pathways first; shared by more chosen targets first; then the more specific
    assert [t.name for t in kg.rank_terms(chosen[0], chosen)] == ["RAF/MAP kinase cascade",
                                                                  "ERK signalling"]
    assert [t.name for t in kg.rank_terms(chosen[0], chosen, limit=3)][-1] == PROLIF["name"]
    assert kg.rank_targets(targets, limit=1) == chosen[:1]


def test_phenotype_is_a_go_process_naming_a_cellular_phenotype():
    chosen = kg.rank_targets([kg.target_from_row(t) for t in TARGETS])
    phenotype, target = kg.choose_phenotype(chosen)
    assert (phenotype.name, target.symbol) == ("apoptotic process", "BRAF")
    assert kg.choose_phenotype(chosen[:2])[0].name == PROLIF["name"]
    assert kg.choose_phenotype([]) == (None, None)


def test_the_trace_is_valid_and_reproducible():
    built = build()
    again = build(targets=list(reversed(TARGETS)))
    assert built.row == again.row
    trace = trace_from_record(json.loads(json.dumps(built.row)))
    assert is_valid(trace), [f.message for f in trace.findings]
    lines = built.row["explain"].splitlines()
    assert lines[0] == ('set_context(cell_type="C32", genotype="BRAF GoF; PTEN LoF", '
                        'prior_perturbation="none", extras="source organ: Skin")')
    primitives = [a.primitive for a in trace.actions]
    assert primitives.count("binds_to") == 3 and primitives[-1] == "induces_phenotype"
    assert "regulates_expression" not in primitives
    # one pathway node for the cascade all three targets share, each step licensed by an
    # annotation
    pathways = [a for a in trace.actions if a.primitive == "modulates_pathway_activity"]
    assert sorted(a.args["pathway"] for a in pathways) == ["ERK signalling",
                                                           "RAF/MAP kinase cascade"]
    assert all(a.args["direction"] == "down" for a in pathways)
    assert primitives.count("participates_in") == 4
    assert trace.actions[-1].args["phenotype"] == "apoptotic process"
    relations = {(e.source, e.target): e.relation for e in trace.edges}
    ids = {a.id: a.primitive for a in trace.actions}
    for (source, target), relation in relations.items():
        if ids[target] == "induces_phenotype" or ids[source] == "participates_in":
            assert relation == "correlative"
        else:
            assert relation == "causal"
    provenance = built.row["provenance"]
    assert provenance["constructor"] == "kg" and provenance["phenotype_source"] == "graph"
    assert provenance["limits"] == {"max_targets": 3, "max_terms": 2}
    cited = {e for refs in provenance["support"].values() for e in refs}
    assert cited == {e["id"] for e in provenance["evidence"]}
    assert built.row["trace_id"] == "kg:trametinib|c32"
    assert built.row["report_text"].splitlines()[1] == \
        "[E1] primekg DRUG_PROTEIN (target): trametinib -> map2k1"


def test_without_annotations_the_default_phenotype_is_reached_from_each_target():
    built = build(targets=[TARGETS[3]], drug=dict(DRUG, moa_fine="unclear",
                                                  moa_broad="unclear"))
    trace = trace_from_record(json.loads(json.dumps(built.row)))
    assert is_valid(trace)
    assert [a.primitive for a in trace.actions] == [
        "set_context", "binds_to", "modulates_molecule_activity", "induces_phenotype"]
    assert trace.actions[-1].args["phenotype"] == kg.DEFAULT_PHENOTYPE
    assert "assumed" in trace.actions[2].args["confidence"] or \
        "unclear" in trace.actions[2].args["confidence"]
    assert built.row["provenance"]["phenotype_source"] == "default"


def test_a_drug_without_curated_targets_is_skipped():
    skipped = build(targets=[])
    assert isinstance(skipped, kg.Skipped) and skipped.reason == "no curated target in the graph"


def test_bounds_are_kept():
    built = build(max_targets=1, max_terms=0)
    primitives = [a.primitive for a in trace_from_record(built.row).actions]
    assert primitives == ["set_context", "binds_to", "modulates_molecule_activity",
                          "induces_phenotype"]
