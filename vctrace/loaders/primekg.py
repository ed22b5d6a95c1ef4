"""PrimeKG (Harvard, CC BY 4.0): ``kg.csv`` in its 12- and 10-column forms, and ``nodes.csv``.

Streams the file (``csv`` reader, fixed-size batches, so memory stays flat whatever the file
size). Nodes become ``:Entity`` plus a label per PrimeKG node type; relationships get a type
per PrimeKG ``relation`` (from a fixed table: an unknown relation is a rejected row, never a
new type made from file text), with ``display_relation`` kept. PrimeKG lists every
relationship in both directions; each is stored once, in a canonical direction (the first
type named by the relation, e.g. drug → protein for ``drug_protein``; by key for same-type
relations), and MERGE makes the second copy a no-op.

Keys: genes and drugs by normalised name (the form trace mentions and Tahoe use, so the same
``MAP2K1`` or ``trametinib`` node is shared), with ``entrez_id`` / ``drugbank_id`` kept; every
other type by its CURIE (``MONDO:0013924``, ``GO:0008150``, ``HP:0001250``) or, for sources
without one, ``<source>:<id>`` (``REACTOME:R-HSA-…``, ``MONDO_grouped:13924_12592``).
"""

from __future__ import annotations

import csv
import re
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator

from .. import cypher
from ..kg.graph import statement
from ..traces.identity import normalise_text
from ..traces.limits import MAX_KEY_BYTES
from ..traces.records import file_sha256
from .base import Loader, LoaderOptions, SourceFileError, SourceRelease, check_file

SOURCE = "primekg"
COLUMNS_12 = ("relation", "display_relation", "x_index", "x_id", "x_type", "x_name",
              "x_source", "y_index", "y_id", "y_type", "y_name", "y_source")
COLUMNS_10 = tuple(c for c in COLUMNS_12 if not c.endswith("_index"))
NODE_COLUMNS = ("node_index", "node_id", "node_type", "node_name", "node_source")

LABELS = {  # PrimeKG node type -> label
    "gene/protein": "Gene", "drug": "Drug", "disease": "Disease",
    "effect/phenotype": "Phenotype", "biological_process": "BiologicalProcess",
    "molecular_function": "MolecularFunction", "cellular_component": "CellularComponent",
    "pathway": "Pathway", "anatomy": "Anatomy", "exposure": "Exposure",
}
_TYPE_ABBREVIATIONS = {"drug": "drug", "protein": "gene/protein", "disease": "disease",
                       "phenotype": "effect/phenotype", "effect": "effect/phenotype",
                       "bioprocess": "biological_process", "molfunc": "molecular_function",
                       "cellcomp": "cellular_component", "pathway": "pathway",
                       "anatomy": "anatomy", "exposure": "exposure"}
RELATIONS = {  # PrimeKG relation -> relationship type (the 30 of the published graph)
    "anatomy_protein_present": "ANATOMY_PROTEIN_PRESENT",
    "anatomy_protein_absent": "ANATOMY_PROTEIN_ABSENT", "drug_drug": "DRUG_DRUG",
    "protein_protein": "PROTEIN_PROTEIN",
    "disease_phenotype_positive": "DISEASE_PHENOTYPE_POSITIVE",
    "disease_phenotype_negative": "DISEASE_PHENOTYPE_NEGATIVE",
    "bioprocess_protein": "BIOPROCESS_PROTEIN", "cellcomp_protein": "CELLCOMP_PROTEIN",
    "disease_protein": "DISEASE_PROTEIN", "molfunc_protein": "MOLFUNC_PROTEIN",
    "drug_effect": "DRUG_EFFECT", "bioprocess_bioprocess": "BIOPROCESS_BIOPROCESS",
    "pathway_protein": "PATHWAY_PROTEIN", "disease_disease": "DISEASE_DISEASE",
    "contraindication": "CONTRAINDICATION", "drug_protein": "DRUG_PROTEIN",
    "phenotype_phenotype": "PHENOTYPE_PHENOTYPE", "anatomy_anatomy": "ANATOMY_ANATOMY",
    "molfunc_molfunc": "MOLFUNC_MOLFUNC", "indication": "INDICATION",
    "cellcomp_cellcomp": "CELLCOMP_CELLCOMP", "phenotype_protein": "PHENOTYPE_PROTEIN",
    "off-label use": "OFF_LABEL_USE", "pathway_pathway": "PATHWAY_PATHWAY",
    "exposure_disease": "EXPOSURE_DISEASE", "exposure_exposure": "EXPOSURE_EXPOSURE",
    "exposure_bioprocess": "EXPOSURE_BIOPROCESS", "exposure_protein": "EXPOSURE_PROTEIN",
    "exposure_molfunc": "EXPOSURE_MOLFUNC", "exposure_cellcomp": "EXPOSURE_CELLCOMP",
}
cypher.allow_names(list(LABELS.values()) + list(RELATIONS.values()))
_SOURCE_TYPE = {"contraindication": "drug", "indication": "drug", "off-label use": "drug"}
_ID = re.compile(r"^[A-Za-z0-9_:.\-]+$")


_CURIE_PREFIX = {"GO": "GO", "MONDO": "MONDO", "HPO": "HP", "UBERON": "UBERON"}


def node_key(node_type: str, node_id: str, name: str, source: str) -> str:
    """The graph key of a PrimeKG node (see the module docstring). Ontology terms get their
    standard CURIE (PrimeKG writes GO:0008150 as ``8150``), the key the ontology loader uses
    too, so a term loaded from both sources is one node."""
    if node_type in ("gene/protein", "drug"):
        return normalise_text(name)
    prefix = _CURIE_PREFIX.get(source)
    if prefix and node_id.isdigit():
        return f"{prefix}:{int(node_id):07d}"
    return f"{source}:{node_id}"


@lru_cache(maxsize=1 << 18)  # PrimeKG names 129,375 nodes in 16 million row endpoints
def _node_row(node_type: str, node_id: str, name: str, source: str) -> dict[str, Any] | None:
    """A node of a kg.csv or nodes.csv row, or ``None`` when it is not a valid node. The
    same dict is returned for the same node: callers must not change it."""
    label = LABELS.get(node_type)
    if label is None or not node_id or not _ID.match(node_id) or not name.strip():
        return None
    return {"key": node_key(node_type, node_id, name, source), "name": name.strip(),
            "label": label, "primekg_id": node_id, "primekg_source": source}


def _first_type(relation: str) -> str | None:
    """The node type a relation is oriented from (``drug_protein`` → ``drug``)."""
    if relation in _SOURCE_TYPE:
        return _SOURCE_TYPE[relation]
    return _TYPE_ABBREVIATIONS.get(relation.split("_")[0])


class _CsvFile:
    """An open PrimeKG CSV (or TSV) positioned after its header."""

    def __init__(self, path: Path, handle: Any, delimiter: str, header: tuple[str, ...]):
        self.path, self.handle, self.delimiter, self.header = path, handle, delimiter, header

    def rows(self, release: SourceRelease) -> Iterator[tuple[int, list[str]]]:
        """(line, cells) of each data line. Lines are parsed one at a time: PrimeKG has no
        field spanning lines, so a quote left open is rejected with its line (rather than
        swallowing the lines after it) and the next line is read as usual."""
        delimiter = self.delimiter
        csv.field_size_limit(sys.maxsize)
        with self.handle:
            for line, text in enumerate(self.handle, start=2):
                text = text.rstrip("\r\n")
                if '"' not in text:
                    yield line, text.split(delimiter) if text else []
                    continue
                try:
                    cells = next(csv.reader([text], delimiter=delimiter, strict=True), [])
                except csv.Error as exc:
                    release.rows_read += 1
                    release.reject(self.path.name, line, f"bad quoting ({exc})")
                    continue
                yield line, cells


def _open_csv(path: Path, expected: tuple[tuple[str, ...], ...]) -> _CsvFile:
    """The file, positioned after a header equal to one of ``expected``."""
    check_file(path)
    handle = path.open(encoding="utf-8", errors="replace", newline="")
    sample = handle.readline()
    delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
    header = tuple(h.strip() for h in next(csv.reader([sample], delimiter=delimiter), []))
    if header not in expected:
        handle.close()
        raise SourceFileError(
            f"{path}: not a PrimeKG {path.name}: header is "
            f"{', '.join(header[:6]) or '(empty)'}{'…' if len(header) > 6 else ''}; expected "
            + " or ".join(f"{len(cols)} columns {', '.join(cols[:4])}, …" for cols in expected))
    return _CsvFile(path, handle, delimiter, header)


class PrimeKGLoader(Loader):
    name = "primekg"
    source = SOURCE
    version = "1"
    description = "PrimeKG kg.csv (12 or 10 columns) and optionally nodes.csv"

    def _load(self, paths: list[Path], options: LoaderOptions) -> SourceRelease:
        kg = [p for p in paths if p.name != "nodes.csv"]
        nodes = [p for p in paths if p.name == "nodes.csv"]
        if len(kg) != 1:
            raise SourceFileError("give one kg.csv (and optionally nodes.csv)")
        node_files = [_open_csv(p, (NODE_COLUMNS,)) for p in nodes]
        kg_file = _open_csv(kg[0], (COLUMNS_12, COLUMNS_10))  # both checked before writing
        release = self.new_release(paths, options)
        csv.field_size_limit(sys.maxsize)
        for node_file in node_files:
            self._current_file = node_file.path.name
            self._nodes(node_file, release)
        self._current_file = kg[0].name
        self._edges(kg_file, release)
        self.record(release)
        return release

    def _flush_nodes(self, rows: list[dict[str, Any]], lines: list[int], path: Path,
                     release: SourceRelease, *, node_rows: bool) -> set[tuple[str, str]]:
        """MERGE the nodes of ``rows`` (``lines[i]``: the line row i was read from); the
        (label, key) of those Neo4j refused. ``node_rows`` (nodes.csv): each node is a row,
        rejected when refused; else (kg.csv) a refused node is noted and the rows that use
        it are rejected by the caller."""
        by_label: dict[str, list[int]] = {}
        for i, row in enumerate(rows):
            by_label.setdefault(row["label"], []).append(i)
        failed: set[tuple[str, str]] = set()
        for label, indices in by_label.items():
            group = [rows[i] for i in indices]

            def refused(index: int, reason: str, group=group, indices=indices) -> None:
                row, line = group[index], lines[indices[index]]
                failed.add((row["label"], row["key"]))
                if node_rows:
                    release.rows_loaded -= 1
                    release.reject(path.name, line, f"not stored: {reason}")
                else:
                    release.note(path.name, line, f"{row['label']} node "
                                 f"{_short(row['name'])} not stored: {reason}")
            # the label comes from the LABELS table above, never from the file
            self.run(statement("loaders/merge_primekg_nodes", LABEL=label), group,
                     refused=refused, source=SOURCE, release=release.key)
        return failed

    def _nodes(self, file: _CsvFile, release: SourceRelease) -> None:
        path = file.path
        batch: list[dict[str, Any]] = []
        lines: list[int] = []
        for line, cells in file.rows(release):
            release.rows_read += 1
            if len(cells) != len(NODE_COLUMNS):
                release.reject(path.name, line, f"{len(cells)} columns, expected "
                               f"{len(NODE_COLUMNS)}")
                continue
            _, node_id, node_type, name, source = (c.strip() for c in cells)
            row = _node_row(node_type, node_id, name, source)
            if row is None:
                release.reject(path.name, line, f"bad node (type {node_type!r}, id {node_id!r})")
                continue
            batch.append(row)
            lines.append(line)
            release.rows_loaded += 1
            if len(batch) >= self.batch_size:
                self._flush_nodes(batch, lines, path, release, node_rows=True)
                batch, lines = [], []
        if batch:
            self._flush_nodes(batch, lines, path, release, node_rows=True)

    def _edges(self, file: _CsvFile, release: SourceRelease) -> None:
        nodes: dict[tuple, tuple[dict[str, Any], int]] = {}
        edges: dict[tuple, dict[str, Any]] = {}
        edge_lines: dict[tuple, list[int]] = {}
        for rel_type, a, b, display, _, line in edge_rows(file, release):
            nodes.setdefault((a["label"], a["key"]), (a, line))
            nodes.setdefault((b["label"], b["key"]), (b, line))
            key = (rel_type, a["label"], a["key"], b["label"], b["key"])
            edges[key] = {"a": a["key"], "b": b["key"], "display_relation": display}
            edge_lines.setdefault(key, []).append(line)
            if len(edges) >= self.batch_size:
                self._flush_edges(nodes, edges, edge_lines, file.path, release)
                nodes, edges, edge_lines = {}, {}, {}
        if edges:
            self._flush_edges(nodes, edges, edge_lines, file.path, release)

    def _flush_edges(self, nodes: dict, edges: dict, edge_lines: dict, path: Path,
                     release: SourceRelease) -> None:
        node_list = list(nodes.values())
        failed = self._flush_nodes([n for n, _ in node_list], [line for _, line in node_list],
                                   path, release, node_rows=False)
        groups: dict[tuple[str, str, str], list[tuple]] = {}
        for key in edges:
            rel_type, a_label, a_key, b_label, b_key = key
            if (a_label, a_key) in failed or (b_label, b_key) in failed:
                for line in edge_lines[key]:  # both directions, when both were in the batch
                    release.rows_loaded -= 1
                    release.reject(path.name, line, "not stored: one of its nodes was refused")
                continue
            groups.setdefault((rel_type, a_label, b_label), []).append(key)
        for (rel_type, a_label, b_label), keys in groups.items():
            def refused(index: int, reason: str, keys=keys) -> None:
                for line in edge_lines[keys[index]]:
                    release.rows_loaded -= 1
                    release.reject(path.name, line, f"not stored: {reason}")
            self.run(statement("loaders/merge_primekg_edges", TYPE=rel_type, A=a_label,
                               B=b_label), [edges[k] for k in keys], refused=refused,
                     source=SOURCE, release=release.key)


def _unindexable(node: dict[str, Any]) -> bool:
    """Whether a node's key is too long for Neo4j's index. The bulk path gets no per-row
    answer from the server, so it checks before writing; the transactional path learns it
    from the server and isolates the row."""
    return len(node["key"]) * 4 > MAX_KEY_BYTES and len(node["key"].encode()) > MAX_KEY_BYTES


def _short(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "…") + (
        f" ({len(text):,} characters)" if len(text) > limit else "")


def edge_rows(file: _CsvFile, release: SourceRelease
              ) -> Iterator[tuple[str, dict, dict, str, bool, int]]:
    """Valid relationships of kg.csv rows as (type, from node, to node, display_relation,
    whether the row was already in canonical direction, line); bad rows are rejected on
    ``release`` with their line (too few or too many cells, bad quoting included)."""
    header, path = file.header, file.path
    index = {name: i for i, name in enumerate(header)}
    for line, cells in file.rows(release):
        release.rows_read += 1
        if len(cells) != len(header):
            release.reject(path.name, line, f"{len(cells)} columns, expected {len(header)}")
            continue
        get = lambda name: cells[index[name]].strip()  # noqa: E731
        relation = get("relation")
        rel_type = RELATIONS.get(relation)
        if rel_type is None:
            release.reject(path.name, line, f"unknown relation {relation!r}")
            continue
        x_type, y_type = get("x_type"), get("y_type")
        x = _node_row(x_type, get("x_id"), get("x_name"), get("x_source"))
        y = _node_row(y_type, get("y_id"), get("y_name"), get("y_source"))
        if x is None or y is None:
            release.reject(path.name, line, "bad node (unknown type, empty name or id "
                           "with spaces)")
            continue
        x_first = (x_type == _first_type(relation)) if x_type != y_type \
            else (x["label"], x["key"]) <= (y["label"], y["key"])
        release.rows_loaded += 1
        yield (rel_type, x, y, get("display_relation"), True, line) if x_first \
            else (rel_type, y, x, get("display_relation"), False, line)


def bulk_load(server, paths: list[Path], folder: Path, *,
              source_version: str = "unversioned") -> tuple[SourceRelease, dict[str, float]]:
    """First load of PrimeKG into the EMPTY database of the local ``server`` with
    ``neo4j-admin database import`` (the caller checks emptiness, then records the release
    and creates the schema). Streams kg.csv once, keeping the canonical copy of each pair:
    memory holds the nodes (129,375 in PrimeKG), not the rows. PrimeKG lists every pair in
    both directions; where a relation's canonical and mirror copies do not balance, the
    difference is reported (use the transactional loader for such a file)."""
    import time

    from ..kg.bulk_import import CsvFile, _quote, admin_import

    kg = [p for p in paths if p.name != "nodes.csv"]
    if len(kg) != 1:
        raise SourceFileError("give one kg.csv (and optionally nodes.csv)")
    kg_file = _open_csv(kg[0], (COLUMNS_12, COLUMNS_10))
    node_files = [_open_csv(p, (NODE_COLUMNS,)) for p in paths if p.name == "nodes.csv"]
    release = SourceRelease(source=SOURCE, version=source_version, loader="primekg",
                            loader_version=PrimeKGLoader.version,
                            files={p.name: file_sha256(p) for p in paths},
                            options={"bulk": True})
    t0 = time.perf_counter()
    folder.mkdir(parents=True, exist_ok=True)
    nodes: dict[tuple[str, str], dict[str, Any]] = {}
    for node_file in node_files:
        path = node_file.path
        for line, cells in node_file.rows(release):
            release.rows_read += 1
            row = _node_row(cells[2].strip(), cells[1].strip(), cells[3].strip(),
                            cells[4].strip()) if len(cells) == len(NODE_COLUMNS) else None
            if row is None:
                release.reject(path.name, line, "bad node row")
                continue
            if _unindexable(row):
                release.reject(path.name, line, f"not stored: node key {_short(row['key'])} is "
                               f"over {MAX_KEY_BYTES:,} bytes, more than Neo4j can index")
                continue
            nodes[(row["label"], row["key"])] = row
            release.rows_loaded += 1
    rel_files: dict[tuple[str, str, str], CsvFile] = {}
    balance: dict[str, int] = {}
    constant = f"{_quote(SOURCE)},{_quote(release.key)}"
    for rel_type, a, b, display, canonical, line in edge_rows(kg_file, release):
        if too_long := [n["key"] for n in (a, b) if _unindexable(n)]:
            release.rows_loaded -= 1
            release.reject(kg_file.path.name, line, f"not stored: node key {_short(too_long[0])}"
                           f" is over {MAX_KEY_BYTES:,} bytes, more than Neo4j can index")
            continue
        nodes.setdefault((a["label"], a["key"]), a)
        nodes.setdefault((b["label"], b["key"]), b)
        balance[rel_type] = balance.get(rel_type, 0) + (1 if canonical else -1)
        if not canonical:
            continue
        group = (rel_type, a["label"], b["label"])
        if group not in rel_files:
            rel_files[group] = CsvFile(
                folder / f"rel_{rel_type}_{a['label']}_{b['label']}.csv",
                [(f":START_ID({a['label']})", ""), (f":END_ID({b['label']})", ""),
                 (":TYPE", ""), ("display_relation", ""), ("source", ""), ("release", "")])
        # 4 million lines: formatted here rather than through the generic cell encoders
        rel_files[group].handle.write(f"{_quote(a['key'])},{_quote(b['key'])},{rel_type},"
                                      f"{_quote(display)},{constant}\n")
        rel_files[group].rows += 1
    for rel_type, difference in balance.items():
        if difference:
            release.note(kg[0].name, 0, f"{rel_type}: {abs(difference):,} pair(s) listed in one "
                         "direction only; the bulk path keeps canonical copies, so some may "
                         "be missing: load this file with the transactional loader")
    node_files: dict[str, CsvFile] = {}
    for (label, _), row in nodes.items():
        if label not in node_files:
            node_files[label] = CsvFile(folder / f"nodes_{label}.csv", [
                ("key", f"ID({label})"), ("name", ""), ("primekg_id", ""),
                ("primekg_source", ""), ("sources", "string[]"), (":LABEL", "")])
        node_files[label].write(dict(row, sources=[SOURCE], **{":LABEL": f"{label}\x1fEntity"}))
    for file in list(node_files.values()) + list(rel_files.values()):
        file.close()
    seconds = {"write files": time.perf_counter() - t0}
    seconds.update(admin_import(server, [f.path for f in node_files.values()],
                                [f.path for f in rel_files.values()], folder))
    return release, seconds
