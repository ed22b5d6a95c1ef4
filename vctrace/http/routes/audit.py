"""Audit: where a claim or a trace came from and what judged it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse

from ...app import audit as audit_case
from ..auth import Reader
from ..context import AppSettings
from ..problems import responses

router = APIRouter(tags=["audit"])


@router.get("/audit/{ref}", response_model=audit_case.AuditResult,
            responses=responses(401, 404, 503))
def audit(settings: AppSettings, _: Reader,
          ref: Annotated[str, Path(min_length=1, max_length=500,
                                   description="a claim key (c-…), trace key or trace id")],
          run: Annotated[str | None, Query(min_length=1, max_length=300, description=
                                           "only this run's verdicts (a key or `latest`)")
                         ] = None):
    """The provenance of a claim, or of every claim of a trace: the traces and input records
    asserting it, every verdict with its evidence, the runs and the source releases they
    used — the document `vctrace audit --format json` prints. For a generated trace,
    `generation` says how (constructor, version, model, the generation run and its cost) and
    lists every evidence item the generator saw (id, source, source_id, text, whether the
    report cites it, the actions it supports); in a claim's audit, each asserting action's
    `generation` lists the items supporting that action first."""
    return JSONResponse(audit_case.audit_document(settings, ref, run))
