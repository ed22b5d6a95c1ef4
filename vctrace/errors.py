"""The errors a user can act on. Every layer raises subclasses of :class:`VctraceError` with a
message that says what is wrong and where (file, record, run…); the faces show the message and
map ``kind`` to their own convention (the CLI's exit status, an HTTP status):

- ``"invalid"``: the request was understood but what it names is invalid or absent (a trace
  that does not resolve, a refused query) — exit status 1;
- ``"unusable"``: a file, an option or the database cannot be used at all — exit status 2;
- ``"busy"``: the request is refused for now because the server is busy; the same request
  may succeed later — exit status 2 (HTTP 503 with ``Retry-After``).

Refinements the HTTP service maps to their own statuses: :class:`NotFound` (an ``invalid``
error: 404), :class:`Conflict` (a ``busy`` error: 409) and :class:`DatabaseUnavailable` (an
``unusable`` error: 503).

Anything else escaping a use case is a bug, and is reported as one.
"""

from __future__ import annotations


class VctraceError(Exception):
    """Base class of the errors users see (see the module docstring)."""

    kind: str = "unusable"


class InvalidRequest(VctraceError):
    """What was asked for names something invalid or absent."""

    kind = "invalid"


class NotFound(InvalidRequest):
    """What the request names (a trace, claim, run, query) does not exist."""


class Busy(VctraceError):
    """Refused for now: the server is busy; try again later."""

    kind = "busy"


class Conflict(Busy):
    """The request collides with work in progress (e.g. a run over the same scope)."""


class DatabaseUnavailable(VctraceError):
    """The database cannot be reached or the connection was lost (nothing is wrong with the
    request itself)."""
