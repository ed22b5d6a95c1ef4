"""POST /validate needs no database: the service on a bare clone (no Neo4j configured or
started) validates bodies in each media type, refuses others with 415 and unreadable bodies
with 422; and the OpenAPI schema of the trace, audit and query routes is complete."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from vctrace.app import tokens
from vctrace.http.app import create_app
from vctrace.settings import Settings

EXAMPLES = Path(__file__).resolve().parents[2] / "vctrace" / "examples"


@pytest.fixture
def client(tmp_path):
    settings = Settings(home=tmp_path / "home", tokens_file=tmp_path / "tokens.json")
    token = tokens.create(settings, "read", "unit").token
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        client.headers["Authorization"] = f"Bearer {token}"
        yield client


def test_validate_without_a_database(client):
    demo = (EXAMPLES / "demo_traces.jsonl").read_bytes()
    broken = (EXAMPLES / "broken_traces.jsonl").read_bytes()
    response = client.post("/validate", content=demo + broken,
                           headers={"Content-Type": "application/x-ndjson"})
    assert response.status_code == 200, response.text
    report = response.json()
    assert [r["valid"] for r in report["records"]] == [True] * 5 + [False] * 3
    assert report["totals"]["records"] == 8 and report["totals"]["written"] == 0
    codes = [f["code"] for r in report["records"][5:] for f in r["findings"]
             if f["severity"] == "error"]
    assert codes == ["unknown_primitive", "cycle", "bad_direction"]
    utf16 = client.post("/validate", content=demo.decode().encode("utf-16"),
                        headers={"Content-Type": "application/jsonl"})
    assert utf16.status_code == 200 and utf16.json()["valid"]


def test_415_and_422(client):
    assert client.post("/validate", content=b"{}",
                       headers={"Content-Type": "text/csv"}).status_code == 415
    response = client.post("/validate", content=b"\x80\x81\x82",
                           headers={"Content-Type": "text/plain"})
    assert response.status_code == 422 and "not UTF-8" in response.json()["detail"]
    deep = b"[" * 100_000 + b"]" * 100_000
    response = client.post("/validate", content=deep,
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 422, response.text


def test_every_route_of_these_faces_declares_its_responses(client):
    schema = client.app.openapi()
    mine = {"/validate", "/traces", "/traces/{ref}", "/claims/{key}", "/audit/{ref}",
            "/queries", "/queries/{name}", "/cypher"}
    assert mine <= set(schema["paths"])
    for path in mine:
        for method, operation in schema["paths"][path].items():
            statuses = set(operation["responses"])
            assert {"200", "401", "422"} <= statuses, (path, method)
            assert operation["responses"]["200"].get("content"), (path, method)
            assert operation.get("description") or operation.get("summary"), (path, method)
    assert "415" in schema["paths"]["/traces"]["post"]["responses"]
    assert "403" in schema["paths"]["/traces"]["post"]["responses"]
    assert set(schema["paths"]["/validate"]["post"]["requestBody"]["content"]) >= \
        {"application/json", "application/x-ndjson", "application/jsonl", "text/plain"}
