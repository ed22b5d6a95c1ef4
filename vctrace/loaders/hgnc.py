"""HGNC gene nomenclature (``hgnc_complete_set.txt``): approved symbols with their alias and
previous symbols, for grounding names such as ``MEK1`` (an alias of MAP2K1).

The file is a TSV with a header row; columns are found by name (``symbol``, ``alias_symbol``,
``prev_symbol`` required; ``hgnc_id``, ``name``, ``entrez_id``, ``ensembl_gene_id``,
``uniprot_ids`` used when present). Multi-valued fields are ``|``-separated and may be
wrapped in double quotes. Each approved symbol MERGEs its ``(:Gene)`` (keyed by the
normalised symbol, like every other source) and adds the aliases, previous symbols and the
approved name to the gene's ``names``; the grounding index picks them up.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from ..traces.identity import normalise_text
from .base import Loader, LoaderOptions, SourceFileError, SourceRelease

SOURCE = "hgnc"
REQUIRED = ("symbol", "alias_symbol", "prev_symbol")
OPTIONAL = ("hgnc_id", "name", "entrez_id", "ensembl_gene_id", "uniprot_ids")


def _values(cell: str) -> list[str]:
    return [v.strip() for v in cell.strip().strip('"').split("|") if v.strip()]


class HGNCLoader(Loader):
    name = "hgnc"
    source = SOURCE
    version = "1"
    description = "HGNC hgnc_complete_set.txt (symbols with alias and previous symbols)"

    def _load(self, paths: list[Path], options: LoaderOptions) -> SourceRelease:
        handles = [(path, self._open(path)) for path in paths]  # all headers checked first
        release = self.new_release(paths, options)
        for path, (reader, index) in handles:
            self._load_file(path, reader, index, release)
        self.record(release)
        return release

    def _open(self, path: Path):
        if not path.is_file():
            raise SourceFileError(f"{path}: no such file")
        handle = io.open(path, encoding="utf-8", errors="replace", newline="")
        reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = [h.strip() for h in next(reader, [])]
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            handle.close()
            raise SourceFileError(f"{path}: not an HGNC complete set: missing column(s) "
                                  f"{', '.join(missing)}")
        return reader, {name: header.index(name) for name in REQUIRED + OPTIONAL
                        if name in header}

    def _load_file(self, path: Path, reader, index: dict[str, int],
                   release: SourceRelease) -> None:
        width = max(index.values()) + 1
        rows: list[dict[str, Any]] = []
        for line, cells in enumerate(reader, start=2):
            release.rows_read += 1
            if len(cells) < width:
                release.reject(path.name, line, f"{len(cells)} columns, expected at least "
                               f"{width}")
                continue
            get = {name: cells[i].strip() for name, i in index.items()}
            symbol = get["symbol"]
            if not symbol or " " in symbol:
                release.reject(path.name, line, f"bad approved symbol {symbol!r}")
                continue
            names = _values(get["alias_symbol"]) + _values(get["prev_symbol"])
            if get.get("name"):
                names.append(get["name"])
            rows.append({"key": normalise_text(symbol), "symbol": symbol,
                         "names": sorted({normalise_text(n) for n in names}),
                         "hgnc_id": get.get("hgnc_id") or None,
                         "entrez_id": get.get("entrez_id") or None,
                         "ensembl_id": get.get("ensembl_gene_id") or None,
                         "uniprot_ids": _values(get.get("uniprot_ids", ""))})
            release.rows_loaded += 1
            if len(rows) >= self.batch_size:
                self.run("loaders/merge_hgnc_genes", rows, source=SOURCE, release=release.key)
                rows = []
        self.run("loaders/merge_hgnc_genes", rows, source=SOURCE, release=release.key)
