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
import stat
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, ClassVar, Iterator, Sequence

from pydantic import BaseModel, ConfigDict, Field

from ..errors import VctraceError
from ..kg.graph import Graph, GraphError, Statement, StatementRejected
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


def check_file(path: Path) -> None:
    """Refuse, with :class:`SourceFileError`, a path that is missing ("no such file"), not a
    regular file (a folder, a device, a FIFO: "not a regular file"; reading a device such as
    ``/dev/zero`` would never end) or empty ("empty file")."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise SourceFileError(f"{path}: no such file") from None
    except OSError as exc:
        raise SourceFileError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if not stat.S_ISREG(info.st_mode):
        kind = "a folder" if stat.S_ISDIR(info.st_mode) else "a device, FIFO or socket"
        raise SourceFileError(f"{path}: not a regular file ({kind})")
    if info.st_size == 0:
        raise SourceFileError(f"{path}: empty file")


RowRefused = Callable[[int, str], None]
"""Called with the index of a row Neo4j refused to store (in the rows given) and why."""


def open_parquet(path: Path, columns: tuple[str, ...], what: str):
    """A parquet file that has every column of ``columns``, or :class:`SourceFileError`
    naming ``what`` the file should have been."""
    import pyarrow.parquet as pq

    check_file(path)
    try:
        handle = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several types for a file that is not parquet
        raise SourceFileError(f"{path}: not a parquet file ({exc})") from exc
    missing = [c for c in columns if c not in handle.schema_arrow.names]
    if missing:
        raise SourceFileError(f"{path}: not a {what}: missing column(s) {', '.join(missing)}")
    return handle


def read_row_groups(handle: Any, path: Path, columns: Sequence[str],
                    release: SourceRelease) -> Iterator[tuple[int, Any]]:
    """(line of its first row, table) of each readable row group of the parquet ``handle``
    (lines count rows from 2, the header being line 1 in the CSV view of the table). A row
    group that cannot be read (corrupt or truncated data) is reported once, its rows counted
    as read and rejected, and reading goes on with the next group: the good groups of a file
    corrupted part-way are kept."""
    line = 2
    metadata = handle.metadata
    for group in range(handle.num_row_groups):
        size = metadata.row_group(group).num_rows
        try:
            table = handle.read_row_group(group, columns=list(columns))
        except Exception as exc:  # pyarrow raises OSError or ArrowException subclasses
            release.rows_read += size
            release.rows_rejected += size
            release.problems.append(RowProblem(
                path.name, line, f"row group {group} (lines {line}–{line + size - 1}, {size:,} "
                f"rows) cannot be read: {exc}; the other row groups are loaded"))
        else:
            yield line, table
        line += size


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
        bad values raise ``ValueError``); the release recorded.

        Once writing has begun the release is always recorded: when the load stops part-way
        (a later file cannot be read to its end, a write refused outside row isolation) the
        release is recorded with what was loaded and the reason, then the error is raised as
        :class:`SourceFileError` naming it. A lost connection is raised as it is (nothing
        can be recorded; the same command resumes: writes are MERGEs)."""
        if not isinstance(options, self.Options):
            options = parse_options(self.Options, dict(options or {}), f"loader {self.name!r}")
        self._release: SourceRelease | None = None
        self._recorded = False
        try:
            return self._load(list(paths), options)
        except Exception as exc:
            release = self._release
            if release is None or self._recorded or (isinstance(exc, GraphError)
                                                     and not isinstance(exc, StatementRejected)):
                raise
            where = getattr(self, "_current_file", None) or "-"
            release.reject(where, 0, f"load stopped here: {exc}")
            self.record(release)
            raise SourceFileError(f"{where}: load stopped: {exc} (release {release.key} "
                                  f"recorded with the {release.rows_loaded:,} rows loaded)"
                                  ) from exc

    def _load(self, paths: list[Path], options: Any) -> SourceRelease:
        raise NotImplementedError

    def new_release(self, paths: list[Path], options: LoaderOptions) -> SourceRelease:
        self._release = SourceRelease(source=self.source, version=options.source_version,
                                      loader=self.name, loader_version=self.version,
                                      files={p.name: file_sha256(p) for p in paths},
                                      options=options.model_dump(mode="json",
                                                                 exclude={"source_version"}))
        return self._release

    def run(self, query_name: str | Statement, rows: Sequence[dict[str, Any]], *,
            refused: RowRefused | None = None, **params: Any) -> None:
        """Send ``rows`` to a query in batches, one transaction per batch. With ``refused``,
        a batch Neo4j refuses (a value too large to index, a constraint) is split in halves
        and written again, down to the single rows it refuses: ``refused(index, reason)`` is
        called for each of those and every other row is written (about 2·log2(batch) extra
        transactions per refused row, none when nothing is refused). Without it the refusal
        is raised (:class:`~vctrace.kg.graph.StatementRejected`)."""
        for start in range(0, len(rows), self.batch_size):
            self._isolated(query_name, rows, start, min(start + self.batch_size, len(rows)),
                           refused, params)

    def _isolated(self, query: str | Statement, rows: Sequence[dict[str, Any]], low: int,
                  high: int, refused: RowRefused | None, params: dict[str, Any]) -> None:
        try:
            self.graph.write(query, rows=list(rows[low:high]), **params)
            return
        except StatementRejected as exc:
            if refused is None:
                raise
            reason = str(exc)
        if high - low == 1:
            refused(low, reason)
            return
        middle = (low + high) // 2
        self._isolated(query, rows, low, middle, refused, params)
        self._isolated(query, rows, middle, high, refused, params)

    @staticmethod
    def reject_rows(release: SourceRelease, lines: Sequence[tuple[str, int]]) -> RowRefused:
        """A ``refused`` callback for rows that are one file row each (``lines[i]`` is row
        ``i``'s file and line, counted as loaded): the row becomes a rejected one."""
        def refused(index: int, reason: str) -> None:
            file, line = lines[index]
            release.rows_loaded -= 1
            release.reject(file, line, f"not stored: {reason}")
        return refused

    def record(self, release: SourceRelease) -> None:
        release.finished_at = datetime.now(timezone.utc).isoformat()
        self.graph.write("loaders/merge_source_release", row=release.row())
        self._recorded = True


REGISTRY: dict[str, type[Loader]] = {}


def list_releases(graph: Graph) -> list[dict[str, Any]]:
    """Every recorded load, newest first."""
    records = graph.read("loaders/source_releases")
    return [dict(r["release"]) for r in records]
