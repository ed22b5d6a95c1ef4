"""The application factory: ``create_app(settings)`` builds the service — security and limits
first, then every router of :mod:`vctrace.http.routes`."""

from __future__ import annotations

import importlib
import pkgutil
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_swagger_ui_html

from .. import __version__
from ..app import Settings
from ..app.graph_session import shared_connections
from ..app.tokens import TokenVerifier
from . import problems, routes
from .limits import BodyLimit
from .metrics import MetricsMiddleware, ServiceMetrics

DESCRIPTION = """Verify mechanistic explanations (traces) of how drugs act on cells against a
Neo4j knowledge graph. Every route but `/health` needs `Authorization: Bearer <token>`
(`vctrace token create`); routes that change the graph need a write token. Errors are
`application/problem+json`."""


VENDOR = "/viewer/static/vendor/swagger-ui"


def _routers():
    for module in sorted(m.name for m in pkgutil.iter_modules(routes.__path__)):
        if not module.startswith("_"):
            yield importlib.import_module(f"{routes.__name__}.{module}").router


def create_app(settings: Settings) -> FastAPI:
    """The service for ``settings`` (the database is connected on first use, through one
    shared driver for the app's life)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        with shared_connections(settings):
            yield
            for hook in app.state.on_shutdown:  # jobs stop between batches, connected
                hook()

    app = FastAPI(title="vctrace", version=__version__, description=DESCRIPTION,
                  lifespan=lifespan, docs_url=None, redoc_url=None,
                  responses=problems.responses(401, 422))

    @app.get("/docs", include_in_schema=False)
    def docs():
        """The API documentation (Swagger UI, served from the vendored files: no CDN)."""
        return get_swagger_ui_html(openapi_url="/openapi.json", title="vctrace API",
                                   swagger_js_url=f"{VENDOR}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{VENDOR}/swagger-ui.css",
                                   swagger_favicon_url="/viewer/static/favicon.svg")
    app.state.settings = settings
    app.state.tokens = TokenVerifier(settings)
    app.state.metrics = ServiceMetrics()
    app.state.on_shutdown = []
    problems.install(app)
    for router in _routers():
        app.include_router(router)
    if settings.http_cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.http_cors_origins,
                           allow_methods=["GET", "POST"],
                           allow_headers=["Authorization", "Content-Type"])
    app.add_middleware(BodyLimit, max_bytes=int(settings.http_max_body_mb * 1024 * 1024))
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    return app
