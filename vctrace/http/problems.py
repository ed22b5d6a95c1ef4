"""Errors as ``application/problem+json`` (RFC 9457): a ``type``, ``title``, ``status`` and a
``detail`` written for the user, never a stack trace. Use-case errors map by class and ``kind``
(:mod:`vctrace.errors`); anything else is a 500 whose detail only names an incident id that
the service log carries with the traceback."""

from __future__ import annotations

import logging
import secrets

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from ..app import Busy, Conflict, DatabaseUnavailable, NotFound, VctraceError

log = logging.getLogger("vctrace.http")

MEDIA_TYPE = "application/problem+json"
RETRY_AFTER_S = 5


class Problem(BaseModel):
    """An error response (RFC 9457)."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    errors: list[dict] | None = None


def _content(status: int) -> dict:
    return {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}


def responses(*statuses: int) -> dict[int | str, dict]:
    """OpenAPI ``responses`` entries for the problem statuses a route may answer."""
    titles = {400: "Bad request", 401: "Not authenticated", 403: "Forbidden",
              404: "Not found", 409: "Conflict", 413: "Request body too large",
              422: "Invalid request", 503: "Service unavailable"}
    return {status: {"description": titles.get(status, "Error"), "model": Problem,
                     "content": _content(status)} for status in statuses}


def problem(status: int, title: str, detail: str | None = None, *,
            headers: dict[str, str] | None = None, errors: list[dict] | None = None
            ) -> JSONResponse:
    body = Problem(title=title, status=status, detail=detail, errors=errors)
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status,
                        media_type=MEDIA_TYPE, headers=headers)


def status_of(exc: VctraceError) -> int:
    """The HTTP status of a use-case error."""
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, Conflict):
        return 409
    if isinstance(exc, (Busy, DatabaseUnavailable)):
        return 503
    return 422 if exc.kind == "invalid" else 400


_TITLES = {400: "Bad request", 404: "Not found", 409: "Conflict", 422: "Invalid request",
           503: "Service unavailable"}


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into a problem response."""

    @app.exception_handler(VctraceError)
    async def use_case_error(request: Request, exc: VctraceError):
        status = status_of(exc)
        headers = {"Retry-After": str(RETRY_AFTER_S)} if status == 503 else None
        return problem(status, _TITLES[status], str(exc), headers=headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        errors = [{"loc": list(map(str, e.get("loc", ()))), "msg": e.get("msg", "")}
                  for e in exc.errors()]
        where = "; ".join(f"{'.'.join(e['loc'])}: {e['msg']}" for e in errors[:5])
        return problem(422, "Invalid request", where, errors=errors)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        return problem(exc.status_code, _TITLES.get(exc.status_code, "Error"),
                       str(exc.detail) if exc.detail else None, headers=exc.headers)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception):
        incident = secrets.token_hex(6)
        log.error("incident %s on %s %s", incident, request.method, request.url.path,
                  exc_info=exc)
        return problem(500, "Internal error", f"an unexpected error (incident {incident}); "
                       "the service log has the details")
