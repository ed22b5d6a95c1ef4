"""`vctrace generate --constructor claude` against the session's real Neo4j (the demo knowledge
set) with the real anthropic SDK sending through an ``httpx2.MockTransport`` that answers in
the documented Messages API shape: evidence -> report -> trace -> row -> ingest, a refused pair
skipped with its reason, the dry run with no key, a missing key. The key is a made-up string
whose absence from the output and the rows is checked."""

from __future__ import annotations

import json
import re

import pytest

from vctrace.agents import prompts
from vctrace.agents.claude import DEFAULT_MODEL
from vctrace.app import generation
from vctrace.app.traces import show
from vctrace.cli import main

from support.fake_claude import KEY, USAGE, FakeClaude, fake


@pytest.fixture
def cli(demo, monkeypatch):
    monkeypatch.setenv("VCTRACE_NEO4J_PASSWORD", demo.password)
    return ["--neo4j-uri", demo.uri, "--neo4j-user", demo.user]


def _pairs(demo) -> list[generation.PerturbationPair]:
    return generation.pairs(demo.settings(), drugs=["trametinib"], limit=2).pairs


def test_generate_with_claude_writes_ingests_and_records_provenance(demo, cli, monkeypatch,
                                                                    tmp_path, capsys):
    api = FakeClaude()
    fake(monkeypatch, api)
    out = tmp_path / "claude.jsonl"
    status = main([*cli, "generate", "--constructor", "claude", "--drug", "trametinib",
                   "--limit", "2", "--no-progress", "-o", str(out)])
    captured = capsys.readouterr()
    assert status == 0, captured
    pairs = _pairs(demo)
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["trace_id"] for r in rows] == [f"claude:{p.drug_key}|{p.cell_line_key}"
                                             for p in pairs]
    assert len(api.requests) == 4
    for row in rows:
        prov = row["provenance"]
        assert prov["constructor"] == "claude" and prov["model"] == DEFAULT_MODEL
        assert prov["prompt_template_hashes"] == {
            "report": prompts.template_hash(prompts.report_prefix()),
            "explanation": prompts.template_hash(prompts.explanation_prefix())}
        assert prov["usage"]["input_tokens"] == 2 * USAGE["input_tokens"]
        assert prov["cost_usd"] > 0 and prov["evidence"]
        assert re.findall(r"\[E\d+\]", row["report_text"])
        shown = show(demo.settings(), row["trace_id"])
        assert shown.trace.trace_id == row["trace_id"]
    out_text = captured.out
    assert "2 pairs, 2 traces written, 0 skipped" in out_text
    assert "4 requests; tokens: input 3,248, output 2,560, cache read 12,400, cache write 0" \
        in out_text
    assert re.search(r"cost \$0\.\d{4}", out_text)
    for text in (captured.out, captured.err, out.read_text(encoding="utf-8")):
        assert KEY not in text and "SECRET" not in text
    # the run's cost is stored in the graph, linked from the traces it wrote
    run_key = re.search(r"generation run (g-\S+) stored", out_text).group(1)
    assert {r["provenance"]["generation_run"] for r in rows} == {run_key}
    assert main([*cli, "generation-runs", run_key, "--format", "json"]) == 0
    stored, = json.loads(capsys.readouterr().out)
    assert stored["constructor"] == "claude" and stored["model"] == DEFAULT_MODEL
    assert (stored["pairs"], stored["traces"], stored["stored"], stored["requests"]) == \
        (2, 2, 2, 4)
    assert stored["cache_read_input_tokens"] == 4 * USAGE["cache_read_input_tokens"]
    assert stored["cost_usd"] == pytest.approx(sum(r["provenance"]["cost_usd"] for r in rows))
    assert stored["cached_share"] == pytest.approx(12_400 / (3_248 + 12_400))


def test_a_refused_pair_is_skipped_with_its_reason(demo, cli, monkeypatch, tmp_path, capsys):
    first, second = _pairs(demo)
    api = FakeClaude(refuse=second.cell_line)
    fake(monkeypatch, api)
    out = tmp_path / "claude.jsonl"
    status = main([*cli, "generate", "--constructor", "claude", "--drug", "trametinib",
                   "--limit", "2", "--no-progress", "--no-ingest", "--concurrency", "2",
                   "-o", str(out)])
    captured = capsys.readouterr()
    assert status == 1
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["trace_id"] for r in rows] == [f"claude:{first.drug_key}|{first.cell_line_key}"]
    assert f"{second.drug} in {second.cell_line}: skipped: " in captured.out
    assert "refusal" in captured.out
    assert "2 pairs, 1 traces written, 1 skipped" in captured.out
    assert "4 requests" in captured.out  # the refused call counts
    assert KEY not in captured.out + captured.err


def test_dry_run_needs_no_key_and_prints_the_estimate(demo, cli, monkeypatch, capsys):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    status = main([*cli, "generate", "--constructor", "claude", "--drug", "trametinib",
                   "--limit", "2", "--dry-run"])
    out = capsys.readouterr().out
    assert status == 0
    assert f"dry run, {DEFAULT_MODEL}: 2 pairs, 6 requests" in out
    assert "cached share" in out and "estimated tokens" in out
    assert re.search(r"\$[\d.]+ interactive, \$[\d.]+ with Message Batches", out)


def test_missing_key_is_a_clear_error(demo, cli, monkeypatch, tmp_path, capsys):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    status = main([*cli, "generate", "--constructor", "claude", "--drug", "trametinib",
                   "--limit", "1", "--no-progress", "-o", str(tmp_path / "x.jsonl")])
    assert status == 2
    assert "ANTHROPIC_API_KEY" in capsys.readouterr().err
    assert not (tmp_path / "x.jsonl").exists()
