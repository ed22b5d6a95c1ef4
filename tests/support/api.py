"""A client of the HTTP service (the real FastAPI app in process, its lifespan run) against the
session's real Neo4j, with one read and one write token in a private token file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fastapi.testclient import TestClient

from vctrace.app import tokens
from vctrace.http.app import create_app
from vctrace.settings import Settings


@dataclass
class Api:
    client: TestClient
    settings: Settings
    read_token: str
    write_token: str

    def headers(self, role: str = "read") -> dict[str, str]:
        token = self.read_token if role == "read" else self.write_token
        return {"Authorization": f"Bearer {token}"}

    def get(self, path: str, role: str = "read", **kwargs):
        return self.client.get(path, headers={**self.headers(role), **kwargs.pop("headers", {})},
                               **kwargs)

    def post(self, path: str, role: str = "write", **kwargs):
        return self.client.post(path, headers={**self.headers(role),
                                               **kwargs.pop("headers", {})}, **kwargs)


def api_client(settings: Settings, folder: Path):
    """A context manager giving an :class:`Api` for ``settings`` (tokens under ``folder``)."""
    settings = settings.model_copy(update={"tokens_file": folder / "tokens.json"})
    read = tokens.create(settings, "read", "test-read").token
    write = tokens.create(settings, "write", "test-write").token

    class _Context:
        def __enter__(self) -> Api:
            self.client = TestClient(create_app(settings), raise_server_exceptions=False)
            self.client.__enter__()
            return Api(self.client, settings, read, write)

        def __exit__(self, *exc):
            self.client.__exit__(*exc)

    return _Context()
