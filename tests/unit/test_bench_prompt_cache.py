"""The simulated Messages API of ``bench/generate_claude.py`` (its prompt cache and replies),
driven by the real ``ClaudeClient`` over an ``httpx2.MockTransport``: the explanation prefix
is written once and read by every later request while alive, a changed prefix or an expired
entry is written again, a prefix under the minimum is never cached, an entry is readable only
once its response has begun, and wrong first answers are re-asked and then accepted. No
server, no network."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import httpx2
import pytest

from vctrace.agents import prompts
from vctrace.agents.claude import ClaudeClient
from vctrace.agents.pricing import approx_tokens

BENCH = Path(__file__).resolve().parents[2] / "bench" / "generate_claude.py"
PERTURBATION = {"context": [{"cell type": "A549", "subtype": "disease cell"}],
                "perturbations": [{"name": "Trametinib", "perturbation type": "chemical",
                                   "moa_type": "MEK inhibitor"}]}
EVIDENCE = [
    {"id": "E1", "source": "tahoe", "source_id": "drug_metadata:trametinib",
     "text": "Trametinib: mechanism of action MEK inhibitor; listed targets MAP2K1, MAP2K2"},
    {"id": "E2", "source": "primekg", "source_id": "TARGET:trametinib->MAP2K1",
     "text": "Trametinib targets MAP2K1 (PrimeKG drug_protein, target)"},
    {"id": "E3", "source": "primekg", "source_id": "TARGET:trametinib->MAP2K2",
     "text": "Trametinib targets MAP2K2 (PrimeKG drug_protein, target)"},
    {"id": "E4", "source": "primekg", "source_id": "PART_OF:MAP2K1->R-HSA-5673001",
     "text": "MAP2K1 participates in the Reactome pathway RAF/MAP kinase cascade "
             "(R-HSA-5673001; 41 member genes)"},
]
QUESTION = "How does Trametinib change A549?"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_generate_claude", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def _client(api) -> ClaudeClient:
    return ClaudeClient("sk-test", base_url="http://api.test", max_retries=0,
                        http_client=httpx2.Client(transport=api.transport()))


def _explain(client: ClaudeClient, perturbation=PERTURBATION):
    return client.construct_explanation(perturbation, QUESTION, "MEK inhibition [E2].",
                                        EVIDENCE, trace_id="claude:t|a")


def test_the_explanation_prefix_is_written_once_then_read(bench):
    clock = Clock()
    api = bench.MessagesApiSimulator(invalid_share=0.0, clock=clock)
    prefix = approx_tokens(prompts.explanation_prefix())
    with _client(api) as client:
        first = _explain(client)
        clock.now += 299
        second = _explain(client, {**PERTURBATION, "context": [{"cell type": "HT-29"}]})
        clock.now += 299  # the read refreshed the lifetime
        third = _explain(client)
    assert first.usage.cache_creation_input_tokens == prefix
    assert first.usage.cache_read_input_tokens == 0
    for later in (second, third):
        assert later.usage.cache_read_input_tokens == prefix
        assert later.usage.cache_creation_input_tokens == 0
        assert later.usage.input_tokens > 0  # the per-pair message is not cached
    # the reply is a valid trace built from the evidence in the request
    binds = [a for a in first.trace.actions if a.primitive == "binds_to"]
    assert [a.args["target"] for a in binds] == ["MAP2K1", "MAP2K2"]
    assert not first.reasked


def test_an_expired_entry_or_a_changed_prefix_is_written_again(bench, monkeypatch):
    clock = Clock()
    api = bench.MessagesApiSimulator(invalid_share=0.0, clock=clock)
    with _client(api) as client:
        _explain(client)
        clock.now += bench.CACHE_TTL_S + 1
        expired = _explain(client)
        changed_prefix = prompts.explanation_prefix() + " "  # one byte more
        monkeypatch.setattr(prompts, "explanation_prefix", lambda: changed_prefix)
        changed = _explain(client)
    assert expired.usage.cache_read_input_tokens == 0
    assert expired.usage.cache_creation_input_tokens > 0
    assert changed.usage.cache_read_input_tokens == 0
    assert changed.usage.cache_creation_input_tokens > 0


def test_a_prefix_under_the_minimum_is_not_cached(bench):
    api = bench.MessagesApiSimulator(invalid_share=0.0, report_chars=2_000)
    assert approx_tokens(prompts.report_prefix()) < api.cache.min_tokens
    with _client(api) as client:
        reports = [client.write_report(PERTURBATION, QUESTION, EVIDENCE) for _ in range(2)]
    for report in reports:
        assert report.usage.cache_creation_input_tokens == 0
        assert report.usage.cache_read_input_tokens == 0
        assert report.cited and set(report.cited) <= {"E1", "E2", "E3", "E4"}
    assert len(reports[0].report) >= 2_000


def test_an_entry_is_readable_only_once_its_response_has_begun(bench):
    cache = bench.PromptCache(min_tokens=10)
    body = {"model": "m", "system": [{"type": "text", "text": "x" * 400,
                                      "cache_control": {"type": "ephemeral"}}],
            "messages": [{"role": "user", "content": "hello"}]}
    first = cache.usage(body, 0.0, response_begins=2.0)
    parallel = cache.usage(body, 1.0, response_begins=3.0)
    after = cache.usage(body, 2.5)
    assert first["cache_creation_input_tokens"] == 100
    assert parallel["cache_creation_input_tokens"] == 100  # sent before the first began
    assert after == {"input_tokens": 2, "cache_creation_input_tokens": 0,
                     "cache_read_input_tokens": 100}


def test_wrong_first_answers_are_reasked_then_accepted(bench):
    api = bench.MessagesApiSimulator(invalid_share=1.0, report_chars=1_000)
    with _client(api) as client:
        report = client.write_report(PERTURBATION, QUESTION, EVIDENCE)
        explanation = _explain(client)
    assert report.reasked and explanation.reasked
    assert len(report.calls) == 2 and len(explanation.calls) == 2
    # the re-ask repeats the cached prefix: it reads it
    assert explanation.calls[1].usage.cache_read_input_tokens == \
        approx_tokens(prompts.explanation_prefix())
    assert {k: v.wrong_first_answers for k, v in api.stages.items()} == \
        {"report": 1, "explanation": 1}


def test_message_batches_answer_like_messages_and_end_after_polls(bench):
    api = bench.MessagesApiSimulator(invalid_share=0.0, report_chars=500, batch_polls=2)
    with _client(api) as client:
        sdk = client._sdk.messages.batches
        body = client.explanation_params(PERTURBATION, QUESTION, "MEK [E2].", EVIDENCE)
        batch = sdk.create(requests=[{"custom_id": f"explanation-{i}", "params": body}
                                     for i in range(3)])
        assert batch.processing_status == "in_progress" and batch.results_url is None
        assert sdk.retrieve(batch.id).processing_status == "in_progress"
        assert sdk.retrieve(batch.id).processing_status == "ended"
        results = {r.custom_id: r.result for r in sdk.results(batch.id)}
    assert sorted(results) == ["explanation-0", "explanation-1", "explanation-2"]
    usages = [results[f"explanation-{i}"].message.usage for i in range(3)]
    prefix = approx_tokens(prompts.explanation_prefix())
    assert [u.cache_creation_input_tokens for u in usages] == [prefix, 0, 0]
    assert [u.cache_read_input_tokens for u in usages] == [0, prefix, prefix]
