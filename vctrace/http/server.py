"""Running the service under uvicorn."""

from __future__ import annotations

import ipaddress

import uvicorn

from ..app import Settings
from .app import create_app


def is_loopback(host: str) -> bool:
    """Whether ``host`` only listens on this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def run(settings: Settings) -> None:
    """Serve until interrupted (uvicorn handles SIGINT/SIGTERM: in-flight requests finish)."""
    uvicorn.run(create_app(settings), host=settings.http_host, port=settings.http_port,
                log_level="info", proxy_headers=False, server_header=False)
