"""Benchmark: the Claude constructor on the demo knowledge set against a simulated Messages API.

    python bench/generate_claude.py [--concurrency 4] [--latency 0] [--invalid-share 0.1]
        [--report-chars 7200] [--model claude-sonnet-5-5] [--estimate-pairs 18950]
        [--seed 0] [--limit N] [--batch] [--heap 1g] [--pagecache 512m]

Starts a fresh local Neo4j and loads the demo knowledge set (the helpers of
``bench/generate_kg.py``), then runs :func:`vctrace.agents.run.generate_with_claude` over every
demo pair (20 drugs x 5 cell lines) twice — at concurrency 1 (the baseline, no ingest) and at
``--concurrency`` (with ingest and the stored generation run) — with the real ``anthropic``
SDK inside :class:`~vctrace.agents.claude.ClaudeClient` sending through an
``httpx2.MockTransport`` whose handler, :class:`MessagesApiSimulator`, answers as the Messages
API does:

- **replies**: a report request (no ``output_config``) gets a markdown report of six sections
  whose claims are the given evidence lines, each citing its ``[E#]`` id, padded to about
  ``--report-chars`` characters (the VC-TRACES typical size, the dry run's assumption); an
  explanation request gets a structured trace built from the evidence in the request (the
  drug's targets named there, a Reactome pathway of each, the mechanism of action's direction)
  with every argument the request's own schema requires. A share ``--invalid-share`` of
  *first* answers (chosen by a hash of the seed, the stage and the pair, so both runs see the
  same ones) is wrong — the report cites an id it was not given, the trace has an edge to an
  action that does not exist — so the client's one re-ask happens; re-asks are answered
  correctly. A reply longer than ``max_tokens`` is cut with ``stop_reason`` ``max_tokens``.
- **prompt caching** as documented: the cacheable prefix of a breakpoint is everything up to
  and including the block carrying ``cache_control``, in the order tools, system, messages;
  its identity is the canonical JSON of that prefix with the model and the ``output_config``
  (changing the output format invalidates the cache). A breakpoint whose prefix is shorter
  than the model's minimum cacheable length (``--min-cacheable``, default
  :data:`vctrace.agents.pricing.MIN_CACHEABLE_TOKENS`) is not cached. A request whose prefix
  was written and is still alive (5-minute lifetime, refreshed by every read) reports those
  tokens as ``cache_read_input_tokens``; otherwise they are ``cache_creation_input_tokens``,
  and a written entry is readable only once its response has begun (after ``--latency``), so
  the first requests sent in parallel each write. The rest is ``input_tokens``. Because the key
  is the prefix's content, the measured cached share tests that the client's prefix is
  byte-identical across pairs.
- **token counts are approximate**: characters / 4 (:func:`vctrace.agents.pricing.
  approx_tokens`, the dry run's rule), of the text blocks, string contents and tool
  definitions; the real tokenizer, the per-message overhead and the tokens the API adds for
  a structured-output schema are not modelled.
- ``--latency`` seconds per call (default 0) shows what ``--concurrency`` buys when calls
  wait on the network.
- ``--batch`` adds a run through :func:`vctrace.agents.batch_generate.generate_with_batches`
  against simulated Message Batches endpoints (create, retrieve, JSONL results): each batch's
  requests are answered as interactive ones, in order, through the same prompt cache — an
  upper bound, since the API's cache hits in batches are best effort — and the batch ends
  after two status requests.

Prints pairs, traces, requests per trace and the re-ask share, input tokens split uncached /
cache write / cache read with the cached share, cost per trace and for the run (from the call
records, and as stored in the generation run), seconds and traces/s at concurrency 1 and N, and
the dry-run estimate (:func:`vctrace.agents.run.dry_run`, :func:`vctrace.agents.claude.
estimate_run`) for the demo pairs and for ``--estimate-pairs`` (18,950, the size of VC-TRACES)
interactive and with Message Batches, per trace beside the measured cost per trace. Not a test:
it asserts nothing about time, and the costs are those of simulated replies at the assumed
list prices of :mod:`vctrace.agents.pricing`.
"""

from __future__ import annotations

import argparse
import hashlib
import inspect
import json
import logging
import re
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

import httpx2

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate_kg import load_demo, local_settings, server_arguments  # noqa: E402

from vctrace.agents import prompts  # noqa: E402
from vctrace.agents.claude import DEFAULT_MODEL, ClaudeClient, estimate_run  # noqa: E402
from vctrace.agents.pricing import MIN_CACHEABLE_TOKENS, approx_tokens, estimate  # noqa: E402
from vctrace.agents.run import dry_run, generate_with_claude, select_pairs  # noqa: E402
from vctrace.app import database, generation_runs  # noqa: E402

BASE_URL = "http://messages-api.simulated"
API_KEY = "sk-simulated-not-a-key"
CACHE_TTL_S = 300.0
VC_TRACES_PAIRS = 18_950

_EVIDENCE = re.compile(r"^\[(E\d+)\] (.*)$", re.M)
_PATHWAY = re.compile(r"([A-Za-z0-9_.-]+) participates in the Reactome pathway (.+?) \(")
_MOA = re.compile(r"mechanism of action ([^;(]+)")
_UP = re.compile(r"\b(agonist|activator|inducer|stabili[sz]er|opener|potentiator)\b", re.I)


# ---------------------------------------------------------------- prompt caching


def _chars(value: Any) -> int:
    """The characters of a prefix element counted for tokens: a text block's or string
    content's text, else the element's canonical JSON (tool definitions)."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, Mapping) and isinstance(value.get("text"), str):
        return len(value["text"])
    return len(_canonical(value))


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def prompt_elements(body: Mapping[str, Any]) -> list[tuple[Any, bool]]:
    """The prompt in the order the cache reads it — tools, system, messages — as
    (element, carries ``cache_control``) pairs: each tool, each system block (a string system
    is one element), each message's content blocks (a string content is one element, tagged
    with its role so that turns stay distinct)."""
    elements: list[tuple[Any, bool]] = []
    for tool in body.get("tools") or []:
        elements.append((tool, isinstance(tool, Mapping) and "cache_control" in tool))
    system = body.get("system")
    if isinstance(system, str):
        elements.append((system, False))
    for block in system if isinstance(system, list) else []:
        elements.append((block, isinstance(block, Mapping) and "cache_control" in block))
    for message in body.get("messages") or []:
        content = message.get("content")
        if isinstance(content, str):
            elements.append(({"role": message.get("role"), "text": content}, False))
            continue
        for block in content or []:
            elements.append(({"role": message.get("role"), **block}
                             if isinstance(block, Mapping) else block,
                             isinstance(block, Mapping) and "cache_control" in block))
    return elements


@dataclass
class _Entry:
    available_at: float
    expires_at: float


@dataclass
class PromptCache:
    """The API's prompt cache as documented (see the module docstring): entries keyed by the
    content of a breakpoint's prefix, alive for ``ttl`` seconds after their last use,
    readable once the writing response has begun."""

    min_tokens: int = MIN_CACHEABLE_TOKENS
    ttl: float = CACHE_TTL_S
    entries: dict[str, _Entry] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def usage(self, body: Mapping[str, Any], now: float, *,
              response_begins: float | None = None) -> dict[str, int]:
        """``input_tokens``, ``cache_creation_input_tokens`` and ``cache_read_input_tokens``
        of a request sent at ``now`` whose response begins at ``response_begins`` (default
        ``now``), recording its writes and reads."""
        elements = prompt_elements(body)
        context = {"model": body.get("model"), "output_config": body.get("output_config")}
        cumulative, breakpoints = 0, []
        digest = hashlib.sha256(_canonical(context).encode("utf-8"))
        for element, marked in elements:
            cumulative += _chars(element)
            digest.update(_canonical(element).encode("utf-8"))
            if marked:
                tokens = approx_tokens(cumulative)
                if tokens >= self.min_tokens:  # a shorter prefix is simply not cached
                    breakpoints.append((digest.copy().hexdigest(), tokens))
        total = approx_tokens(cumulative)
        begins = now if response_begins is None else response_begins
        read = written = 0
        with self.lock:
            for key, tokens in reversed(breakpoints):  # the longest live prefix is read
                entry = self.entries.get(key)
                if entry and entry.available_at <= now < entry.expires_at:
                    entry.expires_at = now + self.ttl
                    read = tokens
                    break
            for key, tokens in breakpoints:  # longer breakpoints than the read one: written
                if tokens <= read:
                    continue
                entry = self.entries.get(key)
                if entry and now < entry.expires_at:  # written but not yet readable
                    entry.available_at = min(entry.available_at, begins)
                else:
                    self.entries[key] = _Entry(begins, begins + self.ttl)
            written = breakpoints[-1][1] - read if breakpoints else 0
        return {"input_tokens": total - read - written,
                "cache_creation_input_tokens": written, "cache_read_input_tokens": read}


# ---------------------------------------------------------------- replies


def _score(seed: int, *parts: str) -> float:
    """A uniform number in [0, 1) fixed by the seed and ``parts``."""
    data = "|".join((str(seed), *parts)).encode("utf-8")
    return int.from_bytes(hashlib.sha256(data).digest()[:8], "big") / 2 ** 64


def _pair(user: str) -> tuple[dict[str, Any], str, str]:
    """(perturbation record, drug, cell line) of a first user message."""
    start = user.index("Perturbation record:\n") + len("Perturbation record:\n")
    record = json.loads(user[start:user.index("\n\nQuestion:", start)])
    return (record, record["perturbations"][0]["name"], record["context"][0]["cell type"])


def _claim(text: str) -> str:
    """An evidence line's text without its source and source id."""
    parts = text.split(", ", 2)
    return parts[-1] if len(parts) == 3 else text


def report_text(drug: str, cell_line: str, evidence: list[tuple[str, str]], *,
                chars: int, unknown_id: str | None = None) -> str:
    """A six-section report whose claims are the evidence lines, each citing its id, the
    evidence cycled until the report has about ``chars`` characters; ``unknown_id`` adds a
    claim citing an id that was not given (the mistake the client re-asks about)."""
    sections = ["Perturbation description", "Normal signalling in the context",
                "Molecular mechanisms of the drug's action",
                "Cellular and tissue-level consequences", "Transcriptomic and phenomic effects",
                "Final phenotypic outcomes"]
    source = [f"- {_claim(text)} [{eid}]" for eid, text in evidence] or [
        f"- Hypothesis: {drug} reduces the proliferation of {cell_line} cells."]

    def render(count: int) -> str:
        claims = [source[i % len(source)] for i in range(count)]
        step = -(-count // len(sections))
        lines = [f"# Comprehensive Mechanistic Report: {drug} in {cell_line}", ""]
        for number, title in enumerate(sections, 1):
            lines += [f"## {number}. {title}", "**CAUSAL (Direct Mechanistic)**",
                      *claims[(number - 1) * step:number * step]]
            if number == 1 and unknown_id:
                lines.append(f"- {drug} is a potent inhibitor in {cell_line} [{unknown_id}]")
            lines.append("")
        lines.append(f"Summary: {drug} acts in {cell_line} through the cited targets.")
        return "\n".join(lines)

    count = len(sections)
    text = render(count)
    while len(text) < chars:
        count += 1
        text = render(count)
    return text


def _args(schema: Mapping[str, Any], primitive: str, given: Mapping[str, Any]) -> dict[str, Any]:
    """Every argument the request's schema lists for ``primitive``: the given ones, ``""``
    (an array: ``[]``) for the rest — structured output always fills the schema."""
    for option in schema["properties"]["actions"]["items"]["anyOf"]:
        if option["properties"]["primitive"].get("const") == primitive:
            props = option["properties"]["args"]["properties"]
            return {name: given.get(name, [] if spec.get("type") == "array" else "")
                    for name, spec in props.items()}
    raise KeyError(f"primitive {primitive!r} is not in the request's schema")


def trace_reply(schema: Mapping[str, Any], drug: str, cell_line: str,
                evidence: list[tuple[str, str]], *, invalid: bool = False) -> dict[str, Any]:
    """A structured trace of the pair from the evidence lines: set_context, then per named
    target (at most 2) binds_to -> modulates_molecule_activity (-> modulates_pathway_activity
    of a Reactome pathway named for it), all -> induces_phenotype. ``invalid`` adds an edge to
    an action that does not exist."""
    targets: list[str] = []
    pathways: dict[str, str] = {}
    direction = "down"
    target = re.compile(re.escape(drug) + r" targets ([A-Za-z0-9_.-]+) \(")
    for _, text in evidence:
        found = target.search(text)
        if found and found.group(1) not in targets:
            targets.append(found.group(1))
        pathway = _PATHWAY.search(text)
        if pathway:
            pathways.setdefault(pathway.group(1), pathway.group(2))
        moa = _MOA.search(text)
        if moa and _UP.search(moa.group(1)):
            direction = "up"
    actions = [{"primitive": "set_context",
                "args": _args(schema, "set_context", {"cell_type": cell_line})}]
    edges: list[dict[str, str]] = []
    ends: list[str] = []

    def add(primitive: str, args: dict[str, Any]) -> str:
        node = f"n{len(actions)}"
        actions.append({"id": node, "primitive": primitive,
                        "args": _args(schema, primitive, args)})
        return node

    for symbol in targets[:2]:
        bind = add("binds_to", {"actor": drug, "target": symbol})
        activity = add("modulates_molecule_activity", {"target": symbol,
                                                       "direction": direction})
        edges.append({"source": bind, "target": activity, "relation": "causal"})
        end = activity
        if symbol in pathways:
            end = add("modulates_pathway_activity", {"pathway": pathways[symbol],
                                                     "direction": direction})
            edges.append({"source": activity, "target": end, "relation": "causal"})
        ends.append(end)
    final = add("induces_phenotype", {"source": drug, "phenotype": "cell proliferation",
                                      "from_state": "proliferating",
                                      "to_state": "reduced proliferation"})
    edges += [{"source": end, "target": final, "relation": "correlative"} for end in ends]
    if invalid:
        edges.append({"source": final, "target": f"n{len(actions) + 7}", "relation": "causal"})
    return {"actions": actions, "edges": edges}


# ---------------------------------------------------------------- the simulated API


@dataclass
class StageCount:
    requests: int = 0
    wrong_first_answers: int = 0
    user_chars: int = 0
    first_user_chars: int = 0
    reply_chars: int = 0
    first_requests: int = 0
    input_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0

    @property
    def cached_share(self) -> float:
        total = self.input_tokens + self.cache_creation_input_tokens + \
            self.cache_read_input_tokens
        return self.cache_read_input_tokens / total if total else 0.0


class MessagesApiSimulator:
    """An ``httpx2.MockTransport`` handler answering ``POST /v1/messages`` as the API does
    (see the module docstring): checked requests, replies built from the request, the prompt
    cache, usage at characters / 4, optional latency. Thread-safe."""

    def __init__(self, *, invalid_share: float = 0.1, latency: float = 0.0,
                 report_chars: int = 7_200, seed: int = 0,
                 min_cacheable_tokens: int = MIN_CACHEABLE_TOKENS, ttl: float = CACHE_TTL_S,
                 batch_polls: int = 2, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self.invalid_share = invalid_share
        self.latency = latency
        self.report_chars = report_chars
        self.seed = seed
        self.cache = PromptCache(min_tokens=min_cacheable_tokens, ttl=ttl)
        self.clock, self.sleep = clock, sleep
        self.stages = {"report": StageCount(), "explanation": StageCount()}
        self.batches: dict[str, dict[str, Any]] = {}
        self.batch_polls = batch_polls
        self._lock = threading.Lock()
        self._sent = 0

    def transport(self) -> httpx2.MockTransport:
        return httpx2.MockTransport(self)

    @staticmethod
    def _error(status: int, kind: str, message: str) -> httpx2.Response:
        return httpx2.Response(status, json={"type": "error", "error": {
            "type": kind, "message": message}, "request_id": "req_simulated_error"})

    @staticmethod
    def _check_body(body: Any) -> str | None:
        if not isinstance(body, dict) or not isinstance(body.get("model"), str):
            return "model: Field required"
        if not isinstance(body.get("max_tokens"), int) or body["max_tokens"] < 1:
            return "max_tokens: Field required"
        messages = body.get("messages")
        if not messages or messages[0].get("role") != "user":
            return "messages: the first message must use the user role"
        if any(a.get("role") == b.get("role") for a, b in zip(messages, messages[1:])):
            return "messages: roles must alternate between user and assistant"
        return None

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        if not (request.headers.get("x-api-key") or request.headers.get("authorization")):
            return self._error(401, "authentication_error", "missing API key")
        if not request.headers.get("anthropic-version"):
            return self._error(400, "invalid_request_error",
                               "anthropic-version: header is required")
        path = request.url.path
        if path.startswith("/v1/messages/batches"):
            return self._batches(request, path)
        if request.method != "POST" or path != "/v1/messages":
            return self._error(404, "not_found_error", f"no route {request.method} {path}")
        try:
            body = json.loads(request.content)
        except ValueError:
            return self._error(400, "invalid_request_error", "the body is not JSON")
        problem = self._check_body(body)
        if problem:
            return self._error(400, "invalid_request_error", problem)
        message = self._message(body, latency=self.latency)
        if self.latency > 0:
            self.sleep(self.latency)
        return httpx2.Response(200, json=message,
                               headers={"request-id": message["id"].replace("msg_", "req_")})

    def _message(self, body: Mapping[str, Any], *, latency: float = 0.0) -> dict[str, Any]:
        """The reply to a checked ``messages.create`` body, its usage through the cache, as
        the API's message object."""
        sent = self.clock()
        usage = self.cache.usage(body, sent, response_begins=sent + latency)
        text, stage, wrong = self._answer(body)
        output = approx_tokens(text)
        stop = "end_turn"
        if output > body["max_tokens"]:
            text, output, stop = text[:body["max_tokens"] * 4], body["max_tokens"], "max_tokens"
        with self._lock:
            self._sent += 1
            number = self._sent
            count = self.stages[stage]
            count.requests += 1
            count.wrong_first_answers += wrong
            for key, value in usage.items():
                setattr(count, key, getattr(count, key) + value)
            chars = sum(_chars(m["content"]) if isinstance(m["content"], str)
                        else sum(_chars(b) for b in m["content"]) for m in body["messages"])
            count.user_chars += chars
            count.reply_chars += len(text)
            if len(body["messages"]) == 1:
                count.first_requests += 1
                count.first_user_chars += chars
        return {"id": f"msg_sim{number:06d}", "type": "message", "role": "assistant",
                "model": body["model"], "content": [{"type": "text", "text": text}],
                "stop_reason": stop, "stop_sequence": None,
                "usage": {**usage, "output_tokens": output, "service_tier": "standard",
                          "cache_creation": {
                              "ephemeral_5m_input_tokens": usage["cache_creation_input_tokens"],
                              "ephemeral_1h_input_tokens": 0}}}

    # ------------------------------------------------------------ Message Batches

    def _batch_object(self, batch_id: str) -> dict[str, Any]:
        batch = self.batches[batch_id]
        ended = batch["polls"] >= self.batch_polls
        counts = {"processing": 0 if ended else len(batch["results"]), "succeeded": 0,
                  "errored": 0, "canceled": 0, "expired": 0}
        if ended:
            for item in batch["results"]:
                counts[item["result"]["type"]] += 1
        return {"id": batch_id, "type": "message_batch",
                "processing_status": "ended" if ended else "in_progress",
                "request_counts": counts, "created_at": "2026-11-30T00:00:00Z",
                "expires_at": "2026-12-01T00:00:00Z", "archived_at": None,
                "cancel_initiated_at": None,
                "ended_at": "2026-11-30T00:01:00Z" if ended else None,
                "results_url": f"{BASE_URL}/v1/messages/batches/{batch_id}/results"
                if ended else None}

    def _batches(self, request: httpx2.Request, path: str) -> httpx2.Response:
        """``POST /v1/messages/batches`` (each request answered as it would be
        interactively, in order, through the same cache), ``GET …/{id}`` (ended after
        ``batch_polls`` status requests) and ``GET …/{id}/results`` (JSONL)."""
        parts = path.strip("/").split("/")[3:]
        if request.method == "POST" and not parts:
            try:
                requests = json.loads(request.content)["requests"]
            except (ValueError, KeyError, TypeError):
                return self._error(400, "invalid_request_error", "requests: Field required")
            results = []
            for item in requests:
                problem = self._check_body(item.get("params"))
                result = {"type": "errored", "error": {"type": "error", "error": {
                    "type": "invalid_request_error", "message": problem}}} if problem else {
                    "type": "succeeded", "message": self._message(item["params"])}
                results.append({"custom_id": item["custom_id"], "result": result})
            with self._lock:
                batch_id = f"msgbatch_sim{len(self.batches) + 1:04d}"
                self.batches[batch_id] = {"results": results, "polls": 0}
            return httpx2.Response(200, json=self._batch_object(batch_id))
        if request.method == "GET" and parts and parts[0] in self.batches:
            batch = self.batches[parts[0]]
            if len(parts) == 1:
                batch["polls"] += 1
                return httpx2.Response(200, json=self._batch_object(parts[0]))
            if parts[1:] == ["results"] and batch["polls"] >= self.batch_polls:
                lines = "".join(json.dumps(r) + "\n" for r in batch["results"])
                return httpx2.Response(200, content=lines.encode("utf-8"),
                                       headers={"content-type": "application/binary"})
        return self._error(404, "not_found_error", f"no route {request.method} {path}")

    def _answer(self, body: Mapping[str, Any]) -> tuple[str, str, bool]:
        """(reply text, stage, whether it is a deliberately wrong first answer)."""
        first = body["messages"][0]["content"]
        first = first if isinstance(first, str) else "".join(
            b.get("text", "") for b in first if isinstance(b, Mapping))
        _, drug, cell_line = _pair(first)
        evidence = _EVIDENCE.findall(first)
        stage = "explanation" if body.get("output_config") else "report"
        wrong = len(body["messages"]) == 1 and \
            _score(self.seed, stage, drug, cell_line) < self.invalid_share
        if stage == "report":
            unknown = None
            if wrong:
                taken = {int(e[1:]) for e, _ in evidence}
                unknown = f"E{max(taken, default=0) + 7}"
            return report_text(drug, cell_line, evidence, chars=self.report_chars,
                               unknown_id=unknown), stage, wrong
        schema = body["output_config"]["format"]["schema"]
        trace = trace_reply(schema, drug, cell_line, evidence, invalid=wrong)
        return json.dumps(trace, ensure_ascii=False), stage, wrong


# ---------------------------------------------------------------- the benchmark


def _client(api: MessagesApiSimulator, model: str) -> ClaudeClient:
    return ClaudeClient(API_KEY, model=model, base_url=BASE_URL, max_retries=0,
                        http_client=httpx2.Client(transport=api.transport()))


def _run(settings, selection, args, concurrency: int, output: Path, ingest: bool):
    api = MessagesApiSimulator(invalid_share=args.invalid_share, latency=args.latency,
                               report_chars=args.report_chars, seed=args.seed,
                               min_cacheable_tokens=args.min_cacheable)
    with _client(api, args.model) as client:
        result = generate_with_claude(settings, selection, client, concurrency=concurrency,
                                      output=output, ingest=ingest)
    seconds = result.seconds - (result.ingest.seconds if result.ingest else 0.0)
    return api, result, seconds


def _usd(value: float) -> str:
    return f"${value:,.4f}" if value < 100 else f"${value:,.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per call")
    parser.add_argument("--invalid-share", type=float, default=0.1,
                        help="share of first answers that are wrong (re-asked)")
    parser.add_argument("--report-chars", type=int, default=7_200)
    parser.add_argument("--min-cacheable", type=int, default=MIN_CACHEABLE_TOKENS,
                        help="the model's minimum cacheable prefix, tokens")
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--estimate-pairs", type=int, default=VC_TRACES_PAIRS)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=int, help="the first LIMIT demo pairs only")
    parser.add_argument("--batch", action="store_true",
                        help="also run through simulated Message Batches")
    server_arguments(parser)
    args = parser.parse_args()
    # the client warns at every re-ask; the re-asks are counted below instead
    logging.getLogger("vctrace.agents.claude").setLevel(logging.ERROR)

    work = Path(tempfile.mkdtemp(prefix="vctrace-bench-claude-"))
    settings = local_settings(work / "home", args)
    try:
        database.start(settings)
        print(f"demo knowledge set loaded in {load_demo(settings):.1f} s")
        selection = select_pairs(settings, limit=args.limit)
        print(f"simulated Messages API: model {args.model}, latency {args.latency:g} s per "
              f"call, {args.invalid_share:.0%} of first answers wrong, reports of about "
              f"{args.report_chars:,} characters, cache minimum {args.min_cacheable:,} "
              f"tokens, lifetime {CACHE_TTL_S:g} s; tokens ~ characters / 4")

        _, base, base_s = _run(settings, selection, args, 1, work / "c1.jsonl", False)
        api, result, run_s = _run(settings, selection, args, args.concurrency,
                                  work / f"c{args.concurrency}.jsonl", True)
        n = len(result.traces)
        print(f"CLAUDE CONSTRUCTOR (evidence + report + trace + validation + JSONL), "
              f"{len(selection.pairs)} pairs: {len(base.traces) / base_s:,.1f} traces/s at "
              f"concurrency 1 ({base_s:.2f} s) vs {n / run_s:,.1f} traces/s at concurrency "
              f"{args.concurrency} ({run_s:.2f} s): {base_s / run_s:.1f}x")

        reasked_report = sum(t.reasked_report for t in result.traces)
        reasked_trace = sum(t.reasked_explanation for t in result.traces)
        print(f"pairs {result.pairs}, traces {n}, skipped {len(result.skipped)}"
              + "".join(f"\n  skipped {s.drug} in {s.cell_line}: {s.reason}"
                        for s in result.skipped))
        print(f"requests {result.requests}: {result.requests / max(n, 1):.2f} per trace; "
              f"re-asked {reasked_report} reports and {reasked_trace} traces "
              f"({(reasked_report + reasked_trace) / max(2 * n, 1):.1%} of "
              f"{2 * n} first answers; injected wrong: "
              + ", ".join(f"{k} {v.wrong_first_answers}" for k, v in api.stages.items())
              + ")")
        u = result.usage
        total_in = u.input_tokens + u.cache_creation_input_tokens + u.cache_read_input_tokens
        print(f"input tokens {total_in:,}: uncached {u.input_tokens:,}, cache write "
              f"{u.cache_creation_input_tokens:,}, cache read {u.cache_read_input_tokens:,}; "
              f"cached share {u.cache_read_input_tokens / max(total_in, 1):.1%}; "
              f"output tokens {u.output_tokens:,}")
        bu = base.usage
        print(f"  cache writes at concurrency 1: {bu.cache_creation_input_tokens:,} tokens; "
              f"at concurrency {args.concurrency}: {u.cache_creation_input_tokens:,} "
              "(an entry is readable once its response has begun: requests sent in parallel "
              "before that each write)")
        for stage, count in api.stages.items():
            print(f"  {stage:11} {count.requests} requests: uncached "
                  f"{count.input_tokens:,}, cache write {count.cache_creation_input_tokens:,}, "
                  f"cache read {count.cache_read_input_tokens:,}; cached share "
                  f"{count.cached_share:.1%}")
        print(f"  static prefixes: report {approx_tokens(prompts.report_prefix()):,} tokens, "
              f"explanation {approx_tokens(prompts.explanation_prefix()):,} tokens (a prefix "
              f"under {args.min_cacheable:,} is not cached)")
        per_trace = result.cost_usd / max(n, 1)
        from_rows = sum(t.cost_usd for t in result.traces)
        stored = generation_runs.get_run(settings, result.run)
        print(f"cost (assumed list prices): {_usd(result.cost_usd)} for the run "
              f"({_usd(from_rows)} in the rows' provenance, {_usd(stored.cost_usd)} in the "
              f"stored generation run {stored.key}, {stored.stored} traces linked), "
              f"{_usd(per_trace)} per trace")

        if args.batch:
            _batch_run(settings, selection, args, work)
        _print_estimates(settings, args, api, result)
    finally:
        database.stop(settings)
        shutil.rmtree(work, ignore_errors=True)


def _batch_run(settings, selection, args, work: Path) -> None:
    """The same pairs through simulated Message Batches (see the module docstring)."""
    from vctrace.agents.batch_generate import generate_with_batches
    api = MessagesApiSimulator(invalid_share=args.invalid_share, report_chars=args.report_chars,
                               seed=args.seed, min_cacheable_tokens=args.min_cacheable)
    with _client(api, args.model) as client:
        result = generate_with_batches(settings, selection, client, output=work / "batch.jsonl",
                                       poll_interval=0.0, sleep=lambda _: None)
    n, u = len(result.traces), result.usage
    total = u.input_tokens + u.cache_creation_input_tokens + u.cache_read_input_tokens
    stored = generation_runs.get_run(settings, result.run)
    print(f"MESSAGE BATCHES: {result.pairs} pairs, {n} traces, {len(result.skipped)} skipped; "
          f"{len(api.batches)} batches, {result.requests} requests "
          f"({result.requests / max(n, 1):.2f} per trace); input tokens {total:,}: uncached "
          f"{u.input_tokens:,}, cache write {u.cache_creation_input_tokens:,}, cache read "
          f"{u.cache_read_input_tokens:,}; cached share {_share(u.cache_read_input_tokens, total)}"
          f"; cost {_usd(result.cost_usd)} ({_usd(result.cost_usd / max(n, 1))} per trace; "
          f"stored run {stored.key}: batch {stored.batch}, {_usd(stored.cost_usd)})")


def _share(read: int, total: int) -> str:
    return f"{read / total:.1%}" if total else "n/a"


def _print_estimates(settings, args, api: MessagesApiSimulator, result) -> None:
    """The dry run for the demo pairs and for ``--estimate-pairs`` (typical sizes, and the
    sizes measured in this run), per trace beside the measured cost per trace."""
    measured = result.cost_usd / max(len(result.traces), 1)
    selection, demo = dry_run(settings, model=args.model, limit=args.limit)
    print(f"dry run, {len(selection.pairs)} demo pairs: {demo.requests} requests, "
          f"{_usd(demo.interactive_usd)} interactive "
          f"({_usd(demo.interactive_usd / max(demo.pairs, 1))} per trace), "
          f"{_usd(demo.batch_usd)} with Message Batches; measured {result.requests} "
          f"requests, {_usd(result.cost_usd)} ({_usd(measured)} per trace)")
    sizes = _measured_sizes(api)
    for label, e in (("typical VC-TRACES sizes",
                      estimate_run(args.estimate_pairs, model=args.model)),
                     ("the sizes measured here",
                      estimate_run(args.estimate_pairs, model=args.model, **sizes))):
        total = e.input_tokens + e.cache_write_tokens + e.cache_read_tokens
        print(f"dry run, {e.pairs:,} pairs ({label}): {e.requests:,} requests, "
              f"{_usd(e.interactive_usd)} interactive, {_usd(e.batch_usd)} with Message "
              f"Batches; per trace {_usd(e.interactive_usd / max(e.pairs, 1))} interactive, "
              f"{_usd(e.batch_usd / max(e.pairs, 1))} batch (measured {_usd(measured)} "
              f"interactive); cached share {_share(e.cache_read_tokens, total)}")
    typical = {name: p.default for name, p in inspect.signature(estimate).parameters.items()
               if p.default is not inspect.Parameter.empty}
    print(f"  sizes measured (typical): first user message {sizes['evidence_chars']:,} "
          f"characters ({typical['perturbation_chars'] + typical['evidence_chars']:,}; "
          f"perturbation, question, evidence), report {sizes['report_chars']:,} "
          f"({typical['report_chars']:,}), trace JSON {sizes['trace_json_chars']:,} "
          f"({typical['trace_json_chars']:,}), re-asked share {sizes['reask_share']:.1%} "
          f"({typical['reask_share']:.0%})")


def _measured_sizes(api: MessagesApiSimulator) -> dict[str, Any]:
    """The dry run's size assumptions as measured in this run: the first report request's
    user message (perturbation, question and evidence, given to the estimate as one figure),
    the mean report and trace replies, the re-asked share of first answers."""
    report, explanation = api.stages["report"], api.stages["explanation"]
    asked = report.first_requests + explanation.first_requests
    reasks = report.requests + explanation.requests - asked
    return {"perturbation_chars": 0,
            "evidence_chars": report.first_user_chars // max(report.first_requests, 1),
            "report_chars": report.reply_chars // max(report.requests, 1),
            "trace_json_chars": explanation.reply_chars // max(explanation.requests, 1),
            "reask_share": round(reasks / max(asked, 1), 4)}


if __name__ == "__main__":
    main()
