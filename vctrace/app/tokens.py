"""API tokens of the HTTP service: create, list, revoke, authenticate.

A token is ``vct_<id>_<secret>``: ``id`` (12 hex digits) names it in lists and logs, the secret
(32 random bytes, URL-safe base64) is shown once, when it is created, and never stored: the
token file keeps its SHA-256 (a fast hash is enough for a 256-bit random secret, which cannot
be guessed or searched; a password would need a slow hash). Roles: ``read`` (reads, queries,
audit, reports) and ``write`` (also ingest, verify, refine, load).

Decision: tokens live in a file (``Settings.token_path``, default ``$VCTRACE_HOME/tokens.json``,
mode 600, its folder 700), not in Neo4j — read-token holders may run ad-hoc read queries over
the whole graph, and the service must authenticate (and answer 503 rather than 401) while the
database is down. The file is rewritten atomically under a lock, and re-read when it changes,
so ``vctrace token revoke`` takes effect on a running service within one request.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import hmac
import json
import os
import secrets
import tempfile
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator, Literal

from pydantic import BaseModel, Field

from ..errors import InvalidRequest, NotFound, VctraceError
from ..settings import Settings

Role = Literal["read", "write"]
ROLES: tuple[Role, ...] = ("read", "write")
PREFIX = "vct_"


class TokenFileError(VctraceError):
    """The token file cannot be read or written, or is not private to its owner."""


class TokenInfo(BaseModel):
    """A token as listed: never its secret or hash."""

    id: str
    name: str
    role: Role
    created_at: str
    revoked_at: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class CreatedToken(BaseModel):
    """A new token: ``token`` is the only time the secret is shown."""

    info: TokenInfo
    token: str = Field(repr=False)


class _Stored(TokenInfo):
    sha256: str


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _read(path: Path) -> list[_Stored]:
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        return []
    if mode & 0o077:
        raise TokenFileError(f"{path} is readable by others (mode {mode:o}); "
                             f"run: chmod 600 {path}")
    try:
        return [_Stored(**row) for row in json.loads(path.read_text())["tokens"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise TokenFileError(f"{path}: not a vctrace token file ({exc})") from exc


def _write(path: Path, tokens: list[_Stored]) -> None:
    data = json.dumps({"tokens": [t.model_dump() for t in tokens]}, indent=1)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tokens.")
    try:
        with os.fdopen(handle, "w") as out:  # mkstemp creates it with mode 600
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def create(settings: Settings, role: Role, name: str | None = None) -> CreatedToken:
    """A new token with ``role``; the result carries the secret (shown once)."""
    if role not in ROLES:
        raise InvalidRequest(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    if name is not None and (not name.strip() or len(name) > 200 or not name.isprintable()):
        raise InvalidRequest("a token name is 1 to 200 printable characters")
    token_id = secrets.token_hex(6)
    secret = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")
    stored = _Stored(id=token_id, name=(name or f"{role}-{token_id}").strip(), role=role,
                     created_at=_now(), sha256=_digest(secret))
    path = settings.token_path
    with _locked(path):
        _write(path, _read(path) + [stored])
    return CreatedToken(info=TokenInfo(**stored.model_dump(exclude={"sha256"})),
                        token=f"{PREFIX}{token_id}_{secret}")


def list_tokens(settings: Settings) -> list[TokenInfo]:
    """Every token, revoked ones included, oldest first."""
    return [TokenInfo(**t.model_dump(exclude={"sha256"})) for t in _read(settings.token_path)]


def revoke(settings: Settings, ref: str) -> TokenInfo:
    """Revoke the token with id (or unique name) ``ref``; revoking twice is harmless."""
    path = settings.token_path
    with _locked(path):
        tokens = _read(path)
        matches = [t for t in tokens if ref in (t.id, t.name)]
        if len(matches) != 1:
            raise NotFound(f"no token with id or name {ref!r}" if not matches else
                           f"{len(matches)} tokens are named {ref!r}; give the id")
        token = matches[0]
        token.revoked_at = token.revoked_at or _now()
        _write(path, tokens)
    return TokenInfo(**token.model_dump(exclude={"sha256"}))


class TokenVerifier:
    """Checks presented tokens against the token file, re-reading it when it changes."""

    def __init__(self, settings: Settings):
        self.path = settings.token_path
        self._stamp: tuple[int, int] | None = None
        self._by_id: dict[str, _Stored] = {}

    def _refresh(self) -> None:
        try:
            info = self.path.stat()
            stamp = (info.st_mtime_ns, info.st_ino)
        except FileNotFoundError:
            stamp = None
        if stamp != self._stamp:
            self._by_id = {t.id: t for t in _read(self.path)}
            self._stamp = stamp

    def role(self, presented: str) -> Role | None:
        """The role of an active token, or ``None`` for anything else (unknown, revoked,
        malformed), in time independent of how much of the secret matched."""
        self._refresh()
        body = presented.removeprefix(PREFIX)
        token_id, _, secret = body.partition("_")
        stored = self._by_id.get(token_id)
        if stored is None or not presented.startswith(PREFIX):
            hmac.compare_digest(_digest(secret), "0" * 64)  # same work for unknown ids
            return None
        if not hmac.compare_digest(_digest(secret), stored.sha256) or stored.revoked_at:
            return None
        return stored.role

    def count(self) -> int:
        """Active tokens."""
        self._refresh()
        return sum(1 for t in self._by_id.values() if t.revoked_at is None)
