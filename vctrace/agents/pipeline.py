"""The closed loop in one resumable run (``vctrace pipeline DIR``): pairs -> generated reports
and traces -> ingest -> verify -> refine -> export, writing VC-TRACES rows (``perturbation``,
``question``, ``report_text``, ``explain``, ``dag``, ``explain_verified``).

Every stage is an application use case (:mod:`vctrace.app.generation`,
:mod:`vctrace.app.traces`, :mod:`vctrace.app.verification`) or the Claude run of this face
(:mod:`vctrace.agents.run`); this module only orders them and remembers what each did. It
lives in the agents face because the loop may call Claude; with the knowledge-graph
constructor (the default) it needs no key and sends nothing.

The directory holds everything a run writes::

    DIR/state.json             what each stage did (written atomically after every stage
                               and every Claude chunk): outputs, run keys, counts, seconds
    DIR/pairs.jsonl            the selected pairs (what `vctrace pairs` writes)
    DIR/generated/kg.jsonl     the generated rows (kg), or part-0001.jsonl, … (claude: one
                               file per chunk of ``chunk_size`` pairs), or batch.jsonl
                               (claude through Message Batches, its state in DIR/batches)
    DIR/trace_keys.txt         the content keys of the valid generated traces
    DIR/report/RUN.report.*    the verification run's report (JSON and HTML)
    DIR/vc_traces.jsonl        the export (+ vc_traces.parquet with ``parquet``)

**Resuming.** Running the same request on the same directory skips the finished stages and
resumes the unfinished one: a Claude generation redoes at most the chunk it was writing
(each chunk file is renamed into place, then recorded; through Message Batches, the batch
run resumes from its own state folder and re-sends nothing it has), a verification run is
resumed by its key through the engine's resume path (only what has no verdict yet is
judged), ingest, refine and export are idempotent. A request whose parameters differ from
those the directory was started with (its fingerprint: constructor, model, pairs, chunk
size, …; not the concurrency or poll interval) is refused with the differences, as is a
second process on the same directory.

**Stages.** ``generate`` writes each pair's report and trace together (the Claude run asks
for the report, then the trace citing the same evidence; the kg constructor writes both
from the graph); ``verify`` is one run over exactly the generated traces (a ``trace=KEYS``
filter) and writes its report into the directory.

**One generation run.** The stages write one ``GenerationRun`` for the whole loop (the
Claude chunks' rows all name it in ``provenance.generation_run``), recorded at ingest.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator, Literal

from pydantic import BaseModel, Field

from ..app import InvalidRequest, VctraceError, generation, generation_runs, verification
from ..app import traces as trace_cases
from ..app.generation import PerturbationPair, SkippedPair
from ..progress import Bar, Progress, no_progress
from ..settings import Settings
from . import batch_generate, prompts
from . import run as claude_run
from .claude import CONSTRUCTOR as CLAUDE, DEFAULT_MODEL, ClaudeClient, TokenUsage

__all__ = ["STAGES", "PipelineError", "PipelineRequest", "PipelineResult", "StageSummary",
           "run_pipeline"]

STAGES = ("pairs", "generate", "ingest", "verify", "refine", "export")
STATE_FORMAT = 1
STATE_FILE = "state.json"
PAIRS_FILE = "pairs.jsonl"
GENERATED_DIR = "generated"
BATCH_DIR = "batches"
KEYS_FILE = "trace_keys.txt"
REPORT_DIR = "report"
EXPORT_FILE = "vc_traces.jsonl"
PARQUET_FILE = "vc_traces.parquet"
# the metrics the summary shows (the run's report has them all)
METRICS = ("validity", "verifiability", "dti_score", "de_score")


class PipelineError(VctraceError):
    """A directory that cannot be used for this request: started with other parameters, not
    a pipeline directory, or in use by another process."""


class PipelineRequest(BaseModel):
    """One loop: where it writes, the constructor and the pairs (a pairs file, or filters as
    for :func:`vctrace.app.generation.pairs`)."""

    directory: Path
    constructor: Literal["kg", "claude"] = "kg"
    batch: bool = Field(False, description="claude: through the Message Batches API")
    drugs: list[str] = Field(default_factory=list)
    cell_lines: list[str] = Field(default_factory=list)
    limit: int | None = Field(None, ge=0)
    pairs_file: Path | None = None
    model: str = Field(DEFAULT_MODEL, description="claude: the model id")
    concurrency: int = Field(4, ge=1, le=64, description="claude: pairs whose calls run at "
                             "once (not part of the fingerprint)")
    literature: bool = Field(False, description="claude: PubMed / Wikipedia evidence too")
    chunk_size: int = Field(25, ge=1, description="claude: pairs per chunk file (a killed "
                            "run redoes at most one chunk)")
    parquet: bool = Field(False, description="also export vc_traces.parquet")
    poll_interval: float = Field(60.0, ge=0, description="batch: seconds between status "
                                 "requests (not part of the fingerprint)")

    def fingerprint_fields(self) -> dict[str, Any]:
        """What the directory's outputs depend on (a pairs file by its content)."""
        fields: dict[str, Any] = {
            "constructor": self.constructor, "drugs": sorted(self.drugs),
            "cell_lines": sorted(self.cell_lines), "limit": self.limit,
            "pairs_file": _file_digest(self.pairs_file) if self.pairs_file else None,
            "parquet": self.parquet}
        if self.constructor == CLAUDE:
            fields.update(batch=self.batch, model=self.model, literature=self.literature,
                          chunk_size=None if self.batch else self.chunk_size)
        return fields


def _file_digest(path: Path) -> str:
    try:
        return "sha256:" + hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError as exc:
        raise PipelineError(f"{path}: cannot read the pairs file: {exc.strerror}") from None


def _fingerprint(fields: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:16]


# ---------------------------------------------------------------- state


class StageRecord(BaseModel):
    """What one stage did: ``figures`` are its counts, ``outputs`` the files it wrote
    (relative to the directory), ``seconds`` summed over its attempts."""

    status: Literal["pending", "running", "done"] = "pending"
    attempts: int = 0
    seconds: float = 0.0
    outputs: list[str] = Field(default_factory=list)
    figures: dict[str, Any] = Field(default_factory=dict)


class ChunkRecord(BaseModel):
    """One Claude chunk, written to its part file."""

    index: int
    output: str
    pairs: int
    traces: int
    skipped: list[SkippedPair] = Field(default_factory=list)
    requests: int = 0
    usage: TokenUsage = Field(default_factory=TokenUsage)
    cost_usd: float = 0.0
    seconds: float = 0.0


class PipelineState(BaseModel):
    """``DIR/state.json``."""

    format: int = STATE_FORMAT
    fingerprint: str
    request: dict[str, Any]
    created_at: str
    updated_at: str | None = None
    generation_run: str | None = None
    verification_run: str | None = None
    stages: dict[str, StageRecord] = Field(
        default_factory=lambda: {name: StageRecord() for name in STAGES})
    chunks: list[ChunkRecord] = Field(default_factory=list)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


class _Directory:
    """The pipeline directory: its state, saved atomically, and its files."""

    def __init__(self, root: Path, state: PipelineState):
        self.root, self.state = root, state

    def path(self, name: str) -> Path:
        return self.root / name

    def save(self) -> None:
        self.state.updated_at = _now()
        try:
            _atomic_write(self.path(STATE_FILE), self.state.model_dump_json(indent=1) + "\n")
        except OSError as exc:
            raise PipelineError(f"cannot write {self.path(STATE_FILE)}: {exc.strerror}") \
                from None

    def stage(self, name: str) -> StageRecord:
        return self.state.stages[name]


def _differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    return [f"{key}: {old.get(key)!r} then, {new.get(key)!r} now"
            for key in sorted(set(old) | set(new)) if old.get(key) != new.get(key)]


def _open_directory(request: PipelineRequest) -> _Directory:
    root = request.directory
    fields = request.fingerprint_fields()
    state_path = root / STATE_FILE
    if state_path.exists():
        try:
            state = PipelineState.model_validate_json(state_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise PipelineError(f"{state_path}: not a readable pipeline state ({exc}); use "
                                "another directory") from None
        if state.format != STATE_FORMAT:
            raise PipelineError(f"{state_path}: state format {state.format}, this version "
                                f"reads {STATE_FORMAT}; use another directory")
        if state.fingerprint != _fingerprint(fields):
            changed = "; ".join(_differences(state.request, fields))
            raise PipelineError(
                f"{root} was started with other parameters ({changed}): run the same "
                "command to resume it, or give another directory")
        return _Directory(root, state)
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise PipelineError(f"{root} exists and is not a pipeline directory (no "
                            f"{STATE_FILE}): give a new or empty directory")
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PipelineError(f"cannot create {root}: {exc.strerror}") from None
    directory = _Directory(root, PipelineState(
        fingerprint=_fingerprint(fields), request=fields, created_at=_now()))
    directory.save()
    return directory


class _Lock:
    """An exclusive lock on ``DIR/.lock`` for the length of a run."""

    def __init__(self, root: Path):
        self.path = root / ".lock"
        self.handle: Any = None

    def __enter__(self) -> "_Lock":
        self.handle = self.path.open("a")
        try:
            fcntl.flock(self.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.handle.close()
            raise PipelineError(f"another pipeline works on {self.path.parent}; wait until it "
                                "has finished") from None
        return self

    def __exit__(self, *exc: Any) -> None:
        fcntl.flock(self.handle, fcntl.LOCK_UN)
        self.handle.close()


# ---------------------------------------------------------------- result


class StageSummary(BaseModel):
    """A stage as this call left it: ``ran`` false when an earlier call had finished it."""

    name: str
    ran: bool
    attempts: int
    seconds: float
    outputs: list[str]


class InvalidTrace(BaseModel):
    trace_id: str
    errors: list[str]


class PipelineResult(BaseModel):
    """The loop's summary (every figure read from the state, so a resumed run reports the
    whole loop, not only what this call did)."""

    directory: Path
    constructor: str
    model: str | None
    batch: bool
    pairs: int
    generated: int = Field(description="traces written to the generated files")
    valid: int = Field(description="valid generated traces (distinct content keys)")
    stored: int = Field(description="traces ingest wrote or found already stored")
    skipped: list[SkippedPair]
    invalid: list[InvalidTrace]
    ingest_failed: int
    unmatched_drugs: list[str]
    unmatched_cell_lines: list[str]
    generation_run: str | None
    verification_run: str | None
    verification: dict[str, dict[str, int]] = Field(description="verdicts by verifier and "
                                                    "status")
    metrics: dict[str, float | int | None]
    report: Path | None
    kept: int
    refined: int
    discarded: int
    exported: int
    export: Path
    parquet: Path | None
    requests: int
    usage: TokenUsage
    cost_usd: float
    stages: list[StageSummary]

    @property
    def resumed(self) -> bool:
        """An earlier call had finished some stage."""
        return any(not s.ran for s in self.stages)

    @property
    def complete(self) -> bool:
        """Every pair gave a valid, stored trace and every name matched."""
        return not (self.skipped or self.invalid or self.ingest_failed or self.unmatched_drugs
                    or self.unmatched_cell_lines)


# ---------------------------------------------------------------- stages


def _read_rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def _read_pairs(directory: _Directory) -> list[PerturbationPair]:
    return [PerturbationPair.model_validate(row)
            for row in _read_rows(directory.path(PAIRS_FILE))]


def _write_rows_atomically(path: Path, rows: list[dict[str, Any]]) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    generation.write_rows(tmp, rows)
    os.replace(tmp, path)


def _stage_pairs(settings: Settings, request: PipelineRequest, directory: _Directory,
                 progress: Progress, client: Callable[[], ClaudeClient]) -> None:
    selection = claude_run.select_pairs(
        settings, pairs_file=request.pairs_file, drugs=request.drugs,
        cell_lines=request.cell_lines, limit=request.limit)
    _write_rows_atomically(directory.path(PAIRS_FILE), [p.row() for p in selection.pairs])
    record = directory.stage("pairs")
    record.outputs = [PAIRS_FILE]
    record.figures = {"pairs": selection.count, "loaded": len(selection.pairs),
                      "skipped": [s.model_dump() for s in selection.skipped],
                      "unmatched_drugs": selection.unmatched_drugs,
                      "unmatched_cell_lines": selection.unmatched_cell_lines}


def _generate_kg(settings: Settings, directory: _Directory, pairs: list[PerturbationPair],
                 progress: Progress) -> None:
    record = directory.stage("generate")
    output = directory.path(GENERATED_DIR) / "kg.jsonl"
    tmp = output.with_name(f".{output.name}.tmp")
    result = generation.generate(settings, generation.GenerateRequest(
        pairs_file=directory.path(PAIRS_FILE), output=tmp, ingest=False), progress=progress)
    os.replace(tmp, output)
    directory.state.generation_run = result.run
    record.outputs = [f"{GENERATED_DIR}/{output.name}"]
    record.figures = {
        "constructor_version": result.constructor_version, "traces": len(result.traces),
        "valid": result.valid, "skipped": [s.model_dump() for s in result.skipped],
        "invalid": [{"trace_id": t.trace_id, "errors": t.errors}
                    for t in result.traces if not t.valid],
        "construct_seconds": round(result.construct_seconds, 3),
        "traces_per_s": round(result.traces_per_s, 1)}


class _SharedBar:
    """One bar over every chunk: the Claude run's own bar, drawn once for the whole stage."""

    def __init__(self, bar: Bar):
        self.bar = bar

    def __call__(self, task: str, total: int | None = None, unit: str = "items") -> Bar:
        return self

    def update(self, n: int = 1) -> None:
        self.bar.update(n)

    def close(self) -> None:
        pass


def _claude_figures(directory: _Directory) -> None:
    chunks = directory.state.chunks
    usage = TokenUsage()
    for chunk in chunks:
        usage = usage + chunk.usage
    directory.stage("generate").figures = {
        "constructor_version": prompts.PROMPT_VERSION,
        "traces": sum(c.traces for c in chunks), "chunks": len(chunks),
        "skipped": [s.model_dump() for c in chunks for s in c.skipped], "invalid": [],
        "requests": sum(c.requests for c in chunks), "usage": usage.model_dump(),
        "cost_usd": round(sum(c.cost_usd for c in chunks), 8)}
    directory.stage("generate").outputs = [c.output for c in chunks]


def _generate_claude(settings: Settings, request: PipelineRequest, directory: _Directory,
                     pairs: list[PerturbationPair], progress: Progress,
                     client: ClaudeClient) -> None:
    state = directory.state
    if state.generation_run is None:
        state.generation_run = generation_runs.new_run_key()
        directory.save()
    folder = directory.path(GENERATED_DIR)
    done = {c.index for c in state.chunks}
    chunks = [pairs[i:i + request.chunk_size] for i in range(0, len(pairs), request.chunk_size)]
    bar = progress("generating with Claude", len(pairs), "pairs")
    try:
        bar.update(sum(len(chunk) for i, chunk in enumerate(chunks, 1) if i in done))
        for index, chunk in enumerate(chunks, 1):
            if index in done:
                continue
            name = f"part-{index:04d}.jsonl"
            scratch = folder / f".{name}.claude"
            result = claude_run.generate_with_claude(
                settings, claude_run.PairSelection(pairs=chunk), client,
                concurrency=request.concurrency, literature=request.literature,
                output=scratch, ingest=False, progress=_SharedBar(bar))
            rows = _read_rows(scratch)
            for row in rows:  # one generation run for the whole loop
                row["provenance"]["generation_run"] = state.generation_run
            _write_rows_atomically(folder / name, rows)
            scratch.unlink()
            state.chunks.append(ChunkRecord(
                index=index, output=f"{GENERATED_DIR}/{name}", pairs=len(chunk),
                traces=len(rows), skipped=result.skipped, requests=result.requests,
                usage=result.usage, cost_usd=result.cost_usd, seconds=result.seconds))
            _claude_figures(directory)
            directory.save()
    finally:
        bar.close()
    _claude_figures(directory)


def _generate_batch(settings: Settings, request: PipelineRequest, directory: _Directory,
                    pairs: list[PerturbationPair], progress: Progress,
                    client: ClaudeClient) -> None:
    output = directory.path(GENERATED_DIR) / "batch.jsonl"
    tmp = output.with_name(f".{output.name}.tmp")
    result = batch_generate.generate_with_batches(
        settings, claude_run.PairSelection(pairs=pairs), client,
        state_dir=directory.path(BATCH_DIR), output=tmp, ingest=False,
        literature=request.literature, poll_interval=request.poll_interval,
        progress=progress)
    os.replace(tmp, output)
    directory.state.generation_run = result.run
    record = directory.stage("generate")
    record.outputs = [f"{GENERATED_DIR}/{output.name}"]
    record.figures = {
        "constructor_version": result.constructor_version, "traces": len(result.traces),
        "skipped": [s.model_dump() for s in result.skipped], "invalid": [],
        "requests": result.requests, "usage": result.usage.model_dump(),
        "cost_usd": result.cost_usd}


def _stage_generate(settings: Settings, request: PipelineRequest, directory: _Directory,
                    progress: Progress, client: Callable[[], ClaudeClient]) -> None:
    pairs = _read_pairs(directory)
    directory.path(GENERATED_DIR).mkdir(exist_ok=True)
    if not pairs:
        directory.stage("generate").figures = {"traces": 0, "skipped": [], "invalid": []}
        return
    if request.constructor == "kg":
        _generate_kg(settings, directory, pairs, progress)
        return
    claude = client()
    if request.batch:
        _generate_batch(settings, request, directory, pairs, progress, claude)
    else:
        _generate_claude(settings, request, directory, pairs, progress, claude)


def _stage_ingest(settings: Settings, request: PipelineRequest, directory: _Directory,
                  progress: Progress, client: Callable[[], ClaudeClient]) -> None:
    generated = directory.stage("generate")
    files = [directory.path(name) for name in generated.outputs]
    rows = [row for path in files for row in _read_rows(path)]
    keys = generation_runs.stored_trace_keys(rows)
    _atomic_write(directory.path(KEYS_FILE), "".join(key + "\n" for key in keys))
    record = directory.stage("ingest")
    record.outputs = [KEYS_FILE]
    if not rows:
        record.figures = {"valid": 0, "written": 0, "existing": 0, "invalid": 0, "failed": 0,
                          "stored": 0}
        return
    result = trace_cases.ingest(settings, files, progress=progress)
    total = result.total
    figures = generated.figures
    usage = TokenUsage.model_validate(figures.get("usage") or {})
    pairs = directory.stage("pairs").figures["pairs"]
    skipped = len(directory.stage("pairs").figures["skipped"]) + len(figures["skipped"])
    model = request.model if request.constructor == CLAUDE else None
    generation_runs.record_run(settings, generation_runs.GenerationRun(
        key=directory.state.generation_run, constructor=request.constructor,
        constructor_version=figures["constructor_version"], model=model,
        batch=request.batch and request.constructor == CLAUDE, pairs=pairs,
        traces=figures["traces"], skipped=skipped, requests=figures.get("requests", 0),
        cost_usd=figures.get("cost_usd", 0.0), output=str(directory.path(GENERATED_DIR)),
        seconds=round(generated.seconds + result.seconds, 3), **usage.model_dump()), rows)
    record.figures = {"valid": len(keys), "written": total.written,
                      "existing": total.existing, "invalid": total.invalid,
                      "failed": total.failed, "stored": total.written + total.existing,
                      "grounded": result.grounding.model_dump(mode="json")}


def _trace_keys(directory: _Directory) -> list[str]:
    return directory.path(KEYS_FILE).read_text(encoding="utf-8").split()


def _find_run(settings: Settings, key: str) -> verification.RunSummary | None:
    return next((r for r in verification.list_runs(settings) if r.key == key), None)


def _stage_verify(settings: Settings, request: PipelineRequest, directory: _Directory,
                  progress: Progress, client: Callable[[], ClaudeClient]) -> None:
    record = directory.stage("verify")
    keys = _trace_keys(directory)
    if not keys:
        record.figures = {"traces": 0, "counts": {}, "metrics": {}}
        return
    state = directory.state
    found = _find_run(settings, state.verification_run) if state.verification_run else None
    if found is None or found.status != "complete":
        if found is not None:  # taken by an earlier call and left unfinished: resume it
            started = verification.begin_resume(settings, found.key)
        else:
            started = verification.begin_verify(settings, verification.VerifyRequest(
                traces=["trace=" + ",".join(keys)]))
            state.verification_run = started.key
            directory.save()
        started.judge(progress)
    report = verification.report(settings, state.verification_run,
                                 directory.path(REPORT_DIR))
    record.outputs = [str(p.relative_to(directory.root))
                      for p in (report.json_path, report.html_path)]
    record.figures = {"traces": report.run.traces, "counts": report.run.counts,
                      "metrics": report.metrics}


def _stage_refine(settings: Settings, request: PipelineRequest, directory: _Directory,
                  progress: Progress, client: Callable[[], ClaudeClient]) -> None:
    run = directory.state.verification_run
    record = directory.stage("refine")
    if run is None or not _trace_keys(directory):
        record.figures = {"traces": 0, "kept": 0, "refined": 0, "discarded": 0}
        return
    outcome = verification.refine(settings, run)
    record.figures = outcome.model_dump(mode="json", exclude={"run"})


def _stage_export(settings: Settings, request: PipelineRequest, directory: _Directory,
                  progress: Progress, client: Callable[[], ClaudeClient]) -> None:
    run = directory.state.verification_run
    record = directory.stage("export")
    record.figures = {"written": 0}
    if run is None or not _trace_keys(directory):  # nothing was stored: an empty export
        _atomic_write(directory.path(EXPORT_FILE), "")
        record.outputs = [EXPORT_FILE]
        return
    names = [EXPORT_FILE] + ([PARQUET_FILE] if request.parquet else [])
    for name in names:
        target = directory.path(name)
        tmp = target.with_name(f".tmp-{name}")  # the suffix names the format
        outcome = verification.export(settings, run, tmp)
        os.replace(tmp, target)
        record.figures = {"written": outcome.written}
    record.outputs = names


_STAGE_FUNCTIONS: dict[str, Callable[..., None]] = {
    "pairs": _stage_pairs, "generate": _stage_generate, "ingest": _stage_ingest,
    "verify": _stage_verify, "refine": _stage_refine, "export": _stage_export}


# ---------------------------------------------------------------- the loop


def _summary(request: PipelineRequest, directory: _Directory,
             ran: set[str]) -> PipelineResult:
    stages = directory.state.stages
    pairs, generated = stages["pairs"].figures, stages["generate"].figures
    ingested, verified = stages["ingest"].figures, stages["verify"].figures
    refined = stages["refine"].figures
    claude = request.constructor == CLAUDE
    return PipelineResult(
        directory=directory.root, constructor=request.constructor,
        model=request.model if claude else None, batch=claude and request.batch,
        pairs=pairs["pairs"], generated=generated["traces"], valid=ingested["valid"],
        stored=ingested["stored"],
        skipped=[SkippedPair.model_validate(s) for s in pairs["skipped"] + generated["skipped"]],
        invalid=[InvalidTrace.model_validate(i) for i in generated["invalid"]],
        ingest_failed=ingested["failed"], unmatched_drugs=pairs["unmatched_drugs"],
        unmatched_cell_lines=pairs["unmatched_cell_lines"],
        generation_run=directory.state.generation_run if generated["traces"] else None,
        verification_run=directory.state.verification_run,
        verification=verified["counts"], metrics=verified["metrics"],
        report=directory.path(stages["verify"].outputs[1]) if stages["verify"].outputs
        else None,
        kept=refined["kept"], refined=refined["refined"], discarded=refined["discarded"],
        exported=stages["export"].figures["written"], export=directory.path(EXPORT_FILE),
        parquet=directory.path(PARQUET_FILE) if request.parquet else None,
        requests=generated.get("requests", 0),
        usage=TokenUsage.model_validate(generated.get("usage") or {}),
        cost_usd=generated.get("cost_usd", 0.0),
        stages=[StageSummary(name=name, ran=name in ran, attempts=stages[name].attempts,
                             seconds=round(stages[name].seconds, 3),
                             outputs=stages[name].outputs) for name in STAGES])


def _stages(directory: _Directory) -> Iterator[str]:
    for name in STAGES:
        if directory.stage(name).status != "done":
            yield name


def run_pipeline(settings: Settings, request: PipelineRequest, *,
                 progress: Progress = no_progress,
                 client: Callable[[], ClaudeClient] | None = None) -> PipelineResult:
    """Run (or resume) the loop of ``request`` in ``request.directory`` (see the module
    docstring) and return its summary. ``client``: makes the Claude client when a Claude
    stage has work left (default ``ClaudeClient.from_env(model=request.model)``: the key
    only from ``ANTHROPIC_API_KEY``; closed at the end). Raises :class:`PipelineError` (the
    directory), ``MissingApiKey`` and what the stages' use cases raise; what a stage
    finished before is kept, and the same call resumes."""
    if request.batch and request.constructor != CLAUDE:
        raise InvalidRequest("batch is for the claude constructor")
    if request.pairs_file is not None and (request.drugs or request.cell_lines):
        raise InvalidRequest("a pairs file names the pairs: no drug or cell line filters")
    made: list[ClaudeClient] = []

    def claude_client() -> ClaudeClient:
        if not made:
            made.append(client() if client is not None
                        else ClaudeClient.from_env(model=request.model))
        return made[0]

    directory = _open_directory(request)
    ran: set[str] = set()
    try:
        with _Lock(directory.root):
            if request.constructor == CLAUDE and directory.stage("generate").status != "done":
                claude_client()  # a missing key stops the loop before any stage runs
            for name in _stages(directory):
                record = directory.stage(name)
                record.status, record.attempts = "running", record.attempts + 1
                directory.save()
                started = time.monotonic()
                try:
                    _STAGE_FUNCTIONS[name](settings, request, directory, progress,
                                           claude_client)
                    record.status = "done"
                finally:
                    record.seconds = round(record.seconds + time.monotonic() - started, 3)
                    directory.save()
                ran.add(name)
    finally:
        for made_client in made:
            made_client.close()
    return _summary(request, directory, ran)
