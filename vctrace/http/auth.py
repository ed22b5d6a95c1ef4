"""Bearer tokens on every route but ``/health`` (and the viewer's static files, which hold no
data): ``Authorization: Bearer vct_…``. No or an unknown/revoked token: 401 with
``WWW-Authenticate: Bearer``; a read token on a route that changes the graph (ingest, start or
resume a run, refine, export — which refines first): 403. Tokens are managed with ``vctrace token`` (:mod:`vctrace.app.tokens`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ..app.tokens import Role

_bearer = HTTPBearer(auto_error=False, description="a vctrace API token "
                     "(`vctrace token create --role read|write`)")
_CHALLENGE = {"WWW-Authenticate": "Bearer"}


def _role(request: Request,
          credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> Role:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(401, "a bearer token is required (Authorization: Bearer vct_…)",
                            headers=_CHALLENGE)
    role = request.app.state.tokens.role(credentials.credentials)
    if role is None:
        raise HTTPException(401, "the token is unknown or revoked", headers=_CHALLENGE)
    return role


def _writer(role: Role = Depends(_role)) -> Role:
    if role != "write":
        raise HTTPException(403, "this route changes the graph: it needs a write token")
    return role


Reader = Annotated[Role, Depends(_role)]
"""A route parameter that requires any valid token."""

Writer = Annotated[Role, Depends(_writer)]
"""A route parameter that requires a write token."""
