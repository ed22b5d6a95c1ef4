"""The trace viewer: HTML pages and static files under ``/viewer``, served without a token.

They hold no data: the pages' scripts ask the API for it with the token the user pastes into the
sign-in box (kept in the tab's ``sessionStorage`` and sent as ``Authorization: Bearer``).

- ``/viewer``                 sign-in, trace search (filters, pages) and the runs
- ``/viewer/traces/{key}``    a trace's DAG coloured by its verdicts; a click opens the audit
                              of the action; a refined version beside its original
- ``/viewer/runs/{key}``      a run's status and metrics and its HTML report
- ``/viewer/static/{path}``   the pages' scripts, stylesheet and vendored libraries

Every response carries a strict Content-Security-Policy: scripts only from this service (no
inline script, no eval), data only from this service, no plugins, no framing by others.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse, RedirectResponse

STATIC = Path(__file__).resolve().parent.parent / "static"

_POLICY = {
    "default-src": "'none'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "connect-src": "'self'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def content_security_policy(*, inline_styles: bool = False) -> str:
    """The viewer's policy. ``inline_styles`` is for the run page only: its report is shown
    in an ``<iframe srcdoc>``, and a srcdoc document inherits the embedding page's policy; the
    report is a self-contained page whose look comes from one inline ``<style>`` element (its
    plots are inline SVG with presentation attributes, which no policy governs). So that page
    allows inline *styles* — never scripts: ``script-src`` stays ``'self'``, and the iframe is
    sandboxed without ``allow-scripts``, so the report runs nothing, in an opaque origin. A
    hash of the style block would be tighter, but the report's template belongs to another
    layer and may change; styles cannot run code."""
    policy = dict(_POLICY)
    if inline_styles:
        policy["style-src"] = "'self' 'unsafe-inline'"
    return "; ".join(f"{name} {value}" for name, value in policy.items())


def _headers(*, inline_styles: bool = False, cache: str = "no-cache") -> dict[str, str]:
    return {"Content-Security-Policy": content_security_policy(inline_styles=inline_styles),
            "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
            "Referrer-Policy": "no-referrer", "Cache-Control": cache}


_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
          ".css": "text/css; charset=utf-8", ".png": "image/png", ".svg": "image/svg+xml",
          ".md": "text/plain; charset=utf-8", ".txt": "text/plain; charset=utf-8"}

router = APIRouter(prefix="/viewer", tags=["viewer"], include_in_schema=False)


def _page(name: str, *, inline_styles: bool = False) -> FileResponse:
    return FileResponse(STATIC / name, media_type=_TYPES[".html"],
                        headers=_headers(inline_styles=inline_styles))


@router.get("")
def index():
    """Sign-in, trace search and runs."""
    return _page("index.html")


@router.get("/", include_in_schema=False)
def index_slash():
    return RedirectResponse("/viewer", status_code=308)


@router.get("/traces/{key}")
def trace_page(key: str):
    """A trace (its key is read by the page's script from the address)."""
    return _page("trace.html")


@router.get("/runs/{key}")
def run_page(key: str):
    """A run and its report (the one page that allows inline styles, for the report)."""
    return _page("run.html", inline_styles=True)


@router.get("/static/{path:path}")
def static(path: str):
    """A file of the viewer (pages' scripts, stylesheet, vendored libraries and licences);
    nothing outside the static folder, no folder listings."""
    target = (STATIC / path).resolve()
    if not target.is_relative_to(STATIC) or not target.is_file() or target.name.startswith("."):
        raise HTTPException(404, f"no viewer file {path!r}")
    media_type = _TYPES.get(target.suffix, "text/plain; charset=utf-8")
    return FileResponse(target, media_type=media_type,
                        headers=_headers(cache="public, max-age=300"))
