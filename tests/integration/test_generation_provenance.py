"""Generation provenance in the graph, against the session's real Neo4j on the demo knowledge
set: generated traces (the knowledge-graph constructor, and Claude through the real anthropic
SDK over an ``httpx2.MockTransport``) store the evidence their generator saw as ``Evidence``
nodes (``SAW`` from the trace, ``SUPPORTED_BY`` from the kg constructor's actions); the audit
of a claim or a trace reaches those items (CLI text and JSON, HTTP); a trace that was not
generated has no generation part; the report shows the metrics per constructor, the kg
baseline beside the language model's, equal to those of per-constructor runs; ingesting the
same rows again adds nothing."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from vctrace.agents.claude import DEFAULT_MODEL
from vctrace.app import audit as audit_case, generation
from vctrace.app.traces import ingest
from vctrace.app.verification import VerifyRequest, report, report_summary, verify
from vctrace.cli import main
from vctrace.traces.citations import cited_ids

from support.api import api_client
from support.fake_claude import FakeClaude, fake
from support.knowledge import load_demo_knowledge
from support.neo4j import ensure_loaded, shape
from support.paths import DEMO_TRACES

KG_DRUGS = ["trametinib", "venetoclax"]


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def world(neo4j_server, tmp_path_factory, monkeypatch):
    """The demo knowledge set with generated and imported traces: the kg constructor's for
    every cell line of ``KG_DRUGS``, two of Claude's (trametinib), and the demo traces file.
    Loaded once (again only when a test changed more than verification runs); returns the
    server and the generated rows per constructor."""
    folder = tmp_path_factory.getbasetemp() / "generation-provenance"
    state = {"kg": folder / "kg.jsonl", "claude": folder / "claude.jsonl"}

    def load(_graph) -> None:
        load_demo_knowledge(neo4j_server)
        folder.mkdir(exist_ok=True)
        settings = neo4j_server.settings()
        generation.generate(settings, generation.GenerateRequest(
            drugs=KG_DRUGS, output=state["kg"]))
        monkeypatch.setenv("VCTRACE_NEO4J_PASSWORD", neo4j_server.password)
        fake(monkeypatch, FakeClaude())
        assert main([*neo4j_server.cli, "generate", "--constructor", "claude", "--drug",
                     "trametinib", "--limit", "2", "--no-progress", "-o",
                     str(state["claude"])]) == 0
        ingest(settings, [DEMO_TRACES])

    ensure_loaded(neo4j_server, "demo-generated", load)
    return neo4j_server, {name: _rows(path) for name, path in state.items()}, state


def _key(server, trace_id: str) -> str:
    records, _, _ = server.driver.execute_query(
        "MATCH (t:Trace {trace_id: $id}) RETURN t.key AS key", id=trace_id)
    return records[0]["key"]


def _claim_of(server, trace_id: str, action: str) -> str:
    records, _, _ = server.driver.execute_query(
        "MATCH (:Trace {trace_id: $id})-[:HAS_ACTION]->(:Action {id: $action})"
        "-[:ASSERTS]->(c:Claim) RETURN c.key AS key", id=trace_id, action=action)
    return records[0]["key"]


# ---------------------------------------------------------------- the graph


def test_generated_traces_store_what_the_generator_saw(world):
    server, rows, _ = world
    for name, constructor_rows in rows.items():
        for row in constructor_rows:
            prov = row["provenance"]
            records, _, _ = server.driver.execute_query(
                "MATCH (t:Trace {trace_id: $id}) "
                "OPTIONAL MATCH (t)-[s:SAW]->(ev:Evidence) "
                "RETURN t {.constructor, .constructor_version, .model, .generation_run} AS t, "
                "collect(s {.id, .cited, source: ev.source, source_id: ev.source_id, "
                "text: ev.text}) AS seen", id=row["trace_id"])
            stored, = records
            assert stored["t"] == {"constructor": name,
                                   "constructor_version": prov["constructor_version"],
                                   "model": prov.get("model"),
                                   "generation_run": prov["generation_run"]}
            seen = {s["id"]: s for s in stored["seen"]}
            assert sorted(seen) == sorted(e["id"] for e in prov["evidence"])
            cited = set(cited_ids(row["report_text"]))
            assert {i for i, s in seen.items() if s["cited"]} == cited
            for item in prov["evidence"]:
                assert seen[item["id"]]["source"] == item["source"]
                if name == "claude":
                    assert (seen[item["id"]]["source_id"], seen[item["id"]]["text"]) == \
                        (item["source_id"], item["text"])
                else:  # a readable line: the one the kg report lists the item with
                    assert f"[{item['id']}] {seen[item['id']]['text']}" in row["report_text"]
    claude = rows["claude"][0]
    assert 0 < len(cited_ids(claude["report_text"])) < len(claude["provenance"]["evidence"])
    # the kg constructor's support map: one SUPPORTED_BY per (action, supporting item)
    for row in rows["kg"]:
        records, _, _ = server.driver.execute_query(
            "MATCH (:Trace {trace_id: $id})-[:HAS_ACTION]->(a:Action)-[s:SUPPORTED_BY]->"
            "(ev:Evidence) RETURN a.id AS action, s.id AS id", id=row["trace_id"])
        support = {}
        for r in records:
            support.setdefault(r["action"], []).append(r["id"])
        expected = {a: sorted(ids) for a, ids in row["provenance"]["support"].items() if ids}
        assert {a: sorted(ids) for a, ids in support.items()} == expected
    # an item seen by many traces is one node (trametinib's curated target, seen by the kg
    # traces of 5 cell lines; Claude saw it as a text item of its own)
    records, _, _ = server.driver.execute_query(
        "MATCH (ev:Evidence {source: 'primekg', source_id: 'DRUG_PROTEIN:trametinib->map2k1'})"
        "<-[s:SAW]-(t) RETURN ev.kind AS kind, count(DISTINCT ev) AS nodes, "
        "count(DISTINCT t) AS traces ORDER BY kind")
    assert [(r["kind"], r["nodes"], r["traces"]) for r in records] == \
        [("drug_target", 1, 5), (None, 1, 2)]
    # imported traces have none of it
    records, _, _ = server.driver.execute_query(
        "MATCH (t:Trace) WHERE t.constructor IS NULL RETURN count(t) AS n, "
        "count(CASE WHEN EXISTS { (t)-[:SAW]->() } OR t.generation_run IS NOT NULL "
        "THEN 1 END) AS generated")
    assert records[0]["n"] > 0 and records[0]["generated"] == 0


def test_ingesting_the_same_files_again_adds_nothing(world):
    server, rows, files = world
    before = shape(server.driver)
    result = ingest(server.settings(), [files["kg"], files["claude"]])
    assert result.total.written == 0
    assert result.total.existing == len(rows["kg"]) + len(rows["claude"])
    assert shape(server.driver) == before
    records, _, _ = server.driver.execute_query(
        "MATCH (t:Trace)-[s:SAW]->(ev) WITH t, s.id AS id, count(*) AS n WHERE n > 1 "
        "RETURN count(*) AS duplicated")
    assert records[0]["duplicated"] == 0


# ---------------------------------------------------------------- audit


def test_a_kg_claims_audit_reaches_the_supporting_primekg_edges(world, capsys, monkeypatch):
    server, rows, _ = world
    row = next(r for r in rows["kg"] if r["trace_id"] == "kg:trametinib|c32")
    claim = _claim_of(server, row["trace_id"], "n1")  # binds_to(Trametinib, MAP2K1)
    found = audit_case.audit(server.settings(), claim)
    trace_key = _key(server, row["trace_id"])
    asserting = {a.trace: a for a in found.asserted_by}
    generated = asserting[trace_key].generation
    assert generated is not None
    prov = row["provenance"]
    assert (generated.constructor, generated.constructor_version, generated.model,
            generated.run) == ("kg", prov["constructor_version"], None, prov["generation_run"])
    assert generated.run_record is not None and generated.run_record.cost_usd == 0.0
    assert generated.supporting == prov["support"]["n1"]
    first = generated.evidence[:len(generated.supporting)]
    assert [e.id for e in first] == generated.supporting
    for e in first:
        assert e.source == "primekg" or e.source == "tahoe-100m"
        assert e.data["kind"] == "drug_target" and e.data["gene"] == "map2k1"
        assert e.supports == ["n1", "n2"] and e.cited
    assert any(e.source == "primekg" and e.source_id == "DRUG_PROTEIN:trametinib->map2k1"
               for e in first)
    assert generated.evidence_items == len(prov["evidence"]) == len(generated.evidence)
    # the same claim asserted by the Claude traces of trametinib in that cell line, if any,
    # and the imported demo trace: only generated traces have a generation part
    imported = [a for a in found.asserted_by if not a.trace_id.startswith(("kg:", "claude:"))]
    assert all(a.generation is None for a in imported)
    # the CLI: text names the constructor, the run and the supporting items
    monkeypatch.setenv("VCTRACE_NEO4J_PASSWORD", server.password)
    assert main([*server.cli, "audit", claim]) == 0
    text = capsys.readouterr().out
    assert f"generated by kg v{prov['constructor_version']}, run {prov['generation_run']}, " \
        "run cost $0.0000" in text
    assert "supporting this action: " + ", ".join(prov["support"]["n1"]) in text
    assert "DRUG_PROTEIN:trametinib->map2k1 (cited): primekg DRUG_PROTEIN (target): " \
        "trametinib -> map2k1" in text
    assert "(--format json lists every item)" in text
    assert main([*server.cli, "audit", claim, "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    by_trace = {a["trace"]: a for a in document["asserted_by"]}
    assert len(by_trace[trace_key]["generation"]["evidence"]) == len(prov["evidence"])


def test_a_claude_traces_audit_shows_cited_and_uncited_items(world, capsys, monkeypatch):
    server, rows, _ = world
    row = rows["claude"][0]
    prov = row["provenance"]
    cited = set(cited_ids(row["report_text"]))
    found = audit_case.audit(server.settings(), row["trace_id"])
    generated = found.generation
    assert generated is not None and generated.supporting is None
    assert (generated.constructor, generated.model, generated.run) == \
        ("claude", DEFAULT_MODEL, prov["generation_run"])
    assert generated.run_record.cost_usd == pytest.approx(
        sum(r["provenance"]["cost_usd"] for r in rows["claude"]))
    assert [e.id for e in generated.evidence] == [e["id"] for e in prov["evidence"]]
    for item, seen in zip(prov["evidence"], generated.evidence):
        assert (seen.source, seen.source_id, seen.text) == \
            (item["source"], item["source_id"], item["text"])
        assert seen.cited is (item["id"] in cited) and seen.supports == []
    assert generated.cited_items == len(cited) and generated.evidence_items > len(cited)
    assert all(a.supported_by == [] for a in found.actions)
    # a claim of that trace: the same items, the asserting action supported by none
    claim = _claim_of(server, row["trace_id"], "n1")
    asserting = {a.trace_id: a for a in audit_case.audit(server.settings(),
                                                         claim).asserted_by}
    by_claude = asserting[row["trace_id"]].generation
    assert by_claude.supporting == [] and by_claude.cited_items == len(cited)
    monkeypatch.setenv("VCTRACE_NEO4J_PASSWORD", server.password)
    assert main([*server.cli, "audit", row["trace_id"]]) == 0
    text = capsys.readouterr().out
    assert f"generated by claude v{prov['constructor_version']}, model {DEFAULT_MODEL}, " \
        f"run {prov['generation_run']}, run cost $" in text
    shown = re.findall(r"^    \[(E\d+)\] .* \((cited|not cited)\): ", text, flags=re.M)
    assert shown and {i for i, _ in shown} == cited and {m for _, m in shown} == {"cited"}
    more = generated.evidence_items - len(cited)
    assert f"… {more} more item(s) (--format json lists every item)" in text


def test_the_http_audit_returns_the_generation(world, tmp_path):
    server, rows, _ = world
    row = rows["claude"][0]
    with api_client(server.settings(), tmp_path) as api:
        response = api.get(f"/audit/{row['trace_id']}")
        assert response.status_code == 200, response.text
        body = response.json()
        generated = body["generation"]
        assert generated["constructor"] == "claude"
        assert generated["run"] == row["provenance"]["generation_run"]
        items = {e["id"]: e for e in generated["evidence"]}
        assert set(items) == {e["id"] for e in row["provenance"]["evidence"]}
        assert {i for i, e in items.items() if e["cited"]} == set(cited_ids(row["report_text"]))
        imported = api.get("/audit/demo-trametinib-c32").json()
        assert imported["kind"] == "trace" and imported["generation"] is None
        kg = next(r for r in rows["kg"] if r["trace_id"] == "kg:trametinib|c32")
        claim = _claim_of(server, kg["trace_id"], "n1")
        claim_body = api.get(f"/audit/{claim}").json()
        by_id = {a["trace_id"]: a for a in claim_body["asserted_by"]}
        assert by_id[kg["trace_id"]]["generation"]["supporting"] == \
            kg["provenance"]["support"]["n1"]
        schema = api.get("/openapi.json").json()["components"]["schemas"]
        assert {"generation", "input"} <= set(schema["TraceAudit"]["properties"])
        assert {"id", "source", "source_id", "text", "cited", "supports"} <= \
            set(schema["EvidenceSeen"]["properties"])


def test_a_trace_that_was_not_generated_has_no_generation_part(world, capsys, monkeypatch):
    server, _, _ = world
    found = audit_case.audit(server.settings(), "demo-trametinib-c32")
    assert found.generation is None
    assert all(a.supported_by == [] for a in found.actions)
    monkeypatch.setenv("VCTRACE_NEO4J_PASSWORD", server.password)
    assert main([*server.cli, "audit", "demo-trametinib-c32"]) == 0
    assert "generated by" not in capsys.readouterr().out


# ---------------------------------------------------------------- report


def test_the_report_shows_the_kg_baseline_beside_claude(world, tmp_path, capsys, monkeypatch):
    server, rows, _ = world
    settings = server.settings()
    keys = {name: [_key(server, r["trace_id"]) for r in group] for name, group in rows.items()}
    imported = [_key(server, "demo-trametinib-c32"), _key(server, "demo-bortezomib-a549")]
    everything = keys["kg"] + keys["claude"] + imported
    run = verify(settings, VerifyRequest(traces=["trace=" + ",".join(everything)],
                                         run_name="all-constructors"))
    summary = report_summary(settings, run.run)
    groups = {g.constructor: g for g in summary.by_constructor}
    assert [g.constructor for g in summary.by_constructor] == ["kg", "claude", "imported"]
    assert [g.baseline for g in summary.by_constructor] == [True, False, False]
    assert (groups["kg"].traces, groups["claude"].traces, groups["imported"].traces) == \
        (len(keys["kg"]), len(keys["claude"]), len(imported))
    # each group's figures are those of a run over that constructor's traces alone
    for name, group_keys in (("kg", keys["kg"]), ("claude", keys["claude"]),
                             ("imported", imported)):
        alone = report_summary(settings, verify(settings, VerifyRequest(
            traces=["trace=" + ",".join(group_keys)], run_name=f"only-{name}")).run)
        for metric in ("traces", "validity", "verifiability", "dti_score", "de_score"):
            assert getattr(groups[name], metric) == pytest.approx(alone.metrics[metric]), \
                (name, metric)
    assert groups["kg"].validity == 1.0 and groups["kg"].dti_score == 1.0
    # the text report and the HTML page show the table
    monkeypatch.setenv("VCTRACE_NEO4J_PASSWORD", server.password)
    assert main([*server.cli, "report", run.run, "--out", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    header = next(line for line in text.splitlines() if line.startswith("constructor"))
    assert header.split() == ["constructor", "traces", "validity", "verifiability", "DTI",
                              "score", "DE", "score"]
    kg_line = next(line for line in text.splitlines() if line.startswith("kg (baseline)"))
    assert kg_line.split()[2:5] == [str(len(keys["kg"])), "1.000",
                                    f"{groups['kg'].verifiability:.3f}"]
    assert re.search(r"^claude\s+2\s", text, flags=re.M)
    page = report(settings, run.run, tmp_path).html_path.read_text(encoding="utf-8")
    assert "<h2>By constructor</h2>" in page and "kg (baseline)</td>" in page
    document = json.loads((tmp_path / f"{run.run}.report.json").read_text())
    assert [g["constructor"] for g in document["by_constructor"]] == ["kg", "claude",
                                                                      "imported"]


def test_a_run_of_imported_traces_only_shows_no_constructor_table(world, tmp_path, capsys,
                                                                    monkeypatch):
    server, _, _ = world
    settings = server.settings()
    run = verify(settings, VerifyRequest(traces=["trace=demo-trametinib-c32"],
                                         run_name="imported-only"))
    summary = report_summary(settings, run.run)
    assert [(g.constructor, g.traces) for g in summary.by_constructor] == [("imported", 1)]
    monkeypatch.setenv("VCTRACE_NEO4J_PASSWORD", server.password)
    assert main([*server.cli, "report", run.run, "--out", str(tmp_path)]) == 0
    assert "constructor" not in capsys.readouterr().out
    page = (tmp_path / f"{run.run}.report.html").read_text(encoding="utf-8")
    assert "By constructor" not in page


# ---------------------------------------------------------------- hostile provenance (last:
# it changes the shared load)


def test_hostile_provenance_is_stored_safely_and_audited_readably(world, tmp_path, capsys,
                                                                  monkeypatch):
    server, rows, _ = world
    row = json.loads(json.dumps(rows["claude"][0]))
    row["trace_id"] = "hostile-provenance"
    row["explain"] = row["explain"].replace("G1 arrest", "G2 arrest")  # a trace of its own
    assert "G2 arrest" in row["explain"]
    row["report_text"] = "See [E1] and [E7]."
    long_text = "A" * 200_000
    row["provenance"].update(
        constructor=["not", "a", "string"], model="m" * 5_000,
        evidence=["not an item", {"id": "E7", "source": {"nested": 1},
                                  "text": "\x1b[31mred\x1b[0m\nnext line"},
                  {"id": "E1", "source": "pubmed", "source_id": "1", "text": long_text},
                  {"id": 8, "source": "pubmed", "source_id": "2", "text": "a number id"}],
        support={"n1": ["E1", 3, "E99"], "nowhere": ["E1"], "n2": "E1"})
    path = tmp_path / "hostile.jsonl"
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    assert ingest(server.settings(), [path]).total.written == 1
    records, _, _ = server.driver.execute_query(
        "MATCH (t:Trace {trace_id: 'hostile-provenance'}) "
        "OPTIONAL MATCH (t)-[s:SAW]->(ev) "
        "RETURN t.constructor AS constructor, t.model AS model, "
        "t.generation_run AS run, collect([s.id, s.cited, size(ev.text)]) AS seen, "
        "COUNT { (t)-[:HAS_ACTION]->()-[:SUPPORTED_BY]->() } AS supports")
    stored, = records
    assert (stored["constructor"], stored["model"]) == (None, None)
    assert stored["run"] == row["provenance"]["generation_run"]
    assert sorted(stored["seen"]) == [["8", False, len("a number id")],
                                      ["E1", True, len(long_text)],
                                      ["E7", True, len("\x1b[31mred\x1b[0m\nnext line")]]
    assert stored["supports"] == 1  # n1 -> E1; unknown ids, actions and shapes left out
    monkeypatch.setenv("VCTRACE_NEO4J_PASSWORD", server.password)
    assert main([*server.cli, "audit", "hostile-provenance"]) == 0
    text = capsys.readouterr().out
    assert "\x1b" not in text and "    [E7] (cited): [31mred [0m next line" in text
    assert "saw 3 evidence item(s), report cites 2" in text
    line = next(x for x in text.splitlines() if x.startswith("    [E1]"))
    assert line.endswith("...") and len(line) < 400
