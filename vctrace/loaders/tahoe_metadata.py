"""Tahoe-100M metadata (CC0): drugs, cell lines with their driver alterations, the condition
grid and the gene table, from the real parquet files (``shared/spec/sources.md``).

Graph written (every node and relationship names its source ``tahoe-100m``):

- ``(:Drug:Entity {key, name, original_name, base_name, names, moa_broad, moa_fine,
  human_approved, clinical_trials, smiles, pubchem_cid})``: ``key`` is the normalised full
  name (``Imiquimod (maleate)`` and ``Imiquimod (hydrochloride)`` are two drugs of the atlas);
  ``base_name`` drops salts and solvates (``imiquimod``); ``original_name`` is verbatim.
- ``(:Drug)-[:TARGETS]->(:Gene:Entity {key, symbol})`` for the listed targets.
- ``(:CellLine:Entity {key, name, cellosaurus_id, depmap_id, organ})`` and
  ``(:CellLine)-[:HAS_DRIVER {mechanism (GoF/LoF), gene_type, var_type, zygosity, effect}]->(:Gene)``.
- ``(:Drug)-[:TESTED_IN {conc, plate, n_cells}]->(:CellLine)`` from ``obs_cell_grid``; the
  vehicle control (``DMSO_TF``) is a Drug node with ``is_control: true``.
- Genes of ``gene_metadata`` with their Ensembl id.

Keys are :func:`vctrace.traces.identity.normalise_text` of the name, the same normalisation
trace mentions use, so drugs and cell lines named in traces are the same nodes.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..traces.identity import normalise_text
from .base import (Loader, LoaderOptions, SourceFileError, SourceRelease, check_file,
                   open_parquet, read_row_groups)

SOURCE = "tahoe-100m"
FILES = {
    "drug_metadata.parquet": ("drug", "targets", "moa-broad", "moa-fine", "human-approved",
                              "clinical-trials", "canonical_smiles", "pubchem_cid"),
    "cell_line_metadata.parquet": ("cell_name", "Cell_ID_DepMap", "Cell_ID_Cellosaur", "Organ",
                                   "Driver_Gene_Symbol", "Driver_VarZyg", "Driver_VarType",
                                   "Driver_ProtEffect_or_CdnaEffect", "Driver_Mech_InferDM",
                                   "Driver_GeneType_DM"),
    "obs_cell_grid.parquet": ("drug", "cell_name", "plate", "conc", "n_cells"),
    "gene_metadata.parquet": ("gene_symbol", "ensembl_id"),
}
_SALTS = ("hydrochloride", "dihydrochloride", "hcl", "mesylate", "dimesylate", "maleate",
          "sulfate", "disulfate", "hemisulfate", "sodium", "disodium", "potassium", "calcium",
          "citrate", "tosylate", "besylate", "fumarate", "tartrate", "acetate", "phosphate",
          "succinate", "malate", "s-malate", "lactate", "bromide", "chloride", "salt",
          "hydrate", "monohydrate", "dihydrate", "trihydrate", "tetrahydrate", "pentahydrate",
          "hexahydrate")
_SALT_WORDS = re.compile(r"\b(" + "|".join(map(re.escape, _SALTS)) + r")\b", re.I)
_PAREN_TAIL = re.compile(r"\s*\(([^()]*(?:\([^()]*\)[^()]*)*)\)\s*$")
_SYMBOL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-\.@/]*$")  # HGNC and Ensembl gene names


_ESTERS = {"acetate", "fumarate", "succinate", "malate", "lactate"}


def base_drug_name(name: str) -> str:
    """The drug's name without salt or solvate: ``Ixazomib citrate`` → ``ixazomib``,
    ``L-Thyroxine (sodium salt pentahydrate)`` → ``l-thyroxine``.

    One salt designation is removed: a parenthesised tail that names a salt or solvate, or
    else trailing counter-ion words. Ester-forming words are kept when bare (``Dimethyl
    fumarate``, ``Abiraterone acetate`` are the drugs' own names), and a name is never
    reduced to nothing."""
    text = name.strip()
    tail = _PAREN_TAIL.search(text)
    if tail and _SALT_WORDS.search(tail.group(1)):
        return normalise_text(text[:tail.start()]) or normalise_text(text)
    words = text.split()
    while len(words) > 1 and _SALT_WORDS.fullmatch(words[-1]) \
            and words[-1].lower() not in _ESTERS:
        words.pop()
    return normalise_text(" ".join(words))


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = str(value).strip()
    return text or None


def _yes(value: Any) -> bool | None:
    text = (_text(value) or "").lower()
    return {"yes": True, "no": False}.get(text)


def _open(path: Path):
    return open_parquet(path, FILES[_table(path)], f"Tahoe {_table(path)}")


def _rows(path: Path, columns: tuple[str, ...], release: SourceRelease):
    """(line, row) pairs of a parquet file, line = row number + 1 (the header is line 1 in
    the CSV view people export these tables to), read row group by row group: a corrupt
    group is reported with its lines and the others are read."""
    for line, table in read_row_groups(_open(path), path, columns, release):
        for batch in table.to_batches(max_chunksize=10_000):
            for row in batch.to_pylist():
                yield line, row
                line += 1


class TahoeMetadataLoader(Loader):
    name = "tahoe-metadata"
    source = SOURCE
    version = "1"
    description = ("Tahoe-100M metadata: drug_metadata, cell_line_metadata, obs_cell_grid, "
                   "gene_metadata parquet files (give the files or their folder)")

    def _load(self, paths: list[Path], options: LoaderOptions) -> SourceRelease:
        files = _resolve(paths)
        for path in files.values():
            _open(path)  # every file's columns checked before anything is written
        release = self.new_release(list(files.values()), options)
        # Genes first: drugs and cell lines link to them.
        if "gene_metadata.parquet" in files:
            self._current_file = files["gene_metadata.parquet"].name
            self._genes(files["gene_metadata.parquet"], release)
        if "drug_metadata.parquet" in files:
            self._current_file = files["drug_metadata.parquet"].name
            self._drugs(files["drug_metadata.parquet"], release)
        if "cell_line_metadata.parquet" in files:
            self._current_file = files["cell_line_metadata.parquet"].name
            self._cell_lines(files["cell_line_metadata.parquet"], release)
        if "obs_cell_grid.parquet" in files:
            self._current_file = files["obs_cell_grid.parquet"].name
            self._conditions(files["obs_cell_grid.parquet"], release)
        self.record(release)
        return release

    def _genes(self, path: Path, release: SourceRelease) -> None:
        rows, lines = [], []
        for line, row in _rows(path, FILES[_table(path)], release):
            release.rows_read += 1
            symbol = _text(row["gene_symbol"])
            if symbol is None or not _SYMBOL.match(symbol):
                release.reject(path.name, line, f"bad gene symbol {row['gene_symbol']!r}")
                continue
            lines.append((path.name, line))
            rows.append({"key": normalise_text(symbol), "symbol": symbol,
                         "ensembl_id": _text(row["ensembl_id"])})
        release.rows_loaded += len(rows)
        self.run("loaders/merge_genes", rows, refused=self.reject_rows(release, lines),
                 source=SOURCE, release=release.key)

    def _drugs(self, path: Path, release: SourceRelease) -> None:
        rows, lines = [], []
        for line, row in _rows(path, FILES[_table(path)], release):
            release.rows_read += 1
            name = _text(row["drug"])
            if name is None:
                release.reject(path.name, line, "drug name is empty")
                continue
            targets, bad = [], []
            for item in (_text(row["targets"]) or "").split(","):
                item = item.strip()
                if item:
                    (targets if _SYMBOL.match(item) else bad).append(item)
            if bad:
                release.note(path.name, line, f"{name}: target(s) that are not gene "
                             f"symbols, not linked: {', '.join(map(repr, bad))}")
            cid = row["pubchem_cid"]
            base = base_drug_name(name)
            lines.append((path.name, line))
            rows.append({
                "key": normalise_text(name), "name": name, "original_name": row["drug"],
                "base_name": base, "names": sorted({normalise_text(name), base}),
                "moa_broad": _text(row["moa-broad"]), "moa_fine": _text(row["moa-fine"]),
                "human_approved": _yes(row["human-approved"]),
                "clinical_trials": _yes(row["clinical-trials"]),
                "smiles": _text(row["canonical_smiles"]),
                "pubchem_cid": int(cid) if isinstance(cid, (int, float)) and cid == cid else None,
                "targets": [{"key": normalise_text(t), "symbol": t} for t in targets]})
        release.rows_loaded += len(rows)
        self.run("loaders/merge_tahoe_drugs", rows, refused=self.reject_rows(release, lines),
                 source=SOURCE, release=release.key)

    def _cell_lines(self, path: Path, release: SourceRelease) -> None:
        rows, lines = [], []
        for line, row in _rows(path, FILES[_table(path)], release):
            release.rows_read += 1
            name = _text(row["cell_name"])
            if name is None:
                release.reject(path.name, line, "cell_name is empty")
                continue
            gene = _text(row["Driver_Gene_Symbol"])
            if gene is not None and not _SYMBOL.match(gene):
                release.note(path.name, line, f"{name}: bad driver gene symbol {gene!r}, "
                             "driver not linked")
                gene = None
            lines.append((path.name, line))
            rows.append({
                "key": normalise_text(name), "name": name,
                "depmap_id": _text(row["Cell_ID_DepMap"]),
                "cellosaurus_id": _text(row["Cell_ID_Cellosaur"]), "organ": _text(row["Organ"]),
                "driver": None if gene is None else {
                    "key": normalise_text(gene), "symbol": gene,
                    "mechanism": _text(row["Driver_Mech_InferDM"]),
                    "gene_type": _text(row["Driver_GeneType_DM"]),
                    "var_type": _text(row["Driver_VarType"]),
                    "zygosity": _text(row["Driver_VarZyg"]),
                    "effect": _text(row["Driver_ProtEffect_or_CdnaEffect"]) or ""}})
        release.rows_loaded += len(rows)
        self.run("loaders/merge_tahoe_cell_lines", rows,
                 refused=self.reject_rows(release, lines),
                 source=SOURCE, release=release.key)

    def _conditions(self, path: Path, release: SourceRelease) -> None:
        rows, lines = [], []
        for line, row in _rows(path, FILES[_table(path)], release):
            release.rows_read += 1
            drug, cell = _text(row["drug"]), _text(row["cell_name"])
            conc = row["conc"]
            if drug is None or cell is None or not isinstance(conc, (int, float)):
                release.reject(path.name, line, "condition needs drug, cell_name and conc")
                continue
            lines.append((path.name, line))
            rows.append({"drug_key": normalise_text(drug), "drug": drug,
                         "is_control": drug.upper().startswith("DMSO"),
                         "cell_line_key": normalise_text(cell), "cell_line": cell,
                         "conc": float(conc), "plate": _text(row["plate"]) or "",
                         "n_cells": row["n_cells"]})
        release.rows_loaded += len(rows)
        self.run("loaders/merge_tahoe_conditions", rows,
                 refused=self.reject_rows(release, lines),
                 source=SOURCE, release=release.key)


def _table(path: Path) -> str | None:
    """Which Tahoe table a file holds, by name: ``drug_metadata.parquet``, or a variant such
    as ``drug_metadata.demo.parquet`` (a subset kept under a name of its own)."""
    name = f"{path.name.split('.')[0]}.parquet"
    return name if name in FILES and path.suffix == ".parquet" else None


def _resolve(paths: list[Path]) -> dict[str, Path]:
    """Known Tahoe metadata files among ``paths`` (files, or folders holding them)."""
    found: dict[str, Path] = {}
    for path in paths:
        if path.is_dir():
            found.update({_table(p): p for p in sorted(path.iterdir()) if _table(p)})
        elif _table(path):
            check_file(path)
            found[_table(path)] = path
        elif not path.exists():
            raise SourceFileError(f"{path}: no such file or folder")
        else:
            raise SourceFileError(f"{path}: not a Tahoe metadata file (expected one of "
                                  f"{', '.join(FILES)})")
    if not found:
        raise SourceFileError("no Tahoe metadata files found in "
                              + ", ".join(str(p) for p in paths))
    return found
