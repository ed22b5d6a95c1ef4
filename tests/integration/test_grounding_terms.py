"""Grounding of pathway, process and phenotype terms: scored match kinds on REFERS_TO, the
roles' expected labels, ambiguity, the fuzzy threshold, and verifiers that accept only some
match kinds (against the real Neo4j, on an ontology file and a PrimeKG-format file written
here)."""

import pytest

from vctrace.kg.grounding import ground
from vctrace.kg.trace_store import write_traces
from vctrace.loaders.ontology import OntologyLoader
from vctrace.loaders.primekg import PrimeKGLoader
from vctrace.runs.engine import claim_rows
from vctrace.traces.models import Perturbation
from vctrace.traces.text import parse_trace_text
from vctrace.traces.validation import check, is_valid
from vctrace.verifiers.base import Reason, Status
from vctrace.verifiers.pathway import PathwayVerifier

from support.paths import EXAMPLES, ROOT

DATA = ROOT / "tests" / "data" / "grounding"

# two terms whose names differ only in ways normalisation removes (on top of the GO excerpt
# of tests/data/grounding)
TWINS = """format-version: 1.2
ontology: go

[Term]
id: GO:0043491
name: PI3K-Akt signaling pathway
namespace: biological_process

[Term]
id: GO:0099999
name: PI3K/AKT signalling
namespace: biological_process
"""

TRACE = (
    'set_context(cell_type="C32")\n'
    'binds_to(id="n1", actor="trametinib", target="MAP2K1")\n'
    'modulates_pathway_activity(id="n2", pathway="PI3K/Akt", direction="down")\n'
    'modulates_pathway_activity(id="n3", pathway="RAF-MAPK signalling", direction="down")\n'
    'modulates_pathway_activity(id="n4", pathway="EGFR", direction="down")\n'
    'localises_to(id="n8", entity="cytochrome c", from_loc="mitochondria", to_loc="cytosol")\n'
    'induces_phenotype(id="n5", source="trametinib", phenotype="apoptosis")\n'
    'induces_phenotype(id="n6", source="trametinib", phenotype="endothelial cel migration")\n'
    'induces_phenotype(id="n7", source="trametinib", '
    'phenotype="reduced endothelial cell proliferation")',
    'edge("n1", "n2", relation="causal")\nedge("n1", "n3", relation="causal")\n'
    'edge("n1", "n4", relation="causal")\nedge("n1", "n8", relation="causal")\n'
    'edge("n2", "n5", relation="causal")\nedge("n3", "n6", relation="causal")\n'
    'edge("n4", "n7", relation="causal")\nedge("n8", "n5", relation="causal")')


def _links(neo4j, text):
    records, _, _ = neo4j.driver.execute_query(
        "MATCH (m:Mention {text: $t})-[g:REFERS_TO]->(e) "
        "RETURN e.key AS key, g.match AS match, g.score AS score ORDER BY key", t=text)
    return [(r["key"], r["match"], round(r["score"], 2)) for r in records]


@pytest.fixture
def grounded(neo4j, tmp_path):
    twins = tmp_path / "twins.obo"
    twins.write_text(TWINS)
    PrimeKGLoader(neo4j.graph).load([EXAMPLES / "knowledge" / "primekg" / "kg.csv"])
    OntologyLoader(neo4j.graph).load([DATA / "go_excerpt.obo", twins])
    trace = check(parse_trace_text(*TRACE, perturbation=Perturbation(raw={
        "context": [{"cell type": "C32"}], "perturbations": [{"name": "Trametinib"}]})))
    assert is_valid(trace), trace.findings
    list(write_traces(neo4j.graph, [trace]))
    return ground(neo4j.graph, rebuild=True)


def test_match_kinds_and_scores_are_recorded(neo4j, grounded):
    assert _links(neo4j, "cytosol") == [("GO:0005829", "exact", 1.0)]
    assert _links(neo4j, "mitochondria") == [("GO:0005739", "synonym", 1.0)]
    # apoptosis = apoptotic process (word form, generic word); MAP kinase = MAPK, word order
    # (and the pathway "Apoptosis" by name: the best match of each kind of entity is kept)
    assert _links(neo4j, "apoptosis") == [("GO:0006915", "normalised", 1.0),
                                          ("REACTOME:R-HSA-109581", "exact", 1.0)]
    assert _links(neo4j, "RAF-MAPK signalling") == [
        ("REACTOME:R-HSA-5673001", "normalised", 1.0)]
    # without its qualifier: a normalised match that scores lower
    assert _links(neo4j, "reduced endothelial cell proliferation") == [
        ("GO:0001935", "normalised", 0.9)]
    [(key, how, score)] = _links(neo4j, "endothelial cel migration")  # a typo
    assert (key, how) == ("GO:0043542", "fuzzy") and 0.9 <= score < 1
    assert grounded.grounded_fuzzy == 1 and grounded.grounded_synonym >= 1


def test_ambiguity_stays_visible(neo4j, grounded):
    # two terms normalise to the same key: both linked, neither preferred
    assert _links(neo4j, "PI3K/Akt") == [("GO:0043491", "normalised", 1.0),
                                         ("GO:0099999", "normalised", 1.0)]


def test_term_roles_ground_only_to_the_labels_they_expect(neo4j, grounded):
    # "EGFR" as a pathway is the pathway "Signaling by EGFR", not the gene EGFR (an exact
    # name, but of a kind a pathway argument does not name)
    assert _links(neo4j, "EGFR") == [("REACTOME:R-HSA-177929", "normalised", 1.0)]
    assert _links(neo4j, "MAP2K1") == [("map2k1", "exact", 1.0)]  # a target: any kind


def test_the_fuzzy_threshold_is_a_parameter(neo4j, grounded):
    again = ground(neo4j.graph, rebuild=True, fuzzy_threshold=1.01)  # fuzzy off
    assert again.grounded_fuzzy == 0 and again.grounded == grounded.grounded - 1
    assert _links(neo4j, "endothelial cel migration") == []


def test_verifiers_accept_the_match_kinds_they_declare(neo4j, grounded):
    records, _, _ = neo4j.driver.execute_query(
        "MATCH (:Mention {text: 'RAF-MAPK signalling'})<-[:MENTIONS]-(c:Claim) RETURN c.key AS k")
    claims = claim_rows(neo4j.graph, [records[0]["k"]])
    [default] = PathwayVerifier(neo4j.graph).judge(claims)  # every kind accepted
    assert (default.status, default.reason) == (Status.SUPPORTED, Reason.DRUG_TARGET_IN_PATHWAY)
    strict = PathwayVerifier(neo4j.graph, {"match_kinds": ["exact", "synonym"]})
    [verdict] = strict.judge(claims)
    assert (verdict.status, verdict.reason) == (Status.UNVERIFIABLE, Reason.UNGROUNDED_ENTITIES)
    assert strict.record()["parameters"] == {"match_kinds": ["exact", "synonym"]}
    with pytest.raises(ValueError, match="match_kinds"):
        PathwayVerifier(neo4j.graph, {"match_kinds": ["close enough"]})
