"""Verification use cases: verify (a resumable batch run), list runs, report, refine and
export (audit: :mod:`vctrace.app.audit`), and the catalogue of verifiers the faces build their options from.

Verifier options are merged here and only here: each verifier's ``Options`` model defaults <
``Settings.verifier_overrides()`` (the ``VCTRACE_BOLTZ_*`` environment) < the options the
caller gives. Everything that can be refused without the database (verifier names, options,
the trace filter) is checked before connecting.

A run is named by its key or ``"latest"`` (the newest run), resolved by :func:`resolve_run`.

For faces that work in the background (:mod:`vctrace.app.jobs`), :func:`verify` comes in two
halves: :func:`begin_verify` (or :func:`begin_resume`, from the run's record) takes the run,
:meth:`StartedRun.judge` judges it. :func:`report_html`, :func:`report_summary` and
:func:`export_rows` give the report and the export without writing files.
"""

from __future__ import annotations

import json
from pathlib import Path
from contextlib import ExitStack
from typing import Any, Callable, Iterator, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..errors import VctraceError
from ..kg.graph import Graph
from ..plugins import parse_options
from ..progress import Bar, Progress, no_progress
from ..runs import engine, refine as refine_mod, report as report_mod
from ..runs.engine import DEFAULT_VERIFIERS, RunBusy, RunError, RunStopped, TraceFilter
from ..runs.report_html import (LABELS, fmt as figure,  # faces show figures as the page does
                                verifier_label)
from ..settings import Settings
from ..traces.records import detect_format, to_vc_traces_row
from ..verifiers import REGISTRY
from ..verifiers._boltz import BoltzRunError, FastaError
from .graph_session import open_graph

__all__ = [
    "ConstructorMetrics", "ExportOutcome", "ExportRows", "FastaError", "MetricRow", "Outcome",
    "OutputError", "RefineOutcome", "ReportResult", "RunBusy", "RunError", "RunReport", "RunStopped",
    "RunSummary", "StartedRun", "UnknownVerifier", "VerifierFailed", "VerifierInfo",
    "VerifierOptionsError", "VerifierOutcome", "VerifierVersion", "VerifyRequest",
    "VerifyResult", "begin_resume", "begin_verify", "check_request", "export", "export_rows",
    "figure", "list_runs", "refine", "report", "report_html", "report_summary", "resolve_run",
    "verifier_catalog", "verify",
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
            if values.get(field) and isinstance(values[field], str):
                try:
                    values[field] = str(Path(values[field]).expanduser().resolve())
                except (OSError, RuntimeError, ValueError) as exc:  # a NUL byte, a loop
                    raise VerifierOptionsError(f"verifier {name!r}: {field}: {exc}") from None
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


def check_request(settings: Settings, request: VerifyRequest
                  ) -> tuple[list[str], dict[str, BaseModel], TraceFilter]:
    """What ``request`` asks for, checked without the database: the verifier names, every
    named verifier's options (merged as the module docstring says) and the trace filter.
    Raises ``UnknownVerifier``, ``VerifierOptionsError`` or ``RunError`` (a bad filter)."""
    names = _verifier_names(request.verifiers)
    options = _verifier_options(settings, names, request.options)
    return names, options, TraceFilter.parse(request.traces)


class StartedRun:
    """A run this process has taken (created or resumed, marked ``running``) and not judged
    yet: :meth:`judge` judges it, :meth:`release` gives it up unjudged (it then resumes on the
    next request). It keeps its graph connection open until then."""

    def __init__(self, stack: ExitStack, graph: Graph, opened: engine.OpenRun):
        self._stack, self._graph, self._opened = stack, graph, opened
        self.key, self.resumed, self.traces = opened.run, opened.resumed, opened.traces
        self.verifiers: list[tuple[str, str]] = [
            (v.name, v.subject + "s") for v in opened.verifiers]
        """(name, unit) of each verifier, in the order they judge."""

    def judge(self, progress: Progress = no_progress,
              stop: Callable[[], bool] | None = None) -> VerifyResult:
        """Judge the run and close it; ``stop()`` is asked between batches (``RunStopped``
        when it says so). Raises ``VerifierFailed`` and the graph's errors; the run is
        released in every case."""
        try:
            try:
                done = engine.judge(self._graph, self._opened, progress=_per_verifier(progress),
                                    stop=stop)
            except BoltzRunError as exc:
                raise VerifierFailed(f"{exc}\nnothing of the failed batch was stored; fix the "
                                     "cause and run the same command again to resume") from exc
        finally:
            self._stack.close()
        return VerifyResult(
            run=done.run, resumed=done.resumed, traces=done.traces, seconds=done.seconds,
            counts=done.counts,
            verifiers=[VerifierOutcome(name=v.name, judged_now=v.subjects,
                                       already_done=v.already_done, verdicts=v.verdicts,
                                       counts=done.counts.get(v.name, {}), seconds=v.seconds,
                                       read_s=v.read_s, judge_s=v.judge_s, write_s=v.write_s)
                       for v in done.verifiers])

    def release(self) -> None:
        """Give the run up without judging it."""
        try:
            engine.release(self._opened)
        finally:
            self._stack.close()


def _begin(settings: Settings, names: list[str], options: dict[str, Any],
           trace_filter: TraceFilter, run_name: str | None, batch_size: int) -> StartedRun:
    stack = ExitStack()
    try:
        graph = stack.enter_context(open_graph(settings, schema=True))
        try:
            verifiers = engine.build_verifiers(graph, names, options=options)
        except OSError as exc:  # a file an option names (the FASTA)
            raise VerifierOptionsError(f"cannot read {exc.filename}: {exc.strerror}") from None
        opened = engine.open_run(graph, verifiers, trace_filter=trace_filter,
                                 run_name=run_name, batch_size=batch_size)
    except BaseException:
        stack.close()
        raise
    return StartedRun(stack, graph, opened)


def begin_verify(settings: Settings, request: VerifyRequest | None = None) -> StartedRun:
    """The first half of :func:`verify`: check the request, then create or resume its run and
    take it for this process, judging nothing yet (a face that judges in the background learns
    the run's key, or that a run of the same scope is running: ``RunBusy``, first). Raises
    what :func:`verify` raises before judging."""
    request = request or VerifyRequest()
    names, options, trace_filter = check_request(settings, request)
    return _begin(settings, names, options, trace_filter, request.run_name, request.batch_size)


def begin_resume(settings: Settings, run_ref: str) -> StartedRun:
    """Take an unfinished run (its key or ``"latest"``) to resume it with the verifiers,
    options, filter and batch size it was created with. ``RunError`` when it is complete or
    does not exist; ``RunBusy`` when a live process works on it."""
    with open_graph(settings) as graph:
        record = engine.get_run(graph, resolve_run(graph, run_ref))
    if record.get("status") == "complete":
        raise RunError(f"run {record['key']!r} is complete: nothing to resume")
    recorded = json.loads(record.get("verifiers_json") or "[]")
    names = [v["name"] for v in recorded]
    unknown = [n for n in names if n not in REGISTRY]
    if unknown:
        raise UnknownVerifier(f"run {record['key']!r} used verifier(s) no longer registered: "
                              f"{', '.join(unknown)}")
    options = {v["name"]: v.get("parameters") or {} for v in recorded}
    params = json.loads(record.get("filter_json") or "{}")
    trace_filter = TraceFilter(drug=params.get("drug"), cell_line=params.get("cell_line"),
                               traces=params.get("traces"))
    return _begin(settings, names, options, trace_filter, record["key"],
                  int(record.get("batch_size") or VerifyRequest.model_fields["batch_size"].default))


def verify(settings: Settings, request: VerifyRequest | None = None, *,
           progress: Progress = no_progress) -> VerifyResult:
    """Judge each distinct claim of the selected traces once per verifier and store the
    verdicts in a run; an unfinished run with the same settings (or the named one) resumes.
    Raises ``UnknownVerifier``, ``VerifierOptionsError``, ``FastaError``, ``RunError`` (bad
    filter, a name taken by another job: ``RunBusy``), ``VerifierFailed`` and the graph's
    errors (a lost connection: repeating the request resumes)."""
    return begin_verify(settings, request).judge(progress)


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

    @property
    def label(self) -> str:
        """``dti-kg v2 (world=open)``: name, version and the short options."""
        return verifier_label(self.name, self.version, self.parameters)


class ConstructorMetrics(BaseModel):
    """The run-level metrics of the traces of one constructor among a run's: ``kg`` (the
    knowledge graph only: the baseline), ``claude`` (a language model) or ``imported``
    (traces not generated by vctrace)."""

    constructor: str
    baseline: bool = Field(description="the knowledge-graph-only constructor")
    traces: int
    validity: float | None = None
    verifiability: float | None = None
    dti_score: float | None = None
    de_score: float | None = None


class RunReport(BaseModel):
    """What a run's report shows: the run, its verifiers, metrics and outcomes."""

    run: RunSummary
    verifiers: list[VerifierVersion]
    metrics: dict[str, float | int | None] = Field(description="the run-level metrics "
                                                   "(traces, validity, verifiability, …)")
    table: list[MetricRow] = Field(description="the metrics with labels and the paper's "
                                   "figures, in report order")
    outcomes: list[Outcome]
    by_constructor: list[ConstructorMetrics] = Field(
        [], description="the metrics per trace constructor, the kg baseline first")


class ReportResult(RunReport):
    """A run's report and where its JSON document and HTML page were written."""

    json_path: Path
    html_path: Path


def _report_of(data: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
    metrics, paper = data["metrics"], data["paper"]
    return dict(
        run=_run_summary(record),
        verifiers=[VerifierVersion(**v) for v in data["verifiers"]],
        metrics=metrics,
        table=[MetricRow(key=k, label=label, value=metrics.get(k), paper=paper.get(k))
               for k, label in LABELS.items()],
        outcomes=[Outcome(**o) for o in data["outcomes"]],
        by_constructor=[ConstructorMetrics.model_validate(g)
                        for g in data["by_constructor"]])


def _report_data(settings: Settings, run_ref: str) -> tuple[str, dict[str, Any], dict[str, Any]]:
    with open_graph(settings) as graph:
        run = resolve_run(graph, run_ref)
        return run, report_mod.build_report(graph, run), engine.get_run(graph, run)


def report(settings: Settings, run_ref: str = "latest",
           out_dir: Path = Path(".")) -> ReportResult:
    """Build the report of a run (its key or ``"latest"``) and write ``RUN.report.json`` and
    a self-contained ``RUN.report.html`` into ``out_dir`` (created if needed)."""
    run, data, record = _report_data(settings, run_ref)
    json_path, html_path = out_dir / f"{run}.report.json", out_dir / f"{run}.report.html"
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        report_mod.write_json(data, json_path)
        report_mod.write_html(data, html_path)
    except OSError as exc:
        raise OutputError(f"cannot write the report into {out_dir}: {exc.strerror}") from None
    return ReportResult(**_report_of(data, record), json_path=json_path, html_path=html_path)


def report_summary(settings: Settings, run_ref: str = "latest") -> RunReport:
    """The report of a run as data, writing nothing."""
    _, data, record = _report_data(settings, run_ref)
    return RunReport(**_report_of(data, record))


def report_html(settings: Settings, run_ref: str = "latest") -> str:
    """The self-contained HTML page of a run's report (what :func:`report` writes as
    ``RUN.report.html``), writing nothing."""
    _, data, _ = _report_data(settings, run_ref)
    return report_mod.html(data)


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


class ExportRows(BaseModel):
    """An export as rows (the run refined first): ``rows`` yields the VC-TRACES rows (plain
    dicts, ``explain_verified`` set) lazily, reading the graph as it goes."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    run: str
    include_discarded: bool
    refine: RefineOutcome
    rows: Any = Field(exclude=True, description="an iterator of VC-TRACES rows")


def export_rows(settings: Settings, run_ref: str, *, keep_refuted_bindings: bool = False,
                prune_unmeasured: bool = False, include_discarded: bool = False,
                batch_size: int = 1000) -> ExportRows:
    """What :func:`export` writes, without a file: the run is refined now (errors are raised
    here), its rows are produced as ``rows`` is iterated (``batch_size`` traces per read)."""
    policy = refine_mod.Policy.from_flags(keep_refuted_bindings=keep_refuted_bindings,
                                          prune_unmeasured=prune_unmeasured)
    with open_graph(settings, schema=True) as graph:
        run = resolve_run(graph, run_ref)
        refined = _refine(graph, run, policy)

    def rows() -> Iterator[dict[str, Any]]:
        with open_graph(settings) as graph:
            for trace in refine_mod.export_traces(graph, run, policy, batch_size=batch_size,
                                                  include_discarded=include_discarded):
                yield to_vc_traces_row(trace)

    return ExportRows(run=run, include_discarded=include_discarded, refine=refined,
                      rows=rows())
