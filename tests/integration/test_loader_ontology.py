"""The OBO ontology loader on small files the tests write in the OBO 1.2 format."""

import pytest

from vctrace.kg.grounding import ground
from vctrace.kg.trace_store import write_traces
from vctrace.loaders import SourceFileError
from vctrace.loaders.ontology import OntologyLoader
from vctrace.loaders.primekg import PrimeKGLoader
from vctrace.traces.models import Perturbation
from vctrace.traces.text import parse_trace_text
from vctrace.traces.validation import check, is_valid

# the localisation claim of the real venetoclax/HOP62 row (shared/data/traces-sample)
HOP62_TRACE = (
    'set_context(cell_type="HOP62")\n'
    'binds_to(id="n1", actor="venetoclax", target="BCL-2")\n'
    'localises_to(id="n2", entity="cytochrome c", from_loc="mitochondrial intermembrane '
    'space", to_loc="cytosol", mechanism="MOMP", via="n1")\n'
    'induces_phenotype(id="n3", source="venetoclax", phenotype="apoptosis")',
    'edge("n1", "n2", relation="causal")\nedge("n2", "n3", relation="causal")')

GO = """format-version: 1.2
data-version: releases/2026-10-01
ontology: go

[Term]
id: GO:0008150
name: biological_process
namespace: biological_process

[Term]
id: GO:0006915
name: apoptotic process
namespace: biological_process
def: "A programmed cell death process." [GOC:cjm]
synonym: "apoptosis" EXACT []
synonym: "type I programmed cell death" NARROW []
is_a: GO:0008150 ! biological_process

[Term]
id: GO:0005739
name: mitochondrion
namespace: cellular_component
synonym: "mitochondria" EXACT []

[Term]
id: GO:0005829
name: cytosol
namespace: cellular_component

[Term]
id: GO:0000001
name: old mitochondrion inheritance
namespace: biological_process
is_obsolete: true
"""

CELLOSAURUS = """format-version: 1.2
ontology: cellosaurus

[Term]
id: CVCL_2514
name: HOP-62
synonym: "HOP62" RELATED []
synonym: "NCI-HOP62" RELATED []
"""


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_go_terms_synonyms_is_a_and_obsolete(neo4j, tmp_path):
    release = OntologyLoader(neo4j.graph).load([_write(tmp_path, "go-basic.obo", GO)])
    assert (release.rows_read, release.rows_loaded, release.rows_rejected) == (5, 5, 0)
    records, _, _ = neo4j.driver.execute_query(
        "MATCH (t:OntologyTerm {curie: 'GO:0006915'})-[:IS_A]->(p) "
        "RETURN labels(t) AS l, t.names AS names, t.definition AS d, p.curie AS parent")
    record = records[0]
    assert set(record["l"]) == {"BiologicalProcess", "OntologyTerm", "Entity"}
    assert record["names"] == ["apoptosis", "apoptotic process"]  # NARROW synonyms left out
    assert record["d"] == "A programmed cell death process." and record["parent"] == "GO:0008150"
    records, _, _ = neo4j.driver.execute_query(
        "MATCH (t:CellularComponent {key: 'GO:0005739'}) RETURN t.name AS n")
    assert records[0]["n"] == "mitochondrion"
    records, _, _ = neo4j.driver.execute_query(
        "MATCH (t:OntologyTerm {curie: 'GO:0000001'}) RETURN t.obsolete AS o")
    assert records[0]["o"] is True


def test_terms_join_the_same_nodes_as_primekg_and_ground_trace_mentions(neo4j, tmp_path):
    kg = _write(tmp_path, "kg.csv", "relation,display_relation,x_index,x_id,x_type,x_name,"
                "x_source,y_index,y_id,y_type,y_name,y_source\n"
                "bioprocess_protein,interacts with,1,6915,biological_process,apoptotic process,"
                "GO,2,581,gene/protein,BAX,NCBI\n")
    PrimeKGLoader(neo4j.graph).load([kg])
    trace = check(parse_trace_text(*HOP62_TRACE, perturbation=Perturbation(raw={
        "context": [{"cell type": "HOP62"}], "perturbations": [{"name": "Venetoclax"}]})))
    assert is_valid(trace), trace.findings
    list(write_traces(neo4j.graph, [trace]))
    OntologyLoader(neo4j.graph).load([_write(tmp_path, "go.obo", GO),
                                       _write(tmp_path, "cellosaurus.obo", CELLOSAURUS)])
    records, _, _ = neo4j.driver.execute_query(
        "MATCH (p:BiologicalProcess {key: 'GO:0006915'}) RETURN count(p) AS c, "
        "p.primekg_id AS pk, p.curie AS curie")
    assert (records[0]["c"], records[0]["pk"], records[0]["curie"]) == (1, "6915", "GO:0006915")
    ground(neo4j.graph, rebuild=True)
    records, _, _ = neo4j.driver.execute_query(
        "MATCH (:Mention {text: 'cytosol'})-[:REFERS_TO]->(t:CellularComponent) "
        "RETURN t.curie AS curie")
    assert [r["curie"] for r in records] == ["GO:0005829"]  # localises_to(to_loc="cytosol")
    records, _, _ = neo4j.driver.execute_query(
        "MATCH (c:CellLine {key: 'hop-62'}) RETURN c.cellosaurus_id AS id, c.names AS names")
    assert records[0]["id"] == "CVCL_2514" and "hop62" in records[0]["names"]


def test_non_obo_files_are_refused(neo4j, tmp_path):
    with pytest.raises(SourceFileError, match="not an OBO file"):
        OntologyLoader(neo4j.graph).load([_write(tmp_path, "x.obo", "a,b,c\n1,2,3\n")])
    records, _, _ = neo4j.driver.execute_query("MATCH (n) RETURN count(n) AS c")
    assert records[0]["c"] == 0
