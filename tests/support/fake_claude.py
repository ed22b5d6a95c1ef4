"""A stand-in for the Claude Messages API: the real anthropic SDK (through
:class:`vctrace.agents.claude.ClaudeClient`) sends through an ``httpx2.MockTransport`` that
answers in the documented response shape. Used by the tests that generate with
``--constructor claude`` (tests/integration/test_generate_claude.py and
test_generation_provenance.py). The key is a made-up string the tests check never leaks."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx2

from vctrace.agents.claude import DEFAULT_MODEL, ClaudeClient

__all__ = ["BASE", "KEY", "USAGE", "FakeClaude", "fake"]

KEY = "sk-test-SECRET-7f3Qv"
BASE = "http://claude.test"
USAGE = {"input_tokens": 812, "output_tokens": 640, "cache_creation_input_tokens": 0,
         "cache_read_input_tokens": 3100}


def _message(content: str, *, stop: str = "end_turn") -> dict[str, Any]:
    return {"id": "msg_01TEST", "type": "message", "role": "assistant", "model": DEFAULT_MODEL,
            "content": [{"type": "text", "text": content}], "stop_reason": stop,
            "stop_sequence": None, "usage": dict(USAGE)}


def _trace(drug: str, cell_line: str) -> dict[str, Any]:
    return {
        "actions": [
            {"primitive": "set_context", "args": {"cell_type": cell_line}},
            {"id": "n1", "primitive": "binds_to", "args": {"actor": drug.lower(),
                                                           "target": "MAP2K1"}},
            {"id": "n2", "primitive": "modulates_molecule_activity",
             "args": {"target": "MAP2K1", "direction": "down"}},
            {"id": "n3", "primitive": "induces_phenotype",
             "args": {"source": drug.lower(), "phenotype": "G1 arrest"}}],
        "edges": [{"source": "n1", "target": "n2", "relation": "causal"},
                  {"source": "n2", "target": "n3", "relation": "causal"}]}


class FakeClaude:
    """Answers report requests with a report citing the first given [E#] ids, explanation
    requests with a valid structured trace for the pair (or a refusal for ``refuse``)."""

    def __init__(self, refuse: str | None = None):
        self.refuse = refuse
        self.requests: list[dict[str, Any]] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        assert request.url.path == "/v1/messages"
        assert request.headers["authorization"] == f"Bearer {KEY}"
        body = json.loads(request.content)
        self.requests.append(body)
        user = body["messages"][0]["content"]
        cell_line = re.search(r'"cell type": "([^"]+)"', user).group(1)
        drug = re.search(r'"name": "([^"]+)"', user).group(1)
        if "output_config" in body:
            if cell_line == self.refuse:
                answer = _message("", stop="refusal")
            else:
                answer = _message(json.dumps(_trace(drug, cell_line)))
        else:
            ids = re.findall(r"^\[(E\d+)\]", user, flags=re.M)[:2]
            answer = _message(f"# Comprehensive Mechanistic Report\n{drug} inhibits MEK1 "
                              + " ".join(f"[{i}]" for i in ids) + f" in {cell_line}.")
        return httpx2.Response(200, json=answer, headers={"request-id": "req_01TEST"})


def fake(monkeypatch, api: FakeClaude) -> None:
    """Make ``ClaudeClient.from_env`` send through ``api`` (and find a key)."""
    real = ClaudeClient.from_env.__func__

    def from_env(cls, **options):
        options.update(http_client=httpx2.Client(transport=httpx2.MockTransport(api)),
                       base_url=BASE, max_retries=0)
        return real(cls, **options)

    monkeypatch.setattr(ClaudeClient, "from_env", classmethod(from_env))
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
