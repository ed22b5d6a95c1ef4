"""PubMed, Wikipedia and Harmonizome clients (vctrace.app.literature) at the transport layer:
httpx2's MockTransport answers with the documented response shapes (esearch JSON, efetch XML,
the Wikipedia REST summary, the Harmonizome gene record); no network."""

from __future__ import annotations


import httpx2
import pytest

from vctrace.app.literature import (HARMONIZOME_INTERVAL, PUBMED_INTERVAL, LiteratureClient,
                                    LiteratureError, RateLimiter, USER_AGENT)
from vctrace.settings import Settings

ESEARCH = {"header": {"type": "esearch", "version": "0.3"},
           "esearchresult": {"count": "2", "retmax": "2", "retstart": "0",
                             "idlist": ["28465351", "22663011"], "translationset": [],
                             "querytranslation": "trametinib[All Fields]"}}
EFETCH = b"""<?xml version="1.0" ?>
<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2024//EN" "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_240101.dtd">
<PubmedArticleSet>
<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM"><PMID Version="1">22663011</PMID>
<Article PubModel="Print"><Journal><Title>The New England journal of medicine</Title>
<JournalIssue CitedMedium="Internet"><PubDate><Year>2012</Year><Month>Jul</Month></PubDate></JournalIssue></Journal>
<ArticleTitle>Improved survival with MEK inhibition in BRAF-mutated melanoma.</ArticleTitle>
<Abstract><AbstractText Label="BACKGROUND" NlmCategory="BACKGROUND">Trametinib is a <i>selective</i> MEK1/MEK2 inhibitor.</AbstractText>
<AbstractText Label="RESULTS" NlmCategory="RESULTS">Progression-free survival improved.</AbstractText></Abstract>
</Article></MedlineCitation></PubmedArticle>
<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM"><PMID Version="1">28465351</PMID>
<Article PubModel="Print"><Journal><Title>Cancer cell</Title><JournalIssue><PubDate><MedlineDate>2017 May-Jun</MedlineDate></PubDate></JournalIssue></Journal>
<ArticleTitle>MEK inhibitors in cancer.</ArticleTitle></Article></MedlineCitation></PubmedArticle>
</PubmedArticleSet>"""
SUMMARY = {"type": "standard", "title": "Trametinib", "displaytitle": "Trametinib",
           "extract": "Trametinib is a cancer drug that inhibits MEK1 and MEK2.",
           "content_urls": {"desktop": {"page": "https://en.wikipedia.org/wiki/Trametinib"},
                            "mobile": {"page": "https://en.m.wikipedia.org/wiki/Trametinib"}}}

MAP2K1 = {"symbol": "MAP2K1", "synonyms": ["MEK1", "MAPKK1"],
          "name": "mitogen-activated protein kinase kinase 1",
          "description": "The protein encoded by this gene is a member of the dual specificity "
                         "protein kinase family.",
          "ncbiEntrezGeneId": 5604,
          "ncbiEntrezGeneUrl": "http://www.ncbi.nlm.nih.gov/gene/5604",
          "proteins": [{"symbol": "MP2K1_HUMAN", "href": "/api/1.0/protein/MP2K1_HUMAN"}],
          "hgncRootFamilies": [{"name": "Mitogen-activated protein kinase kinases",
                                "href": "/api/1.0/gene_family/MAP2K"}],
          "associations": [
              {"geneSet": {"name": "melanoma/DISEASES Text-mining Gene-Disease Assocation "
                                   "Evidence Scores",
                           "href": "/api/1.0/gene_set/melanoma/DISEASES+Text-mining+"
                                   "Gene-Disease+Assocation+Evidence+Scores"},
               "thresholdValue": 1.0, "standardizedValue": 2.41},
              {"geneSet": {"name": "MAPK signaling pathway/KEGG Pathways",
                           "href": "/api/1.0/gene_set/MAPK+signaling+pathway/KEGG+Pathways"},
               "thresholdValue": 1.0, "standardizedValue": None},
              {"geneSet": {"name": "A375/CCLE Cell Line Gene Expression Profiles",
                           "href": "/api/1.0/gene_set/A375/CCLE+Cell+Line+Gene+Expression+"
                                   "Profiles"},
               "thresholdValue": -1.0, "standardizedValue": -3.02}]}


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _handler(seen: list[httpx2.Request], overrides=None):
    def handle(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        path = request.url.path
        if overrides and path in overrides:
            return overrides[path](request)
        if path.endswith("/esearch.fcgi"):
            return httpx2.Response(200, json=ESEARCH)
        if path.endswith("/efetch.fcgi"):
            return httpx2.Response(200, content=EFETCH,
                                   headers={"content-type": "text/xml"})
        if path == "/api/rest_v1/page/summary/Trametinib":
            return httpx2.Response(200, json=SUMMARY)
        if path == "/Harmonizome/api/1.0/gene/MAP2K1":
            return httpx2.Response(200, json=MAP2K1)
        return httpx2.Response(404, json={"type": "https://mediawiki.org/wiki/HyperSwitch/"
                                          "errors/not_found", "title": "Not found."})
    return handle


@pytest.fixture
def make(tmp_path):
    def build(seen, overrides=None, clock=None, **kwargs) -> LiteratureClient:
        clock = clock or FakeClock()
        return LiteratureClient(Settings(home=tmp_path), clock=clock, sleep=clock.sleep,
                                transport=httpx2.MockTransport(_handler(seen, overrides)),
                                **kwargs)
    return build


def test_esearch_and_efetch_request_shapes_and_parsing(make):
    seen: list[httpx2.Request] = []
    client = make(seen, email="dev@example.org")
    assert client.pubmed_search("trametinib AND MAP2K1", retmax=2) == ["28465351", "22663011"]
    articles = client.pubmed_abstracts(["28465351", "22663011"])
    search, fetch = seen
    assert search.url.host == "eutils.ncbi.nlm.nih.gov"
    assert search.url.path == "/entrez/eutils/esearch.fcgi"
    assert dict(search.url.params) == {"db": "pubmed", "term": "trametinib AND MAP2K1",
                                       "retmax": "2", "retmode": "json",
                                       "sort": "relevance", "tool": "vctrace",
                                       "email": "dev@example.org"}
    assert fetch.url.path == "/entrez/eutils/efetch.fcgi"
    assert dict(fetch.url.params) == {"db": "pubmed", "id": "28465351,22663011",
                                      "rettype": "abstract", "retmode": "xml",
                                      "tool": "vctrace", "email": "dev@example.org"}
    assert all(r.headers["user-agent"] == USER_AGENT and "vctrace" in USER_AGENT
               for r in seen)
    assert [a.pmid for a in articles] == ["28465351", "22663011"]  # the order asked
    melanoma = articles[1]
    assert melanoma.title == "Improved survival with MEK inhibition in BRAF-mutated melanoma."
    assert melanoma.abstract == ("BACKGROUND: Trametinib is a selective MEK1/MEK2 inhibitor. "
                                 "RESULTS: Progression-free survival improved.")
    assert (melanoma.journal, melanoma.year) == ("The New England journal of medicine", "2012")
    assert (articles[0].abstract, articles[0].year) == ("", "2017")


def test_wikipedia_summary_and_missing_page(make):
    seen: list[httpx2.Request] = []
    client = make(seen)
    summary = client.wikipedia_summary("Trametinib")
    assert (summary.title, summary.url) == ("Trametinib",
                                            "https://en.wikipedia.org/wiki/Trametinib")
    assert summary.extract.startswith("Trametinib is a cancer drug")
    assert client.wikipedia_summary("No such page") is None
    assert seen[1].url.path == "/api/rest_v1/page/summary/No_such_page"


def test_second_run_is_served_from_the_cache_with_zero_requests(make):
    def run(client):
        client.pubmed_abstracts(client.pubmed_search("trametinib"))
        client.wikipedia_summary("Trametinib")
        client.wikipedia_summary("No such page")
    first: list[httpx2.Request] = []
    run(make(first))
    assert len(first) == 4
    second: list[httpx2.Request] = []
    client = make(second)
    run(client)
    assert second == [] and client.requests == 0


def test_api_key_is_sent_but_not_part_of_the_cache_key(make):
    seen: list[httpx2.Request] = []
    keyed = make(seen, api_key="SECRET")
    keyed.pubmed_search("trametinib")
    assert seen[0].url.params["api_key"] == "SECRET"
    assert keyed.limits["pubmed"].interval == pytest.approx(0.1)
    again: list[httpx2.Request] = []
    make(again).pubmed_search("trametinib")
    assert again == []  # same cache entry, and the key is in no file name
    assert not any("SECRET" in p.name for p in keyed.cache.folder.rglob("*"))


def test_rate_limit_spaces_pubmed_requests_at_a_third_of_a_second(make):
    clock = FakeClock()
    seen: list[httpx2.Request] = []
    stamps: list[float] = []
    original = _handler(seen)

    def timed(request):
        stamps.append(clock.now)
        return original(request)
    client = make(seen, clock=clock, overrides={"/entrez/eutils/esearch.fcgi": timed})
    for term in ("a", "b", "c", "d"):
        client.pubmed_search(term)
    assert [round(b - a, 6) for a, b in zip(stamps, stamps[1:])] == \
        [round(PUBMED_INTERVAL, 6)] * 3
    assert len(clock.sleeps) == 3
    clock.now += 10  # time passed: no wait
    client.pubmed_search("e")
    assert len(clock.sleeps) == 3


def test_rate_limiter_alone():
    clock = FakeClock()
    limiter = RateLimiter(0.5, clock=clock, sleep=clock.sleep)
    limiter.wait()
    clock.now += 0.2
    limiter.wait()
    assert clock.sleeps == [pytest.approx(0.3)]


@pytest.mark.parametrize("status, words", [(429, "429 Too Many Requests"),
                                           (500, "HTTP 500 server error"),
                                           (503, "HTTP 503 server error")])
def test_rate_limited_and_server_errors_are_clear_and_not_cached(make, status, words):
    seen: list[httpx2.Request] = []
    client = make(seen, overrides={"/entrez/eutils/esearch.fcgi": lambda r: httpx2.Response(
        status, headers={"retry-after": "2"} if status == 429 else {}, text="busy")})
    with pytest.raises(LiteratureError, match=words) as caught:
        client.pubmed_search("trametinib")
    assert "eutils.ncbi.nlm.nih.gov" in str(caught.value)
    if status == 429:
        assert "retry after 2 s" in str(caught.value)
    with pytest.raises(LiteratureError):
        client.pubmed_search("trametinib")
    # 429 with Retry-After is tried once more after the wait; errors are never cached
    assert len(seen) == (4 if status == 429 else 2)


def test_retry_after_is_respected_once_then_success(make):
    clock = FakeClock()
    seen: list[httpx2.Request] = []
    answers = iter([httpx2.Response(429, headers={"retry-after": "5"}),
                    httpx2.Response(200, json=ESEARCH)])
    client = make(seen, clock=clock,
                  overrides={"/entrez/eutils/esearch.fcgi": lambda r: next(answers)})
    assert client.pubmed_search("trametinib") == ["28465351", "22663011"]
    assert len(seen) == 2 and clock.sleeps == [5.0]
    assert client.requests == 2
    # a wait longer than 30 s is not waited for
    far = make([], clock=FakeClock(), overrides={"/entrez/eutils/esearch.fcgi": lambda r:
                                                 httpx2.Response(429, headers={
                                                     "retry-after": "3600"})})
    with pytest.raises(LiteratureError, match="retry after 3600 s"):
        far.pubmed_search("x")
    assert far.requests == 1


def test_transport_failure_is_a_literature_error(make):
    def fail(request):
        raise httpx2.ConnectError("no route to host", request=request)
    client = make([], overrides={"/entrez/eutils/esearch.fcgi": fail})
    with pytest.raises(LiteratureError, match="request failed"):
        client.pubmed_search("x")


@pytest.mark.parametrize("body, words", [
    (b"<PubmedArticleSet><PubmedArticle>", "malformed XML"),
    (b"<eFetchResult><ERROR>Empty id list</ERROR></eFetchResult>", "not a PubmedArticleSet"),
    (b'<!DOCTYPE x [<!ENTITY a "aaaa">]><PubmedArticleSet>&a;</PubmedArticleSet>',
     "declares entities")])
def test_malformed_efetch_xml_is_a_clear_error(make, body, words):
    client = make([], overrides={"/entrez/eutils/efetch.fcgi":
                                 lambda r: httpx2.Response(200, content=body)})
    with pytest.raises(LiteratureError, match=words):
        client.pubmed_abstracts(["1"])


def test_malformed_json_is_a_clear_error(make):
    client = make([], overrides={
        "/entrez/eutils/esearch.fcgi": lambda r: httpx2.Response(200, json={"error": "x"}),
        "/api/rest_v1/page/summary/Trametinib": lambda r: httpx2.Response(200, text="<html>")})
    with pytest.raises(LiteratureError, match="esearchresult.idlist"):
        client.pubmed_search("x")
    with pytest.raises(LiteratureError, match="documented JSON"):
        client.wikipedia_summary("Trametinib")


def test_harmonizome_gene_record_and_missing_gene(make):
    seen: list[httpx2.Request] = []
    client = make(seen)
    gene = client.harmonizome_gene("MAP2K1")
    request = seen[0]
    assert (request.url.host, request.url.path) == ("maayanlab.cloud",
                                                    "/Harmonizome/api/1.0/gene/MAP2K1")
    assert dict(request.url.params) == {"showAssociations": "true"}
    assert gene.symbol == "MAP2K1" and gene.name.startswith("mitogen-activated")
    assert [(a.attribute, a.dataset, a.standardized_value) for a in gene.associations] == [
        ("melanoma", "DISEASES Text-mining Gene-Disease Assocation Evidence Scores", 2.41),
        ("MAPK signaling pathway", "KEGG Pathways", None),
        ("A375", "CCLE Cell Line Gene Expression Profiles", -3.02)]
    assert client.harmonizome_gene("NOTAGENE") is None
    assert client.limits["harmonizome"].interval == HARMONIZOME_INTERVAL
    again: list[httpx2.Request] = []
    cached = make(again)
    assert cached.harmonizome_gene("MAP2K1") == gene and cached.harmonizome_gene("NOTAGENE") \
        is None
    assert again == [] and cached.requests == 0


def test_malformed_harmonizome_record_is_a_clear_error(make):
    client = make([], overrides={"/Harmonizome/api/1.0/gene/MAP2K1": lambda r: httpx2.Response(
        200, json={"associations": "none"})})
    with pytest.raises(LiteratureError, match="Harmonizome: the gene record is not"):
        client.harmonizome_gene("MAP2K1")
