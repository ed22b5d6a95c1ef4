"""The Claude face (vctrace.agents.claude) at the transport layer: the real anthropic SDK 2.x
sends through an ``httpx2.MockTransport`` that answers in the documented Messages API shape.
No key, no network: the key below is a made-up string whose absence from logs, errors and
records is checked.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from typing import Any, Callable

import httpx2
import pytest

from vctrace.agents import prompts
from vctrace.agents.batches import BatchRun, custom_id
from vctrace.agents.claude import (DEFAULT_MODEL, ClaudeApiError, ClaudeClient, MissingApiKey,
                                   OutputTruncated, Refused, ReportRejected, TraceRejected,
                                   estimate_run)
from vctrace.agents.pricing import MIN_CACHEABLE_TOKENS, PRICES, approx_tokens, call_cost, estimate
from vctrace.app.llm_traces import trace_json_schema

KEY = "sk-ant-test-Zq7SECRETxK2-never-show-me"
BASE = "http://claude.test"
PERTURBATION = {"context": [{"cell type": "C32", "subtype": "disease cell",
                             "description": "The source organ of cell line C32 is Skin."}],
                "perturbations": [{"name": "Binimetinib", "perturbation type": "chemical",
                                   "known targets": "MAP2K1, MAP2K2"}]}
QUESTION = "**Q: How does the following perturbation influence the cell?**"
EVIDENCE = [{"id": "E1", "source": "primekg", "source_id": "DB11967-MAP2K1",
             "text": "binimetinib targets MAP2K1"},
            {"id": "E2", "source": "pubmed", "source_id": "PMID:1",
             "text": "MEK inhibition arrests BRAF-mutant melanoma cells in G1"}]
REPORT = "# Comprehensive Mechanistic Report\nBinimetinib inhibits MEK1 [E1], arrest [E2]."

GOOD_TRACE = {
    "actions": [
        {"primitive": "set_context", "args": {"cell_type": "C32", "disease": "melanoma"}},
        {"id": "n1", "primitive": "binds_to", "args": {"actor": "binimetinib",
                                                       "target": "MAP2K1"}},
        {"id": "n2", "primitive": "modulates_molecule_activity",
         "args": {"target": "MAP2K1", "direction": "down"}},
        {"id": "n3", "primitive": "induces_phenotype",
         "args": {"source": "binimetinib", "phenotype": "G1 arrest"}}],
    "edges": [{"source": "n1", "target": "n2", "relation": "causal"},
              {"source": "n2", "target": "n3", "relation": "causal"}]}
CYCLIC_TRACE = {**GOOD_TRACE, "edges": GOOD_TRACE["edges"] + [
    {"source": "n3", "target": "n1", "relation": "causal"}]}

USAGE = {"input_tokens": 812, "output_tokens": 640, "cache_creation_input_tokens": 0,
         "cache_read_input_tokens": 3100}


def message(content: list[dict[str, Any]], *, stop: str = "end_turn",
            usage: dict[str, int] | None = None, number: int = 1) -> dict[str, Any]:
    """A Messages API response body as documented."""
    return {"id": f"msg_01TEST{number:04d}", "type": "message", "role": "assistant",
            "model": DEFAULT_MODEL, "content": content, "stop_reason": stop,
            "stop_sequence": None, "usage": dict(usage or USAGE)}


def text(value: str) -> dict[str, Any]:
    return {"type": "text", "text": value}


def thinking() -> dict[str, Any]:
    return {"type": "thinking", "thinking": "MEK sits downstream of BRAF…",
            "signature": "EqQBCkYIARgCIkBfakeSignature"}


def ok(body: dict[str, Any], **headers: str) -> httpx2.Response:
    return httpx2.Response(200, json=body, headers={"request-id": "req_01TEST", **headers})


def error(status: int, kind: str, text_: str, **headers: str) -> httpx2.Response:
    return httpx2.Response(status, json={"type": "error", "error": {"type": kind,
                                                                     "message": text_}},
                           headers={"request-id": "req_01ERR", **headers})


class Api:
    """A scripted Messages API: answers in order, records each request."""

    def __init__(self, *answers: httpx2.Response | Callable[[httpx2.Request], httpx2.Response]):
        self.answers = list(answers)
        self.requests: list[httpx2.Request] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        assert request.url.path == "/v1/messages"
        answer = self.answers.pop(0)
        return answer(request) if callable(answer) else answer

    def body(self, index: int) -> dict[str, Any]:
        return json.loads(self.requests[index].content)

    def client(self, **options: Any) -> ClaudeClient:
        http = httpx2.Client(transport=httpx2.MockTransport(self))
        return ClaudeClient(KEY, http_client=http, base_url=BASE,
                            max_retries=options.pop("max_retries", 2), **options)


# ---------------------------------------------------------------- request shape


def test_request_shape_structured_output_caching_no_sampling():
    api = Api(ok(message([text(json.dumps(GOOD_TRACE))])),
              ok(message([text(json.dumps(GOOD_TRACE))], number=2)))
    client = api.client()
    client.construct_explanation(PERTURBATION, QUESTION, REPORT, EVIDENCE)
    other = {**PERTURBATION, "perturbations": [{"name": "Trametinib"}]}
    client.construct_explanation(other, QUESTION, REPORT, EVIDENCE)

    first, second = api.body(0), api.body(1)
    assert first["model"] == DEFAULT_MODEL == "claude-sonnet-5-5"
    assert first["max_tokens"] == 8000
    assert first["output_config"] == {"format": {"type": "json_schema",
                                                 "schema": trace_json_schema()}}
    assert not {"temperature", "top_p", "top_k", "thinking"} & set(first)
    system = first["system"]
    assert len(system) == 1 and system[0]["type"] == "text"
    assert system[0]["cache_control"] == {"type": "ephemeral"}
    assert system[0]["text"] == prompts.explanation_prefix()
    for name in ("binds_to", "induces_phenotype", "set_context"):
        assert name in system[0]["text"]
    # the static prefix is byte-identical across pairs; the pair is in the user turn only
    assert system == second["system"]
    assert first["messages"] != second["messages"]
    assert "Trametinib" in second["messages"][0]["content"]
    assert "Trametinib" not in json.dumps(second["system"])
    assert first["messages"][0]["role"] == "user"
    assert "[E2] pubmed, PMID:1, MEK inhibition" in first["messages"][0]["content"]
    # the bodies a batch would send are the same as those sent interactively
    assert client.explanation_params(PERTURBATION, QUESTION, REPORT, EVIDENCE) == first
    headers = api.requests[0].headers
    # the key goes to the API (SDK 2.x: a bearer token), and only there
    assert headers["authorization"] == f"Bearer {KEY}"
    assert headers["anthropic-version"]


def test_structured_output_found_by_type_after_thinking_blocks():
    content = [thinking(), {"type": "redacted_thinking", "data": "ENCRYPTED"},
               text(json.dumps(GOOD_TRACE))]
    api = Api(ok(message(content)))
    result = api.client().construct_explanation(PERTURBATION, QUESTION, REPORT, EVIDENCE,
                                                trace_id="claude:binimetinib|c32")
    assert not result.reasked and len(result.calls) == 1
    assert result.trace.trace_id == "claude:binimetinib|c32"
    assert result.trace.report_text == REPORT and result.trace.drug == "Binimetinib"
    assert [a.primitive for a in result.trace.actions] == [
        "set_context", "binds_to", "modulates_molecule_activity", "induces_phenotype"]
    assert result.explain.splitlines()[1] == \
        'binds_to(id="n1", actor="binimetinib", target="MAP2K1")'
    assert result.dag == ('edge("n1", "n2", relation="causal")\n'
                          'edge("n2", "n3", relation="causal")')


# ---------------------------------------------------------------- retries and stops


def test_429_with_retry_after_then_success():
    api = Api(error(429, "rate_limit_error", "slow down", **{"retry-after-ms": "50"}),
              error(429, "rate_limit_error", "slow down", **{"retry-after": "0.1"}),
              ok(message([text(json.dumps(GOOD_TRACE))])))
    started = time.perf_counter()
    result = api.client(max_retries=2).construct_explanation(PERTURBATION, QUESTION, REPORT,
                                                             EVIDENCE)
    elapsed = time.perf_counter() - started
    assert len(api.requests) == 3 and len(result.calls) == 1
    assert 0.15 <= elapsed < 3.0  # the waits the server asked for, not the SDK's backoff
    assert api.body(0) == api.body(2)  # the same request, re-sent by the SDK


def test_429_beyond_max_retries_is_a_clear_error():
    api = Api(*[error(429, "rate_limit_error", "slow down", **{"retry-after-ms": "1"})
                for _ in range(2)])
    with pytest.raises(ClaudeApiError) as caught:
        api.client(max_retries=1).write_report(PERTURBATION, QUESTION, EVIDENCE)
    assert caught.value.status == 429 and caught.value.request_id == "req_01ERR"
    assert "rate_limit_error: slow down" in str(caught.value)
    assert len(api.requests) == 2


def test_max_tokens_is_retried_once_with_a_larger_budget_then_an_error():
    cut = json.dumps(GOOD_TRACE)[:40]
    api = Api(ok(message([text(cut)], stop="max_tokens")),
              ok(message([text(cut)], stop="max_tokens", number=2)))
    with pytest.raises(OutputTruncated) as caught:
        api.client().construct_explanation(PERTURBATION, QUESTION, REPORT, EVIDENCE)
    assert [api.body(i)["max_tokens"] for i in range(2)] == [8000, 16000]
    assert "max_tokens=16000" in str(caught.value) and len(caught.value.calls) == 2

    api = Api(ok(message([text(cut)], stop="max_tokens")),
              ok(message([text(json.dumps(GOOD_TRACE))], number=2)))
    result = api.client().construct_explanation(PERTURBATION, QUESTION, REPORT, EVIDENCE)
    assert len(result.calls) == 2 and result.trace.actions


def test_refusal_is_an_error_without_a_trace_and_is_not_retried():
    api = Api(ok(message([], stop="refusal")))
    with pytest.raises(Refused) as caught:
        api.client().construct_explanation(PERTURBATION, QUESTION, REPORT, EVIDENCE)
    assert "refusal" in str(caught.value) and len(api.requests) == 1
    assert caught.value.calls[0].stop_reason == "refusal"


# ---------------------------------------------------------------- re-asks


def test_invalid_trace_gets_exactly_one_reask_quoting_the_findings():
    first = json.dumps(CYCLIC_TRACE)
    api = Api(ok(message([thinking(), text(first)])),
              ok(message([text(json.dumps(GOOD_TRACE))], number=2)))
    result = api.client().construct_explanation(PERTURBATION, QUESTION, REPORT, EVIDENCE)
    assert result.reasked and len(api.requests) == 2
    messages = api.body(1)["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "user"]
    assert messages[0] == api.body(0)["messages"][0]
    assert messages[1]["content"] == first
    assert "cycle at dag:line 3: cycle n1 -> n2 -> n3 -> n1" in messages[2]["content"]
    assert api.body(1)["system"] == api.body(0)["system"]
    assert api.body(1)["output_config"] == api.body(0)["output_config"]


def test_still_invalid_after_the_reask_gives_up_with_the_findings():
    dangling = {**GOOD_TRACE, "edges": GOOD_TRACE["edges"] + [
        {"source": "n2", "target": "n7", "relation": "causal"}]}
    api = Api(ok(message([text(json.dumps(CYCLIC_TRACE))])),
              ok(message([text(json.dumps(dangling))], number=2)))
    with pytest.raises(TraceRejected) as caught:
        api.client().construct_explanation(PERTURBATION, QUESTION, REPORT, EVIDENCE)
    assert len(api.requests) == 2
    assert any(e.startswith("dangling_edge") and "'n7'" in e for e in caught.value.errors)
    assert not caught.value.checked.valid and len(caught.value.calls) == 2


def test_report_citing_unknown_ids_is_reasked_once_naming_them():
    api = Api(ok(message([text("Claim [E1]. Another [E2, E9]. More [E14].")])),
              ok(message([text(REPORT)], number=2)))
    result = api.client().write_report(PERTURBATION, QUESTION, EVIDENCE)
    assert result.reasked and result.report == REPORT and result.cited == ["E1", "E2"]
    body = api.body(1)
    assert "output_config" not in body
    assert body["system"][0]["text"] == prompts.report_prefix()
    assert body["system"][0]["cache_control"] == {"type": "ephemeral"}
    assert api.client().report_params(PERTURBATION, QUESTION, EVIDENCE) == api.body(0)
    reask = body["messages"][2]["content"]
    assert "[E9], [E14]" in reask and "E1, E2" in reask

    api = Api(ok(message([text("Claim [E9].")])), ok(message([text("Still [E9].")])))
    with pytest.raises(ReportRejected) as caught:
        api.client().write_report(PERTURBATION, QUESTION, EVIDENCE)
    assert caught.value.unknown == ["E9"] and len(api.requests) == 2


def test_report_with_known_ids_is_accepted_first_time():
    api = Api(ok(message([thinking(), text(REPORT)])))
    result = api.client().write_report(PERTURBATION, QUESTION, EVIDENCE)
    assert not result.reasked and len(api.requests) == 1 and result.cited == ["E1", "E2"]


# ---------------------------------------------------------------- records, key, cost


def test_usage_cost_and_prompt_hash_are_recorded():
    usage2 = {"input_tokens": 900, "output_tokens": 700, "cache_creation_input_tokens": 0,
              "cache_read_input_tokens": 3100}
    first = {"input_tokens": 812, "output_tokens": 640, "cache_creation_input_tokens": 3100,
             "cache_read_input_tokens": 0}
    api = Api(ok(message([text(json.dumps(CYCLIC_TRACE))], usage=first)),
              ok(message([text(json.dumps(GOOD_TRACE))], usage=usage2, number=2)))
    result = api.client().construct_explanation(PERTURBATION, QUESTION, REPORT, EVIDENCE)
    one, two = result.calls
    assert one.model == DEFAULT_MODEL and one.response_model == DEFAULT_MODEL
    assert one.prompt_template_hash == hashlib.sha256(
        prompts.explanation_prefix().encode()).hexdigest() == two.prompt_template_hash
    assert one.usage.model_dump() == first and two.usage.model_dump() == usage2
    price = PRICES[DEFAULT_MODEL]
    expected = (812 * price.input + 640 * price.output + 3100 * price.cache_write) / 1e6
    assert one.cost_usd == pytest.approx(expected)
    assert result.cost_usd == pytest.approx(one.cost_usd + two.cost_usd)
    assert result.usage.cache_read_input_tokens == 3100
    assert result.usage.input_tokens == 1712
    assert one.message_id == "msg_01TEST0001" and one.request_id == "req_01TEST"
    assert one.request["output_config"]["format"]["type"] == "json_schema"
    assert one.response["content"][0]["type"] == "text"
    assert one.stop_reason == "end_turn" and one.attempt == 1 and two.attempt == 2


def test_the_key_never_appears_in_logs_errors_or_records(caplog):
    caplog.set_level(logging.DEBUG)
    api = Api(error(429, "rate_limit_error", "slow", **{"retry-after-ms": "1"}),
              ok(message([text(json.dumps(CYCLIC_TRACE))])),
              ok(message([text(json.dumps(CYCLIC_TRACE))], number=2)),
              error(401, "authentication_error", "invalid x-api-key"))
    client = api.client()
    with pytest.raises(TraceRejected) as rejected:
        client.construct_explanation(PERTURBATION, QUESTION, REPORT, EVIDENCE)
    with pytest.raises(ClaudeApiError) as denied:
        client.write_report(PERTURBATION, QUESTION, EVIDENCE)
    assert denied.value.status == 401 and denied.value.__cause__ is None
    assert denied.value.__suppress_context__
    assert caplog.records  # the SDK and the face did log
    seen = [caplog.text, str(rejected.value), repr(rejected.value), str(denied.value),
            repr(client), json.dumps(vars(client), default=repr)]
    seen += [c.model_dump_json() for c in rejected.value.calls]
    assert not any(KEY in s for s in seen)
    assert not any("Zq7SECRET" in s for s in seen)


def test_missing_key_is_a_clear_error(monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with pytest.raises(MissingApiKey, match="ANTHROPIC_API_KEY"):
        ClaudeClient.from_env()
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    client = ClaudeClient.from_env(base_url=BASE)
    assert KEY not in repr(client) and client.model == DEFAULT_MODEL


def test_evidence_as_models_and_without_ids():
    from pydantic import BaseModel

    class Item(BaseModel):
        id: str
        source: str
        text: str

    api = Api(ok(message([text("Fine [E5].")])))
    result = api.client().write_report(PERTURBATION, QUESTION,
                                       [Item(id="E5", source="wikipedia", text="MEK")])
    assert result.cited == ["E5"]
    assert "[E5] wikipedia, MEK" in api.body(0)["messages"][0]["content"]
    with pytest.raises(ValueError, match="no string id"):
        api.client().write_report(PERTURBATION, QUESTION, [{"text": "no id"}])


# ---------------------------------------------------------------- dry run


def test_dry_run_estimate_interactive_and_batch():
    est = estimate_run(18_950)
    assert est.model == DEFAULT_MODEL and est.pairs == 18_950
    assert est.requests == 2 * (18_950 + 1_895)
    assert est.batch_usd == pytest.approx(est.interactive_usd / 2, rel=1e-6)
    assert est.stages[1].cache_write_tokens == est.stages[1].static_prefix_tokens
    assert est.stages[1].cache_read_tokens == (est.stages[1].requests - 1) * \
        est.stages[1].static_prefix_tokens
    assert est.interactive_usd == pytest.approx(call_cost(
        DEFAULT_MODEL, input_tokens=est.input_tokens, output_tokens=est.output_tokens,
        cache_creation_input_tokens=est.cache_write_tokens,
        cache_read_input_tokens=est.cache_read_tokens), rel=1e-4)
    assert 0 < est.interactive_usd < 10_000
    assert estimate(0, model=DEFAULT_MODEL, report_prefix_chars=10,
                    explain_prefix_chars=10).requests == 0


def test_a_prefix_under_the_cacheable_minimum_is_plain_input():
    short = MIN_CACHEABLE_TOKENS * 4 - 40
    est = estimate(10, model=DEFAULT_MODEL, report_prefix_chars=short,
                   explain_prefix_chars=short * 4, reask_share=0)
    report, explanation = est.stages
    assert report.cache_write_tokens == report.cache_read_tokens == 0
    assert report.input_tokens == 10 * (approx_tokens(short) + approx_tokens(900)
                                        + approx_tokens(6_000))
    assert explanation.cache_write_tokens == approx_tokens(short * 4)
    assert explanation.cache_read_tokens == 9 * approx_tokens(short * 4)
    assert approx_tokens(prompts.explanation_prefix()) >= MIN_CACHEABLE_TOKENS


def test_generated_row_reads_back_valid_with_its_provenance(tmp_path):
    from vctrace.agents.claude import generated_row
    from vctrace.app.traces import validate

    api = Api(ok(message([text(REPORT)])),
              ok(message([thinking(), text(json.dumps(CYCLIC_TRACE))], number=2)),
              ok(message([text(json.dumps(GOOD_TRACE))], number=3)))
    client = api.client()
    report = client.write_report(PERTURBATION, QUESTION, EVIDENCE)
    explanation = client.construct_explanation(PERTURBATION, QUESTION, report.report,
                                               EVIDENCE, trace_id="claude:binimetinib|c32")
    row = generated_row(explanation, evidence=EVIDENCE, report=report)
    prov = row["provenance"]
    assert prov["constructor"] == "claude" and prov["model"] == DEFAULT_MODEL
    assert [c["stage"] for c in prov["calls"]] == ["report", "explanation", "explanation"]
    assert prov["evidence"] == EVIDENCE and prov["reasked"] == {"report": False,
                                                               "explanation": True}
    assert prov["prompt_template_hashes"]["explanation"] == prompts.template_hash(
        prompts.explanation_prefix())
    stored = prov["calls"][1]["request"]
    assert stored["system"][0]["text"].startswith("sha256:")
    assert stored["output_config"]["format"]["schema"].startswith("sha256:")
    assert stored["messages"] == api.body(1)["messages"]
    assert prov["calls"][1]["response"]["content"][0]["type"] == "thinking"
    assert prov["cost_usd"] == pytest.approx(report.cost_usd + explanation.cost_usd)
    path = tmp_path / "generated.jsonl"
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    assert KEY not in path.read_text(encoding="utf-8")
    result = validate([path])
    assert result.valid and result.files[0].valid == 1


def test_unreachable_api_is_a_clear_error():
    def refuse(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ConnectError("connection refused", request=request)

    api = Api(refuse)
    with pytest.raises(ClaudeApiError, match="not reachable at the report stage") as caught:
        api.client(max_retries=0).write_report(PERTURBATION, QUESTION, EVIDENCE)
    assert caught.value.status is None and KEY not in str(caught.value)


# ---------------------------------------------------------------- Message Batches
# create (split under the limits), poll, results as JSONL out of order with errored and
# expired items, resume after a kill from the state file, re-sending only what failed


def _batch(bid: str, status: str, counts: dict[str, int] | None = None) -> dict[str, Any]:
    ended = status == "ended"
    return {"id": bid, "type": "message_batch", "processing_status": status,
            "request_counts": {"processing": 0 if ended else 1, "succeeded": 0, "errored": 0,
                               "canceled": 0, "expired": 0, **(counts or {})},
            "created_at": "2026-11-30T12:00:00Z", "expires_at": "2026-12-01T12:00:00Z",
            "ended_at": "2026-11-30T12:30:00Z" if ended else None,
            "cancel_initiated_at": None, "archived_at": None,
            "results_url": f"{BASE}/v1/messages/batches/{bid}/results" if ended else None}


def _message(cid: str) -> dict[str, Any]:
    return {"id": f"msg_{cid[:8]}", "type": "message", "role": "assistant",
            "model": DEFAULT_MODEL, "content": [{"type": "text", "text": f"report {cid}"}],
            "stop_reason": "end_turn", "stop_sequence": None,
            "usage": {"input_tokens": 10, "output_tokens": 5,
                      "cache_creation_input_tokens": 0, "cache_read_input_tokens": 90}}


class FakeBatches:
    """The Message Batches endpoints; ``outcome`` says how each custom id ends."""

    def __init__(self, outcome: dict[str, str]):
        self.outcome = outcome
        self.created: dict[str, list[dict[str, Any]]] = {}
        self.polls: dict[str, int] = {}

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        path = request.url.path
        if request.method == "POST" and path == "/v1/messages/batches":
            bid = f"msgbatch_{len(self.created) + 1:03d}"
            self.created[bid] = json.loads(request.content)["requests"]
            return httpx2.Response(200, json=_batch(bid, "in_progress"))
        if path.endswith("/results"):
            bid = path.split("/")[-2]
            lines = []
            for item in reversed(self.created[bid]):  # out of order
                cid, kind = item["custom_id"], self.outcome.get(item["custom_id"], "succeeded")
                result: dict[str, Any] = {"type": kind}
                if kind == "succeeded":
                    result["message"] = _message(cid)
                elif kind == "errored":
                    result["error"] = {"type": "error", "error": {
                        "type": "overloaded_error", "message": "Overloaded"}}
                lines.append(json.dumps({"custom_id": cid, "result": result}))
            return httpx2.Response(200, content="\n".join(lines).encode() + b"\n",
                                   headers={"content-type": "application/binary"})
        bid = path.split("/")[-1]
        self.polls[bid] = self.polls.get(bid, 0) + 1
        status = "ended" if self.polls[bid] >= 2 else "in_progress"
        return httpx2.Response(200, json=_batch(bid, status))


def _batch_client(fake: FakeBatches) -> ClaudeClient:
    return ClaudeClient(KEY, http_client=httpx2.Client(transport=httpx2.MockTransport(fake)),
                        base_url=BASE, max_retries=0)


def _requests(n: int) -> dict[str, dict[str, Any]]:
    return {custom_id("report", f"drug{i}|cell{i}", "v1"): {
        "model": DEFAULT_MODEL, "max_tokens": 100,
        "system": [{"type": "text", "text": "static", "cache_control": {"type": "ephemeral"}}],
        "messages": [{"role": "user", "content": f"pair {i}"}]} for i in range(n)}


def test_custom_ids_are_short_safe_and_distinct():
    ids = {custom_id(stage, f"d{i}|c", v) for stage in ("report", "explanation")
           for i in range(50) for v in ("v1", "v2")}
    assert len(ids) == 200
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{1,64}", i) for i in ids)
    assert custom_id("report", "a|b", "v1", 2).endswith("-2")


def test_batches_split_poll_collect_resume_and_resend_only_failures(tmp_path):
    requests = _requests(5)
    ids = list(requests)
    fake = FakeBatches({ids[1]: "errored", ids[3]: "expired"})
    state = tmp_path / "batches.json"

    run = BatchRun(_batch_client(fake), state, max_requests=2)
    created = run.submit(requests)
    assert created == ["msgbatch_001", "msgbatch_002", "msgbatch_003"]
    assert [len(fake.created[b]) for b in created] == [2, 2, 1]
    assert fake.created["msgbatch_001"][0]["params"] == requests[ids[0]]
    del run  # killed after submitting

    run = BatchRun(_batch_client(fake), state, max_requests=2)
    assert run.submit(requests) == []  # nothing is sent twice
    sleeps: list[float] = []
    assert run.poll(interval=7, sleep=sleeps.append)
    assert sleeps == [7]
    assert run.collect() == {"succeeded": 3, "errored": 1, "expired": 1}
    assert run.collect() == {}  # collected once
    assert set(run.succeeded()) == {ids[0], ids[2], ids[4]}
    assert run.succeeded()[ids[2]]["content"][0]["text"] == f"report {ids[2]}"
    assert run.failed() == {ids[1]: "errored", ids[3]: "expired"}

    fake.outcome = {}
    resent = BatchRun(_batch_client(fake), state, max_requests=2).submit(requests)
    assert resent == ["msgbatch_004"]
    assert [i["custom_id"] for i in fake.created["msgbatch_004"]] == [ids[1], ids[3]]
    run = BatchRun(_batch_client(fake), state)
    assert run.poll(interval=0, sleep=lambda s: None)
    assert run.collect() == {"succeeded": 2}
    assert set(run.succeeded()) == set(ids) and run.failed() == {}
    assert KEY not in state.read_text()


def test_split_by_bytes_and_poll_timeout(tmp_path):
    requests = _requests(3)
    size = len(json.dumps({"custom_id": next(iter(requests)),
                           "params": next(iter(requests.values()))}).encode())
    fake = FakeBatches({})
    run = BatchRun(_batch_client(fake), tmp_path / "s.json", max_bytes=size * 2 + 1)
    assert len(run.submit(requests)) == 2
    assert run.poll(interval=0, timeout=0, sleep=lambda s: None) is False


def test_batch_results_are_read_like_interactive_replies_at_the_batch_price():
    client = Api().client()
    body = client.explanation_params(PERTURBATION, QUESTION, REPORT, EVIDENCE)
    reply = json.dumps(CYCLIC_TRACE)
    checked, record, text_ = client.explanation_from_batch(
        body, message([thinking(), text(reply)]), perturbation=PERTURBATION,
        question=QUESTION, report=REPORT, trace_id="claude:x")
    assert text_ == reply and not checked.valid
    assert any(e.startswith("cycle") for e in checked.errors)
    price = PRICES[DEFAULT_MODEL]
    assert record.cost_usd == pytest.approx(
        (812 * price.input + 640 * price.output + 3100 * price.cache_read) / 2e6)
    assert record.prompt_template_hash == prompts.template_hash(prompts.explanation_prefix())
    reask = client.reask_params(body, text_, errors=checked.errors)
    assert [m["role"] for m in reask["messages"]] == ["user", "assistant", "user"]
    assert checked.errors[0] in reask["messages"][2]["content"]
    assert reask["system"] == body["system"] and body["messages"] != reask["messages"]
    good, _, _ = client.explanation_from_batch(
        reask, message([text(json.dumps(GOOD_TRACE))]), perturbation=PERTURBATION,
        question=QUESTION, report=REPORT, attempt=2)
    assert good.valid
    report_body = client.report_params(PERTURBATION, QUESTION, EVIDENCE)
    named = client.reask_params(report_body, "[E9]", unknown=["E9"], known=["E1", "E2"])
    assert "[E9]" in named["messages"][2]["content"]
    with pytest.raises(Refused):
        client.batch_reply("report", report_body, message([], stop="refusal"))
    with pytest.raises(OutputTruncated):
        client.batch_reply("report", report_body, message([text("cut")], stop="max_tokens"))
