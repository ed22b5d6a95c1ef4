"""What a route gets from the application: its settings."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ..app import Settings


def _settings(request: Request) -> Settings:
    return request.app.state.settings


AppSettings = Annotated[Settings, Depends(_settings)]
"""A route parameter: the service's :class:`~vctrace.settings.Settings`."""
