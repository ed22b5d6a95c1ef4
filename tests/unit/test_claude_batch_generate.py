"""The pure parts of a Message Batches generation run: where its state lives, the state files
read back after a kill, the checks that keep one state to one run, how many times a failed
request is sent, and how each pair's requests are replayed from the stored replies (the next
round's body: a re-ask, a bigger budget; or why the pair is skipped). No request is sent: the
replies are written into the state as the API returns them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from vctrace.agents import prompts
from vctrace.agents.batch_generate import (BatchStateMismatch, _evidence, _explanation_judge,
                                           _identity, _open_run, _read_evidence,
                                           _report_judge, _Rounds, pair_key, state_dir_for)
from vctrace.agents.batches import MAX_TRIES, BatchRun, custom_id
from vctrace.agents.claude import DEFAULT_MODEL, MAX_TOKENS_CAP, ClaudeClient, compact_request
from vctrace.agents.run import PairSelection, compact_calls
from vctrace.app.evidence import EvidenceResult
from vctrace.app.generation import PerturbationPair
from vctrace.progress import no_progress

from unit.test_claude_client import CYCLIC_TRACE, EVIDENCE as ITEMS, GOOD_TRACE, KEY, \
    PERTURBATION

PAIR = PerturbationPair(drug="Binimetinib", cell_line="C32", drug_key="binimetinib",
                        cell_line_key="c32", perturbation=PERTURBATION,
                        question="What does binimetinib do in C32?")
EVIDENCE = EvidenceResult(**PAIR.model_dump(), entities=[], items=ITEMS, literature=False)
KEYNAME = pair_key(PAIR)


def _message(text: str, stop: str = "end_turn") -> dict[str, Any]:
    return {"id": "msg_01UNIT", "type": "message", "role": "assistant", "model": DEFAULT_MODEL,
            "content": [{"type": "text", "text": text}] if text else [],
            "stop_reason": stop, "stop_sequence": None,
            "usage": {"input_tokens": 10, "output_tokens": 20,
                      "cache_creation_input_tokens": 0, "cache_read_input_tokens": 100}}


@pytest.fixture
def client():
    with ClaudeClient(KEY, base_url="http://nothing.test", max_retries=0) as claude:
        yield claude


class _State:
    """A BatchRun state written as if batches had run: ``answer(stage, attempt, result)``
    records one id as sent in an ended, collected batch with that result."""

    def __init__(self, client: ClaudeClient, path: Path, **options: Any):
        self.run = BatchRun(client, path, **options)

    def answer(self, stage: str, attempt: int, result: dict[str, Any] | None,
               tries: int = 1) -> str:
        cid = custom_id(stage, KEYNAME, prompts.PROMPT_VERSION, attempt)
        bid = f"msgbatch_{len(self.run.state['batches']) + 1:03d}"
        self.run.state["batches"][bid] = {"status": "ended", "custom_ids": [cid],
                                          "collected": True}
        self.run.state["submitted"][cid] = bid
        self.run.state["tries"][cid] = tries
        if result is not None:
            self.run.state["results"][cid] = result
        return cid


def _rounds(client: ClaudeClient, state: _State) -> _Rounds:
    return _Rounds(client, state.run, poll_interval=0, deadline=None, progress=no_progress,
                   sleep=lambda s: None, state=Path("state"))


def _ok(text: str, stop: str = "end_turn") -> dict[str, Any]:
    return {"type": "succeeded", "message": _message(text, stop)}


def _report_walk(client, state):
    body = client.report_params(PERTURBATION, PAIR.question, ITEMS)
    return body, _rounds(client, state).walk("report", KEYNAME, body,
                                            _report_judge(["E1", "E2"]))


def test_state_folder_beside_the_output_and_pair_keys():
    assert state_dir_for(Path("/x/run.jsonl")) == Path("/x/run.jsonl.batch")
    assert KEYNAME == "binimetinib|c32"


def test_records_are_kept_compacted_and_compacting_twice_changes_nothing(client):
    body = client.explanation_params(PERTURBATION, PAIR.question, "report [E1]", ITEMS)
    _, record = client.batch_reply("explanation", body, _message("{}"))
    light, = compact_calls([record])
    assert light.request == compact_request(body) == compact_request(light.request)
    assert light.request["system"][0]["text"] == \
        "sha256:" + prompts.template_hash(prompts.explanation_prefix())
    assert light.request["messages"] == body["messages"] and light.usage == record.usage


def test_evidence_lines_cut_by_a_kill_are_dropped(tmp_path):
    path = tmp_path / "evidence.jsonl"
    good = json.dumps({"pair": KEYNAME, "evidence": EVIDENCE.model_dump(mode="json")})
    skipped = json.dumps({"pair": "x|y", "skipped": "evidence: PubMed answered HTTP 500"})
    path.write_text(good + "\n" + skipped + "\n" + good[:40], encoding="utf-8")
    done = _read_evidence(path)
    assert done == {KEYNAME: EVIDENCE, "x|y": "evidence: PubMed answered HTTP 500"}
    assert path.read_text(encoding="utf-8") == good + "\n" + skipped + "\n"
    assert _read_evidence(tmp_path / "none.jsonl") == {}
    # pairs already read are not read again (no graph is needed here)
    selection = PairSelection(pairs=[PAIR])
    assert _evidence(None, selection, path, False, no_progress)[KEYNAME] == EVIDENCE


def test_one_state_holds_one_run(client, tmp_path):
    selection = PairSelection(pairs=[PAIR])
    identity = _identity(client, selection, False)
    assert identity["model"] == DEFAULT_MODEL and identity["pairs"] == [KEYNAME]
    assert identity["template_hashes"]["report"] == prompts.template_hash(
        prompts.report_prefix())
    run = _open_run(tmp_path / "s", identity, lambda: "g-1")
    assert run["run"] == "g-1" and run["created_at"]
    assert _open_run(tmp_path / "s", identity, lambda: "g-2")["run"] == "g-1"  # resumed
    other = _identity(client, PairSelection(pairs=[]), True)
    with pytest.raises(BatchStateMismatch, match="literature, pairs differ"):
        _open_run(tmp_path / "s", other, lambda: "g-3")
    assert KEY not in (tmp_path / "s" / "run.json").read_text()


def test_failed_requests_are_sent_at_most_max_tries_and_say_why(client, tmp_path):
    state = _State(client, tmp_path / "b.json")
    overloaded = {"type": "errored", "error": {"type": "error", "error": {
        "type": "overloaded_error", "message": "Overloaded"}}}
    cid = state.answer("report", 1, overloaded, tries=1)
    assert state.run.outstanding([cid]) == [cid] and state.run.given_up(cid) is None
    state.run.state["tries"][cid] = MAX_TRIES
    assert state.run.outstanding([cid]) == []
    assert state.run.given_up(cid) == "errored 3 times (overloaded_error: Overloaded)"
    bad = state.answer("explanation", 1, {"type": "errored", "error": {"type": "error",
                       "error": {"type": "invalid_request_error", "message": "too long"}}})
    assert state.run.outstanding([bad]) == []  # the request's own error: never re-sent
    assert state.run.given_up(bad) == "errored once (invalid_request_error: too long)"
    lost = state.answer("explanation", 2, None)
    assert state.run.given_up(lost) == "had no result in its ended batch"
    assert state.run.given_up("never-sent") is None
    with pytest.raises(ValueError):
        BatchRun(client, tmp_path / "c.json", max_tries=0)


def test_a_report_walk_needs_sends_reasks_and_accepts(client, tmp_path):
    state = _State(client, tmp_path / "b.json")
    body, step = _report_walk(client, state)
    assert step.status == "need" and step.body == body and step.cid.endswith("-1")
    state.answer("report", 1, _ok("binimetinib binds MEK1 [E1] [E7]"))
    _, step = _report_walk(client, state)
    assert step.status == "need" and step.cid.endswith("-2") and step.reasked
    assert [m["role"] for m in step.body["messages"]] == ["user", "assistant", "user"]
    assert "E7" in step.body["messages"][2]["content"]
    assert len(step.records) == 1 and step.records[0].cost_usd > 0
    state.answer("report", 2, _ok("binimetinib binds MEK1 [E1] and ERK [E2]"))
    _, step = _report_walk(client, state)
    assert step.status == "done" and step.reasked and step.text.endswith("[E2]")
    assert [r.attempt for r in step.records] == [1, 2]


def test_a_report_still_citing_unknown_ids_after_its_reask_is_rejected(client, tmp_path):
    state = _State(client, tmp_path / "b.json")
    state.answer("report", 1, _ok("[E9]"))
    state.answer("report", 2, _ok("[E8]"))
    _, step = _report_walk(client, state)
    assert step.status == "skip" and "after one re-ask: E8" in step.reason
    assert len(step.records) == 2


def test_a_cut_reply_is_sent_once_with_twice_the_budget(client, tmp_path):
    state = _State(client, tmp_path / "b.json")
    state.answer("report", 1, _ok("cut", stop="max_tokens"))
    body, step = _report_walk(client, state)
    assert step.status == "need" and step.cid.endswith("-2")
    assert step.body["max_tokens"] == min(2 * body["max_tokens"], MAX_TOKENS_CAP)
    assert step.body["messages"] == body["messages"]
    state.answer("report", 2, _ok("cut again", stop="max_tokens"))
    _, step = _report_walk(client, state)
    assert step.status == "skip" and "cut off" in step.reason
    assert f"max_tokens={step.records[-1].request['max_tokens']}" in step.reason


def test_refusals_and_given_up_requests_skip_the_pair(client, tmp_path):
    state = _State(client, tmp_path / "b.json")
    state.answer("report", 1, _ok("", stop="refusal"))
    _, step = _report_walk(client, state)
    assert step.status == "skip" and "declined" in step.reason and len(step.records) == 1
    state = _State(client, tmp_path / "c.json")
    state.answer("report", 1, {"type": "expired"}, tries=MAX_TRIES)
    _, step = _report_walk(client, state)
    assert step.status == "skip" and not step.records
    assert step.reason == "Message Batches: the report request expired 3 times"


def test_an_invalid_trace_is_reasked_quoting_its_errors(client, tmp_path):
    state = _State(client, tmp_path / "b.json")
    report = "binimetinib binds MEK1 [E1]"
    body = client.explanation_params(PERTURBATION, PAIR.question, report, ITEMS)
    state.answer("explanation", 1, _ok(json.dumps(CYCLIC_TRACE)))
    walk = _rounds(client, state)
    judge = _explanation_judge(EVIDENCE, report)
    step = walk.walk("explanation", KEYNAME, body, judge)
    assert step.status == "need" and "cycle" in step.body["messages"][2]["content"]
    state.answer("explanation", 2, _ok(json.dumps(GOOD_TRACE)))
    step = walk.walk("explanation", KEYNAME, body, judge)
    assert step.status == "done" and step.checked.valid and step.reasked
    assert step.checked.trace.trace_id == "claude:binimetinib|c32"
