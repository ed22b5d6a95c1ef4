"""Verification runs: start one in the background, follow it (state, server-sent events),
read its report, refine it, export it, resume it after a restart (see
:mod:`vctrace.app.jobs` for the states and the restart decision)."""

from __future__ import annotations

import json
import threading
from copy import copy
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Body, Path, Query, Request, Response
from fastapi.responses import HTMLResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, create_model
from sse_starlette import EventSourceResponse

from ...app import jobs, verification
from ..auth import Reader, Writer
from ..context import AppSettings
from ..problems import responses

router = APIRouter(tags=["runs"])

RunRef = Annotated[str, Path(min_length=1, max_length=200,
                             description="a run key, or `latest` (the newest run)")]
_jobs_lock = threading.Lock()


def _jobs(request: Request) -> jobs.Jobs:
    """The service's jobs, made on first use (their threads are stopped at shutdown)."""
    state = request.app.state
    with _jobs_lock:
        if getattr(state, "jobs", None) is None:
            state.jobs = jobs.Jobs(state.settings)
            state.on_shutdown.append(state.jobs.shutdown)
        return state.jobs


def _options_model(info: verification.VerifierInfo) -> type[BaseModel]:
    """A verifier's options as a request gives them: its ``Options`` fields (constraints
    kept) but every one optional, without those naming server files or programs."""
    fields: dict[str, Any] = {}
    for name, field in info.options.model_fields.items():
        if name in jobs.SERVER_OPTIONS:
            continue
        optional = copy(field)
        optional.default, optional.default_factory = None, None
        fields[name] = (field.annotation, optional)
    title = "".join(part.title() for part in info.name.split("-")) + "Options"
    return create_model(title, __config__=ConfigDict(extra="forbid"), **fields)


CATALOG = verification.verifier_catalog()
VerifierName = Literal[tuple(v.name for v in CATALOG)]  # type: ignore[valid-type]
VerifierOptions = create_model(
    "VerifierOptions", __config__=ConfigDict(extra="forbid", populate_by_name=True),
    **{v.name.replace("-", "_"): (_options_model(v) | None,
                                  Field(None, alias=v.name, description=v.description))
       for v in CATALOG})
# what TraceFilter.parse takes: FIELD=VALUE, the value not blank
FILTER_PATTERN = r"^\s*(drug|cell[_-]line|traces?)\s*=.*\S.*$"


class RunRequest(BaseModel):
    """What to verify, as ``vctrace verify`` takes it; every field is optional (the default
    verifiers on every trace)."""

    model_config = ConfigDict(extra="forbid")

    verifiers: list[VerifierName] | Literal["all"] | None = Field(
        None, max_length=32, description="verifier names; none or empty: the defaults; "
        "'all': every one")
    traces: list[Annotated[str, StringConstraints(max_length=10_000,
                                                  pattern=FILTER_PATTERN)]] = Field(
        [], max_length=100, description="trace filter items, ANDed: drug=NAME, "
        "cell_line=NAME, trace=KEY_OR_ID[,…]; none: every trace")
    run_name: Annotated[str, StringConstraints(min_length=1, max_length=200,
                                               pattern=r"^[^\x00-\x1f\x7f/]+$")] | None = Field(
        None, description="name of the run; none: resume the unfinished run with the same "
        "settings, else a new one")
    batch_size: int = Field(verification.VerifyRequest.model_fields["batch_size"].default,
                            ge=1, le=1_000_000, description="claims per batch")
    options: VerifierOptions = Field(  # type: ignore[valid-type]
        default_factory=VerifierOptions, description="per-verifier options, "
        "{verifier: {field: value}} (`vctrace verify --help` lists them; those naming server "
        "files or programs are set in the service's environment)")

    def verify_request(self) -> verification.VerifyRequest:
        """The use case's request (only the options given)."""
        options = self.options.model_dump(by_alias=True, exclude_unset=True, exclude_none=True)
        return verification.VerifyRequest(
            verifiers=self.verifiers, traces=self.traces, run_name=self.run_name,
            batch_size=self.batch_size, options={k: v for k, v in options.items()})


class RefineRequest(BaseModel):
    """The policy's two choices (as ``vctrace refine``'s flags)."""

    model_config = ConfigDict(extra="forbid")

    keep_refuted_bindings: bool = False
    prune_unmeasured: bool = False


def _accepted(response: Response, state: jobs.RunState) -> jobs.RunState:
    # relative and percent-encoded: a run name may hold characters a header cannot
    response.headers["Location"] = f"/runs/{quote(state.key, safe='')}"
    return state


@router.post("/runs", status_code=202, response_model=jobs.RunState,
             responses=responses(400, 401, 403, 409, 413, 422, 503))
def start_run(request: Request, response: Response, _: Writer,
              body: Annotated[RunRequest | None, Body()] = None):
    """Start (or resume) a verification run in the background: 202 with its state and its
    address in ``Location``. 409 when a run over the same traces and verifiers is running;
    422 for unknown verifiers, bad options or filter (nothing is started)."""
    return _accepted(response, _jobs(request).start((body or RunRequest()).verify_request()))


@router.get("/runs", response_model=list[jobs.RunState], responses=responses(401, 503))
def list_runs(request: Request, _: Reader):
    """Every run, newest first, with its state."""
    return _jobs(request).states()


@router.get("/runs/{ref}", name="get_run", response_model=jobs.RunState,
            responses=responses(401, 404, 503))
def get_run(request: Request, ref: RunRef, _: Reader):
    """A run's state: running, finished (with its metrics), failed (with the error) or
    interrupted (resume it with ``POST /runs/{ref}/resume``)."""
    return _jobs(request).state(ref)


@router.get("/runs/{ref}/events", response_class=EventSourceResponse, responses={
    200: {"description": "server-sent events: `progress` {verifier, done, total}, then one "
          "final event named by the run's status with its state",
          "content": {"text/event-stream": {"schema": {"type": "string"}}}},
    **responses(401, 404, 503)})
def run_events(request: Request, ref: RunRef, _: Reader):
    """Follow a run: progress events while this service judges it, then its final state; a
    run not judged here gets its current state once. The stream then ends."""
    runs = _jobs(request)
    key = runs.resolve(ref)

    async def stream():
        async for event in runs.events(key):
            yield {"event": event.event, "data": json.dumps(event.data)}

    return EventSourceResponse(stream())


@router.get("/runs/{ref}/report", response_class=HTMLResponse, responses={
    200: {"content": {"text/html": {"schema": {"type": "string"}}}},
    **responses(401, 404, 503)})
def run_report(settings: AppSettings, ref: RunRef, _: Reader):
    """The run's self-contained report page (the one ``vctrace report`` writes)."""
    return HTMLResponse(jobs.report_html(settings, ref))


@router.post("/runs/{ref}/refine", response_model=verification.RefineOutcome,
             responses=responses(400, 401, 403, 404, 409, 413, 422, 503))
def refine_run(settings: AppSettings, ref: RunRef, _: Writer,
               body: Annotated[RefineRequest | None, Body()] = None):
    """Apply the policy to a finished run's traces (idempotent): discard those with a refuted
    drug-target binding, prune refuted genes into new versions. 409 while it is unfinished."""
    choice = body or RefineRequest()
    return jobs.refine(settings, ref, keep_refuted_bindings=choice.keep_refuted_bindings,
                       prune_unmeasured=choice.prune_unmeasured)


@router.get("/runs/{ref}/export", response_class=StreamingResponse, responses={
    200: {"description": "VC-TRACES rows with `explain_verified`, one JSON object a line",
          "content": {"application/x-ndjson": {"schema": {"type": "string"}}}},
    **responses(400, 401, 403, 404, 409, 422, 503)})
def export_run(settings: AppSettings, ref: RunRef, _: Writer,
               keep_refuted_bindings: bool = Query(False),
               prune_unmeasured: bool = Query(False),
               include_discarded: bool = Query(False, description="also the discarded "
                                               "traces, with `explain_verified` empty")):
    """The finished run's traces as VC-TRACES rows, as ``vctrace export`` writes them. The run
    is refined under the policy first, as ``vctrace export`` does (idempotent, but it stores
    the refined versions: hence a write token)."""
    exported = jobs.export_rows(settings, ref, keep_refuted_bindings=keep_refuted_bindings,
                                prune_unmeasured=prune_unmeasured,
                                include_discarded=include_discarded)

    def lines():
        for row in exported.rows:
            yield json.dumps(row, ensure_ascii=False) + "\n"

    return StreamingResponse(lines(), media_type="application/x-ndjson")


@router.post("/runs/{ref}/resume", status_code=202, response_model=jobs.RunState,
             responses=responses(400, 401, 403, 404, 409, 503))
def resume_run(request: Request, response: Response, ref: RunRef, _: Writer):
    """Resume an interrupted or failed run with the options it was created with (after a
    restart the service resumes nothing by itself). 409 when it is running or finished."""
    return _accepted(response, _jobs(request).resume(ref))
