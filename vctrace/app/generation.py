"""Generation use cases: the (drug, cell line) perturbation records of the loaded Tahoe-100M
metadata, and traces written for them by a constructor, validated and ingested.

``pairs``: the VC-TRACES ``perturbation`` record and ``question`` text of each pair
(:mod:`vctrace.traces.perturbation`), optionally only for some drugs / cell lines.

``generate``: for each pair, the knowledge-graph-only constructor
(:mod:`vctrace.traces.kg_explanation`, no language model, no key) builds a trace from the
drug's curated targets and their pathway / GO annotations; every trace is checked by the
project's parser and validator, written to a JSONL file of VC-TRACES rows (with
``trace_id`` and ``provenance``: constructor, version, the graph elements used) and ingested
through :func:`vctrace.app.traces.ingest`, so stored generated traces are read from a file
like any other and ``vctrace audit`` reaches their input record.

Graph reads are the statements of ``vctrace/cypher/generation`` and nothing else. None of them
reads differential expression (``DEExperiment``, ``DE``, ``GeneUniverse``): the Tahoe DE
calls are what DE claims are verified against, never generation evidence.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator, Literal

from pydantic import BaseModel, Field

from .. import cypher
from ..errors import InvalidRequest, VctraceError
from ..kg.graph import Graph
from ..progress import Progress, no_progress
from ..settings import Settings
from ..traces import kg_explanation as kg_constructor
from ..traces.findings import Severity
from ..traces.identity import normalise_text, trace_key
from ..traces.perturbation import pair_names, perturbation_record, question_text
from ..traces.records import trace_from_record
from ..traces.validation import is_valid
from . import generation_runs
from . import traces as trace_cases
from .graph_session import open_graph
from .jsonl import json_objects

__all__ = ["CONSTRUCTORS", "GENERATION_STATEMENTS", "GenerateRequest", "GenerateResult",
           "GeneratedTrace", "PairsResult", "PerturbationPair", "SkippedPair", "generate",
           "pairs", "read_pairs_file", "statement_text", "write_rows"]

#: The statement files of vctrace/cypher/generation: every graph read of generation.
GENERATION_STATEMENTS = ("pairs", "drugs", "cell_lines", "drug_evidence")
CONSTRUCTORS = ("kg",)
TAHOE_SOURCE = "tahoe-100m"  # the source name the Tahoe metadata loader writes
_NO_LIMIT = 1 << 62
_MAX_TERMS_READ = 500  # terms per target read from the graph (ranked in Python)


class GenerationError(VctraceError):
    """A pairs file that cannot be read, an output that cannot be written."""


def write_rows(output: Path, rows: list[dict[str, Any]]) -> None:
    """Write generated VC-TRACES rows as JSONL (the file ingest then reads);
    :class:`GenerationError` when it cannot be written."""
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        with output.open("w", encoding="utf-8") as handle:
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    except OSError as exc:
        raise GenerationError(f"cannot write {output}: {exc.strerror}") from None


def statement_text(name: str) -> str:
    """The text of ``vctrace/cypher/generation/<name>.cypher``."""
    if name not in GENERATION_STATEMENTS:
        raise KeyError(name)
    return cypher.load(f"generation/{name}")


def _read(graph: Graph, name: str, **params: Any) -> list[dict[str, Any]]:
    if name not in GENERATION_STATEMENTS:
        raise KeyError(name)
    return graph.read(f"generation/{name}", **params)


# ---------------------------------------------------------------- pairs


class PerturbationPair(BaseModel):
    """One (drug, cell line) pair: its names, graph keys, the VC-TRACES ``perturbation``
    record and ``question`` text."""

    drug: str
    cell_line: str
    drug_key: str
    cell_line_key: str
    perturbation: dict[str, Any]
    question: str

    def row(self) -> dict[str, Any]:
        """The pair as a JSONL row (what ``--pairs FILE`` reads back)."""
        return self.model_dump()


class PairsResult(BaseModel):
    """The pairs, and the names asked for that matched no loaded drug or cell line."""

    pairs: list[PerturbationPair]
    unmatched_drugs: list[str] = Field(default_factory=list)
    unmatched_cell_lines: list[str] = Field(default_factory=list)


def _keys(names: Iterable[str]) -> list[str] | None:
    keys = sorted({normalise_text(n) for n in names if n and n.strip()})
    return keys or None


def _pair_records(graph: Graph, keys: list[tuple[str, str]]) -> list[PerturbationPair]:
    drugs = {r["key"]: r for r in _read(graph, "drugs", keys=sorted({d for d, _ in keys}))}
    cells = {r["key"]: r for r in _read(graph, "cell_lines",
                                        keys=sorted({c for _, c in keys}))}
    out = []
    for drug_key, cell_key in keys:
        drug, cell = drugs.get(drug_key), cells.get(cell_key)
        if drug is None or cell is None:
            continue
        record = perturbation_record(
            cell_line=cell["name"], organ=cell["organ"], drivers=cell["drivers"],
            drug=drug["name"], targets=drug["targets"], moa_fine=drug["moa_fine"],
            moa_broad=drug["moa_broad"], smiles=drug["smiles"])
        out.append(PerturbationPair(drug=drug["name"], cell_line=cell["name"],
                                    drug_key=drug_key, cell_line_key=cell_key,
                                    perturbation=record, question=question_text(record)))
    return out


def _pair_keys(graph: Graph, drugs: list[str], cell_lines: list[str],
               limit: int | None) -> tuple[list[tuple[str, str]], list[str], list[str]]:
    """The pairs' keys, and the drug / cell line names given that select nothing."""
    rows = _read(graph, "pairs", source=TAHOE_SOURCE, drugs=_keys(drugs),
                 cell_lines=_keys(cell_lines), limit=_NO_LIMIT if limit is None else limit)
    keys = [(r["drug"], r["cell_line"]) for r in rows]
    unmatched_drugs = [n for n in drugs if not _read(
        graph, "pairs", source=TAHOE_SOURCE, drugs=[normalise_text(n)], cell_lines=None,
        limit=1)]
    unmatched_cells = [n for n in cell_lines if not _read(
        graph, "pairs", source=TAHOE_SOURCE, drugs=None, cell_lines=[normalise_text(n)],
        limit=1)]
    return keys, unmatched_drugs, unmatched_cells


def pairs(settings: Settings, *, drugs: list[str] | None = None,
          cell_lines: list[str] | None = None, limit: int | None = None) -> PairsResult:
    """The (drug, cell line) pairs of the loaded Tahoe-100M metadata in key order, as
    VC-TRACES perturbation records and question texts; only the ``drugs`` (names, base names
    or keys) and ``cell_lines`` given, at most ``limit``. A drug with conditions in the atlas
    grid pairs only with the cell lines it was tested in."""
    if limit is not None and limit < 0:
        raise InvalidRequest(f"limit must be at least 0, not {limit}")
    with open_graph(settings) as graph:
        keys, no_drug, no_cell = _pair_keys(graph, drugs or [], cell_lines or [], limit)
        records = _pair_records(graph, keys)
    return PairsResult(pairs=records, unmatched_drugs=no_drug, unmatched_cell_lines=no_cell)


def read_pairs_file(path: str | Path) -> list[tuple[str, str]]:
    """(drug key, cell line key) of each row of a JSONL pairs file: what ``vctrace pairs
    --format jsonl`` writes, or any rows with ``drug_key``/``cell_line_key``, ``drug``/
    ``cell_line`` names, or a Tahoe-form ``perturbation`` record (VC-TRACES rows)."""
    path = Path(path)
    out: list[tuple[str, str]] = []
    for number, row in json_objects(path, GenerationError):
        drug = row.get("drug_key") or row.get("drug")
        cell = row.get("cell_line_key") or row.get("cell_line")
        if (not drug or not cell) and isinstance(row.get("perturbation"), dict):
            drug, cell = pair_names(row["perturbation"])
        if not drug or not cell:
            raise GenerationError(f"{path}:{number}: no drug and cell line in the row")
        out.append((normalise_text(drug), normalise_text(cell)))
    if not out:
        raise GenerationError(f"{path}: no pairs in the file")
    return out


# ---------------------------------------------------------------- generate


class GenerateRequest(BaseModel):
    """What to generate: the pairs (a pairs file, or filters as for :func:`pairs`), the
    constructor and its bounds, where the rows go and whether they are ingested."""

    constructor: Literal["kg"] = "kg"
    drugs: list[str] = Field(default_factory=list)
    cell_lines: list[str] = Field(default_factory=list)
    limit: int | None = Field(None, ge=0)
    pairs_file: Path | None = None
    output: Path | None = Field(None, description="JSONL of VC-TRACES rows; default "
                                "$VCTRACE_HOME/generated/kg-<time>.jsonl")
    ingest: bool = True
    max_targets: int = Field(kg_constructor.MAX_TARGETS, ge=1, le=20)
    max_terms: int = Field(kg_constructor.MAX_TERMS, ge=0, le=20)
    pairs_per_query: int = Field(200, ge=1, description="pairs whose evidence one graph "
                                 "round trip reads")


class SkippedPair(BaseModel):
    drug: str
    cell_line: str
    reason: str


class GeneratedTrace(BaseModel):
    """One generated trace: its pair, identity, validity and what it was built from."""

    drug: str
    cell_line: str
    trace_id: str
    trace_key: str | None
    valid: bool
    actions: int
    edges: int
    targets: list[str]
    phenotype_source: str
    errors: list[str] = Field(default_factory=list)


class GenerateResult(BaseModel):
    """A generation run: per trace, the skipped pairs, the file written, the ingest (when
    asked) and timings (``construct_seconds``: reading evidence, building and validating)."""

    constructor: str
    constructor_version: str
    run: str = Field(description="the generation run's key (``g-…``), stored in the graph")
    pairs: int
    traces: list[GeneratedTrace]
    skipped: list[SkippedPair]
    output: Path
    ingest: trace_cases.IngestResult | None = None
    construct_seconds: float
    seconds: float
    unmatched_drugs: list[str] = Field(default_factory=list)
    unmatched_cell_lines: list[str] = Field(default_factory=list)

    @property
    def valid(self) -> int:
        return sum(t.valid for t in self.traces)

    @property
    def invalid(self) -> int:
        return len(self.traces) - self.valid

    @property
    def traces_per_s(self) -> float:
        return len(self.traces) / self.construct_seconds if self.construct_seconds else 0.0


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _evidence(graph: Graph, drug_keys: list[str]) -> dict[str, list[kg_constructor.Target]]:
    rows = _read(graph, "drug_evidence", drugs=drug_keys, max_terms=_MAX_TERMS_READ)
    return {r["drug"]: [kg_constructor.target_from_row(t) for t in r["targets"]]
            for r in rows}


def _build(pair: PerturbationPair, drug: dict[str, Any], cell: dict[str, Any],
           targets: list[kg_constructor.Target], request: GenerateRequest
           ) -> kg_constructor.Built | kg_constructor.Skipped:
    return kg_constructor.construct(
        perturbation=pair.perturbation,
        drug={"key": pair.drug_key, "name": pair.drug, "moa_fine": drug["moa_fine"],
              "moa_broad": drug["moa_broad"]},
        cell_line={"key": pair.cell_line_key, "name": pair.cell_line, "organ": cell["organ"],
                   "drivers": cell["drivers"]},
        targets=targets, max_targets=request.max_targets, max_terms=request.max_terms)


def _checked(built: kg_constructor.Built, pair: PerturbationPair) -> GeneratedTrace:
    """The row read back exactly as ingest will read it, and validated."""
    trace = trace_from_record(json.loads(json.dumps(built.row)))
    valid = is_valid(trace)
    provenance = built.row["provenance"]
    return GeneratedTrace(
        drug=pair.drug, cell_line=pair.cell_line, trace_id=built.row["trace_id"],
        trace_key=trace_key(trace) if valid else None, valid=valid,
        actions=len(trace.actions), edges=len(trace.edges),
        targets=[a.args["target"] for a in trace.actions if a.primitive == "binds_to"],
        phenotype_source=provenance["phenotype_source"],
        errors=[f"{f.code.value}: {f.message}" for f in trace.findings
                if f.severity is Severity.ERROR])


def _default_output(settings: Settings) -> Path:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    return settings.home / "generated" / f"kg-{stamp}.jsonl"


def generate(settings: Settings, request: GenerateRequest | None = None, *,
             progress: Progress = no_progress) -> GenerateResult:
    """Generate a trace for each requested pair with the knowledge-graph constructor, write
    them as VC-TRACES rows (JSONL, with ``trace_id`` and ``provenance``) to
    ``request.output`` and, unless ``request.ingest`` is false, ingest that file (only valid
    traces are stored; already stored ones are skipped, so a rerun adds nothing). Pairs whose
    drug has no curated target are skipped with the reason. Evidence is read for
    ``pairs_per_query`` pairs per graph round trip."""
    request = request or GenerateRequest()
    if request.constructor not in CONSTRUCTORS:
        raise InvalidRequest(f"unknown constructor {request.constructor!r}")
    started = time.monotonic()
    run_key = generation_runs.new_run_key()
    output = request.output or _default_output(settings)
    unmatched_drugs: list[str] = []
    unmatched_cells: list[str] = []
    generated: list[GeneratedTrace] = []
    skipped: list[SkippedPair] = []
    rows: list[dict[str, Any]] = []
    with open_graph(settings) as graph:
        if request.pairs_file is not None:
            keys = read_pairs_file(request.pairs_file)
            if request.limit is not None:
                keys = keys[:request.limit]
        else:
            keys, unmatched_drugs, unmatched_cells = _pair_keys(
                graph, request.drugs, request.cell_lines, request.limit)
        bar = progress("generating", len(keys), "pairs")
        try:
            for chunk in _chunks(keys, request.pairs_per_query):
                pair_list = _pair_records(graph, chunk)
                found = {(p.drug_key, p.cell_line_key) for p in pair_list}
                skipped += [SkippedPair(drug=d, cell_line=c, reason="not a loaded Tahoe-100M "
                                        "drug and cell line")
                            for d, c in chunk if (d, c) not in found]
                drug_keys = sorted({p.drug_key for p in pair_list})
                drugs = {r["key"]: r for r in _read(graph, "drugs", keys=drug_keys)}
                cells = {r["key"]: r for r in _read(graph, "cell_lines", keys=sorted(
                    {p.cell_line_key for p in pair_list}))}
                evidence = _evidence(graph, drug_keys)
                for pair in pair_list:
                    built = _build(pair, drugs[pair.drug_key], cells[pair.cell_line_key],
                                   evidence.get(pair.drug_key, []), request)
                    if isinstance(built, kg_constructor.Skipped):
                        skipped.append(SkippedPair(drug=built.drug, cell_line=built.cell_line,
                                                   reason=built.reason))
                    else:
                        built.row["provenance"]["generation_run"] = run_key
                        generated.append(_checked(built, pair))
                        rows.append(built.row)
                bar.update(len(chunk))
        finally:
            bar.close()
    construct_seconds = time.monotonic() - started
    write_rows(output, rows)
    ingested = None
    if request.ingest and rows:
        ingested = trace_cases.ingest(settings, [output], progress=progress)
    seconds = time.monotonic() - started
    if ingested is not None:
        generation_runs.record_run(settings, generation_runs.GenerationRun(
            key=run_key, constructor=request.constructor,
            constructor_version=kg_constructor.VERSION, pairs=len(keys),
            traces=len(generated), skipped=len(skipped), output=str(output),
            seconds=round(seconds, 3)), rows)
    return GenerateResult(
        constructor=request.constructor, constructor_version=kg_constructor.VERSION,
        run=run_key, pairs=len(keys), traces=generated, skipped=skipped, output=output,
        ingest=ingested,
        construct_seconds=construct_seconds, seconds=seconds,
        unmatched_drugs=unmatched_drugs, unmatched_cell_lines=unmatched_cells)
