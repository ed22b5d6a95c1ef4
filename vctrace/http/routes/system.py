"""Health, metrics and the loaded knowledge sources."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel

from ...app import VctraceError, database, knowledge
from ..auth import Reader
from ..context import AppSettings
from ..problems import responses

router = APIRouter(tags=["system"])


class Health(BaseModel):
    status: str
    database: str
    detail: str | None = None


@router.get("/health", response_model=Health, responses={503: {"model": Health}})
def health(settings: AppSettings):
    """Whether the service can reach its database (no token needed; says nothing else)."""
    try:
        database.ping(settings)
    except VctraceError as exc:
        return JSONResponse(Health(status="unavailable", database="unreachable",
                                   detail=str(exc)).model_dump(), status_code=503)
    return Health(status="ok", database="reachable")


@router.get("/metrics", response_class=Response, responses={
    200: {"content": {"text/plain": {"schema": {"type": "string"}}}}, **responses(401)})
def metrics(request: Request, _: Reader):
    """Prometheus metrics of this service (text exposition format)."""
    return Response(generate_latest(request.app.state.metrics.registry),
                    media_type=CONTENT_TYPE_LATEST)


@router.get("/sources", response_model=list[knowledge.SourceReleaseInfo],
            responses=responses(401, 503))
def sources(settings: AppSettings, _: Reader):
    """What has been loaded: one entry per source release."""
    return knowledge.sources(settings)
