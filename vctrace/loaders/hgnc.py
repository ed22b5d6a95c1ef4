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
from .base import Loader, LoaderOptions, SourceFileError, SourceRelease, check_file

SOURCE = "hgnc"
REQUIRED = ("symbol", "alias_symbol", "prev_symbol")
OPTIONAL = ("hgnc_id", "name", "entrez_id", "ensembl_gene_id", "uniprot_ids")


_COLUMNS = "\0columns"  # how many columns the header has, kept with the column index


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
            self._current_file = path.name
            self._load_file(path, reader, index, release)
        self.record(release)
        return release

    def _open(self, path: Path):
        check_file(path)
        handle = io.open(path, encoding="utf-8", errors="replace", newline="")
        reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = [h.strip() for h in next(reader, [])]
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            handle.close()
            raise SourceFileError(f"{path}: not an HGNC complete set: missing column(s) "
                                  f"{', '.join(missing)}")
        index = {name: header.index(name) for name in REQUIRED + OPTIONAL if name in header}
        index[_COLUMNS] = len(header)
        return reader, index

    def _load_file(self, path: Path, reader, index: dict[str, int],
                   release: SourceRelease) -> None:
        index = dict(index)
        columns = index.pop(_COLUMNS)
        width = max(index.values()) + 1
        rows: list[dict[str, Any]] = []
        lines: list[tuple[str, int]] = []

        def flush() -> None:
            self.run("loaders/merge_hgnc_genes", rows, refused=self.reject_rows(release, lines),
                     source=SOURCE, release=release.key)

        for line, cells in enumerate(reader, start=2):
            release.rows_read += 1
            if len(cells) < width or len(cells) > columns:
                release.reject(path.name, line, f"{len(cells)} columns, expected "
                               + (f"at least {width}" if len(cells) < width
                                  else f"at most {columns} (the header's)"))
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
            lines.append((path.name, line))
            release.rows_loaded += 1
            if len(rows) >= self.batch_size:
                flush()
                rows, lines = [], []
        flush()
