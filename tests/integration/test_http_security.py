"""The service's security and error surface against the real Neo4j: tokens and roles, the
body limit, problem responses without stack traces, no CORS unless configured, health."""

from __future__ import annotations

import json

from support.api import api_client


def test_health_needs_no_token_and_says_the_database_is_reachable(api):
    response = api.client.get("/health")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["database"]) == ("ok", "reachable")


def test_health_is_503_when_the_database_is_down(neo4j, tmp_path):
    settings = neo4j.settings(neo4j_uri="bolt://127.0.0.1:9")  # nothing listens there
    with api_client(settings, tmp_path) as api:
        response = api.client.get("/health")
        assert response.status_code == 503
        assert response.json()["database"] == "unreachable"
        sources = api.get("/sources")
        assert sources.status_code == 503
        assert sources.headers["content-type"] == "application/problem+json"
        assert sources.headers["retry-after"] == "5"
        assert "cannot reach Neo4j" in sources.json()["detail"]


def test_no_token_wrong_token_and_revoked_token_are_401(api):
    assert api.client.get("/sources").status_code == 401
    missing = api.client.get("/sources")
    assert missing.headers["www-authenticate"] == "Bearer"
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["status"] == 401
    for bad in ("nonsense", "vct_000000000000_x", api.read_token + "x",
                api.read_token.replace("vct_", "xyz_")):
        response = api.client.get("/sources", headers={"Authorization": f"Bearer {bad}"})
        assert response.status_code == 401, bad
    assert api.get("/sources").status_code == 200
    from vctrace.app import tokens
    [read] = [t for t in tokens.list_tokens(api.settings) if t.name == "test-read"]
    tokens.revoke(api.settings, read.id)
    assert api.get("/sources").status_code == 401  # the running service re-reads the file


def test_token_file_holds_only_hashes_and_is_private(api):
    path = api.settings.token_path
    text = path.read_text()
    for token in (api.read_token, api.write_token):
        secret = token.split("_", 2)[2]  # vct_<id>_<secret>; the secret may hold "_"
        assert token not in text and secret not in text
    assert path.stat().st_mode & 0o777 == 0o600
    assert {t["role"] for t in json.loads(text)["tokens"]} == {"read", "write"}


def test_metrics_are_prometheus_text_by_route_template(api):
    api.get("/sources")
    api.client.get("/health")
    response = api.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert 'vctrace_http_requests_total{method="GET",route="/sources",status="200"} 1.0' \
        in response.text
    assert "vctrace_http_request_seconds_bucket" in response.text


def test_a_body_over_the_limit_is_413_before_it_is_read(neo4j, tmp_path):
    settings = neo4j.settings(http_max_body_mb=0.001)  # 1,048 bytes
    with api_client(settings, tmp_path) as api:
        response = api.post("/validate", content=b"x" * 5000,
                            headers={"Content-Type": "application/x-ndjson"})
        assert response.status_code == 413
        assert response.headers["content-type"] == "application/problem+json"
        assert "1,048 bytes" in response.json()["detail"]


def test_unknown_routes_are_problems_and_no_cors_by_default(api):
    response = api.get("/no-such-route", headers={"Origin": "https://evil.example"})
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert "access-control-allow-origin" not in response.headers
    preflight = api.client.options("/sources", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "GET"})
    assert "access-control-allow-origin" not in preflight.headers


def test_cors_only_for_configured_origins(neo4j, tmp_path):
    settings = neo4j.settings(http_cors_origins=["https://lab.example"])
    with api_client(settings, tmp_path) as api:
        ok = api.get("/sources", headers={"Origin": "https://lab.example"})
        assert ok.headers["access-control-allow-origin"] == "https://lab.example"
        other = api.get("/sources", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers


def test_api_docs_are_served_from_vendored_files_without_a_cdn(api):
    page = api.client.get("/docs")
    assert page.status_code == 200 and "swagger-ui-bundle.js" in page.text
    assert "cdn" not in page.text.lower() and "https://" not in page.text
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        assert api.client.get(f"/viewer/static/vendor/swagger-ui/{asset}").status_code == 200
    assert api.client.get("/redoc").status_code == 404
    assert api.client.get("/openapi.json").json()["info"]["title"] == "vctrace"
