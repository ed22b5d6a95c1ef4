"""Harmonizome (Ma'ayan lab) ``gene_attribute_edges.txt[.gz]`` of any dataset.

The file is a TSV whose header row is ``source source_desc source_id target target_desc
target_id weight`` followed by a second descriptor row (``GeneSym na GeneID …``) that is
skipped. Each row links a gene (symbol, Entrez id) to an attribute of the dataset (a drug
signature, a pathway, a GO term…) with a weight: +1/−1 for up/down in signature datasets, a
standardised value otherwise. Written as::

    (:Gene)-[:HAS_ATTRIBUTE {dataset, weight, sign}]->(:HarmonizomeAttribute:Entity
                                                       {key: '<dataset>:<name>', name, dataset})

The dataset name is an option; by default the name of the folder holding the file (the
layout of Harmonizome downloads: ``<dataset>/gene_attribute_edges.txt.gz``).
"""

from __future__ import annotations

import csv
import gzip
import io
import zlib
from pathlib import Path
from typing import Any, Iterator

from ..traces.identity import normalise_text
from pydantic import Field

from .base import Loader, LoaderOptions, SourceFileError, SourceRelease, check_file

SOURCE = "harmonizome"
HEADER = ("source", "source_desc", "source_id", "target", "target_desc", "target_id", "weight")


def _open(path: Path) -> io.TextIOBase:
    check_file(path)
    raw = path.open("rb")
    magic = raw.read(2)
    raw.seek(0)
    stream = gzip.open(raw) if magic == b"\x1f\x8b" else raw
    return io.TextIOWrapper(stream, encoding="utf-8", errors="replace", newline="")


def _rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    handle = _open(path)
    reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
    try:
        header = tuple(c.strip() for c in next(reader, []))
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise SourceFileError(f"{path}: cannot read: {exc}") from exc
    if header != HEADER:
        handle.close()
        raise SourceFileError(f"{path}: not a Harmonizome gene_attribute_edges file: header is "
                              f"{' '.join(header[:7]) or '(empty)'}; expected "
                              f"{' '.join(HEADER)}")
    next(reader, None)  # the descriptor row
    for line, cells in enumerate(reader, start=3):
        yield line, cells
    handle.close()


class HarmonizomeLoader(Loader):
    name = "harmonizome"
    source = SOURCE
    version = "1"
    description = ("Harmonizome gene_attribute_edges.txt[.gz] of any dataset (--dataset, "
                   "default the file's folder name)")

    class Options(LoaderOptions):
        dataset: str | None = Field(None, description="the dataset's name (default: the name "
                                    "of the folder holding the file)")

    def _load(self, paths: list[Path], options: Options) -> SourceRelease:
        dataset = options.dataset
        # every file's header is checked (by starting its reader) before anything is written
        readers = [(path, _peek(_rows(path))) for path in paths]
        release = self.new_release(paths, options)
        for path, rows in readers:
            name = dataset or path.resolve().parent.name
            self._current_file = path.name
            self._load_file(path, rows, name, release)
        self.record(release)
        return release

    def _load_file(self, path: Path, rows: Iterator, dataset: str,
                   release: SourceRelease) -> None:
        batch: list[dict[str, Any]] = []
        lines: list[tuple[str, int]] = []

        def flush() -> None:
            self.run("loaders/merge_harmonizome_edges", batch,
                     refused=self.reject_rows(release, lines), source=SOURCE, dataset=dataset,
                     release=release.key)

        line = 2
        try:
            for line, cells in rows:
                if self._row(path, line, cells, dataset, release, batch):
                    lines.append((path.name, line))
                if len(batch) >= self.batch_size:
                    flush()
                    batch, lines = [], []
        except (OSError, EOFError, zlib.error, csv.Error) as exc:  # corrupt from here on
            release.reject(path.name, line + 1, f"cannot read the file from this line on "
                           f"({exc}); the rows before it are loaded")
        if batch:
            flush()

    def _row(self, path: Path, line: int, cells: list[str], dataset: str,
             release: SourceRelease, batch: list[dict[str, Any]]) -> bool:
        """Check one row and add it to ``batch``; whether it was added."""
        release.rows_read += 1
        if len(cells) != len(HEADER):
            release.reject(path.name, line, f"{len(cells)} columns, expected {len(HEADER)}")
            return False
        symbol, _, gene_id, target, target_desc, target_id, weight = (c.strip()
                                                                      for c in cells)
        try:
            value = float(weight)
        except ValueError:
            release.reject(path.name, line, f"weight {weight!r} is not a number")
            return False
        if not symbol or not target:
            release.reject(path.name, line, "empty gene or attribute")
            return False
        batch.append({"gene_key": normalise_text(symbol), "symbol": symbol,
                      "entrez_id": gene_id if gene_id not in ("", "na") else None,
                      "attribute_key": f"{dataset}:{normalise_text(target)}",
                      "attribute": target, "attribute_desc": target_desc or None,
                      "attribute_id": target_id if target_id not in ("", "na") else None,
                      "weight": value, "sign": (value > 0) - (value < 0)})
        release.rows_loaded += 1
        return True


def _peek(rows: Iterator) -> Iterator:
    """Start the generator (so its header check runs now) without losing the first row."""
    try:
        first = next(rows)
    except StopIteration:
        return iter(())
    return _chain(first, rows)


def _chain(first: Any, rest: Iterator) -> Iterator:
    yield first
    yield from rest
