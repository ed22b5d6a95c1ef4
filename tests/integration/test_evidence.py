"""Evidence for the report generator (vctrace.app.evidence) against the session's real Neo4j
on the demo knowledge set: numbered items from the drug's targets, their PrimeKG
neighbourhood, the cell line's drivers and Harmonizome; entity recognition over the pair's
text; literature through httpx2's MockTransport (documented response shapes, cached); and
proofs that evidence never reads the Tahoe differential expression."""

from __future__ import annotations

import gzip
import json
import re

import httpx2
import pytest

from vctrace.app import evidence, generation, knowledge
from vctrace.app.literature import LiteratureClient
from vctrace.errors import NotFound

from support.de_free import assert_never_reads_de

TRAMETINIB_C32 = evidence.EvidenceRequest(drug="trametinib", cell_line="C32")


def test_evidence_for_a_pair_is_numbered_from_the_graph(demo):
    result = evidence.gather(demo.settings(), TRAMETINIB_C32)
    assert (result.drug, result.cell_line) == ("Trametinib", "C32")
    assert [i.id for i in result.items] == [f"E{n}" for n in range(1, len(result.items) + 1)]
    lines = result.rendered().splitlines()
    assert all(re.fullmatch(r"\[E\d+\] (primekg|tahoe|cell_line|harmonizome), \S+, .+", line)
               for line in lines), lines
    assert lines[0] == ("[E1] tahoe, drug_metadata:trametinib, Trametinib: mechanism of action "
                        "MEK inhibitor; inhibitor/antagonist; listed targets MAP2K1, MAP2K2 "
                        "(Tahoe-100M drug metadata)")
    text = "\n".join(lines)
    assert "primekg, DRUG_PROTEIN:trametinib->map2k1, Trametinib targets MAP2K1" in text
    assert "tahoe, TARGETS:trametinib->map2k2, Trametinib targets MAP2K2" in text
    assert re.search(r"primekg, PATHWAY_PROTEIN:map2k1->\S*R-HSA-5673001, MAP2K1 participates "
                     r"in the Reactome pathway RAF/MAP kinase cascade", text)
    assert "primekg, PROTEIN_PROTEIN:map2k1-mapk1, MAP2K1 interacts with MAPK1" in text
    assert re.search(r"cell_line, HAS_DRIVER:c32->BRAF\(p\.V600E\), C32 \(Skin\) carries a driver "
                     r"alteration of BRAF: Oncogene, GoF", text)
    assert result.by_source() == {"tahoe": 3, "primekg": 5, "cell_line": 4}
    assert not result.literature and result.literature_requests == 0
    # entity recognition over the pair's perturbation text and question
    names = {(e.label, e.key) for e in result.entities}
    assert {("Drug", "trametinib"), ("Gene", "map2k1"), ("Gene", "map2k2"), ("Gene", "braf"),
            ("Gene", "pten"), ("CellLine", "c32")} <= names
    smiles = json.dumps(result.perturbation["perturbations"][0]["smiles"])[1:-1]
    start = result.question.index(smiles)
    for entity in result.entities:
        assert result.question[entity.start:entity.end] == entity.text
        assert entity.end <= start or entity.start >= start + len(smiles)
    # citations of a report are checked against the items
    report = "MEK is inhibited [E2]; BRAF V600E drives it [^E9], [E3, E99]."
    assert evidence.unknown_citations(report, result.items) == ["E99"]
    # reproducible
    assert evidence.gather(demo.settings(), TRAMETINIB_C32).items == result.items


def test_evidence_bounds(demo):
    settings = demo.settings()
    one = evidence.gather(settings, TRAMETINIB_C32.model_copy(update={
        "max_targets": 1, "max_terms": 0, "max_interactors": 0}))
    assert [i.source_id for i in one.items if i.source != "cell_line"] == [
        "drug_metadata:trametinib", "DRUG_PROTEIN:trametinib->map2k1",
        "TARGETS:trametinib->map2k1"]
    # many pairs through one connection and one recogniser: the same as one at a time
    pairs = generation.pairs(settings, drugs=["Trametinib"]).pairs
    recognizer = evidence.entity_recognizer(settings)
    many = evidence.gather_pairs(settings, pairs, recognizer=recognizer)
    assert [(r.drug, r.cell_line) for r in many] == [(p.drug, p.cell_line) for p in pairs]
    assert many[1] == evidence.gather(settings, evidence.EvidenceRequest(
        drug="Trametinib", cell_line=pairs[1].cell_line), recognizer=recognizer)
    with pytest.raises(NotFound):
        evidence.gather(settings, evidence.EvidenceRequest(drug="trametinib",
                                                           cell_line="nowhere"))


def _transport(seen: list[httpx2.Request]) -> httpx2.MockTransport:
    efetch = (b'<?xml version="1.0" ?>\n<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD '
              b'PubMedArticle, 1st January 2024//EN" "https://dtd.nlm.nih.gov/ncbi/pubmed/out/'
              b'pubmed_240101.dtd">\n<PubmedArticleSet><PubmedArticle><MedlineCitation>'
              b'<PMID Version="1">22663011</PMID><Article><Journal><JournalIssue><PubDate>'
              b'<Year>2012</Year></PubDate></JournalIssue><Title>N Engl J Med</Title></Journal>'
              b'<ArticleTitle>Improved survival with MEK inhibition in BRAF-mutated melanoma.'
              b'</ArticleTitle><Abstract><AbstractText>Trametinib inhibits MEK1 and MEK2.'
              b'</AbstractText></Abstract></Article></MedlineCitation></PubmedArticle>'
              b'</PubmedArticleSet>')

    def handle(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        path = request.url.path
        if path.endswith("/esearch.fcgi"):
            ids = ["22663011"] if "MAP2K1" in request.url.params["term"] else []
            return httpx2.Response(200, json={"header": {"type": "esearch"}, "esearchresult": {
                "count": str(len(ids)), "retmax": str(len(ids)), "idlist": ids}})
        if path.endswith("/efetch.fcgi"):
            return httpx2.Response(200, content=efetch)
        if path == "/api/rest_v1/page/summary/Trametinib":
            return httpx2.Response(200, json={
                "type": "standard", "title": "Trametinib",
                "extract": "Trametinib is a MEK inhibitor drug.",
                "content_urls": {"desktop": {"page": "https://en.wikipedia.org/wiki/Trametinib"}}})
        if path == "/Harmonizome/api/1.0/gene/MAP2K2":
            return httpx2.Response(200, json={
                "symbol": "MAP2K2", "name": "mitogen-activated protein kinase kinase 2",
                "associations": [
                    {"geneSet": {"name": "skin/GTEx Tissue Gene Expression Profiles",
                                 "href": "/api/1.0/gene_set/skin/GTEx+Tissue+Gene+"
                                         "Expression+Profiles"},
                     "thresholdValue": 1.0, "standardizedValue": 1.5},
                    {"geneSet": {"name": "melanoma/DISEASES Text-mining Gene-Disease "
                                         "Assocation Evidence Scores",
                                 "href": "/api/1.0/gene_set/melanoma/DISEASES+Text-mining+"
                                         "Gene-Disease+Assocation+Evidence+Scores"},
                     "thresholdValue": 1.0, "standardizedValue": -2.25}]})
        return httpx2.Response(404, json={"title": "Not found."})
    return httpx2.MockTransport(handle)


def test_literature_through_the_transport_cached_on_the_second_run(demo, tmp_path):
    settings = demo.settings(home=tmp_path)
    request = TRAMETINIB_C32.model_copy(update={"literature": True})
    seen: list[httpx2.Request] = []
    with LiteratureClient(settings, transport=_transport(seen), sleep=lambda s: None) as client:
        result = evidence.gather(settings, request, literature_client=client)
    graph_only = evidence.gather(settings, TRAMETINIB_C32)
    assert result.items[:len(graph_only.items)] == graph_only.items  # literature comes last
    extra = [i.render() for i in result.items[len(graph_only.items):]]
    n = len(graph_only.items)
    assert extra == [
        f"[E{n + 1}] pubmed, PMID:22663011, Improved survival with MEK inhibition in "
        "BRAF-mutated melanoma. (2012) Trametinib inhibits MEK1 and MEK2.",
        f"[E{n + 2}] wikipedia, https://en.wikipedia.org/wiki/Trametinib, Trametinib is a MEK "
        "inhibitor drug.",
        f"[E{n + 3}] harmonizome, harmonizome-api:MAP2K2:DISEASES_Text-mining_Gene-Disease_"
        "Assocation_Evidence_Scores:melanoma, MAP2K2 is associated with melanoma (Harmonizome "
        "API, DISEASES Text-mining Gene-Disease Assocation Evidence Scores, standardized value "
        "-2.25)",
        f"[E{n + 4}] harmonizome, harmonizome-api:MAP2K2:GTEx_Tissue_Gene_Expression_"
        "Profiles:skin, MAP2K2 is associated with skin (Harmonizome API, GTEx Tissue Gene "
        "Expression Profiles, standardized value +1.5)"]
    harmonizome = [r.url.path for r in seen if r.url.host == "maayanlab.cloud"]
    assert harmonizome == ["/Harmonizome/api/1.0/gene/MAP2K1",
                           "/Harmonizome/api/1.0/gene/MAP2K2"]  # MAP2K1: a 404, no items
    searches = [r.url.params["term"] for r in seen if r.url.path.endswith("esearch.fcgi")]
    assert searches == ['"Trametinib"[Title/Abstract] AND ("MAP2K1"[Title/Abstract] OR '
                        '"MAP2K2"[Title/Abstract])',
                        '"Trametinib"[Title/Abstract] AND "C32"[Title/Abstract]']
    assert result.literature_requests == len(seen) > 0
    again: list[httpx2.Request] = []
    with LiteratureClient(settings, transport=_transport(again)) as client:
        second = evidence.gather(settings, request, literature_client=client)
        assert second.items == result.items and again == [] and second.literature_requests == 0
        off = evidence.gather(settings, TRAMETINIB_C32, literature_client=client)
        assert client.requests == 0 and off.items == graph_only.items


# ---------------------------------------------------------------- DE is never evidence


def test_evidence_statements_never_name_differential_expression(neo4j_server):
    """Each statement the evidence use case runs: its text and its EXPLAIN plan (every
    operator, its details) name no DE label or relationship type."""
    assert {"generation/evidence_aliases", "generation/evidence_targets",
            "generation/evidence_harmonizome"} <= set(evidence.EVIDENCE_STATEMENTS)
    for name in evidence.EVIDENCE_STATEMENTS:
        assert_never_reads_de(neo4j_server.driver, name, evidence.statement_text(name))


def test_evidence_reads_harmonizome_and_not_the_de_calls(demo, tmp_path):
    """Harmonizome attributes of the targets appear once loaded; the evidence is the same
    with the DE calls loaded and after deleting every DE node."""
    folder = tmp_path / "kinomescan"
    folder.mkdir()
    rows = ["source\tsource_desc\tsource_id\ttarget\ttarget_desc\ttarget_id\tweight",
            "GeneSym\tna\tGeneID\tDrug\tna\tna\tweight",
            "MAP2K1\tna\t5604\tselumetinib\tna\tna\t1.000000",
            "MAP2K1\tna\t5604\tcobimetinib\tna\tna\t-2.500000",
            "MAP2K2\tna\t5605\tselumetinib\tna\tna\t1.000000"]
    path = folder / "gene_attribute_edges.txt.gz"
    path.write_bytes(gzip.compress(("\n".join(rows) + "\n").encode()))
    settings = demo.settings()
    demo.loaded = None  # the shared load is changed: the next user loads it again
    knowledge.load(settings, "harmonizome", [path], {"source_version": "test"})
    with_de = evidence.gather(settings, TRAMETINIB_C32)
    harmonizome = [i.render() for i in with_de.items if i.source == "harmonizome"]
    assert len(harmonizome) == 3
    assert re.search(r"harmonizome, HAS_ATTRIBUTE:map2k1->kinomescan:\S+, MAP2K1 is "
                     r"associated with cobimetinib \(Harmonizome kinomescan, weight -2\.5\)",
                     harmonizome[0])

    def de_nodes() -> int:
        records, _, _ = demo.driver.execute_query(
            "MATCH (n) WHERE n:DEExperiment OR n:GeneUniverse RETURN count(n) AS n")
        return records[0]["n"]

    assert de_nodes() > 0
    demo.driver.execute_query("MATCH (n) WHERE n:DEExperiment OR n:GeneUniverse "
                              "DETACH DELETE n")
    assert de_nodes() == 0
    without_de = evidence.gather(settings, TRAMETINIB_C32)
    assert without_de == with_de
