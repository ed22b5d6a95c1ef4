"""Evidence for the report generator (issue 11, the report generator's retrieval half): for
one (drug, cell line) pair, the entities its perturbation text names and a numbered list of
evidence items that a report may cite.

A fixed pipeline, not an open tool loop:

1. the pair's VC-TRACES perturbation record and question (:func:`vctrace.app.generation.pairs`);
2. entity recognition over that text with the graph's alias index
   (:func:`entity_recognizer`, :mod:`vctrace.traces.entity_recognition`; the SMILES is
   left out: atom runs like ``CCC`` are not names);
3. graph evidence (statements ``generation/evidence_*``, ``generation/drugs`` and
   ``generation/cell_lines``): the drug's Tahoe-100M record (mechanism of action, listed
   targets), its curated targets (Tahoe-100M TARGETS, PrimeKG ``target`` edges), each
   target's PrimeKG neighbourhood — Reactome pathways and GO processes, protein
   interactions — bounded and ranked, the cell line's driver alterations, and the targets'
   Harmonizome attributes where a Harmonizome dataset is loaded;
4. literature, only when asked (``literature=True``; off by default, and offline here):
   PubMed abstracts for the drug with its targets and with the cell line, Wikipedia
   summaries of the drug and of recognised genes, and the targets' strongest Harmonizome
   associations from the Harmonizome API (for datasets not loaded into the graph;
   :mod:`vctrace.app.literature`, cached and rate limited).

Every item is numbered in that order (``E1``, ``E2``, …) and rendered
``[E12] source, source_id, text``; :func:`unknown_citations` returns the ids a report cites
that were not issued, for the re-ask rule (a report citing an unknown id is rejected and
asked again once).

The Tahoe differential expression (``DEExperiment``, ``GeneUniverse``, ``DE``, ``OF_DRUG``)
is never read: it is what DE claims are verified against. :data:`EVIDENCE_STATEMENTS` lists
every statement this module runs, and the integration tests check each one's plan and that the
evidence is identical after deleting the DE data.
"""

from __future__ import annotations

import json
import re
from typing import Any, Iterable, Literal

from pydantic import BaseModel, Field

from .. import cypher
from ..errors import NotFound
from ..kg.graph import Graph
from ..settings import Settings
from ..traces import citations
from ..traces.entity_recognition import EntityRef, Recognizer
from . import generation
from .graph_session import open_graph
from .literature import LiteratureClient

__all__ = ["EVIDENCE_STATEMENTS", "RECOGNISED_LABELS", "EvidenceItem", "EvidenceOptions",
           "EvidenceRequest", "EvidenceResult", "RecognisedEntity", "cited_ids",
           "entity_recognizer", "gather", "gather_pairs", "render_evidence",
           "unknown_citations"]

#: every graph statement the evidence use case runs (none reads differential expression)
EVIDENCE_STATEMENTS = ("generation/pairs", "generation/drugs", "generation/cell_lines",
                       "generation/evidence_aliases", "generation/evidence_targets",
                       "generation/evidence_harmonizome")
#: the entity labels whose names entity recognition looks for
RECOGNISED_LABELS = ("Gene", "Drug", "CellLine", "Disease", "Pathway", "BiologicalProcess",
                     "Anatomy", "Phenotype")
Source = Literal["primekg", "tahoe", "harmonizome", "pubmed", "wikipedia", "cell_line"]
_SOURCES = {"primekg": "primekg", "tahoe-100m": "tahoe", "tahoe-metadata": "tahoe",
            "harmonizome": "harmonizome"}
ABSTRACT_CHARS = 1200


def statement_text(name: str) -> str:
    """The text of one of :data:`EVIDENCE_STATEMENTS`."""
    if name not in EVIDENCE_STATEMENTS:
        raise KeyError(name)
    return cypher.load(name)


def _read(graph: Graph, name: str, **params: Any) -> list[dict[str, Any]]:
    if name not in EVIDENCE_STATEMENTS:
        raise KeyError(name)
    return graph.read(name, **params)


# ---------------------------------------------------------------- models


class EvidenceItem(BaseModel):
    """One numbered piece of evidence: ``id`` (``E12``), its source, the identifier in that
    source (a graph relationship, a PMID, a page title) and the text a report may cite."""

    id: str = Field(pattern=r"^E[1-9][0-9]*$")
    source: Source
    source_id: str
    text: str

    def render(self) -> str:
        """``[E12] source, source_id, text``."""
        return f"[{self.id}] {self.source}, {self.source_id}, {self.text}"


def render_evidence(items: Iterable[EvidenceItem]) -> str:
    """The evidence list as the report generator's prompt shows it, one item a line."""
    return "\n".join(item.render() for item in items)


cited_ids = citations.cited_ids  # the one citation reader (vctrace.traces.citations)


def unknown_citations(report: str, items: Iterable[EvidenceItem | str]) -> list[str]:
    """The ids ``report`` cites that are not among ``items`` (evidence items or their ids):
    empty when every citation can be checked; otherwise the report is rejected (re-asked)."""
    return citations.unknown_citations(
        report, (item if isinstance(item, str) else item.id for item in items))


class RecognisedEntity(BaseModel):
    """A name entity recognition found in the perturbation text, and an entity it names."""

    text: str
    start: int
    end: int
    form: str
    label: str
    key: str
    name: str


class EvidenceOptions(BaseModel):
    """The bounds of each kind of evidence; ``literature`` (off by default) asks PubMed,
    Wikipedia and the Harmonizome API."""

    max_targets: int = Field(5, ge=1, le=50)
    max_terms: int = Field(5, ge=0, le=50, description="pathways / GO processes per target")
    max_interactors: int = Field(5, ge=0, le=50, description="protein interactions per "
                                 "target")
    max_attributes: int = Field(5, ge=0, le=50, description="Harmonizome attributes per "
                                "target")
    literature: bool = False
    pubmed_per_query: int = Field(3, ge=0, le=20)
    max_wikipedia: int = Field(4, ge=0, le=20)


class EvidenceRequest(EvidenceOptions):
    """One pair (drug and cell line: names, base names or keys) and the bounds."""

    drug: str
    cell_line: str


class EvidenceResult(generation.PerturbationPair):
    """The pair (names, keys, perturbation record, question), the entities its text names,
    and the numbered evidence items."""

    entities: list[RecognisedEntity]
    items: list[EvidenceItem]
    literature: bool
    literature_requests: int = 0

    def rendered(self) -> str:
        return render_evidence(self.items)

    def by_source(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for item in self.items:
            counts[item.source] = counts.get(item.source, 0) + 1
        return counts


# ---------------------------------------------------------------- entity recognition


def _recognizer(graph: Graph, labels: Iterable[str]) -> Recognizer:
    pairs: list[tuple[str, EntityRef]] = []
    for row in _read(graph, "generation/evidence_aliases", labels=list(labels)):
        entity = EntityRef(row["label"], row["key"], row["name"])
        pairs.append((row["alias"], entity))
        pairs += [(spelling, entity) for spelling in row["spellings"] or ()]
    return Recognizer(pairs)


def entity_recognizer(settings: Settings,
                      labels: Iterable[str] = RECOGNISED_LABELS) -> Recognizer:
    """An entity recogniser over the names of the graph's entities with ``labels`` (the
    alias index; build it once and pass it to :func:`gather` for many pairs)."""
    with open_graph(settings) as graph:
        return _recognizer(graph, labels)


# ---------------------------------------------------------------- evidence


class _Items:
    """Numbered, de-duplicated evidence items."""

    def __init__(self) -> None:
        self.items: list[EvidenceItem] = []
        self._seen: dict[tuple[str, str], str] = {}

    def add(self, source: str, source_id: str, text: str) -> str:
        key = (source, source_id)
        if key not in self._seen:
            item = EvidenceItem(id=f"E{len(self.items) + 1}", source=source,
                                source_id="_".join(source_id.split()),
                                text=" ".join(text.split()))
            self.items.append(item)
            self._seen[key] = item.id
        return self._seen[key]


def _source(value: Any, default: str) -> str:
    return _SOURCES.get(str(value or "").lower(), default)


def _natural(text: str) -> list[Any]:
    return [int(p) if p.isdigit() else p.lower() for p in re.split(r"(\d+)", text)]


def _rank_targets(rows: list[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    """Listed by more sources first, then with more annotations, then by symbol (as the
    knowledge-graph constructor ranks them)."""
    def sources(row):
        return len({str(link.get("source") or link.get("relationship"))
                    for link in row["links"]})
    return sorted(rows, key=lambda r: (-sources(r), -len(r["terms"] or []),
                                       _natural(r["symbol"])))[:limit]


def _graph_evidence(graph: Graph, items: _Items, pair: generation.PerturbationPair,
                    request: EvidenceOptions) -> list[dict[str, Any]]:
    drug, = _read(graph, "generation/drugs", keys=[pair.drug_key])
    cell, = _read(graph, "generation/cell_lines", keys=[pair.cell_line_key])
    drivers = sorted((d for d in cell["drivers"] if d and d.get("symbol")),
                     key=lambda d: (_natural(d["symbol"]), str(d.get("effect") or "")))
    moa = "; ".join(p for p in (drug.get("moa_fine"), drug.get("moa_broad")) if p)
    facts = [f"mechanism of action {moa}" if moa else None,
             "listed targets " + ", ".join(sorted(drug["targets"], key=_natural))
             if drug["targets"] else None]
    if any(facts):
        items.add("tahoe", f"drug_metadata:{pair.drug_key}",
                  f"{pair.drug}: " + "; ".join(f for f in facts if f) + " (Tahoe-100M drug "
                  "metadata)")
    # interactions with the drug's other targets and the cell line's driver genes first
    rows = _read(graph, "generation/evidence_targets", drug=pair.drug_key,
                 max_terms=request.max_terms, max_interactors=request.max_interactors,
                 focus=sorted({d["symbol"] for d in drivers}))
    targets = _rank_targets(rows, request.max_targets)
    for target in targets:
        for link in sorted(target["links"], key=lambda x: (str(x.get("relationship")),
                                                           str(x.get("source")))):
            source = _source(link.get("source"), "primekg")
            relationship = link.get("relationship")
            kind = (f"PrimeKG drug_protein, {link['display']}" if link.get("display")
                    else "Tahoe-100M drug metadata" if source == "tahoe" else relationship)
            items.add(source, f"{relationship}:{pair.drug_key}->{target['key']}",
                      f"{pair.drug} targets {target['symbol']} ({kind})")
    for target in targets:
        for term in target["terms"]:
            what = "Reactome pathway" if term["label"] == "Pathway" else "GO process"
            members = f"; {term['members']} member genes" if term.get("members") else ""
            items.add(_source(term.get("source"), "primekg"),
                      f"{term['relationship']}:{target['key']}->{term['key']}",
                      f"{target['symbol']} participates in the {what} {term['name']} "
                      f"({term['key']}{members})")
    for target in targets:
        for other in target["interactors"]:
            a, b = sorted((target["key"], other["key"]))
            items.add(_source(other.get("source"), "primekg"), f"PROTEIN_PROTEIN:{a}-{b}",
                      f"{target['symbol']} interacts with {other['symbol']} (PrimeKG "
                      f"protein_protein{', ' + other['display'] if other.get('display') else ''})")
    for driver in drivers:
        details = ", ".join(str(v) for v in (driver.get("gene_type"), driver.get("mechanism"),
                                             driver.get("var_type"), driver.get("effect"))
                            if v)
        items.add("cell_line", f"HAS_DRIVER:{pair.cell_line_key}->{driver['symbol']}"
                  + (f"({driver['effect']})" if driver.get("effect") else ""),
                  f"{pair.cell_line} ({cell.get('organ') or 'organ unknown'}) carries a "
                  f"driver alteration of {driver['symbol']}"
                  + (f": {details}" if details else "") + " (Tahoe-100M cell line metadata)")
    if request.max_attributes:
        for row in _read(graph, "generation/evidence_harmonizome",
                         genes=[t["key"] for t in targets],
                         max_attributes=request.max_attributes):
            for attribute in row["attributes"]:
                weight = attribute.get("weight")
                items.add("harmonizome", f"HAS_ATTRIBUTE:{row['gene']}->{attribute['key']}",
                          f"{row['symbol']} is associated with {attribute['name']} "
                          f"(Harmonizome {attribute['dataset']}"
                          + (f", weight {weight:+g}" if isinstance(weight, (int, float))
                             else "") + ")")
    return targets


def _literature(client: LiteratureClient, items: _Items, pair: generation.PerturbationPair,
                targets: list[dict[str, Any]], entities: list[RecognisedEntity],
                request: EvidenceOptions) -> None:
    def phrase(name: str) -> str:
        return '"' + name.replace('"', " ").strip() + '"[Title/Abstract]'
    drug = phrase(pair.drug)
    queries = []
    if targets:
        queries.append(f"{drug} AND (" + " OR ".join(
            phrase(t["symbol"]) for t in targets) + ")")
    queries.append(f"{drug} AND {phrase(pair.cell_line)}")
    if request.pubmed_per_query:
        for query in queries:
            pmids = client.pubmed_search(query, retmax=request.pubmed_per_query)
            for article in client.pubmed_abstracts(pmids):
                abstract = article.abstract
                if len(abstract) > ABSTRACT_CHARS:
                    abstract = abstract[:ABSTRACT_CHARS].rsplit(" ", 1)[0] + " …"
                year = f" ({article.year})" if article.year else ""
                items.add("pubmed", f"PMID:{article.pmid}",
                          f"{article.title}{year} {abstract}".strip())
    titles = [pair.drug] + [t["symbol"] for t in targets]
    titles += [e.name for e in entities if e.label in ("Gene", "Drug")]
    for title in list(dict.fromkeys(titles))[:request.max_wikipedia]:
        summary = client.wikipedia_summary(title)
        if summary is not None and summary.extract:
            items.add("wikipedia", summary.url or summary.title, summary.extract)
    if request.max_attributes:
        for target in targets:
            gene = client.harmonizome_gene(target["symbol"])
            if gene is None:
                continue
            strongest = sorted(gene.associations, key=lambda a: (
                -abs(a.standardized_value or 0.0), a.dataset, a.attribute))
            for association in strongest[:request.max_attributes]:
                value = association.standardized_value
                items.add("harmonizome", f"harmonizome-api:{gene.symbol}:{association.dataset}:"
                          f"{association.attribute}",
                          f"{gene.symbol} is associated with {association.attribute} "
                          f"(Harmonizome API, {association.dataset}"
                          + (f", standardized value {value:+.3g}" if value is not None
                             else "") + ")")


def _recognition_text(pair: generation.PerturbationPair) -> str:
    """The question text with its SMILES blanked out (same length, so offsets still point
    into the question): runs of atom symbols such as ``CCC`` or ``NNC`` are not names."""
    text = pair.question
    for entry in pair.perturbation.get("perturbations") or ():
        smiles = entry.get("smiles") if isinstance(entry, dict) else None
        if smiles:
            written = json.dumps(smiles)[1:-1]
            text = text.replace(written, " " * len(written))
    return text


def _gather(graph: Graph, pair: generation.PerturbationPair, options: EvidenceOptions,
            recognizer: Recognizer, client: LiteratureClient | None) -> EvidenceResult:
    items = _Items()
    targets = _graph_evidence(graph, items, pair, options)
    entities = [RecognisedEntity(text=m.text, start=m.start, end=m.end, form=m.form,
                                 label=e.label, key=e.key, name=e.name)
                for m in recognizer.find(_recognition_text(pair)) for e in m.entities]
    requests = 0
    if options.literature and client is not None:
        before = client.requests
        _literature(client, items, pair, targets, entities, options)
        requests = client.requests - before
    return EvidenceResult(drug=pair.drug, cell_line=pair.cell_line, drug_key=pair.drug_key,
                          cell_line_key=pair.cell_line_key, perturbation=pair.perturbation,
                          question=pair.question, entities=entities, items=items.items,
                          literature=options.literature, literature_requests=requests)


def gather_pairs(settings: Settings, pairs: Iterable[generation.PerturbationPair],
                 options: EvidenceOptions | None = None, *,
                 recognizer: Recognizer | None = None,
                 literature_client: LiteratureClient | None = None) -> list[EvidenceResult]:
    """The evidence of each pair (from :func:`vctrace.app.generation.pairs`), in order,
    through one graph connection, one entity recogniser (``recognizer``, else built here
    once) and, when ``options.literature``, one literature client (``literature_client``,
    else one made from ``settings`` and closed afterwards)."""
    options = options or EvidenceOptions()
    client = literature_client
    if options.literature and client is None:
        client = LiteratureClient(settings)
    try:
        with open_graph(settings) as graph:
            recognizer = recognizer or _recognizer(graph, RECOGNISED_LABELS)
            return [_gather(graph, pair, options, recognizer, client) for pair in pairs]
    finally:
        if client is not None and literature_client is None:
            client.close()


def gather(settings: Settings, request: EvidenceRequest, *,
           recognizer: Recognizer | None = None,
           literature_client: LiteratureClient | None = None) -> EvidenceResult:
    """The recognised entities and numbered evidence items of one pair (see the module
    docstring). ``recognizer``: one built by :func:`entity_recognizer` (else built here);
    ``literature_client``: the PubMed / Wikipedia client to use when ``request.literature``
    (else one made from ``settings``). Raises :class:`NotFound` when the pair is not a loaded
    Tahoe-100M drug and cell line."""
    found = generation.pairs(settings, drugs=[request.drug], cell_lines=[request.cell_line])
    if not found.pairs:
        raise NotFound(f"no loaded Tahoe-100M pair of drug {request.drug!r} and cell line "
                       f"{request.cell_line!r}")
    result, = gather_pairs(settings, found.pairs[:1], request, recognizer=recognizer,
                           literature_client=literature_client)
    return result
