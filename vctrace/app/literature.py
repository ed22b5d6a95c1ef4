"""Literature for the report generator: PubMed E-utilities (esearch, efetch abstracts),
Wikipedia REST page summaries and Harmonizome gene associations, through a real HTTP client
with an on-disk cache and polite rate limits.

Why here (``vctrace.app``) and not in ``vctrace.agents``: the evidence use case
(:mod:`vctrace.app.evidence`) numbers literature items together with the graph's, and the
import contracts forbid ``vctrace.app`` to import a face; the clients hold no global state
(settings, transport, clock and sleep are given), so the agents face and the tests pass
their own.

- HTTP: ``httpx2.Client`` with a ``transport`` argument (tests pass
  ``httpx2.MockTransport``), a ``User-Agent`` naming vctrace, redirects followed (Wikipedia
  redirects titles to their canonical page), a timeout.
- Cache: one file per URL under ``settings.home/cache/literature/<host>/``, named by the
  SHA-256 of the full URL (query included, API key excluded); only 200 responses are stored,
  (and Wikipedia's 404, as a marker), so a second run of the same evidence makes no
  request at all.
- Rate limits: a minimum interval between requests per host, measured with an injectable
  clock: PubMed 1/3 s without an API key (NCBI's 3 requests/s), 1/10 s with one; Wikipedia
  1/5 s (well under Wikimedia's limits); Harmonizome 1/2 s (the Ma'ayan lab publishes no
  limit: one request every two seconds is our choice). Cache hits do not wait.
- Retries: a 429 or 503 with a ``Retry-After`` of at most 30 s is retried once after that
  wait (``retries``); then, or without one, it is an error.
- Errors: HTTP 429 and 5xx, transport failures, and malformed JSON or XML raise
  :class:`LiteratureError` with the host, status and what to do; Wikipedia's 404 (no such
  page) is ``None``, not an error.

PubMed response shapes (documented): esearch with ``retmode=json`` returns
``{"esearchresult": {"count", "retmax", "idlist": [PMIDs]}}``; efetch with ``retmode=xml``
returns ``<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>…<Article><ArticleTitle>
<Abstract><AbstractText Label=…>…``. Wikipedia's ``/api/rest_v1/page/summary/{title}``
returns JSON with ``title``, ``extract`` and ``content_urls.desktop.page``. Harmonizome's
``/api/1.0/gene/{symbol}?showAssociations=true`` returns JSON with ``symbol``, ``name``,
``description`` and ``associations``: ``[{"geneSet": {"name": "<attribute>/<dataset>",
"href": "/api/1.0/gene_set/<attribute>/<dataset>"}, "thresholdValue": …,
"standardizedValue": …}]``; an unknown symbol is a 404 (``None`` here).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any, Callable, Mapping
from urllib.parse import quote, unquote_plus

import httpx2
from pydantic import BaseModel

from ..errors import VctraceError
from ..settings import Settings

__all__ = ["EUTILS", "HARMONIZOME", "WIKIPEDIA", "Article", "HarmonizomeAssociation",
           "HarmonizomeGene", "LiteratureClient", "LiteratureError", "RateLimiter",
           "WikiSummary", "USER_AGENT"]

EUTILS = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils"
WIKIPEDIA = "https://en.wikipedia.org/api/rest_v1/page/summary"
HARMONIZOME = "https://maayanlab.cloud/Harmonizome/api/1.0"
USER_AGENT = "vctrace/0.1 (mechanistic trace verification; https://github.com/vctrace)"
TOOL = "vctrace"
PUBMED_INTERVAL = 1 / 3  # NCBI: at most 3 requests/s without an API key
PUBMED_INTERVAL_WITH_KEY = 1 / 10
WIKIPEDIA_INTERVAL = 1 / 5
HARMONIZOME_INTERVAL = 1 / 2
MAX_RETRY_AFTER_S = 30.0


class LiteratureError(VctraceError):
    """A literature service refused or failed (rate limited, server error, unreadable
    response)."""


class Article(BaseModel):
    """A PubMed article from efetch: PMID, title, abstract (its sections joined), journal
    and year."""

    pmid: str
    title: str
    abstract: str = ""
    journal: str | None = None
    year: str | None = None


class WikiSummary(BaseModel):
    """A Wikipedia page summary: canonical title, the lead extract and the page URL."""

    title: str
    extract: str
    url: str | None = None


class HarmonizomeAssociation(BaseModel):
    """A gene's association with an attribute of a Harmonizome dataset: the attribute, the
    dataset, and the standardized and threshold values as the API gives them."""

    attribute: str
    dataset: str
    standardized_value: float | None = None
    threshold_value: float | None = None


class HarmonizomeGene(BaseModel):
    """A Harmonizome gene record: symbol, name, description and its associations."""

    symbol: str
    name: str | None = None
    description: str | None = None
    associations: list[HarmonizomeAssociation] = []


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) \
        else None


def parse_harmonizome_gene(body: bytes) -> HarmonizomeGene:
    """The gene record of a Harmonizome ``gene/{symbol}?showAssociations=true`` response."""
    try:
        data = json.loads(body)
        symbol = data["symbol"]
        associations = []
        for entry in data.get("associations") or []:
            gene_set = entry.get("geneSet") or {}
            href = str(gene_set.get("href") or "")
            if "/gene_set/" in href:
                attribute, _, dataset = href.split("/gene_set/", 1)[1].partition("/")
                attribute, dataset = unquote_plus(attribute), unquote_plus(dataset)
            else:
                attribute, _, dataset = str(gene_set.get("name") or "").rpartition("/")
            if attribute and dataset:
                associations.append(HarmonizomeAssociation(
                    attribute=attribute, dataset=dataset,
                    standardized_value=_number(entry.get("standardizedValue")),
                    threshold_value=_number(entry.get("thresholdValue"))))
        return HarmonizomeGene(symbol=str(symbol), name=data.get("name"),
                               description=data.get("description"),
                               associations=associations)
    except (ValueError, KeyError, TypeError, AttributeError):
        raise LiteratureError("Harmonizome: the gene record is not the documented JSON "
                              "(symbol, associations)") from None


class RateLimiter:
    """At least ``interval`` seconds between the starts of successive requests, by
    ``clock`` (monotonic seconds), waiting with ``sleep``; thread-safe."""

    def __init__(self, interval: float, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.interval = interval
        self._clock, self._sleep = clock, sleep
        self._last: float | None = None
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = self._clock()
            if self._last is not None and now - self._last < self.interval:
                self._sleep(self.interval - (now - self._last))
                now = self._clock()
            self._last = now


class _Cache:
    """Response bodies on disk, one file per URL hash."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, host: str, url: str) -> Path:
        return self.folder / host / hashlib.sha256(url.encode()).hexdigest()

    def get(self, host: str, url: str) -> bytes | None:
        try:
            return self._path(host, url).read_bytes()
        except OSError:
            return None

    def put(self, host: str, url: str, body: bytes) -> None:
        path = self._path(host, url)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
            temporary.write_bytes(body)
            temporary.replace(path)
        except OSError:
            pass  # a cache that cannot be written only costs a request next time


def _text(element: ElementTree.Element | None) -> str:
    return " ".join("".join(element.itertext()).split()) if element is not None else ""


def parse_efetch(body: bytes) -> list[Article]:
    """The articles of an efetch ``PubmedArticleSet`` document."""
    if b"<!ENTITY" in body:
        raise LiteratureError("PubMed efetch: the XML declares entities; refused")
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError as exc:
        raise LiteratureError(f"PubMed efetch returned malformed XML ({exc})") from None
    if root.tag != "PubmedArticleSet":
        raise LiteratureError(f"PubMed efetch returned <{root.tag}>, not a PubmedArticleSet")
    articles = []
    for node in root.iter("PubmedArticle"):
        citation = node.find("MedlineCitation")
        pmid = _text(citation.find("PMID")) if citation is not None else ""
        article = citation.find("Article") if citation is not None else None
        if not pmid or article is None:
            continue
        sections = []
        for part in article.findall("Abstract/AbstractText"):
            label, text = part.get("Label"), _text(part)
            if text:
                sections.append(f"{label}: {text}" if label else text)
        year = _text(article.find("Journal/JournalIssue/PubDate/Year")) or \
            _text(article.find("Journal/JournalIssue/PubDate/MedlineDate"))[:4] or None
        articles.append(Article(pmid=pmid, title=_text(article.find("ArticleTitle")),
                                abstract=" ".join(sections),
                                journal=_text(article.find("Journal/Title")) or None,
                                year=year))
    return articles


def _retry_after(response: httpx2.Response) -> float | None:
    """Seconds a 429 or 503 response asks to wait (``Retry-After`` in seconds), or None."""
    if response.status_code not in (429, 503):
        return None
    try:
        return max(0.0, float(response.headers.get("retry-after", "")))
    except ValueError:
        return None


class LiteratureClient:
    """PubMed, Wikipedia and Harmonizome through one ``httpx2.Client`` (see the module
    docstring).
    ``api_key``: an NCBI key (10 requests/s); ``email``: sent to NCBI as they ask;
    ``retries``: how often a 429/503 with ``Retry-After`` is tried again. Rate limits hold
    per client: share one client between threads rather than making one per thread."""

    def __init__(self, settings: Settings, *, transport: httpx2.BaseTransport | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep, api_key: str | None = None,
                 email: str | None = None, cache_dir: Path | None = None,
                 timeout_s: float = 30.0, retries: int = 1) -> None:
        self.api_key, self.email = api_key, email
        self.retries, self._sleep = retries, sleep
        self.cache = _Cache(cache_dir or settings.home / "cache" / "literature")
        self.client = httpx2.Client(transport=transport, timeout=timeout_s,
                                    follow_redirects=True,
                                    headers={"User-Agent": USER_AGENT})
        self.limits = {
            "pubmed": RateLimiter(PUBMED_INTERVAL_WITH_KEY if api_key else PUBMED_INTERVAL,
                                  clock=clock, sleep=sleep),
            "wikipedia": RateLimiter(WIKIPEDIA_INTERVAL, clock=clock, sleep=sleep),
            "harmonizome": RateLimiter(HARMONIZOME_INTERVAL, clock=clock, sleep=sleep)}
        self.requests = 0  # requests sent (cache hits not counted)

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> "LiteratureClient":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _get(self, service: str, url: str, params: Mapping[str, Any] | None = None, *,
             missing_ok: bool = False) -> bytes | None:
        cache_url = str(httpx2.URL(url, params=dict(params or {})))
        cached = self.cache.get(service, cache_url)
        if cached is not None:
            return cached
        if missing_ok and self.cache.get(service, cache_url + "#404") is not None:
            return None  # known to be missing
        sent = dict(params or {})
        if service == "pubmed" and self.api_key:
            sent["api_key"] = self.api_key  # never part of the cache key
        host = httpx2.URL(url).host
        for attempt in range(self.retries + 1):
            self.limits[service].wait()
            self.requests += 1
            try:
                response = self.client.get(url, params=sent or None)
            except httpx2.HTTPError as exc:
                raise LiteratureError(f"{host}: request failed ({type(exc).__name__}: "
                                      f"{exc}); check the network or run with literature off"
                                      ) from None
            delay = _retry_after(response)
            if delay is None or delay > MAX_RETRY_AFTER_S or attempt == self.retries:
                break
            self._sleep(delay)  # the service said when to come back: once, then give up
        status = response.status_code
        if status == 404 and missing_ok:
            self.cache.put(service, cache_url + "#404", b"")
            return None
        if status == 429:
            after = response.headers.get("retry-after")
            raise LiteratureError(f"{host}: HTTP 429 Too Many Requests (rate limited"
                                  + (f"; retry after {after} s" if after else "")
                                  + "); slow down or use an API key")
        if status >= 500:
            raise LiteratureError(f"{host}: HTTP {status} server error; try again later")
        if status != 200:
            raise LiteratureError(f"{host}: HTTP {status} for {url}")
        body = response.content
        self.cache.put(service, cache_url, body)
        return body

    def _ncbi(self, params: dict[str, Any]) -> dict[str, Any]:
        params = {**params, "tool": TOOL}
        if self.email:
            params["email"] = self.email
        return params

    def pubmed_search(self, term: str, *, retmax: int = 5) -> list[str]:
        """PMIDs of the PubMed search ``term``, most relevant first (esearch, JSON)."""
        body = self._get("pubmed", f"{EUTILS}/esearch.fcgi", self._ncbi({
            "db": "pubmed", "term": term, "retmax": retmax, "retmode": "json",
            "sort": "relevance"}))
        try:
            data = json.loads(body)
            ids = data["esearchresult"]["idlist"]
        except (ValueError, KeyError, TypeError):
            raise LiteratureError("PubMed esearch: the response has no esearchresult.idlist"
                                  ) from None
        if not isinstance(ids, list):
            raise LiteratureError("PubMed esearch: esearchresult.idlist is not a list")
        return [str(i) for i in ids]

    def pubmed_abstracts(self, pmids: list[str]) -> list[Article]:
        """Title and abstract of each PMID (efetch, XML), in the order given."""
        if not pmids:
            return []
        body = self._get("pubmed", f"{EUTILS}/efetch.fcgi", self._ncbi({
            "db": "pubmed", "id": ",".join(pmids), "rettype": "abstract", "retmode": "xml"}))
        by_id = {a.pmid: a for a in parse_efetch(body or b"")}
        return [by_id[p] for p in pmids if p in by_id]

    def wikipedia_summary(self, title: str) -> WikiSummary | None:
        """The summary of the English Wikipedia page ``title``, or ``None`` without one."""
        url = f"{WIKIPEDIA}/{quote(title.replace(' ', '_'), safe='')}"
        body = self._get("wikipedia", url, missing_ok=True)
        if body is None:
            return None
        try:
            data = json.loads(body)
            page = (data.get("content_urls") or {}).get("desktop", {}).get("page")
            summary = WikiSummary(title=data["title"], extract=data.get("extract") or "",
                                  url=page)
        except (ValueError, KeyError, TypeError, AttributeError):
            raise LiteratureError(f"Wikipedia: the summary of {title!r} is not the "
                                  "documented JSON (title, extract)") from None
        if data.get("type") == "disambiguation":
            return None
        return summary

    def harmonizome_gene(self, symbol: str) -> HarmonizomeGene | None:
        """The Harmonizome record of gene ``symbol`` with its associations, or ``None`` when
        Harmonizome has no such gene."""
        url = f"{HARMONIZOME}/gene/{quote(symbol, safe='')}"
        body = self._get("harmonizome", url, {"showAssociations": "true"}, missing_ok=True)
        return None if body is None else parse_harmonizome_gene(body)
