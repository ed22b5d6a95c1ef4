"""The trace routes of the service against the real Neo4j: validate and ingest bodies in every
format (per-record statuses, invalid records kept out of the graph), the listing with its
filters and pages, a trace in each format, claims and the audit document."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vctrace.app import audit as audit_case
from vctrace.app.verification import VerifyRequest, verify

EXAMPLES = Path(__file__).resolve().parents[2] / "vctrace" / "examples"
DEMO = (EXAMPLES / "demo_traces.jsonl").read_text().splitlines()
BROKEN = (EXAMPLES / "broken_traces.jsonl").read_text().splitlines()
JSONL = {"Content-Type": "application/x-ndjson"}
JSON = {"Content-Type": "application/json"}
TEXT = {"Content-Type": "text/plain; charset=utf-8"}
TRACE_TEXT = """set_context(cell_type="C32", disease="melanoma")
binds_to(id="n1", actor="trametinib", target="MAP2K1")
modulates_pathway_activity(id="n2", pathway="MAPK signaling", direction="down")
induces_phenotype(id="n3", source="trametinib", phenotype="G1 arrest")
edge("n1", "n2", relation="causal")
edge("n2", "n3", relation="causal")
"""


def _stored_trace_ids(neo4j) -> set[str]:
    records, _, _ = neo4j.driver.execute_query("MATCH (t:Trace) RETURN t.trace_id AS id")
    return {r["id"] for r in records}


def _statuses(body: dict) -> list[tuple[int, str]]:
    return [(r["record"], r["status"]) for r in body["records"]]


def test_validate_reads_each_media_type_and_reports_each_record(api, neo4j):
    body = "\n".join([DEMO[0], BROKEN[0], DEMO[1]]) + "\n"
    response = api.post("/validate", role="read", content=body, headers=JSONL)
    assert response.status_code == 200, response.text
    report = response.json()
    assert [(r["record"], r["valid"]) for r in report["records"]] == \
        [(1, True), (2, False), (3, True)]
    assert report["records"][0]["trace_key"].startswith("t-")
    assert report["records"][1]["trace_key"] is None
    error, = [f for f in report["records"][1]["findings"] if f["severity"] == "error"]
    assert (error["code"], error["line"]) == ("unknown_primitive", 4)
    assert report["totals"]["records"] == 3 and report["totals"]["invalid"] == 1
    assert report["valid"] is False and report["format"] == "jsonl"

    array = "[" + ",".join([DEMO[2], BROKEN[1]]) + "]"
    report = api.post("/validate", role="read", content=array, headers=JSON).json()
    assert [(r["record"], r["valid"]) for r in report["records"]] == [(1, True), (2, False)]
    one = api.post("/validate", role="read", content=DEMO[3], headers=JSON).json()
    assert one["valid"] and one["records"][0]["drug"] == "Erlotinib"
    text = api.post("/validate", content=TRACE_TEXT, headers=TEXT).json()
    assert text["valid"] and text["records"][0]["actions"] == 4
    assert api.post("/validate", content="binds_to(", headers=TEXT).json()["valid"] is False
    assert api.post("/validate", content=DEMO[0],
                    headers={"Content-Type": "application/jsonl"}).json()["valid"]
    assert _stored_trace_ids(neo4j) == set()  # validating stores nothing


@pytest.mark.parametrize("content, headers, why", [
    (b"", JSONL, "empty"),
    (b"  \n\n", TEXT, "empty"),
    (b"\xff\xfe\x00\x00{}", JSON, "UTF-32"),
    (b"{\"a\": \"\xc3\x28\"}\n", JSONL, "not UTF-8"),
    (b"[1, 2", JSON, "not JSON"),
])
def test_an_unreadable_body_is_422_naming_why(api, content, headers, why):
    response = api.post("/validate", content=content, headers=headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert why in response.json()["detail"]
    assert "/tmp" not in response.json()["detail"]  # the private file's path is not shown


def test_an_unsupported_media_type_is_415(api):
    for headers in ({"Content-Type": "application/xml"}, {}):
        response = api.post("/validate", content=b"<a/>", headers=headers)
        assert response.status_code == 415
        assert response.headers["content-type"] == "application/problem+json"
        assert "application/x-ndjson" in response.json()["detail"]
    assert api.post("/traces", content=DEMO[0], headers={"Content-Type": "text/csv"}
                    ).status_code == 415


def test_ingest_writes_the_valid_records_and_says_what_became_of_each(api, neo4j):
    body = "\n".join([DEMO[0], BROKEN[0], DEMO[1], DEMO[0], BROKEN[2]]) + "\n"
    response = api.post("/traces", content=body, headers=JSONL)
    assert response.status_code == 200, response.text
    result = response.json()
    assert _statuses(result) == [(1, "written"), (2, "invalid"), (3, "written"),
                                 (4, "existing"), (5, "invalid")]  # 4 repeats record 1
    assert result["records"][3]["trace_key"] == result["records"][0]["trace_key"]
    assert {k: result["totals"][k] for k in ("records", "valid", "invalid", "written",
                                              "existing", "failed")} == \
        {"records": 5, "valid": 3, "invalid": 2, "written": 2, "existing": 1, "failed": 0}
    invalid = result["records"][1]
    assert invalid["findings"] and invalid["trace_key"] is None
    assert _stored_trace_ids(neo4j) == {"demo-trametinib-c32", "demo-bortezomib-a549"}

    again = api.post("/traces", content=body, headers=JSONL).json()
    assert _statuses(again) == [(1, "existing"), (2, "invalid"), (3, "existing"),
                                (4, "existing"), (5, "invalid")]
    assert again["totals"]["written"] == 0 and again["totals"]["existing"] == 3

    array = api.post("/traces", content="[" + ",".join([DEMO[2], BROKEN[1], DEMO[0]]) + "]",
                     headers=JSON).json()
    assert _statuses(array) == [(1, "written"), (2, "invalid"), (3, "existing")]
    text = api.post("/traces", content=TRACE_TEXT, headers=TEXT).json()
    assert _statuses(text) == [(1, "written")]
    bad_text = api.post("/traces", content="binds_to(id=1)\n", headers=TEXT).json()
    assert _statuses(bad_text) == [(1, "invalid")]
    assert _stored_trace_ids(neo4j) == {"demo-trametinib-c32", "demo-bortezomib-a549",
                                        "demo-palbociclib-mcf-7", None}
    records, _, _ = neo4j.driver.execute_query(
        "MATCH (:Trace)-[:READ_FROM]->(i:InputRecord) RETURN DISTINCT i.file AS file")
    assert {r["file"] for r in records} == {"(request body)"}


def test_a_read_token_cannot_ingest(api, neo4j):
    response = api.post("/traces", role="read", content=DEMO[0], headers=JSONL)
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert api.client.post("/traces", content=DEMO[0], headers=JSONL).status_code == 401
    assert _stored_trace_ids(neo4j) == set()


@pytest.fixture
def demo_api(api):
    """The service holding the five demo traces."""
    body = (EXAMPLES / "demo_traces.jsonl").read_bytes()
    result = api.post("/traces", content=body, headers=JSONL).json()
    assert result["totals"]["written"] == 5
    return api


def test_the_listing_filters_and_pages_by_key(demo_api):
    api = demo_api
    everything = api.get("/traces").json()
    assert everything["total"] == 5 and (everything["limit"], everything["offset"]) == (50, 0)
    keys = [t["key"] for t in everything["items"]]
    assert keys == sorted(keys)
    first = everything["items"][0]
    assert set(first) == {"key", "trace_id", "drug", "cell_line", "actions", "edges"}
    pages = [api.get("/traces", params={"limit": 2, "offset": o}).json() for o in (0, 2, 4, 6)]
    assert [t["key"] for p in pages for t in p["items"]] == keys
    assert [len(p["items"]) for p in pages] == [2, 2, 1, 0]
    assert {p["total"] for p in pages} == {5}

    def ids(**params) -> list[str]:
        page = api.get("/traces", params=params)
        assert page.status_code == 200, page.text
        return sorted(t["trace_id"] for t in page.json()["items"])

    assert ids(cell_line="a549") == ["demo-bortezomib-a549", "demo-erlotinib-a549"]
    assert ids(drug="TRAMETINIB") == ["demo-trametinib-c32"]
    assert ids(drug="erlotinib", cell_line="A549") == ["demo-erlotinib-a549"]
    assert ids(drug="erlotinib", cell_line="C32") == []
    assert ids(primitive="localises_to") == ["demo-olaparib-ht-29"]
    assert ids(cell_line="A549", primitive="gain_of_function") == ["demo-erlotinib-a549"]
    assert ids(entity="PARP1") == ["demo-olaparib-ht-29"]
    assert ids(entity="parp1", primitive="localises_to") == ["demo-olaparib-ht-29"]
    assert ids(entity="no such thing") == []
    assert ids(status="refuted") == []  # no run yet
    assert api.get("/traces", params={"run": "no-such-run"}).status_code == 404
    far = api.get("/traces", params={"offset": 10**9, "limit": 10**6})
    assert far.status_code == 200 and far.json()["items"] == []
    assert far.json()["limit"] == api.settings.http_row_limit  # lowered to the row cap
    for bad in ({"limit": 0}, {"offset": -1}, {"status": "maybe"}, {"drug": ""},
                {"entity": "x" * 501}):
        response = api.get("/traces", params=bad)
        assert response.status_code == 422, bad
        assert response.headers["content-type"] == "application/problem+json"


def test_a_trace_in_each_format_and_the_lookup_errors(demo_api):
    api = demo_api
    shown = api.get("/traces/demo-trametinib-c32")
    assert shown.status_code == 200
    doc = shown.json()
    assert doc["trace_id"] == "demo-trametinib-c32" and doc["trace_key"].startswith("t-")
    assert len(doc["actions"]) == 9
    by_key = api.get(f"/traces/{doc['trace_key'][:12]}", params={"format": "json"}).json()
    assert by_key == doc
    text = api.get("/traces/demo-trametinib-c32", params={"format": "text"})
    assert text.headers["content-type"].startswith("text/plain")
    assert text.text.startswith(f"# trace {doc['trace_key']} (demo-trametinib-c32)")
    assert "binds_to(" in text.text
    dot = api.get("/traces/demo-trametinib-c32", params={"format": "dot"})
    assert dot.headers["content-type"].startswith("text/vnd.graphviz")
    assert dot.text.startswith("digraph")
    missing = api.get("/traces/no-such-trace")
    assert missing.status_code == 404 and missing.json()["status"] == 404
    assert api.get("/traces/demo-").status_code == 422  # several match
    assert api.get("/traces/demo-trametinib-c32", params={"format": "png"}).status_code == 422
    assert api.get("/claims/c-doesnotexist").status_code == 404
    assert api.get("/claims/demo-trametinib-c32").status_code == 404
    assert api.get("/audit/c-doesnotexist").status_code == 404


def test_verdict_filters_claims_and_the_audit_document(kb_api):
    api = kb_api
    settings = api.settings
    # the closed world (an option): trametinib -> EGFR, on no curated list, is refuted
    verify(settings, VerifyRequest(run_name="r1", verifiers=["dti-kg"],
                                   options={"dti-kg": {"world": "closed"}}))

    def ids(**params) -> list[str]:
        page = api.get("/traces", params=params)
        assert page.status_code == 200, page.text
        return sorted(t["trace_id"] for t in page.json()["items"])

    both = ["right-trametinib-c32", "wrong-trametinib-c32"]
    assert ids(run="r1", status="refuted") == ["wrong-trametinib-c32"]  # trametinib→EGFR
    assert ids(status="refuted") == ["wrong-trametinib-c32"]
    assert ids(run="latest", status="unverifiable") == ["right-trametinib-c32"]  # FOOBARIN
    assert ids(run="r1") == both and ids(status="supported") == both
    assert ids(run="r1", status="error") == []
    assert ids(entity="EGFR") == ["wrong-trametinib-c32"]

    trace = audit_case.audit(settings, "wrong-trametinib-c32")
    egfr, = [a for a in trace.actions if a.action == "n2"]
    response = api.get(f"/claims/{egfr.claim_key}")
    assert response.status_code == 200, response.text
    claim = response.json()
    assert claim["claim"]["primitive"] == "binds_to"
    assert claim["claim"]["args"] == {"actor": "trametinib", "target": "egfr"}
    assert claim["claim"]["drug"] is None or isinstance(claim["claim"]["drug"], str)
    mention, = [m for m in claim["mentions"] if m["role"] == "target"]
    assert mention["text"] == "EGFR" and mention["entities"]
    entity_key = mention["entities"][0]["key"]
    assert ids(entity=entity_key) == ["wrong-trametinib-c32"]  # by the grounded entity
    dti, = claim["verdicts"]
    assert (dti["verifier"], dti["status"]) == ("dti-kg", "refuted")
    assert [a["trace_id"] for a in claim["asserted_by"]] == ["wrong-trametinib-c32"]

    for ref, run in (("wrong-trametinib-c32", None), (egfr.claim_key, "r1"),
                     (trace.trace.key, "latest")):
        params = {"run": run} if run else {}
        document = api.get(f"/audit/{ref}", params=params)
        assert document.status_code == 200, document.text
        expected = audit_case.audit(settings, ref, run).model_dump(mode="json")
        assert document.json() == json.loads(json.dumps(expected))
    assert api.get("/audit/wrong-trametinib-c32", params={"run": "nope"}).status_code == 404
