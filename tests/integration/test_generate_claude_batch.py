"""`vctrace generate --constructor claude --batch` against the session's real Neo4j (the demo
knowledge set) with the real anthropic SDK sending through an ``httpx2.MockTransport`` that
answers the documented Message Batches API: ``POST /v1/messages/batches`` (a batch object),
``GET /v1/messages/batches/{id}`` (in progress, then ended with its ``results_url``) and the
results as JSONL, out of order. What each request gets is decided per pair and per send:
errored or expired the first time, a report citing an id it was not given, an invalid trace, a
refusal. The key is a made-up string whose absence from the output, the state files and the
rows is checked."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import httpx2
import pytest

from vctrace.agents import prompts
from vctrace.agents.batch_generate import BatchPending, generate_with_batches, state_dir_for
from vctrace.agents.claude import DEFAULT_MODEL, ClaudeClient
from vctrace.agents.pricing import call_cost
from vctrace.agents.run import PairSelection
from vctrace.app import generation
from vctrace.app.traces import show
from vctrace.cli import main

KEY = "sk-test-SECRET-batch-91xQ"
BASE = "http://claude-batches.test"
USAGE = {"input_tokens": 700, "output_tokens": 500, "cache_creation_input_tokens": 0,
         "cache_read_input_tokens": 3000}


def _reply(text: str, *, stop: str = "end_turn") -> dict[str, Any]:
    return {"id": "msg_01BATCH", "type": "message", "role": "assistant",
            "model": DEFAULT_MODEL, "content": [{"type": "text", "text": text}],
            "stop_reason": stop, "stop_sequence": None, "usage": dict(USAGE)}


def _good_trace(drug: str, cell_line: str) -> dict[str, Any]:
    return {"actions": [
        {"primitive": "set_context", "args": {"cell_type": cell_line}},
        {"id": "a", "primitive": "binds_to", "args": {"actor": drug.lower(),
                                                      "target": "MAP2K2"}},
        {"id": "b", "primitive": "modulates_molecule_activity",
         "args": {"target": "MAP2K2", "direction": "down"}},
        {"id": "c", "primitive": "induces_phenotype",
         "args": {"source": drug.lower(), "phenotype": "reduced proliferation"}}],
        "edges": [{"source": "a", "target": "b", "relation": "causal"},
                  {"source": "b", "target": "c", "relation": "causal"}]}


def _cyclic_trace(drug: str, cell_line: str) -> dict[str, Any]:
    trace = _good_trace(drug, cell_line)
    trace["edges"].append({"source": "c", "target": "a", "relation": "causal"})
    return trace


def _batch(bid: str, status: str, size: int) -> dict[str, Any]:
    ended = status == "ended"
    return {"id": bid, "type": "message_batch", "processing_status": status,
            "request_counts": {"processing": 0 if ended else size,
                               "succeeded": size if ended else 0, "errored": 0,
                               "canceled": 0, "expired": 0},
            "created_at": "2026-11-30T12:00:00Z", "expires_at": "2026-12-01T12:00:00Z",
            "ended_at": "2026-11-30T12:20:00Z" if ended else None,
            "cancel_initiated_at": None, "archived_at": None,
            "results_url": f"{BASE}/v1/messages/batches/{bid}/results" if ended else None}


class FakeBatches:
    """The Message Batches endpoints answering report and explanation requests per pair.

    ``errored`` / ``expired``: (stage, cell line) pairs whose request fails the first time it
    is sent; ``unknown_cite``: cell lines whose first report cites ``[E999]``;
    ``invalid``: cell lines whose first trace has a cycle; ``refuse``: cell lines whose
    trace request is refused; ``fail_retrieve``: batch ids whose first status request gets
    HTTP 500 (a run stopped there); ``always_errored``: cell line → the error type every
    report request of that cell line gets."""

    def __init__(self, *, errored=(), expired=(), unknown_cite=(), invalid=(), refuse=(),
                 fail_retrieve=(), always_errored=None):
        self.always_errored = dict(always_errored or {})
        self.errored, self.expired = set(errored), set(expired)
        self.unknown_cite, self.invalid = set(unknown_cite), set(invalid)
        self.refuse, self.fail_retrieve = set(refuse), set(fail_retrieve)
        self.created: dict[str, list[dict[str, Any]]] = {}
        self.results: dict[str, list[dict[str, Any]]] = {}
        self.sent: dict[str, int] = {}
        self.polls: dict[str, int] = {}
        self.headers: list[dict[str, str]] = []

    def sent_ids(self) -> list[str]:
        return [item["custom_id"] for items in self.created.values() for item in items]

    def _answer(self, item: dict[str, Any]) -> dict[str, Any]:
        cid, params = item["custom_id"], item["params"]
        self.sent[cid] = self.sent.get(cid, 0) + 1
        user = params["messages"][0]["content"]
        cell_line = re.search(r'"cell type": "([^"]+)"', user).group(1)
        drug = re.search(r'"name": "([^"]+)"', user).group(1)
        stage = "explanation" if "output_config" in params else "report"
        first_send = self.sent[cid] == 1
        if stage == "report" and cell_line in self.always_errored:
            return {"type": "errored", "error": {"type": "error", "error": {
                "type": self.always_errored[cell_line], "message": "no luck"}}}
        if first_send and (stage, cell_line) in self.errored:
            return {"type": "errored", "error": {"type": "error", "error": {
                "type": "overloaded_error", "message": "Overloaded"}}}
        if first_send and (stage, cell_line) in self.expired:
            return {"type": "expired"}
        reasked = len(params["messages"]) > 1
        if stage == "report":
            ids = re.findall(r"^\[(E\d+)\]", user, flags=re.M)[:2]
            if cell_line in self.unknown_cite and not reasked:
                ids = ["E999"]
            text = (f"# Mechanistic Report\n{drug} inhibits MEK2 "
                    + " ".join(f"[{i}]" for i in ids) + f" in {cell_line}.")
            return {"type": "succeeded", "message": _reply(text)}
        if cell_line in self.refuse:
            return {"type": "succeeded", "message": _reply("", stop="refusal")}
        trace = _cyclic_trace(drug, cell_line) if cell_line in self.invalid and not reasked \
            else _good_trace(drug, cell_line)
        return {"type": "succeeded", "message": _reply(json.dumps(trace))}

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.headers.append(dict(request.headers))
        path = request.url.path
        if request.method == "POST" and path == "/v1/messages/batches":
            bid = f"msgbatch_{len(self.created) + 1:03d}"
            items = json.loads(request.content)["requests"]
            self.created[bid] = items
            self.results[bid] = [{"custom_id": i["custom_id"], "result": self._answer(i)}
                                 for i in items]
            return httpx2.Response(200, json=_batch(bid, "in_progress", len(items)))
        if request.method == "GET" and path.endswith("/results"):
            bid = path.split("/")[-2]
            lines = [json.dumps(r) for r in reversed(self.results[bid])]  # out of order
            return httpx2.Response(200, content=("\n".join(lines) + "\n").encode(),
                                   headers={"content-type": "application/binary"})
        assert request.method == "GET" and path.startswith("/v1/messages/batches/")
        bid = path.split("/")[-1]
        self.polls[bid] = self.polls.get(bid, 0) + 1
        if bid in self.fail_retrieve and self.polls[bid] == 1:
            return httpx2.Response(500, json={"type": "error", "error": {
                "type": "api_error", "message": "Internal server error"}})
        status = "ended" if self.polls[bid] >= 2 else "in_progress"
        return httpx2.Response(200, json=_batch(bid, status, len(self.created[bid])))


@pytest.fixture
def cli(demo, monkeypatch):
    monkeypatch.setenv("VCTRACE_NEO4J_PASSWORD", demo.password)
    return ["--neo4j-uri", demo.uri, "--neo4j-user", demo.user]


def _client(api: FakeBatches, key: str = KEY, **options: Any) -> ClaudeClient:
    return ClaudeClient(key, http_client=httpx2.Client(transport=httpx2.MockTransport(api)),
                        base_url=BASE, max_retries=0, **options)


def _fake(monkeypatch, api: FakeBatches) -> None:
    """``ClaudeClient.from_env`` sending through ``api``, with the key from the environment."""
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    monkeypatch.setattr(ClaudeClient, "from_env", classmethod(
        lambda cls, **options: _client(api, os.environ["ANTHROPIC_API_KEY"], **options)))


def _pairs(demo, limit: int) -> list[generation.PerturbationPair]:
    return generation.pairs(demo.settings(), drugs=["trametinib"], limit=limit).pairs


def _generate(cli, out: Path, limit: int, *extra: str) -> int:
    return main([*cli, "generate", "--constructor", "claude", "--batch", "--drug",
                 "trametinib", "--limit", str(limit), "--poll-interval", "0", "--no-progress",
                 "-o", str(out), *extra])


def _rows(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def _tid(pair: generation.PerturbationPair) -> str:
    return f"claude:{pair.drug_key}|{pair.cell_line_key}"


def _no_key(*texts: str) -> None:
    for text in texts:
        assert KEY not in text and "SECRET" not in text


def _state_text(out: Path) -> str:
    return "".join(p.read_text(encoding="utf-8") for p in state_dir_for(out).iterdir())


def test_batch_run_writes_ingests_and_records_the_run_at_the_batch_price(
        demo, cli, monkeypatch, tmp_path, capsys):
    api = FakeBatches()
    _fake(monkeypatch, api)
    out = tmp_path / "batch.jsonl"
    status = _generate(cli, out, 2)
    captured = capsys.readouterr()
    assert status == 0, captured
    pairs = _pairs(demo, 2)
    rows = _rows(out)
    assert [r["trace_id"] for r in rows] == [_tid(p) for p in pairs]
    # one batch per stage, each request once; results came back in reverse order
    assert [[i["custom_id"].split("-")[0] for i in items] for items in api.created.values()] \
        == [["report", "report"], ["explanation", "explanation"]]
    assert len(set(api.sent_ids())) == 4 and all(n == 1 for n in api.sent.values())
    report_body = api.created["msgbatch_001"][0]["params"]
    assert report_body["system"][0]["cache_control"] == {"type": "ephemeral"}
    assert report_body["system"][0]["text"] == prompts.report_prefix()
    batch_price = call_cost(DEFAULT_MODEL, **USAGE, batch=True)
    assert batch_price == pytest.approx(call_cost(DEFAULT_MODEL, **USAGE) / 2)
    for row in rows:
        prov = row["provenance"]
        assert prov["constructor"] == "claude" and prov["model"] == DEFAULT_MODEL
        assert [c["stage"] for c in prov["calls"]] == ["report", "explanation"]
        assert prov["prompt_template_hashes"] == {
            "report": prompts.template_hash(prompts.report_prefix()),
            "explanation": prompts.template_hash(prompts.explanation_prefix())}
        assert prov["calls"][0]["request"]["system"][0]["text"] == \
            "sha256:" + prompts.template_hash(prompts.report_prefix())
        assert prov["calls"][1]["request"]["messages"] in \
            [i["params"]["messages"] for i in api.created["msgbatch_002"]]
        assert prov["cost_usd"] == pytest.approx(2 * batch_price)
        assert prov["evidence"] and re.findall(r"\[E\d+\]", row["report_text"])
        assert show(demo.settings(), row["trace_id"]).trace.trace_id == row["trace_id"]
    text = captured.out
    assert "(Message Batches): 2 pairs, 2 traces written, 0 skipped" in text
    assert "4 requests; tokens: input 2,800, output 2,000, cache read 12,000" in text
    assert "cached share 81.1%" in text and "at the batch price" in text
    assert "2 batch(es), 4 batch requests (0 re-sent): msgbatch_001, msgbatch_002" in text
    assert f"state in {state_dir_for(out)}" in text
    assert "the same command with" in captured.err and str(out) in captured.err
    _no_key(captured.out, captured.err, out.read_text(encoding="utf-8"), _state_text(out))
    assert any(KEY in v for h in api.headers for v in h.values())  # the key was sent
    run_key = re.search(r"generation run (g-\S+) stored", text).group(1)
    assert {r["provenance"]["generation_run"] for r in rows} == {run_key}
    assert main([*cli, "generation-runs", run_key, "--format", "json"]) == 0
    stored, = json.loads(capsys.readouterr().out)
    assert stored["batch"] is True and stored["model"] == DEFAULT_MODEL
    assert (stored["pairs"], stored["traces"], stored["stored"], stored["requests"]) == \
        (2, 2, 2, 4)
    assert stored["cost_usd"] == pytest.approx(4 * batch_price)

    # the same command again: a completed state sends nothing and records the same run
    assert _generate(cli, out, 2) == 0
    again = capsys.readouterr().out
    assert len(api.created) == 2 and f"generation run {run_key} stored" in again
    assert _rows(out) == rows


def test_failures_rounds_and_refusals(demo, cli, monkeypatch, tmp_path, capsys):
    first, second, third = _pairs(demo, 3)
    api = FakeBatches(errored={("report", first.cell_line)},
                      expired={("explanation", second.cell_line)},
                      unknown_cite={second.cell_line}, invalid={first.cell_line},
                      refuse={third.cell_line})
    _fake(monkeypatch, api)
    out = tmp_path / "batch.jsonl"
    status = _generate(cli, out, 3, "--no-ingest")
    captured = capsys.readouterr()
    assert status == 1, captured
    rows = _rows(out)
    assert [r["trace_id"] for r in rows] == [_tid(first), _tid(second)]

    def stage_attempt(cid: str) -> tuple[str, str]:
        stage, _, attempt = cid.split("-")
        return stage, attempt

    batches = {bid: sorted(stage_attempt(i["custom_id"]) for i in items)
               for bid, items in api.created.items()}
    assert batches == {
        "msgbatch_001": [("report", "1")] * 3,
        # the errored report sent again (same id), the unknown citation re-asked
        "msgbatch_002": [("report", "1"), ("report", "2")],
        "msgbatch_003": [("explanation", "1")] * 3,
        # the expired explanation sent again, the invalid trace re-asked
        "msgbatch_004": [("explanation", "1"), ("explanation", "2")]}
    resent = [cid for cid, n in api.sent.items() if n > 1]
    assert len(resent) == 2 and sorted(stage_attempt(c)[0] for c in resent) == \
        ["explanation", "report"]
    reask = next(i for i in api.created["msgbatch_002"] if i["custom_id"].endswith("-2"))
    assert [m["role"] for m in reask["params"]["messages"]] == ["user", "assistant", "user"]
    assert "E999" in reask["params"]["messages"][2]["content"]
    trace_reask = next(i for i in api.created["msgbatch_004"]
                       if i["custom_id"].endswith("-2"))
    assert "cycle" in trace_reask["params"]["messages"][2]["content"]
    by_id = {r["trace_id"]: r["provenance"] for r in rows}
    assert by_id[_tid(first)]["reasked"] == {"report": False, "explanation": True}
    assert [c["stage"] for c in by_id[_tid(first)]["calls"]] == \
        ["report", "explanation", "explanation"]
    assert by_id[_tid(second)]["reasked"] == {"report": True, "explanation": False}
    assert [c["attempt"] for c in by_id[_tid(second)]["calls"]] == [1, 2, 1]
    assert f"{third.drug} in {third.cell_line}: skipped: " in captured.out
    assert "refusal" in captured.out
    assert "3 pairs, 2 traces written, 1 skipped" in captured.out
    # every billed reply counts, the refused one included; errored/expired are not billed
    assert "8 requests" in captured.out
    assert "10 batch requests (2 re-sent)" in captured.out
    _no_key(captured.out, captured.err, out.read_text(encoding="utf-8"), _state_text(out))


def test_a_stopped_run_resumes_without_sending_anything_twice(demo, cli, monkeypatch,
                                                             tmp_path, capsys):
    api = FakeBatches(fail_retrieve={"msgbatch_001", "msgbatch_002"},
                      errored={("report", _pairs(demo, 1)[0].cell_line)})
    _fake(monkeypatch, api)
    out = tmp_path / "batch.jsonl"
    # stopped while the report batch processes
    assert _generate(cli, out, 2, "--no-ingest") == 2
    stopped = capsys.readouterr()
    assert "HTTP 500" in stopped.err and not out.exists()
    assert list(api.created) == ["msgbatch_001"]
    assert json.loads((state_dir_for(out) / "batches.json").read_text())["batches"] \
        .keys() == {"msgbatch_001"}
    # resumed: the report batch is polled, not sent again; stopped again in the re-send
    assert _generate(cli, out, 2, "--no-ingest") == 2
    capsys.readouterr()
    assert list(api.created) == ["msgbatch_001", "msgbatch_002"]
    assert len(api.created["msgbatch_002"]) == 1  # only the errored request
    # resumed again: completes
    assert _generate(cli, out, 2, "--no-ingest") == 0
    done = capsys.readouterr().out
    assert len(_rows(out)) == 2
    assert list(api.created) == ["msgbatch_001", "msgbatch_002", "msgbatch_003"]
    ids = api.sent_ids()
    assert len(ids) == 5 and len(set(ids)) == 4  # the errored report the only one sent twice
    assert "5 batch requests (1 re-sent)" in done
    _no_key(stopped.out, stopped.err, done, _state_text(out))


def test_time_limit_then_resume_through_the_python_api(demo, tmp_path):
    api = FakeBatches()
    settings = demo.settings()
    selection = PairSelection(pairs=_pairs(demo, 1))
    out = tmp_path / "rows.jsonl"
    with pytest.raises(BatchPending, match="run the same command again"):
        generate_with_batches(settings, selection, _client(api), output=out, ingest=False,
                              poll_interval=0, timeout=0)
    assert list(api.created) == ["msgbatch_001"]
    result = generate_with_batches(settings, selection, _client(api), output=out,
                                   ingest=False, poll_interval=0, sleep=lambda s: None)
    assert result.batch and result.batches == ["msgbatch_001", "msgbatch_002"]
    assert len(result.traces) == 1 and result.requests == 2 and not result.skipped
    assert result.state == state_dir_for(out)
    # another model on the same state is refused, not mixed in
    with pytest.raises(Exception, match="belongs to another run .*model"):
        generate_with_batches(settings, selection, _client(api, model="claude-opus-4-1"),
                              output=out, ingest=False, poll_interval=0)


def test_requests_failing_for_good_skip_their_pairs(demo, tmp_path):
    first, second, third = _pairs(demo, 3)
    api = FakeBatches(always_errored={first.cell_line: "overloaded_error",
                                      second.cell_line: "invalid_request_error"})
    result = generate_with_batches(demo.settings(), PairSelection(pairs=[first, second, third]),
                                   _client(api), output=tmp_path / "rows.jsonl",
                                   ingest=False, poll_interval=0)
    assert [t.cell_line for t in result.traces] == [third.cell_line]
    reasons = {s.cell_line: s.reason for s in result.skipped}
    assert reasons == {
        first.cell_line: "Message Batches: the report request errored 3 times "
                         "(overloaded_error: no luck)",
        second.cell_line: "Message Batches: the report request errored once "
                          "(invalid_request_error: no luck)"}
    assert sorted(api.sent.values()) == [1, 1, 1, 3]  # 3 reports (one sent 3 times), 1 trace
    assert result.batch_requests == 6 and result.resent == 2 and result.requests == 2


def test_batch_is_for_claude_and_the_dry_run_shows_the_batch_price(demo, cli, monkeypatch,
                                                                  capsys):
    assert main([*cli, "generate", "--batch", "--drug", "trametinib", "--limit", "1"]) == 2
    assert "--batch are for --constructor claude" in capsys.readouterr().err
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    assert main([*cli, "generate", "--constructor", "claude", "--batch", "--dry-run",
                 "--drug", "trametinib", "--limit", "2"]) == 0
    out = capsys.readouterr().out
    assert f"dry run, {DEFAULT_MODEL}: 2 pairs" in out
    assert re.search(r"\$[\d.]+ interactive, \$[\d.]+ with Message Batches", out)
