"""Grounding: linking the entity names that trace arguments mention to knowledge-graph
entities, through one resolution index.

The index is ``(:Alias {key})-[:ALIAS_OF]->(:Entity)``, built from every entity's key, name,
symbol, base name, ``names`` list and identifiers (PrimeKG, Entrez, Ensembl, Cellosaurus,
DepMap). Each alias is stored in two forms: the normalised text (NFKC, case-folded, spaces
collapsed: the form of ``Mention.key``) and a compact form without punctuation or spaces, so
``BCL-2`` finds ``BCL2`` and ``VEGF-A`` finds ``VEGFA``. A mention is grounded by its exact
form when that matches, else by its compact form; ``(:Mention)-[:REFERS_TO {match}]->(:Entity)``
records it (an alias shared by several entities links to each: ambiguity stays visible).

Grounding never rewrites traces. ``ground`` only looks at mentions not yet grounded, so it is
cheap to run after every ingest, and ``rebuild=True`` (after a knowledge load) re-indexes the
entities and re-grounds everything, which grounds traces ingested before the load.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Iterable

from pydantic import BaseModel

from .. import cypher
from ..traces.identity import normalise_text
from ..traces.limits import MAX_KEY_BYTES
from .graph import Graph, statement

ENTITY_LABELS = ("Gene", "Drug", "CellLine", "Disease", "Phenotype", "BiologicalProcess",
                 "MolecularFunction", "CellularComponent", "Pathway", "Anatomy", "Exposure",
                 "Chemical", "HarmonizomeAttribute")
cypher.allow_names(ENTITY_LABELS)
_ALIAS_FIELDS = ("key", "name", "symbol", "base_name", "primekg_id", "entrez_id",
                 "ensembl_id", "cellosaurus_id", "depmap_id")
_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)


def compact(text: str) -> str:
    """Normalised text without punctuation, symbols or spaces: ``BCL-2`` → ``bcl2``."""
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", normalise_text(text)))


class GroundingResult(BaseModel):
    """What one grounding pass did: mentions looked at (the ungrounded ones, or every one
    after a rebuild), how many now link to entities by exact name or by compact form, and the
    alias links indexed (0 unless the index was rebuilt)."""

    mentions: int = 0
    grounded_exact: int = 0
    grounded_compact: int = 0
    aliases: int = 0

    @property
    def grounded(self) -> int:
        return self.grounded_exact + self.grounded_compact


def rebuild_aliases(graph: Graph, batch_size: int = 5000) -> int:
    """(Re)build the alias index from every entity. Returns the number of alias links."""
    graph.auto_commit("grounding/clear_aliases")
    total = 0
    for label in ENTITY_LABELS:
        records = graph.read(statement("grounding/entity_alias_fields", LABEL=label))
        rows = []
        for record in records:
            values = [record["e"].get(f) for f in _ALIAS_FIELDS] + list(record["names"] or [])
            # a name longer than any mention may be (MAX_KEY_BYTES) can match none, and Neo4j
            # could not index it as an alias key
            forms = {form for form in (normalise_text(v) for v in values
                                       if isinstance(v, str) and v.strip())
                     if len(form.encode()) <= MAX_KEY_BYTES}
            aliases = [{"key": form, "kind": "exact"} for form in forms]
            aliases += [{"key": c, "kind": "compact"} for c in {compact(f) for f in forms}
                        if c and c not in forms]
            rows.append({"key": record["e"]["key"], "aliases": aliases})
            total += len(aliases)
        graph.write_batches(statement("grounding/merge_aliases", LABEL=label), rows, batch_size)
    return total


def ground(graph: Graph, *, rebuild: bool = False, batch_size: int = 5000,
           mentions: Iterable[str] | None = None) -> GroundingResult:
    """Link mentions to entities (see the module docstring). ``mentions`` (keys; not with
    ``rebuild``) limits the pass to those of them not grounded yet — after an ingest, the
    mentions it created — instead of every ungrounded mention of the graph."""
    result = GroundingResult()
    if rebuild:
        result.aliases = rebuild_aliases(graph, batch_size)
        graph.auto_commit("grounding/clear_groundings")
    if mentions is not None and not rebuild:
        records = graph.read("grounding/ungrounded_among", keys=sorted(mentions))
    else:
        records = graph.read("grounding/ungrounded_mentions")
    mentions = [r["key"] for r in records]
    result.mentions = len(mentions)
    for kind, form in (("exact", lambda k: k), ("compact", compact)):
        pending = [{"key": key, "alias": form(key)} for key in mentions]
        grounded = {r["key"] for r in graph.write_batches("grounding/ground_mentions", pending,
                                                          batch_size, kind=kind)}
        setattr(result, f"grounded_{kind}", len(grounded))
        mentions = [key for key in mentions if key not in grounded]
    return result


def grounding_report(graph: Graph) -> list[dict[str, Any]]:
    """Per primitive and argument role: how many trace arguments there are and how many
    ground to at least one entity (counted per action, through the claims they assert)."""
    return graph.read("grounding/grounding_report")
