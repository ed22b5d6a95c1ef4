"""The viewer's pages and static files without a browser or a database: served without a
token under a strict Content-Security-Policy, nothing outside the static folder, no inline
script or handler in the pages, no HTML built from data in the scripts, and the vendored
libraries present with their licences, versions and checksums as vendor/README.md lists them."""

from __future__ import annotations

import hashlib
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from vctrace.http.app import create_app
from vctrace.settings import Settings

STATIC = Path(__file__).resolve().parents[2] / "vctrace" / "http" / "static"
VENDOR = STATIC / "vendor"
PAGES = {"/viewer": "index.html", "/viewer/traces/t-0123": "trace.html",
         "/viewer/runs/r-1": "run.html"}
OWN_SCRIPTS = ["viewer.js", "list.js", "trace.js", "run.js"]


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    folder = tmp_path_factory.mktemp("viewer")
    settings = Settings(home=folder / "home", tokens_file=folder / "tokens.json")
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


def _policy(response) -> dict[str, str]:
    text = response.headers["content-security-policy"]
    return dict(part.strip().split(" ", 1) for part in text.split(";"))


@pytest.mark.parametrize("path,page", PAGES.items())
def test_pages_are_served_without_a_token_under_a_strict_policy(client, path, page):
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.content == (STATIC / page).read_bytes()
    policy = _policy(response)
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == "'self'"
    assert policy["connect-src"] == "'self'" and policy["frame-ancestors"] == "'none'"
    # only the run page, whose report (an iframe srcdoc, which inherits the policy) carries
    # an inline <style>, allows inline styles
    expected = "'self' 'unsafe-inline'" if page == "run.html" else "'self'"
    assert policy["style-src"] == expected
    assert response.headers["x-content-type-options"] == "nosniff"


def test_static_files_and_nothing_else(client):
    script = client.get("/viewer/static/trace.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert "content-security-policy" in script.headers
    assert client.get("/viewer/static/vendor/cytoscape/LICENSE").status_code == 200
    for path in ("/viewer/static/../routes/viewer.py", "/viewer/static/%2e%2e/app.py",
                 "/viewer/static/vendor", "/viewer/static/", "/viewer/static/nope.js",
                 "/viewer/static/..%2f..%2fsettings.py"):
        response = client.get(path)
        assert response.status_code == 404, path
    # the data routes still need a token
    assert client.get("/traces").status_code == 401


def test_the_viewer_is_not_in_the_api_schema(client):
    assert not [p for p in client.get("/openapi.json").json()["paths"] if p.startswith("/viewer")]


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.script_text = ""
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.script_text += data


@pytest.mark.parametrize("page", sorted(set(PAGES.values())))
def test_pages_have_no_inline_script_style_or_handler(page):
    parser = _Tags()
    parser.feed((STATIC / page).read_text())
    assert parser.script_text.strip() == ""
    for tag, attrs in parser.tags:
        assert not [a for a in attrs if a.startswith("on") or a == "style"], (tag, attrs)
        if tag == "script":
            assert (STATIC / attrs["src"].removeprefix("/viewer/static/")).is_file()
        if tag == "link":
            assert (STATIC / attrs["href"].removeprefix("/viewer/static/")).is_file()
        if tag == "iframe":
            assert attrs.get("sandbox") == ""  # the report runs nothing
    # cytoscape injects a <style> unless this id exists (vendor/README.md)
    assert ("link", {"rel": "stylesheet", "id": "__________cytoscape_stylesheet",
                     "href": "/viewer/static/viewer.css"}) in parser.tags


@pytest.mark.parametrize("script", OWN_SCRIPTS)
def test_scripts_never_build_html_from_text(script):
    source = (STATIC / script).read_text()
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(",
                 "new Function", "javascript:"):
        assert sink not in source, (script, sink)


def _vendor_table() -> dict[str, tuple[str, str]]:
    rows = {}
    for line in (VENDOR / "README.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 5 and re.fullmatch(r"\d+\.\d+\.\d+", cells[1]):
            rows[cells[0].split(" ")[0]] = (cells[1], cells[2])
    return rows


def test_vendored_libraries_are_listed_with_licences_and_checksums():
    table = _vendor_table()
    assert table["cytoscape"][0] == "3.35.0" and table["cytoscape-dagre"][0] == "4.0.1"
    assert all(table[name][1].startswith("MIT") for name in ("cytoscape", "cytoscape-dagre"))
    assert table["swagger-ui-dist"][1].startswith("Apache-2.0")
    cytoscape = (VENDOR / "cytoscape" / "cytoscape.min.js").read_text()
    assert 'version="3.35.0"' in cytoscape
    readme = (VENDOR / "README.md").read_text()
    for path in sorted(VENDOR.glob("*/*.js")):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert f"{digest}  {path.relative_to(VENDOR)}" in readme, path
        assert (path.parent / "LICENSE").is_file()
    assert (VENDOR / "cytoscape-dagre" / "LICENSE.dagre").is_file()


def test_static_files_fit_the_package_data_patterns():
    # pyproject ships vctrace/http/static/* up to three folder levels deep
    for path in STATIC.rglob("*"):
        if path.is_file():
            assert len(path.relative_to(STATIC).parts) <= 3, path
