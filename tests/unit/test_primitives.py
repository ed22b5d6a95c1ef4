"""The primitive registry: the formalism as specified, and extension as one local change."""

import pytest

from vctrace.traces import primitives
from vctrace.traces.primitives import Family, PrimitiveSpec
from vctrace.traces.text import format_action, parse_trace_text
from vctrace.traces.validation import check, is_valid

SPEC_TABLE = {  # name: (family, required) from shared/spec/primitives.md
    "set_context": ("system initialization", ()),
    "gain_of_function": ("system initialization", ("variant", "protein")),
    "loss_of_function": ("system initialization", ("variant", "protein")),
    "binds_to": ("interaction", ("actor", "target")),
    "modulates_complex": ("interaction", ("members", "complex", "direction")),
    "cell_cell_interaction": ("interaction", ("sender", "receiver", "ligand", "receptor", "outcome")),
    "modulates_molecule_activity": ("functional", ("target", "direction")),
    "modulates_pathway_activity": ("functional", ("pathway", "direction")),
    "localises_to": ("functional", ("entity", "from_loc", "to_loc")),
    "participates_in": ("functional", ("entity", "ontology_id")),
    "similar_to": ("functional", ("entity_a", "entity_b", "evidence_type")),
    "correlates_with": ("functional", ("entity_a", "entity_b", "evidence_type")),
    "regulates_expression": ("regulation", ("regulator", "gene_list", "direction")),
    "regulates_translation": ("regulation", ("regulator", "rna_id", "direction")),
    "chromatin_modification": ("regulation", ("mark", "locus", "direction")),
    "post_translational_modification": ("regulation", ("protein", "mod_type", "site", "direction")),
    "degrades_or_stabilises": ("proteostasis", ("regulator", "target", "direction")),
    "converts_substrate": ("metabolic", ("enzyme", "substrate", "product")),
    "induces_phenotype": ("phenotype", ("source", "phenotype")),
    "alleviates_phenotype": ("phenotype", ("actor", "phenotype")),
}


def test_registry_holds_the_twenty_primitives_of_the_spec():
    assert set(primitives.REGISTRY) == set(SPEC_TABLE)
    for name, (family, required) in SPEC_TABLE.items():
        spec = primitives.get(name)
        assert spec.family.value == family, name
        assert spec.required == required, name


def test_families_cover_all_seven_categories():
    assert {s.family for s in primitives.REGISTRY.values()} == set(Family)


def test_measurable_outputs_and_directions():
    assert set(primitives.measurable_primitives()) == {
        "induces_phenotype", "alleviates_phenotype", "regulates_expression",
        "regulates_translation"}
    with_direction = {n for n, s in primitives.REGISTRY.items() if s.has_direction}
    assert with_direction == {n for n, (_, req) in SPEC_TABLE.items() if "direction" in req}
    assert all(s.up_means for s in primitives.REGISTRY.values() if s.has_direction)


def test_labels_are_unique_camel_case():
    labels = [s.label for s in primitives.REGISTRY.values()]
    assert len(set(labels)) == 20
    assert primitives.get("binds_to").label == "BindsTo"


def test_only_set_context_goes_without_id():
    assert [n for n, s in primitives.REGISTRY.items() if not s.takes_id] == ["set_context"]


def test_registering_twice_is_refused():
    with pytest.raises(ValueError):
        primitives._register(primitives.get("binds_to"))


def test_a_new_primitive_is_one_registry_entry(monkeypatch):
    """Adding a primitive is one definition: parsing, validation, writing and labels follow."""
    spec = PrimitiveSpec("methylates_dna", Family.REGULATION, required=("locus", "direction"),
                         optional=("via",), up_means="more methylation", entity_args=("locus",))
    monkeypatch.setitem(primitives.REGISTRY, spec.name, spec)
    text = ('set_context(cell_type="A549")\n'
            'methylates_dna(id="n1", locus="CDKN2A", direction="up")\n'
            'induces_phenotype(id="n2", source="drug", phenotype="senescence")')
    trace = check(parse_trace_text(text, 'edge("n1", "n2", relation="causal")'))
    assert is_valid(trace), trace.findings
    assert format_action(trace.actions[1]) == 'methylates_dna(id="n1", locus="CDKN2A", direction="up")'
    assert primitives.get("methylates_dna").label == "MethylatesDna"
    bad = check(parse_trace_text(text.replace('direction="up"', 'direction="sideways"'),
                                 'edge("n1", "n2", relation="causal")'))
    assert [f.code.value for f in bad.findings] == ["bad_direction"]


def test_no_argument_name_shadows_a_stored_action_property():
    from vctrace.kg.trace_store import RESERVED
    for spec in primitives.REGISTRY.values():
        assert not set(spec.arguments) & set(RESERVED), spec.name
        assert set(spec.entity_args) <= set(spec.claim_args), spec.name
