"""Progress reporting for long work, as a small callback protocol: the layers below the faces
call ``progress(task, total, unit)`` and get back a bar to ``update(n)`` and ``close()``. The
CLI passes one that draws rich progress bars on stderr, the HTTP service one that streams
events; the default draws nothing."""

from __future__ import annotations

from typing import Protocol


class Bar(Protocol):
    def update(self, n: int = 1) -> None: ...

    def close(self) -> None: ...


class Progress(Protocol):
    def __call__(self, task: str, total: int | None = None, unit: str = "items") -> Bar: ...


class _NoBar:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def no_progress(task: str, total: int | None = None, unit: str = "items") -> Bar:
    """The default: report nothing."""
    return _NoBar()
