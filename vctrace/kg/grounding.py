"""Grounding: linking the entity names that trace arguments mention to knowledge-graph
entities, through one resolution index, with scored matches of four kinds.

The index is ``(:Alias {key})-[:ALIAS_OF {kind}]->(:Entity)``, built from every entity's names:

- ``exact``: its key, name, symbol, base name and identifiers (PrimeKG, Entrez, Ensembl,
  Cellosaurus, DepMap), normalised (NFKC, case-folded, spaces collapsed: ``Mention.key``);
- ``synonym``: its other names (the ``names`` list: HGNC alias and previous symbols, a
  source's other names) and ontology synonyms (``synonyms``: OBO EXACT and RELATED ones);
- ``normalised``: the variant keys of those names (:mod:`vctrace.traces.term_normalisation`:
  Greek letters, slash and hyphen shorthand, generic words such as *signaling pathway*, word
  forms and plurals, word order) for the kinds of terms (pathways, GO terms, phenotypes,
  diseases, anatomy); for the other kinds only the compact form without punctuation or spaces
  (``BCL-2`` finds ``BCL2``).

A mention is grounded through its own normalised text (which finds an entity by any alias kind)
and its variant keys (which find it as ``normalised``; a mention's keys without a leading
qualifier, ``reduced tumor growth`` → ``tumor growth``, score lower). A mention used only in
*term* roles (:data:`EXPECTED_LABELS`: a ``pathway``, a ``phenotype``, an ``ontology_id``…) is
matched only among entities of the labels its roles expect, and when none of them matches in
any other way, by ``fuzzy`` similarity (rapidfuzz, on the sorted content words) at or above a
threshold (the alias full-text index proposes the candidates). Per mention and entity label
the best kind wins (exact > synonym > normalised > fuzzy, then the score); ties are all linked,
so ambiguity stays visible:
``(:Mention)-[:REFERS_TO {match, score, form}]->(:Entity)``.

Grounding never rewrites traces. ``ground`` only looks at mentions not yet grounded, so it is
cheap to run after every ingest, and ``rebuild=True`` (after a knowledge load) re-indexes the
entities and re-grounds everything, which grounds traces ingested before the load.
"""

from __future__ import annotations

from collections import defaultdict
from enum import Enum
from typing import Any, Iterable

from pydantic import BaseModel

from .. import cypher
from ..traces.identity import normalise_text
from ..traces.limits import MAX_KEY_BYTES
from ..traces.term_normalisation import compact, fuzzy_form, head_keys, tokens, variant_keys
from .graph import Graph, statement

__all__ = ["ENTITY_LABELS", "EXPECTED_LABELS", "FUZZY_THRESHOLD", "GroundingResult",
           "MatchKind", "TERM_LABELS", "compact", "ground", "grounding_report",
           "rebuild_aliases"]

ENTITY_LABELS = ("Gene", "Drug", "CellLine", "Disease", "Phenotype", "BiologicalProcess",
                 "MolecularFunction", "CellularComponent", "Pathway", "Anatomy", "Exposure",
                 "Chemical", "HarmonizomeAttribute")
cypher.allow_names(ENTITY_LABELS)
# the kinds of entities named by terms rather than symbols: their names get the full variant keys
TERM_LABELS = frozenset({"Pathway", "BiologicalProcess", "MolecularFunction",
                         "CellularComponent", "Phenotype", "Disease", "Anatomy"})
# argument roles that name terms, and the entity labels each expects
EXPECTED_LABELS: dict[str, tuple[str, ...]] = {
    "pathway": ("Pathway", "BiologicalProcess"),
    "ontology_id": ("Pathway", "BiologicalProcess", "MolecularFunction", "CellularComponent"),
    # a process stated as an outcome ("apoptosis") may be a Reactome pathway too
    "phenotype": ("Phenotype", "BiologicalProcess", "Disease", "Pathway"),
    "from_loc": ("CellularComponent", "Anatomy"),
    "to_loc": ("CellularComponent", "Anatomy"),
    "disease": ("Disease", "Phenotype"),
}
FUZZY_THRESHOLD = 0.9  # rapidfuzz ratio of the sorted content words, 0..1
HEAD_SCORE = 0.9  # a normalised match of a mention without its leading qualifier
FUZZY_CANDIDATES = 100  # alias forms the full-text index proposes per mention
_EXACT_FIELDS = ("key", "name", "symbol", "base_name", "primekg_id", "entrez_id",
                 "ensembl_id", "cellosaurus_id", "depmap_id")
_NAME_FIELDS = ("name", "symbol", "base_name")  # the exact fields that are words, not ids


class MatchKind(str, Enum):
    """How a mention matched an entity, best first (``RANK``)."""

    EXACT = "exact"
    SYNONYM = "synonym"
    NORMALISED = "normalised"
    FUZZY = "fuzzy"


RANK = {MatchKind.EXACT: 3, MatchKind.SYNONYM: 2, MatchKind.NORMALISED: 1, MatchKind.FUZZY: 0}


class GroundingResult(BaseModel):
    """What one grounding pass did: mentions looked at (the ungrounded ones, or every one
    after a rebuild), how many now link to entities, by their best match kind
    (``normalised`` includes the punctuation-free forms), the fuzzy threshold used, and the
    alias links indexed (0 unless the index was rebuilt)."""

    mentions: int = 0
    grounded_exact: int = 0
    grounded_synonym: int = 0
    grounded_normalised: int = 0
    grounded_fuzzy: int = 0
    aliases: int = 0
    fuzzy_threshold: float = FUZZY_THRESHOLD

    @property
    def grounded(self) -> int:
        return (self.grounded_exact + self.grounded_synonym + self.grounded_normalised
                + self.grounded_fuzzy)

    @property
    def by_kind(self) -> dict[str, int]:
        """Mentions grounded, by the best kind they matched with."""
        return {"exact": self.grounded_exact, "synonym": self.grounded_synonym,
                "normalised": self.grounded_normalised, "fuzzy": self.grounded_fuzzy}


def _alias_rows(label: str, record: dict[str, Any]) -> list[dict[str, str]]:
    """The alias forms of one entity and their kinds (the strongest kind per form)."""
    entity = record["e"]
    exact = {normalise_text(entity[f]) for f in _EXACT_FIELDS
             if isinstance(entity.get(f), str) and entity[f].strip()}
    words = [entity[f] for f in _NAME_FIELDS if isinstance(entity.get(f), str)]
    others = [n for n in list(record["names"] or []) + list(record["synonyms"] or [])
              if isinstance(n, str) and n.strip()]
    synonyms = {normalise_text(n) for n in others} - exact
    if label in TERM_LABELS:
        variants = {k for name in words + others for k in variant_keys(name)}
    else:
        variants = {compact(f) for f in exact | synonyms}
    kinds = {form: MatchKind.NORMALISED for form in variants if form}
    kinds.update({form: MatchKind.SYNONYM for form in synonyms})
    kinds.update({form: MatchKind.EXACT for form in exact})
    # a name longer than any mention may be (MAX_KEY_BYTES) can match none, and Neo4j could
    # not index it as an alias key
    return [{"key": form, "kind": kind.value} for form, kind in kinds.items()
            if len(form.encode()) <= MAX_KEY_BYTES]


def rebuild_aliases(graph: Graph, batch_size: int = 5000) -> int:
    """(Re)build the alias index from every entity, and its full-text index (made anew once the
    aliases are written). Returns the number of alias links."""
    graph.auto_commit("grounding/drop_alias_text_index")
    graph.auto_commit("grounding/clear_aliases")
    total = 0
    for label in ENTITY_LABELS:
        rows = []
        for record in graph.read(statement("grounding/entity_alias_fields", LABEL=label)):
            aliases = _alias_rows(label, record)
            rows.append({"key": record["e"]["key"], "aliases": aliases})
            total += len(aliases)
        graph.write_batches(statement("grounding/merge_aliases", LABEL=label), rows, batch_size)
    _text_index(graph)
    return total


def _text_index(graph: Graph) -> None:
    """Make the alias full-text index if it is missing, and wait until it is online."""
    graph.auto_commit("grounding/alias_text_index")
    graph.auto_commit("grounding/await_alias_text")


def _expected(roles: Iterable[str]) -> frozenset[str] | None:
    """The labels a mention may ground to: those its roles expect, or None (any) when one of
    its roles names no kind of term."""
    roles = list(roles)
    if not roles or any(role not in EXPECTED_LABELS for role in roles):
        return None
    return frozenset(label for role in roles for label in EXPECTED_LABELS[role])


def _best(candidates: list[tuple[str, str, MatchKind, float, str]]) -> list[dict[str, Any]]:
    """Per entity label, the candidates of the best (kind, score); ties all kept."""
    by_label: dict[str, list] = defaultdict(list)
    for candidate in candidates:
        by_label[candidate[1]].append(candidate)
    links = []
    for found in by_label.values():
        top = max((RANK[kind], score) for _, _, kind, score, _ in found)
        chosen = {}
        for key, label, kind, score, form in found:
            if (RANK[kind], score) == top:
                chosen.setdefault(key, {"entity": key, "label": label, "match": kind.value,
                                        "score": round(score, 4), "form": form})
        links += chosen.values()
    return links


def _lookup(graph: Graph, mentions: list[dict[str, Any]],
            batch_size: int) -> dict[str, list[dict[str, Any]]]:
    """The links of each mention found through the alias index."""
    forms: dict[str, list[tuple[str, str, float]]] = {}
    for m in mentions:
        own = [(m["key"], "self", 1.0)]
        own += [(k, "variant", 1.0) for k in variant_keys(m["text"] or m["key"])
                if k != m["key"]]
        own += [(k, "head", HEAD_SCORE) for k in head_keys(m["text"] or m["key"])]
        forms[m["key"]] = own
    keys = sorted({form for own in forms.values() for form, _, _ in own})
    hits: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for start in range(0, len(keys), batch_size):
        for record in graph.read("grounding/alias_candidates", keys=keys[start:start + batch_size],
                                 labels=list(ENTITY_LABELS)):
            for row in record["rows"]:
                hits[row["form"]].append(row)
    links = {}
    for m in mentions:
        allowed = _expected(m["roles"])
        candidates = []
        for form, how, score in forms[m["key"]]:
            for row in hits.get(form, ()):
                kind = MatchKind(row["kind"]) if how == "self" else MatchKind.NORMALISED
                candidates += [(row["key"], label, kind, score, form) for label in row["labels"]
                               if allowed is None or label in allowed]
        links[m["key"]] = _best(candidates)
    return links


def _fuzzy(graph: Graph, mentions: list[dict[str, Any]], threshold: float,
           batch_size: int) -> dict[str, list[dict[str, Any]]]:
    """Fuzzy links of term mentions, each among the entities of the labels its roles expect.
    The alias full-text index (Lucene; words of four letters or more may differ by two edits)
    proposes the closest forms; the rapidfuzz ratio of the sorted content words scores them,
    and those at or above ``threshold`` count. Its cost grows with the mentions, not with the
    size of the ontologies loaded."""
    from rapidfuzz import fuzz  # only needed when some term mention is left

    _text_index(graph)
    rows = []
    for m in mentions:
        words = list(dict.fromkeys(tokens(m["text"] or m["key"])))
        if words:
            rows.append({"key": m["key"], "labels": sorted(_expected(m["roles"]) or ()),
                         "query": " ".join(w + "~" if len(w) >= 4 else w for w in words)})
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for start in range(0, len(rows), batch_size):
        for record in graph.read("grounding/fuzzy_candidates", rows=rows[start:start + batch_size],
                                 limit=FUZZY_CANDIDATES):
            for row in record["rows"]:
                found[row["mention"]].append(row)
    forms = {m["key"]: fuzzy_form(m["text"] or m["key"]) for m in mentions}
    links = {}
    for key, hits in found.items():
        candidates = []
        for hit in hits:
            score = fuzz.ratio(forms[key], fuzzy_form(hit["form"])) / 100
            if score >= threshold:
                candidates += [(hit["key"], label, MatchKind.FUZZY, score, hit["form"])
                               for label in hit["labels"]]
        if candidates:
            links[key] = _best(candidates)
    return links


def ground(graph: Graph, *, rebuild: bool = False, batch_size: int = 5000,
           mentions: Iterable[str] | None = None,
           fuzzy_threshold: float = FUZZY_THRESHOLD) -> GroundingResult:
    """Link mentions to entities (see the module docstring). ``mentions`` (keys; not with
    ``rebuild``) limits the pass to those of them not grounded yet — after an ingest, the
    mentions it created — instead of every ungrounded mention of the graph.
    ``fuzzy_threshold`` (0..1; above 1 turns fuzzy matching off) is the least similarity a
    fuzzy match needs."""
    result = GroundingResult(fuzzy_threshold=fuzzy_threshold)
    if rebuild:
        result.aliases = rebuild_aliases(graph, batch_size)
        graph.auto_commit("grounding/clear_groundings")
    if mentions is not None and not rebuild:
        records = graph.read("grounding/ungrounded_among", keys=sorted(mentions))
    else:
        records = graph.read("grounding/ungrounded_mentions")
    result.mentions = len(records)
    links = {key: found for key, found in _lookup(graph, records, batch_size).items() if found}
    left = [m for m in records if m["key"] not in links and _expected(m["roles"])]
    if left and fuzzy_threshold <= 1:
        links.update(_fuzzy(graph, left, fuzzy_threshold, batch_size))
    by_label: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for key, found in links.items():
        best = max(found, key=lambda link: RANK[MatchKind(link["match"])])["match"]
        field = f"grounded_{best}"
        setattr(result, field, getattr(result, field) + 1)
        for link in found:
            by_label[link["label"]].append(dict(link, mention=key))
    for label, rows in sorted(by_label.items()):
        graph.write_batches(statement("grounding/link_mentions", LABEL=label), rows, batch_size)
    return result


def grounding_report(graph: Graph) -> list[dict[str, Any]]:
    """Per primitive and argument role: how many trace arguments there are and how many
    ground to at least one entity (counted per action, through the claims they assert)."""
    return graph.read("grounding/grounding_report")
