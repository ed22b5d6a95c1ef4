"""Ontologies from OBO files, read with obonet: GO, MONDO, HPO, UBERON, ChEBI, Cellosaurus.

Each term becomes ``(:OntologyTerm:Entity {curie, name, namespace, ontology, definition,
obsolete, names})`` plus the label of what it identifies, so that terms land on the same nodes
as the other sources' entities:

- GO → ``BiologicalProcess`` / ``MolecularFunction`` / ``CellularComponent`` by namespace,
  MONDO → ``Disease``, HP → ``Phenotype``, UBERON → ``Anatomy`` (keyed by CURIE, the key the
  PrimeKG loader gives them); ChEBI → ``Chemical`` (by CURIE);
- Cellosaurus → ``CellLine`` keyed by the normalised cell line name (Tahoe's and the traces'
  key), with ``cellosaurus_id``.

``is_a`` parents become ``(:OntologyTerm)-[:IS_A]->(:OntologyTerm)``; the name and the
exact/related synonyms go into ``names`` (normalised), the synonyms as written also into
``synonyms``, which grounding indexes as the ``synonym`` match kind (narrow and broad synonyms
name other terms: left out); obsolete terms are kept with ``obsolete: true`` (a
trace may still use an old name). obonet reads a whole file into memory: fine for these
ontologies (ChEBI, the largest, is a few hundred MB).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import obonet

from .. import cypher
from ..kg.graph import statement
from ..traces.identity import normalise_text
from .base import Loader, LoaderOptions, SourceFileError, SourceRelease, check_file

SOURCE = "ontology"
_GO_LABELS = {"biological_process": "BiologicalProcess",
              "molecular_function": "MolecularFunction",
              "cellular_component": "CellularComponent"}
_PREFIX_LABELS = {"MONDO": "Disease", "HP": "Phenotype", "UBERON": "Anatomy",
                  "CHEBI": "Chemical", "CVCL": "CellLine"}
LABELS = tuple(sorted(set(_GO_LABELS.values()) | set(_PREFIX_LABELS.values())))
cypher.allow_names(LABELS)
_SYNONYM = re.compile(r'^"((?:[^"\\]|\\.)*)"\s+(EXACT|RELATED|NARROW|BROAD)')


def _label(curie: str, namespace: str | None) -> str | None:
    prefix = re.split(r"[:_]", curie, maxsplit=1)[0].upper()  # GO:0005739, CVCL_2514
    if prefix == "GO":
        return _GO_LABELS.get(namespace or "")
    return _PREFIX_LABELS.get(prefix)


def _synonyms(values: list[str]) -> list[str]:
    names = []
    for value in values:
        match = _SYNONYM.match(value)
        if match and match.group(2) in ("EXACT", "RELATED"):
            names.append(match.group(1).replace('\\"', '"'))
    return names


class OntologyLoader(Loader):
    name = "ontology"
    source = SOURCE
    version = "1"
    description = "OBO ontologies (GO, MONDO, HPO, UBERON, ChEBI, Cellosaurus), read with obonet"

    def _load(self, paths: list[Path], options: LoaderOptions) -> SourceRelease:
        graphs = [(path, self._read(path)) for path in paths]  # all parsed before writing
        release = self.new_release(paths, options)
        for path, graph in graphs:
            self._current_file = path.name
            self._load_graph(path, graph, release)
        self.record(release)
        return release

    def _read(self, path: Path):
        check_file(path)
        with path.open("rb") as handle:
            head = handle.read(4096).decode("utf-8", errors="replace")
        if "format-version:" not in head and "[Term]" not in head:
            raise SourceFileError(f"{path}: not an OBO file (no format-version header or "
                                  "[Term] stanza)")
        try:
            return obonet.read_obo(path, ignore_obsolete=False)
        except Exception as exc:  # obonet raises several types on malformed files
            raise SourceFileError(f"{path}: cannot read as OBO: {exc}") from exc

    def _load_graph(self, path: Path, graph, release: SourceRelease) -> None:
        ontology = str(graph.graph.get("ontology") or path.stem)
        terms: dict[str, list[dict[str, Any]]] = {}
        lines: dict[str, int] = {}

        def line_of(curie: str) -> int:
            """The line of the term's ``id:`` (obonet keeps none; found when first needed)."""
            if not lines:
                lines.update(_term_lines(path))
            return lines.get(curie, 0)

        for curie, data in graph.nodes(data=True):
            release.rows_read += 1
            name = data.get("name")
            label = _label(curie, data.get("namespace"))
            if not name or label is None:
                release.reject(path.name, line_of(curie), f"{curie}: " + (
                    "no name" if not name else "not a kind of term this graph stores"))
                continue
            synonyms = _synonyms(data.get("synonym", []))
            names = [name] + synonyms
            key = normalise_text(name) if label == "CellLine" else curie
            terms.setdefault(label, []).append({
                "key": key, "curie": curie, "name": name, "namespace": data.get("namespace"),
                "definition": (data.get("def") or "").split('" [')[0].strip('"') or None,
                "obsolete": str(data.get("is_obsolete", "false")).lower() == "true",
                "names": sorted({normalise_text(n) for n in names}),
                "synonyms": sorted(set(synonyms)),
                "cellosaurus_id": curie if label == "CellLine" else None})
            release.rows_loaded += 1
        for label, rows in terms.items():
            def refused(index: int, reason: str, rows=rows) -> None:
                release.rows_loaded -= 1
                curie = rows[index]["curie"]
                release.reject(path.name, line_of(curie), f"{curie}: not stored: {reason}")
            self.run(statement("loaders/merge_ontology_terms", LABEL=label), rows,
                     refused=refused, source=SOURCE, ontology=ontology, release=release.key)
        parents = [{"child": child, "parent": parent}
                   for child, parent, relation in graph.edges(keys=True) if relation == "is_a"]
        self.run("loaders/merge_is_a", parents, source=SOURCE, release=release.key)


def _term_lines(path: Path) -> dict[str, int]:
    """The 1-based line of each stanza's ``id:`` tag in an OBO file, by identifier."""
    found: dict[str, int] = {}
    with path.open(encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, 1):
            if line.startswith("id:"):
                found.setdefault(line[3:].split("!")[0].strip(), number)
    return found
