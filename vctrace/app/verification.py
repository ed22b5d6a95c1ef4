"""Verification use cases: verify (a resumable batch run), list runs, report, refine and
export (audit: :mod:`vctrace.app.audit`), and the catalogue of verifiers the faces build their options from.

Verifier options are merged here and only here: each verifier's ``Options`` model defaults <
``Settings.verifier_overrides()`` (the ``VCTRACE_BOLTZ_*`` environment) < the options the
caller gives. Everything that can be refused without the database (verifier names, options,
the trace filter) is checked before connecting.

A run is named by its key or ``"latest"`` (the newest run), resolved by :func:`resolve_run`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..errors import VctraceError
from ..kg.graph import Graph
from ..plugins import parse_options
from ..progress import Bar, Progress, no_progress
from ..runs import engine, refine as refine_mod, report as report_mod
from ..runs.engine import DEFAULT_VERIFIERS, RunError, TraceFilter
from ..runs.report_html import LABELS, fmt as figure  # faces show figures as the page does
from ..settings import Settings
from ..traces.records import detect_format
from ..verifiers import REGISTRY
from ..verifiers._boltz import BoltzRunError, FastaError
from .graph_session import open_graph

__all__ = [
    "ExportOutcome", "FastaError", "MetricRow", "Outcome", "OutputError", "RefineOutcome",
    "ReportResult", "RunError", "RunSummary", "UnknownVerifier", "VerifierFailed",
    "VerifierInfo", "VerifierOptionsError", "VerifierOutcome", "VerifierVersion",
    "VerifyRequest", "VerifyResult", "export", "figure", "list_runs", "refine", "report",
    "resolve_run", "verifier_catalog", "verify",
]

# options that name a file: made absolute, so that the run record (and with it the run's
# fingerprint, which decides what resumes) does not depend on the working directory
PATH_OPTIONS = ("fasta",)


# ---------------------------------------------------------------- errors


class UnknownVerifier(VctraceError):
    """A verifier name that is not registered (the message lists the known ones)."""


class VerifierOptionsError(VctraceError):
    """Options a verifier's model refuses, or a file an option names that cannot be read."""


class VerifierFailed(VctraceError):
    """A verifier failed as a whole mid-run (``boltz predict`` crashed, timed out, is
    missing). Nothing of the failed batch was stored; repeating the request resumes the run.
    Faces report it apart from other errors (the CLI exits 1, as before the split)."""


class OutputError(VctraceError):
    """A report or export file cannot be written where asked."""


# ---------------------------------------------------------------- verifiers


class VerifierInfo(BaseModel):
    """A registered verifier as faces see it: what it judges and its options model (the CLI
    generates a flag per field, prefixed by ``cli_prefix``)."""

    model_config = ConfigDict(frozen=True)

    name: str
    version: str
    description: str
    subject: Literal["claim", "trace"]
    primitives: tuple[str, ...]
    checks_truth: bool
    default: bool = Field(description="run when no verifiers are named")
    options: type[BaseModel]
    cli_prefix: str


def verifier_catalog() -> list[VerifierInfo]:
    """Every registered verifier, by name."""
    return [VerifierInfo(name=name, version=cls.version, description=cls.description,
                         subject=cls.subject, primitives=cls.primitives,
                         checks_truth=cls.checks_truth, default=name in DEFAULT_VERIFIERS,
                         options=cls.Options, cli_prefix=cls.cli_prefix)
            for name, cls in sorted(REGISTRY.items())]


def _known() -> str:
    return ", ".join(sorted(REGISTRY))


def _verifier_names(chosen: list[str] | Literal["all"] | None) -> list[str]:
    if chosen is None or chosen == []:
        return list(DEFAULT_VERIFIERS)
    if chosen == "all":
        return sorted(REGISTRY)
    unknown = [n for n in chosen if n not in REGISTRY]
    if unknown:
        raise UnknownVerifier(f"unknown verifier(s) {', '.join(unknown)}; known: {_known()}")
    return list(dict.fromkeys(chosen))


def _verifier_options(settings: Settings, names: list[str],
                      given: dict[str, dict[str, Any]]) -> dict[str, BaseModel]:
    """The options of each named verifier and of each verifier given options (so that a bad
    value is refused even for a verifier not run): model defaults < environment < given."""
    unknown = [n for n in given if n not in REGISTRY]
    if unknown:
        raise UnknownVerifier(f"options for unknown verifier(s) {', '.join(unknown)}; "
                              f"known: {_known()}")
    environment = settings.verifier_overrides()
    out = {}
    for name in dict.fromkeys([*names, *given]):
        values = {**environment.get(name, {}), **given.get(name, {})}
        for field in PATH_OPTIONS:
            if values.get(field):
                values[field] = str(Path(values[field]).expanduser().resolve())
        try:
            out[name] = parse_options(REGISTRY[name].Options, values, f"verifier {name!r}")
        except ValueError as exc:
            raise VerifierOptionsError(str(exc)) from None
    return out


# ---------------------------------------------------------------- runs


class RunSummary(BaseModel):
    """A stored verification run."""

    key: str
    status: str
    traces: int = 0
    verifiers: list[str] = []
    created_at: str | None = None
    finished_at: str | None = None
    attempts: int | None = None
    batch_size: int | None = None
    filter: dict[str, Any] = {}
    counts: dict[str, dict[str, int]] = {}


def _run_summary(record: dict[str, Any]) -> RunSummary:
    return RunSummary(
        key=record["key"], status=record.get("status") or "unknown",
        traces=record.get("traces") or 0, verifiers=record.get("verifier_names") or [],
        created_at=record.get("created_at"), finished_at=record.get("finished_at"),
        attempts=record.get("attempts"), batch_size=record.get("batch_size"),
        filter=json.loads(record.get("filter_json") or "{}"),
        counts=json.loads(record.get("counts_json") or "{}"))


def resolve_run(graph: Graph, ref: str) -> str:
    """The key of the run ``ref`` names: ``"latest"`` is the newest run. ``RunError`` when
    there is no such run (or none at all)."""
    if ref == "latest":
        runs = engine.find_runs(graph)
        if not runs:
            raise RunError("no verification runs yet (vctrace verify makes one)")
        return runs[0]["key"]
    return engine.get_run(graph, ref)["key"]


def list_runs(settings: Settings) -> list[RunSummary]:
    """The stored verification runs, newest first."""
    with open_graph(settings) as graph:
        return [_run_summary(r) for r in engine.find_runs(graph)]


# ---------------------------------------------------------------- verify


class VerifyRequest(BaseModel):
    """What to verify. The default is the default verifiers on every trace."""

    model_config = ConfigDict(frozen=True)

    verifiers: list[str] | Literal["all"] | None = Field(
        None, description="verifier names; None (or empty): the defaults; 'all': every one")
    traces: list[str] = Field([], description="trace filter items, ANDed: drug=NAME, "
                              "cell_line=NAME, trace=KEY_OR_ID[,…]; none: every trace")
    run_name: str | None = Field(None, description="name of the run; None: resume the "
                                 "unfinished run with the same settings, else a new one")
    batch_size: int = Field(5000, ge=1, description="claims per batch (one read, the "
                            "verifier's queries, one write transaction)")
    options: dict[str, dict[str, Any]] = Field({}, description="per-verifier options, "
                                               "{verifier: {field: value}}")


class VerifierOutcome(BaseModel):
    """One verifier's share of a verify call."""

    name: str
    judged_now: int = Field(description="subjects judged by this call")
    already_done: int = Field(description="subjects judged by an earlier attempt of the run")
    verdicts: int = Field(description="verdicts stored by this call")
    counts: dict[str, int] = Field(description="the run's verdicts by status")
    seconds: float
    read_s: float
    judge_s: float
    write_s: float = Field(description="storing verdicts (overlapping reading and judging)")


class VerifyResult(BaseModel):
    """A finished (created or resumed) verification run."""

    run: str
    resumed: bool
    traces: int
    seconds: float
    verifiers: list[VerifierOutcome]
    counts: dict[str, dict[str, int]] = Field(description="verdicts of the whole run by "
                                              "verifier and status")


def _per_verifier(progress: Progress) -> Callable[[str, int | None], Bar]:
    """The engine's ``progress(verifier, total)``: a bar counting claims or traces."""
    def start(name: str, total: int | None = None) -> Bar:
        return progress(name, total, REGISTRY[name].subject + "s")
    return start


def verify(settings: Settings, request: VerifyRequest | None = None, *,
           progress: Progress = no_progress) -> VerifyResult:
    """Judge each distinct claim of the selected traces once per verifier and store the
    verdicts in a run; an unfinished run with the same settings (or the named one) resumes.
    Raises ``UnknownVerifier``, ``VerifierOptionsError``, ``FastaError``, ``RunError`` (bad
    filter, a name taken by another job), ``VerifierFailed`` and the graph's errors (a lost
    connection: repeating the request resumes)."""
    request = request or VerifyRequest()
    names = _verifier_names(request.verifiers)
    options = _verifier_options(settings, names, request.options)
    trace_filter = TraceFilter.parse(request.traces)
    with open_graph(settings, schema=True) as graph:
        try:
            verifiers = engine.build_verifiers(graph, names, options=options)
        except OSError as exc:  # a file an option names (the FASTA)
            raise VerifierOptionsError(f"cannot read {exc.filename}: {exc.strerror}") from None
        try:
            done = engine.verify(graph, verifiers, trace_filter=trace_filter,
                                 run_name=request.run_name, batch_size=request.batch_size,
                                 progress=_per_verifier(progress))
        except BoltzRunError as exc:
            raise VerifierFailed(f"{exc}\nnothing of the failed batch was stored; fix the "
                                 "cause and run the same command again to resume") from exc
    return VerifyResult(
        run=done.run, resumed=done.resumed, traces=done.traces, seconds=done.seconds,
        counts=done.counts,
        verifiers=[VerifierOutcome(name=v.name, judged_now=v.subjects,
                                   already_done=v.already_done, verdicts=v.verdicts,
                                   counts=done.counts.get(v.name, {}), seconds=v.seconds,
                                   read_s=v.read_s, judge_s=v.judge_s, write_s=v.write_s)
                   for v in done.verifiers])


# ---------------------------------------------------------------- report


class MetricRow(BaseModel):
    """A metric of the report table: this run's value next to the paper's."""

    key: str
    label: str
    value: float | None
    paper: float | None


class Outcome(BaseModel):
    """Verdicts of a run for one verifier, status and reason."""

    verifier: str
    status: str
    reason: str
    verdicts: int


class VerifierVersion(BaseModel):
    """A verifier as a run recorded it."""

    name: str
    version: str
    parameters: dict[str, Any] = {}


class ReportResult(BaseModel):
    """A run's report: where its JSON document and HTML page were written, and what the
    metrics table shows."""

    run: RunSummary
    verifiers: list[VerifierVersion]
    metrics: dict[str, float | int | None] = Field(description="the run-level metrics "
                                                   "(traces, validity, verifiability, …)")
    table: list[MetricRow] = Field(description="the metrics with labels and the paper's "
                                   "figures, in report order")
    outcomes: list[Outcome]
    json_path: Path
    html_path: Path


def report(settings: Settings, run_ref: str = "latest",
           out_dir: Path = Path(".")) -> ReportResult:
    """Build the report of a run (its key or ``"latest"``) and write ``RUN.report.json`` and
    a self-contained ``RUN.report.html`` into ``out_dir`` (created if needed)."""
    with open_graph(settings) as graph:
        run = resolve_run(graph, run_ref)
        data = report_mod.build_report(graph, run)
        record = engine.get_run(graph, run)
    json_path, html_path = out_dir / f"{run}.report.json", out_dir / f"{run}.report.html"
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        report_mod.write_json(data, json_path)
        report_mod.write_html(data, html_path)
    except OSError as exc:
        raise OutputError(f"cannot write the report into {out_dir}: {exc.strerror}") from None
    metrics, paper = data["metrics"], data["paper"]
    return ReportResult(
        run=_run_summary(record),
        verifiers=[VerifierVersion(**v) for v in data["verifiers"]],
        metrics=metrics,
        table=[MetricRow(key=k, label=label, value=metrics.get(k), paper=paper.get(k))
               for k, label in LABELS.items()],
        outcomes=[Outcome(**o) for o in data["outcomes"]],
        json_path=json_path, html_path=html_path)


# ---------------------------------------------------------------- refine and export


class RefineOutcome(BaseModel):
    """What the policy did to a run's traces."""

    run: str
    policy: dict[str, Any]
    traces: int
    kept: int
    refined: int
    discarded: int
    genes_pruned: int
    actions_dropped: int


class ExportOutcome(BaseModel):
    """A written export (the run refined first)."""

    run: str
    output: Path
    written: int
    refined: int
    discarded: int
    include_discarded: bool
    refine: RefineOutcome


def _refine(graph: Graph, run: str, policy: refine_mod.Policy) -> RefineOutcome:
    done = refine_mod.refine(graph, run, policy)
    return RefineOutcome(run=run, policy=json.loads(policy.json()),
                         traces=done.traces, kept=done.kept, refined=done.refined,
                         discarded=done.discarded, genes_pruned=done.genes_pruned,
                         actions_dropped=done.actions_dropped)


def refine(settings: Settings, run_ref: str, *, keep_refuted_bindings: bool = False,
           prune_unmeasured: bool = False) -> RefineOutcome:
    """Apply the policy (the default, changed by the two choices) to a complete run's
    traces: discard those with a refuted drug-target binding, prune refuted genes; changed
    traces are stored as new versions linked to the original. Idempotent."""
    policy = refine_mod.Policy.from_flags(keep_refuted_bindings=keep_refuted_bindings,
                                          prune_unmeasured=prune_unmeasured)
    with open_graph(settings, schema=True) as graph:
        return _refine(graph, resolve_run(graph, run_ref), policy)


def export(settings: Settings, run_ref: str, output: Path, *,
           keep_refuted_bindings: bool = False, prune_unmeasured: bool = False,
           include_discarded: bool = False) -> ExportOutcome:
    """Refine the run (as :func:`refine`) and write its kept traces as VC-TRACES rows with
    ``explain_verified`` to ``output`` (.jsonl, .json, .parquet or .csv by suffix); with
    ``include_discarded`` the discarded ones too, ``explain_verified`` empty."""
    if detect_format(output) == "text":
        raise OutputError(f"{output}: VC-TRACES rows are written as .jsonl, .json, .parquet "
                          "or .csv")
    policy = refine_mod.Policy.from_flags(keep_refuted_bindings=keep_refuted_bindings,
                                          prune_unmeasured=prune_unmeasured)
    with open_graph(settings, schema=True) as graph:
        run = resolve_run(graph, run_ref)
        refined = _refine(graph, run, policy)
        try:
            counts = refine_mod.export(graph, run, output, policy,
                                       include_discarded=include_discarded)
        except OSError as exc:
            raise OutputError(f"cannot write {output}: {exc.strerror}") from None
    return ExportOutcome(run=run, output=output, include_discarded=include_discarded,
                         refine=refined, **counts)
