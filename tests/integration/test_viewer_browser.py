"""The trace viewer in a real headless browser (selenium + Debian's chromium and chromedriver;
``.ci/browser.sh`` installs them): the real service (uvicorn, a free port) over the knowledge set
(:func:`kb`) after a verification run and its refinement, signed in with a read token.

It checks what a user sees against what the API says: each action node's colour and status
match the verdicts of ``GET /audit``, correlative edges are dashed, a click on a node opens the
claim, its per-gene DE results and a verdict's verifier and reason, the refined version stands
beside the original, the run page shows the report's styled plots, and the browser reports no
Content-Security-Policy violation. A screenshot goes to the test's folder, to
``$VCTRACE_ARTIFACTS`` when set, and to ``docs/viewer.png`` only with
``VCTRACE_UPDATE_SCREENSHOT=1``. Skipped, with the reason, without selenium or the browser.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

import json
import urllib.error
import urllib.parse
import urllib.request

import pytest

from vctrace.app import tokens
from vctrace.app.verification import VerifyRequest, refine, verify
from vctrace.http.app import create_app
from vctrace.kg.server import free_port

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
TRACE_ID = "right-trametinib-c32"  # tests/support/knowledge.py: DE genes of every status
COLOURS = {"supported": "#66bb6a", "refuted": "#ef5350", "unverifiable": "#ffca28",
           "none": "#ffffff"}  # vctrace/http/static/viewer.js COLOURS


def _missing() -> str | None:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    for name, path in (("chromium", CHROMIUM), ("chromedriver", CHROMEDRIVER)):
        if not Path(path).exists():
            return f"{name} not found at {path} (install it with .ci/browser.sh)"
    return None


MISSING = _missing()
if MISSING:
    print(f"test_viewer_browser: skipped: {MISSING}")
pytestmark = pytest.mark.skipif(MISSING is not None, reason=MISSING or "")


def status_of(verdicts: list[dict]) -> str:
    """The viewer's rule (viewer.js statusOf): refuted wins, then supported, then any other
    verdict is unverifiable; none is not judged."""
    seen = {v["status"] for v in verdicts}
    if "refuted" in seen:
        return "refuted"
    if "supported" in seen:
        return "supported"
    return "unverifiable" if seen else "none"


def expected_statuses(trace: dict, audit: dict) -> dict[str, str]:
    """Each action's status from the audit, by the node ids the viewer gives (the action id;
    ``#n`` for the n-th action when it has none, e.g. ``set_context``)."""
    by_id = {a["action"]: a for a in audit["actions"] if a["action"] is not None}
    anonymous = [a for a in audit["actions"] if a["action"] is None]
    out = {}
    for index, action in enumerate(trace["actions"]):
        entry = by_id.get(action["id"]) if action["id"] is not None else (
            anonymous.pop(0) if anonymous else None)
        out[action["id"] or f"#{index + 1}"] = status_of(entry["verdicts"] if entry else [])
    return out


def rgb(hex_colour: str) -> str:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r},{g},{b})"


def http_get(url: str, token: str | None = None) -> tuple[int, dict[str, str], str]:
    """GET ``url`` (with the bearer token): status, headers (lower-case names), body."""
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"}
                                     if token else {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, headers, body = response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        status, headers, body = exc.code, exc.headers, exc.read()
    return status, {k.lower(): v for k, v in headers.items()}, body.decode()


class Service:
    """The real service on 127.0.0.1:port in a background thread."""

    def __init__(self, settings):
        import uvicorn
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1",
                                                    port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the service did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service as DriverService
    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--window-size=1600,1000", "--disable-gpu", "--lang=en"):
        options.add_argument(argument)
    options.binary_location = CHROMIUM
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=DriverService(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def _save_screenshot(driver, tmp_path: Path, name: str = "viewer.png", *,
                     docs: bool = False) -> Path:
    """A screenshot into the test's folder, ``$VCTRACE_ARTIFACTS`` when set, and (``docs``)
    ``docs/viewer.png`` when ``VCTRACE_UPDATE_SCREENSHOT=1``."""
    shot = tmp_path / name
    driver.save_screenshot(str(shot))
    if os.environ.get("VCTRACE_ARTIFACTS"):
        folder = Path(os.environ["VCTRACE_ARTIFACTS"])
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, folder / name)
    if docs and os.environ.get("VCTRACE_UPDATE_SCREENSHOT") == "1":
        shutil.copyfile(shot, ROOT / "docs" / "viewer.png")
    return shot


def _csp_violations(driver) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser")
            if "Content Security Policy" in entry["message"] or "Refused to" in entry["message"]]


def test_the_viewer_shows_a_verified_trace_and_its_audit(kb, browser, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import Select, WebDriverWait

    settings = kb.settings().model_copy(update={"tokens_file": tmp_path / "tokens.json"})
    run = verify(settings, VerifyRequest(run_name="viewer")).run
    refine(settings, run)  # the right trace gets a refined version (refuted genes pruned)
    token = tokens.create(settings, "read", "viewer-test").token
    wait = WebDriverWait(browser, 20)

    with Service(settings) as service:
        def api(path: str):
            status, _, body = http_get(service.url + path, token)
            assert status == 200, (path, status, body)
            return json.loads(body)

        page = api("/traces?limit=100")
        candidates = [item["key"] for item in page["items"] if item["trace_id"] == TRACE_ID]
        audits = {k: api(f"/audit/{urllib.parse.quote(k)}") for k in candidates}
        key = next(k for k, a in audits.items() if a["refined_into"])  # the original
        audit = audits[key]
        expected = expected_statuses(api(f"/traces/{urllib.parse.quote(key)}"), audit)
        assert set(expected.values()) >= {"supported", "refuted"}

        # sign in, find the trace in the list, open it
        browser.get(service.url + "/viewer")
        token_box = wait.until(EC.visibility_of_element_located((By.ID, "token")))
        token_box.send_keys(token)
        browser.find_element(By.CSS_SELECTOR, "#signin-form button[type=submit]").click()
        row = wait.until(EC.element_to_be_clickable(
            (By.CSS_SELECTOR, f'#trace-table tr[data-key="{key}"] a')))
        assert browser.execute_script("return sessionStorage.getItem('vctrace.token')") == token
        assert browser.find_element(By.CSS_SELECTOR, f'#run-table tr[data-key="{run}"]')
        _save_screenshot(browser, tmp_path, "viewer-list.png")

        # filters: the rows are the API's answer to the same query, and the address keeps it
        Select(browser.find_element(By.NAME, "primitive")).select_by_value("binds_to")
        Select(browser.find_element(By.NAME, "status")).select_by_value("refuted")
        browser.find_element(By.CSS_SELECTOR, "#filters button[type=submit]").click()
        wanted = {item["key"] for item in
                  api("/traces?primitive=binds_to&status=refuted&limit=25")["items"]}
        assert wanted  # the wrong trace's EGFR binding is refuted
        wait.until(lambda d: {tr.get_attribute("data-key") for tr in d.find_elements(
            By.CSS_SELECTOR, "#trace-table tbody tr[data-key]")} == wanted)
        assert "primitive=binds_to" in browser.current_url
        browser.get(service.url + "/viewer")  # signed in still (this tab's session storage)
        row = wait.until(EC.element_to_be_clickable(
            (By.CSS_SELECTOR, f'#trace-table tr[data-key="{key}"] a')))
        row.click()
        wait.until(lambda d: d.execute_script(
            "return window.vctraceViewer && window.vctraceViewer.ready"))
        assert browser.execute_script("return window.vctraceViewer.error") is None
        assert browser.find_element(By.ID, "error").text == ""

        # node colours = the verdicts of the API, in the graph and in its list mirror
        nodes = browser.execute_script("""
            const g = window.vctraceViewer.graphs.find(g => g.role === 'this');
            return g.cy.nodes().map(n => [n.id(), n.data('status'),
                                          n.style('background-color').replace(/ /g, '')]);""")
        shown = {node_id: status for node_id, status, _ in nodes}
        assert shown == expected
        for node_id, status, colour in nodes:
            assert colour == rgb(COLOURS[status]), (node_id, status, colour)
        mirror = {li.get_attribute("data-action"): li.get_attribute("data-status")
                  for li in browser.find_elements(
                      By.CSS_SELECTOR, f'section.version[data-key="{key}"] ol.actions li')}
        assert mirror == shown
        edges = browser.execute_script("""
            const g = window.vctraceViewer.graphs.find(g => g.role === 'this');
            return g.cy.edges().map(e => [e.data('relation'), e.style('line-style')]);""")
        assert ("correlative", "dashed") in [tuple(e) for e in edges]
        assert all(style == ("dashed" if rel == "correlative" else "solid")
                   for rel, style in edges)

        # the refined version beside the original
        versions = browser.find_elements(By.CSS_SELECTOR, "section.version")
        assert [v.get_attribute("data-role") for v in versions] == ["this", "refined"]
        assert versions[1].get_attribute("data-key") == audit["refined_into"][0]["key"]

        # click the DE action's node on the canvas: the panel shows its audit
        de = next(a for a in audit["actions"] if a["primitive"] == "regulates_expression"
                  and len({v.get("part") for v in a["verdicts"] if v.get("part")}) > 1)
        # (the canvas may be wider than its column: scroll the node into the frame's view and
        # aim from the frame's centre)
        dx, dy = browser.execute_script("""
            const g = window.vctraceViewer.graphs.find(g => g.role === 'this');
            const frame = g.canvas.parentElement;
            frame.scrollIntoView({block: 'center'});
            const p = g.cy.getElementById(arguments[0]).renderedPosition();
            frame.scrollLeft = p.x - frame.clientWidth / 2;
            const canvas = g.canvas.getBoundingClientRect(), view = frame.getBoundingClientRect();
            return [canvas.left + p.x - (view.left + view.width / 2),
                    canvas.top + p.y - (view.top + view.height / 2)];""", de["action"])
        frame = browser.find_element(
            By.CSS_SELECTOR, f'section.version[data-key="{key}"] .graph-frame')
        ActionChains(browser).move_to_element_with_offset(frame, int(dx), int(dy)).click().perform()
        panel = browser.find_element(By.ID, "panel")
        wait.until(lambda d: f"{de['action']}: regulates_expression" in panel.text)
        assert de["claim_key"] in panel.text
        verdict = next(v for v in de["verdicts"] if v["status"] == "refuted")
        assert verdict["verifier"] in panel.text and verdict["reason"] in panel.text
        shown_verdicts = panel.find_elements(By.CSS_SELECTOR, ".verdict")
        assert len(shown_verdicts) == len(de["verdicts"])
        genes = {}
        for v in de["verdicts"]:
            if v.get("part"):
                genes[v["status"]] = genes.get(v["status"], 0) + 1
        bar = {seg.get_attribute("data-status"): int(seg.get_attribute("data-n"))
               for seg in panel.find_elements(By.CSS_SELECTOR, ".genebar span")}
        assert bar == genes
        mention_texts = {m["text"] for m in de["mentions"]}
        assert all(text in panel.text for text in mention_texts)
        assert run in panel.text  # the run of the verdicts and its sources
        browser.execute_script("window.scrollTo(0, 0)")
        _save_screenshot(browser, tmp_path, docs=True)

        # the run page: status, metrics and the report's plots, styled, in the iframe
        browser.get(f"{service.url}/viewer/runs/{run}")
        wait.until(lambda d: d.execute_script(
            "return window.vctraceViewer.ready && window.vctraceViewer.reportLoaded"))
        assert browser.find_element(By.ID, "error").text == ""
        state = api(f"/runs/{run}")
        info = browser.find_element(By.ID, "run-info").text
        assert f"status\n{state['status']}" in info and "validity" in info
        browser.switch_to.frame(browser.find_element(By.ID, "report"))
        assert browser.find_elements(By.TAG_NAME, "svg")
        assert browser.execute_script(
            "return getComputedStyle(document.body).maxWidth") == "720px"  # its <style> applied
        browser.switch_to.default_content()
        browser.execute_script("document.getElementById('report').scrollIntoView()")
        _save_screenshot(browser, tmp_path, "viewer-run.png")

        assert _csp_violations(browser) == []


def test_the_viewer_pages_need_no_token_and_send_a_strict_policy(neo4j_server, browser,
                                                                  tmp_path):
    """Without a token the pages load but show nothing but the sign-in box; a bad token is
    refused there; data routes still need the token."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    settings = neo4j_server.settings().model_copy(
        update={"tokens_file": tmp_path / "tokens.json"})
    tokens.create(settings, "read", "viewer-test")
    with Service(settings) as service:
        status, headers, _ = http_get(service.url + "/viewer/traces/t-whatever")
        assert status == 200
        policy = headers["content-security-policy"]
        assert "script-src 'self';" in policy and "'unsafe-inline'" not in policy
        assert http_get(service.url + "/traces")[0] == 401
        browser.get(service.url + "/viewer/traces/t-whatever")
        wait = WebDriverWait(browser, 15)
        wait.until(EC.visibility_of_element_located((By.ID, "token"))).send_keys("vct_bogus")
        assert "next=" in browser.current_url
        browser.find_element(By.CSS_SELECTOR, "#signin-form button[type=submit]").click()
        error = wait.until(EC.visibility_of_element_located((By.ID, "signin-error")))
        wait.until(lambda d: error.text)
        assert "unknown or revoked" in error.text
        assert browser.execute_script("return sessionStorage.getItem('vctrace.token')") is None
        assert _csp_violations(browser) == []
