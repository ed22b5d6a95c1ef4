"""Knowledge use cases: load a source's files, ground trace mentions to entities, list the loads
recorded, and the catalogue of loaders the faces build their options from.

Every load ends by re-grounding every trace mention (:func:`ground_mentions` with
``rebuild=True``), so traces ingested before the knowledge arrived are grounded without being
ingested again; ingest grounds only its new mentions through the same function.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Callable, Iterable

from pydantic import BaseModel, ConfigDict, Field

from ..errors import VctraceError
from ..kg.graph import Graph
from ..kg.grounding import (GroundingResult as GroundingSummary, ground as ground_graph,
                            grounding_report)
from ..loaders import REGISTRY, Loader, list_releases
from ..loaders.base import LoaderOptions, SourceRelease
from ..loaders.primekg import bulk_load as primekg_bulk_load
from ..plugins import parse_options
from ..progress import Progress, no_progress
from ..settings import Settings
from .database import empty_local_server, import_folder
from .graph_session import open_graph

__all__ = [
    "GroundResult", "GroundingSummary", "LoadResult", "LoaderInfo", "OptionError",
    "RoleGrounding", "SourceReleaseInfo", "UnknownSource", "ground", "ground_mentions",
    "grounding_by_role", "load", "loader_catalog", "sources",
]

# sources with an offline first-load path into an empty local database (neo4j-admin import)
BULK_LOADERS: dict[str, Callable[..., tuple[SourceRelease, dict[str, float]]]] = {
    "primekg": primekg_bulk_load,
}


# ---------------------------------------------------------------- errors


class UnknownSource(VctraceError):
    """A source name no loader is registered for (the message lists the known ones)."""


class OptionError(VctraceError):
    """An option the chosen source does not take, or a value its model refuses."""


# ---------------------------------------------------------------- results


class LoaderInfo(BaseModel):
    """A registered loader as faces see it: its source name, what it reads, its options model
    (the CLI generates a flag per field) and whether it has a bulk path."""

    model_config = ConfigDict(frozen=True)

    name: str
    description: str
    options: type[BaseModel]
    bulk: bool = Field(description="has an offline first-load path (--bulk)")


class RoleGrounding(BaseModel):
    """Trace arguments of one primitive and role, and how many ground to an entity."""

    primitive: str
    role: str
    arguments: int
    grounded: int

    @property
    def share(self) -> float:
        return self.grounded / self.arguments if self.arguments else 0.0


class GroundResult(GroundingSummary):
    """A grounding pass and the per primitive / role table of the whole graph after it."""

    by_role: list[RoleGrounding] = Field(default_factory=list)


class SourceReleaseInfo(BaseModel):
    """A recorded load (``(:SourceRelease)``), with its properties as stored (``files_json``
    and ``options_json`` are JSON text; :attr:`files` and :attr:`options` parse them)."""

    model_config = ConfigDict(extra="allow")

    key: str
    source: str
    version: str
    loader: str | None = None
    loader_version: str | None = None
    files_json: str = "{}"
    options_json: str = "{}"
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    started_at: str | None = None
    finished_at: str | None = None
    problems: int = 0
    problems_sample: list[str] = Field(default_factory=list)

    @property
    def files(self) -> dict[str, str]:
        """File name -> SHA-256."""
        return json.loads(self.files_json)

    @property
    def options(self) -> dict[str, Any]:
        return json.loads(self.options_json)


class LoadResult(BaseModel):
    """One load: the release recorded, every row problem (rejected rows and rows partly
    loaded, as ``file:line: what: message``), the seconds of each bulk step (bulk loads only),
    the whole time and the re-grounding that followed."""

    source: str
    release: SourceReleaseInfo
    problems: list[str] = Field(default_factory=list)
    bulk_seconds: dict[str, float] = Field(default_factory=dict)
    seconds: float
    grounding: GroundingSummary


# ---------------------------------------------------------------- catalogue


def loader_catalog() -> list[LoaderInfo]:
    """Every registered loader, by name."""
    return [LoaderInfo(name=name, description=cls.description, options=cls.Options,
                       bulk=name in BULK_LOADERS)
            for name, cls in sorted(REGISTRY.items())]


def _loader(source: str) -> type[Loader]:
    if source not in REGISTRY:
        raise UnknownSource(f"unknown source {source!r}; one of: {', '.join(sorted(REGISTRY))}")
    return REGISTRY[source]


def _options(source: str, values: dict[str, Any]) -> LoaderOptions:
    """``values`` as the options of ``source``; an option of another source is refused,
    naming the sources it applies to."""
    model = _loader(source).Options
    for name in values:
        if name not in model.model_fields:
            owners = [n for n, cls in sorted(REGISTRY.items()) if name in cls.Options.model_fields]
            where = ", ".join(owners) if owners else "no source"
            raise OptionError(f"--{name.replace('_', '-')} applies to {where}, not {source}")
    try:
        return parse_options(model, values, f"source {source!r}")
    except ValueError as exc:
        raise OptionError(str(exc)) from None


# ---------------------------------------------------------------- grounding


def ground_mentions(graph: Graph, *, rebuild: bool,
                    mentions: Iterable[str] | None = None) -> GroundingSummary:
    """Link trace mentions to knowledge-graph entities (exact, synonym, normalised and fuzzy
    matches: :mod:`vctrace.kg.grounding`). ``rebuild`` (after every load): re-index every
    entity's names and ground every mention again; otherwise ground only the mentions not
    grounded yet — of ``mentions`` when given (after an ingest: the mentions it created, so its
    cost does not grow with the graph), else of the whole graph."""
    return ground_graph(graph, rebuild=rebuild, mentions=mentions)


def ground(settings: Settings, rebuild: bool = False, *,
           progress: Progress = no_progress) -> GroundResult:
    """Ground the mentions not grounded yet (``rebuild``: re-index every entity and ground
    every mention again), then report, per primitive and argument role, how many trace
    arguments ground to at least one entity."""
    bar = progress("grounding", 1, "passes")
    try:
        with open_graph(settings, schema=True) as graph:
            summary = ground_mentions(graph, rebuild=rebuild)
            by_role = grounding_by_role(graph)
        bar.update()
    finally:
        bar.close()
    return GroundResult(**dict(summary), by_role=by_role)


def grounding_by_role(graph: Graph) -> list[RoleGrounding]:
    """Per primitive and argument role: how many trace arguments there are and how many
    ground to at least one entity."""
    return [RoleGrounding.model_validate(row) for row in grounding_report(graph)]


# ---------------------------------------------------------------- loading


def load(settings: Settings, source: str, paths: list[str | Path],
         options: dict[str, Any] | None = None, *, bulk: bool = False,
         progress: Progress = no_progress) -> LoadResult:
    """Load ``paths`` with the loader of ``source`` (streamed, idempotent, recorded as a
    source release), then re-ground every trace mention.

    ``options`` are fields of that loader's ``Options`` model (``{"padj": 0.01}``); one that
    only other sources take raises :class:`OptionError` naming them. ``bulk`` (sources with
    an offline path: PrimeKG) is a first load into the EMPTY local database with
    ``neo4j-admin import``: the server is stopped and started again. A file of the wrong kind
    raises :class:`~vctrace.loaders.SourceFileError` before anything is written (so does an
    empty file or a path that is not a regular file); bad rows (bad quoting, wrong number of
    cells, a value Neo4j refuses to store, a corrupt parquet row group) are reported in the
    result's ``problems`` with their file and line, and the rest loads. Once writing has
    begun the release is always recorded, also when a file stops being readable part-way
    (then :class:`~vctrace.loaders.SourceFileError` names it).
    """
    chosen = _options(source, dict(options or {}))
    if bulk and source not in BULK_LOADERS:
        raise OptionError(f"--bulk applies to {', '.join(BULK_LOADERS)}, not {source}")
    paths = [Path(p) for p in paths]
    started = time.monotonic()
    bar = progress(f"load {source}", 2, "steps")
    try:
        bulk_seconds: dict[str, float] = {}
        if bulk:
            server = empty_local_server(settings)
            with import_folder(server) as folder:
                release, bulk_seconds = BULK_LOADERS[source](
                    server, paths, folder, source_version=chosen.source_version)
        with open_graph(settings, schema=True) as graph:
            loader = REGISTRY[source](graph)
            if bulk:
                loader.record(release)
            else:
                release = loader.load(paths, chosen)
            bar.update()
            grounding = ground_mentions(graph, rebuild=True)
            bar.update()
    finally:
        bar.close()
    return LoadResult(source=source, release=SourceReleaseInfo.model_validate(release.row()),
                      problems=[str(p) for p in release.problems], bulk_seconds=bulk_seconds,
                      seconds=time.monotonic() - started, grounding=grounding)


def sources(settings: Settings) -> list[SourceReleaseInfo]:
    """Every recorded load, newest first."""
    with open_graph(settings) as graph:
        return [SourceReleaseInfo.model_validate(row) for row in list_releases(graph)]
