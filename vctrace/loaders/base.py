"""What every knowledge loader shares: its identity, its provenance record, bad-row reports.

A loader reads one source's real files, streaming, and writes nodes and relationships in
batches; each run records a :class:`SourceRelease` (source, version, file checksums, rows read
/ loaded / rejected, options such as thresholds, start and end) as a ``(:SourceRelease)`` node,
and every node and relationship it writes names its source. Loading the same files again
changes nothing (MERGE on keys; the release is keyed by source + checksums + options).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from ..errors import VctraceError
from ..kg.graph import Graph
from ..plugins import parse_options
from ..traces.records import file_sha256


class SourceFileError(VctraceError, ValueError):
    """A file that is not what the loader reads (wrong format or columns); nothing written."""


@dataclass
class RowProblem:
    """A problem with one row: the file, its line (1-based, header included), what is wrong,
    and whether the whole row was rejected or only a part of it left out."""

    file: str
    line: int
    message: str
    rejected: bool = True

    def __str__(self) -> str:
        what = "rejected" if self.rejected else "partly loaded"
        return f"{self.file}:{self.line}: {what}: {self.message}"


@dataclass
class SourceRelease:
    """The provenance of one load."""

    source: str
    version: str
    loader: str
    loader_version: str
    files: dict[str, str] = field(default_factory=dict)  # file name -> SHA-256
    options: dict[str, Any] = field(default_factory=dict)
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    started_at: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat())
    finished_at: str | None = None
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def key(self) -> str:
        identity = json.dumps([self.source, self.version, sorted(self.files.items()),
                               self.options], sort_keys=True, default=str)
        return "sr-" + hashlib.sha256(identity.encode()).hexdigest()[:24]

    def reject(self, file: str, line: int, message: str) -> None:
        """The row is not loaded."""
        self.rows_rejected += 1
        self.problems.append(RowProblem(file, line, message))

    def note(self, file: str, line: int, message: str) -> None:
        """The row is loaded, but part of it (e.g. one listed target) is left out."""
        self.problems.append(RowProblem(file, line, message, rejected=False))

    def row(self) -> dict[str, Any]:
        return {"key": self.key, "source": self.source, "version": self.version,
                "loader": self.loader, "loader_version": self.loader_version,
                "files_json": json.dumps(self.files, sort_keys=True),
                "options_json": json.dumps(self.options, sort_keys=True, default=str),
                "rows_read": self.rows_read, "rows_loaded": self.rows_loaded,
                "rows_rejected": self.rows_rejected, "started_at": self.started_at,
                "finished_at": self.finished_at,
                "problems": len(self.problems),
                "problems_sample": [str(p) for p in self.problems[:100]]}


def open_parquet(path: Path, columns: tuple[str, ...], what: str):
    """A parquet file that has every column of ``columns``, or :class:`SourceFileError`
    naming ``what`` the file should have been."""
    import pyarrow.parquet as pq

    if not path.is_file():
        raise SourceFileError(f"{path}: no such file")
    try:
        handle = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several types for a file that is not parquet
        raise SourceFileError(f"{path}: not a parquet file ({exc})") from exc
    missing = [c for c in columns if c not in handle.schema_arrow.names]
    if missing:
        raise SourceFileError(f"{path}: not a {what}: missing column(s) {', '.join(missing)}")
    return handle


class LoaderOptions(BaseModel):
    """Options every loader takes; a loader with more declares a subclass as its ``Options``
    (the one place their defaults live; CLI flags are generated from it)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    source_version: str = Field("unversioned",
                                description="the source's release, recorded with the load")


class Loader:
    """Base class: subclasses set ``name``, ``source``, ``version`` (of the loader code),
    ``Options`` if they take more than :class:`LoaderOptions`, and implement :meth:`_load`.
    They register themselves by name in :data:`REGISTRY`."""

    name: ClassVar[str]
    source: ClassVar[str]
    version: ClassVar[str] = "1"
    description: ClassVar[str] = ""
    Options: ClassVar[type[LoaderOptions]] = LoaderOptions

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if getattr(cls, "name", None):
            if cls.name in REGISTRY:
                raise ValueError(f"loader {cls.name!r} registered twice")
            REGISTRY[cls.name] = cls

    def __init__(self, graph: Graph, batch_size: int = 5000):
        self.graph, self.batch_size = graph, batch_size

    def load(self, paths: list[Path], options: LoaderOptions | dict[str, Any] | None = None
             ) -> SourceRelease:
        """Load ``paths`` with ``options`` (an ``Options`` instance or a dict of its fields;
        bad values raise ``ValueError``); the release recorded."""
        if not isinstance(options, self.Options):
            options = parse_options(self.Options, dict(options or {}), f"loader {self.name!r}")
        return self._load(list(paths), options)

    def _load(self, paths: list[Path], options: Any) -> SourceRelease:
        raise NotImplementedError

    def new_release(self, paths: list[Path], options: LoaderOptions) -> SourceRelease:
        return SourceRelease(source=self.source, version=options.source_version,
                             loader=self.name, loader_version=self.version,
                             files={p.name: file_sha256(p) for p in paths},
                             options=options.model_dump(mode="json",
                                                        exclude={"source_version"}))

    def run(self, query_name: str, rows: list[dict[str, Any]], **params: Any) -> None:
        """Send ``rows`` to a named query in batches, one transaction per batch."""
        self.graph.write_batches(query_name, rows, self.batch_size, **params)

    def record(self, release: SourceRelease) -> None:
        release.finished_at = datetime.now(timezone.utc).isoformat()
        self.graph.write("loaders/merge_source_release", row=release.row())


REGISTRY: dict[str, type[Loader]] = {}


def list_releases(graph: Graph) -> list[dict[str, Any]]:
    """Every recorded load, newest first."""
    records = graph.read("loaders/source_releases")
    return [dict(r["release"]) for r in records]
