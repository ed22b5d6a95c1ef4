"""Traces: validate and ingest request bodies, list and show stored traces, show a claim."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from ...app import audit, traces
from ..auth import Reader, Writer
from ..context import AppSettings
from ..problems import responses

router = APIRouter(tags=["traces"])

#: Media types of a trace body and the format each is read as.
MEDIA_FORMATS: dict[str, traces.BodyFormat] = {
    "application/json": "json",
    "application/x-ndjson": "jsonl", "application/jsonl": "jsonl",
    "application/ndjson": "jsonl", "application/x-jsonlines": "jsonl",
    "text/plain": "text",
}
_TEXT = {"schema": {"type": "string"}}
_RECORD = {"type": "object", "description": "a trace in the JSON form, or a VC-TRACES row"}
_NOT_BLANK = {"schema": {"type": "string", "minLength": 1, "pattern": "\\S"}}
BODY_DOC = {"requestBody": {
    "required": True,
    "description": "traces: one JSON-form trace or VC-TRACES row, or a JSON array of them "
                   "(application/json); one record per line (application/x-ndjson, "
                   "application/jsonl); the explain + dag text of one trace (text/plain)",
    "content": {"application/json": {"schema": {"anyOf": [
                    _RECORD, {"type": "array", "items": _RECORD, "minItems": 1}]}},
                **{media: _NOT_BLANK for media, fmt in MEDIA_FORMATS.items() if fmt != "json"}},
}}


def _media_format(request: Request) -> traces.BodyFormat:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in MEDIA_FORMATS:
        raise HTTPException(415, f"unsupported media type {media or '(none)'!r}; send one of "
                                 f"{', '.join(MEDIA_FORMATS)}")
    return MEDIA_FORMATS[media]


async def _body(request: Request, fmt: traces.BodyFormat = Depends(_media_format)
                ) -> tuple[traces.BodyFormat, bytes]:
    return fmt, await request.body()


TraceBody = Annotated[tuple[traces.BodyFormat, bytes], Depends(_body)]


@router.post("/validate", response_model=traces.BodyReport, openapi_extra=BODY_DOC,
             responses=responses(401, 413, 415, 422))
def validate(_: Reader, body: TraceBody):
    """Parse and validate the traces of the body (nothing is stored): per record its key
    (valid ones), its findings (error, warning, info, with field and line), and totals. 422
    when the body holds no readable record (empty, not UTF-8/UTF-16 text, not JSON)."""
    fmt, data = body
    return traces.validate_body(data, fmt)


@router.post("/traces", response_model=traces.BodyIngest, openapi_extra=BODY_DOC,
             responses=responses(401, 403, 413, 415, 422, 503))
def ingest(settings: AppSettings, _: Writer, body: TraceBody):
    """Store the valid traces of the body (as `vctrace ingest` stores a file's) and say per
    record what became of it: `written`, `existing` (already stored, same key), `invalid`
    (never written, with its findings) or `failed` (valid, refused by Neo4j, with the
    reason). Needs a write token."""
    fmt, data = body
    return traces.ingest_body(settings, data, fmt)


@router.get("/traces", response_model=traces.TracePage, responses=responses(401, 404, 503))
def list_traces(
        settings: AppSettings, _: Reader,
        drug: Annotated[str | None, Query(min_length=1, max_length=500,
                                          description="the drug (any case)")] = None,
        cell_line: Annotated[str | None, Query(min_length=1, max_length=500,
                                               description="the cell line (any case)")] = None,
        primitive: Annotated[str | None, Query(min_length=1, max_length=100,
                                               description="a primitive of an action")] = None,
        entity: Annotated[str | None, Query(
            min_length=1, max_length=500,
            description="a mention's text, or the key of an entity a mention grounds to")] = None,
        run: Annotated[str | None, Query(min_length=1, max_length=300,
                                         description="a run key or `latest`")] = None,
        status: Annotated[traces.VerdictStatus | None, Query(
            description="a verdict of this status on a claim (in `run`, or in any run)")] = None,
        limit: Annotated[int, Query(ge=1, le=1_000_000, description=
                                    "items per page (lowered to the service's row cap)")] = 50,
        offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0):
    """Stored traces matching every filter given, a page at a time, by key."""
    return traces.list_traces(settings, drug=drug, cell_line=cell_line, primitive=primitive,
                              entity=entity, run=run, status=status,
                              limit=min(limit, settings.http_row_limit), offset=offset)


@router.get("/traces/{ref}", response_model=None, responses={
    200: {"description": "the trace: its JSON form with `trace_key` (json), explain + dag "
                         "text (text) or a Graphviz picture (dot)",
          "content": {"application/json": {"schema": {"type": "object"}},
                      "text/plain": _TEXT, "text/vnd.graphviz": _TEXT}},
    **responses(401, 404, 422, 503)})
def show(settings: AppSettings, _: Reader,
         ref: Annotated[str, Path(min_length=1, max_length=500,
                                  description="a trace key, key prefix or trace_id")],
         fmt: Annotated[Literal["json", "text", "dot"], Query(alias="format")] = "json"):
    """A stored trace by key, key prefix or trace id. 404 when none matches, 422 when several
    do."""
    shown = traces.show(settings, ref)
    if fmt == "json":
        return JSONResponse(traces.trace_json_form(shown))
    if fmt == "dot":
        return PlainTextResponse(traces.render_trace(shown, "dot"),
                                 media_type="text/vnd.graphviz")
    return PlainTextResponse(traces.render_trace(shown, "text"))


@router.get("/claims/{key}", response_model=audit.ClaimView,
            responses=responses(401, 404, 503))
def claim(settings: AppSettings, _: Reader,
          key: Annotated[str, Path(min_length=1, max_length=200, description="c-…")]):
    """A stored claim: its primitive, arguments and context, its mentions with the entities
    they ground to, the actions (traces) asserting it and every verdict on it."""
    return audit.claim(settings, key)
