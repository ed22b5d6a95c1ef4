"""The Claude face of generation: the report generator and the explanation constructor over
the official ``anthropic`` SDK (2.x, whose HTTP layer is ``httpx2``).

Requests (``client.messages.create``):

- ``system``: one text block, the stage's static prefix (instructions; for the constructor
  also the primitive definitions and the trace schema), with
  ``cache_control={"type": "ephemeral"}``. It is built from constants and the registry only,
  so it is byte-identical across pairs and every request after the first reads it from the
  prompt cache. Its sha256 is recorded as the prompt template hash.
- ``messages``: the per-pair user message (perturbation, question, evidence, report), and on a
  re-ask the model's previous reply and a user turn quoting what was wrong.
- ``output_config={"format": {"type": "json_schema", "schema": <trace schema>}}`` for the
  constructor (structured output; the schema is generated from the primitive registry).
- ``model`` and ``max_tokens``; no sampling parameters (no ``temperature``/``top_p``/
  ``top_k``: current models reject non-default values) and no ``thinking`` setting (the
  model's default applies; thinking blocks in the reply are skipped).

Replies: content blocks are found by ``type`` (``text``), never by position (a reply may open
with ``thinking`` blocks). ``stop_reason``: ``"refusal"`` raises :class:`Refused` (never
retried); ``"max_tokens"`` is retried once with twice the budget (capped at
``MAX_TOKENS_CAP``), then raises :class:`OutputTruncated`; a reply without a text block raises
:class:`NoReply`.

The constructor reads the structured reply with the project's own parser and validator
(through :mod:`vctrace.app.llm_traces`); on error findings it re-asks **once**, quoting them,
then gives up with :class:`TraceRejected` carrying the findings. The report generator checks
that the report cites only the ``[E#]`` ids it was given; unknown ids get **one** re-ask naming
them, then :class:`ReportRejected`.

Retries of transport failures, 408/409/429 and 5xx are the SDK's (``max_retries``; it honours
``retry-after-ms`` and ``retry-after``). Every call is recorded (:class:`CallRecord`): model id,
prompt version and template hash, the raw request and response bodies, token usage (input,
output, cache creation, cache read) and cost (:mod:`vctrace.agents.pricing`).

Message Batches (:mod:`vctrace.agents.batches` moves them): :meth:`ClaudeClient.report_params`
and :meth:`~ClaudeClient.explanation_params` are the same bodies a batch request carries,
:meth:`~ClaudeClient.batch_reply` / :meth:`~ClaudeClient.explanation_from_batch` read a
succeeded result with the same checks (cost at the batch price), and
:meth:`~ClaudeClient.reask_params` is the one re-ask for the next batch round.

The API key: given to the constructor or read from ``ANTHROPIC_API_KEY`` by
:meth:`ClaudeClient.from_env` only. It is handed to the SDK and nothing else: it is not an
attribute of the client, not in a record, a log line, or an error message (SDK errors are
re-raised as :class:`ClaudeApiError` without their cause, whose request carries the key
header).
"""

from __future__ import annotations

import json
import logging
import os
import time
from typing import Any, Iterable, Mapping

import anthropic
import httpx2
from pydantic import BaseModel, Field

from ..app import VctraceError
from ..app.llm_traces import (CheckedTrace, Trace, check_structured_trace, cited_ids,
                               schema_sha256, unknown_citations)
from . import prompts
from .pricing import CostEstimate, call_cost, estimate

__all__ = ["DEFAULT_MODEL", "MAX_TOKENS_CAP", "CallRecord", "ClaudeApiError", "ClaudeClient",
           "ClaudeError", "ExplanationResult", "MissingApiKey", "NoReply", "OutputTruncated",
           "Refused", "ReportRejected", "ReportResult", "TokenUsage", "TraceRejected",
           "call_totals", "compact_request", "estimate_run", "generated_row"]

log = logging.getLogger(__name__)

#: The newest Claude Sonnet id among the SDK's model literals (anthropic 2.14, ``ModelParam``).
DEFAULT_MODEL = "claude-sonnet-5-5"
API_KEY_ENV = "ANTHROPIC_API_KEY"
MAX_TOKENS_REPORT = 8_000
MAX_TOKENS_TRACE = 8_000
MAX_TOKENS_CAP = 32_000


class ClaudeError(VctraceError):
    """A Claude call that did not give what was asked for."""

    kind = "unusable"

    def __init__(self, message: str, *, calls: list["CallRecord"] | None = None):
        super().__init__(message)
        self.calls = list(calls or [])


class MissingApiKey(ClaudeError):
    """No API key: set ANTHROPIC_API_KEY (or use the knowledge-graph-only constructor)."""


class ClaudeApiError(ClaudeError):
    """The API answered with an error after the SDK's retries, or could not be reached."""

    def __init__(self, message: str, *, status: int | None = None,
                 request_id: str | None = None, calls: list["CallRecord"] | None = None):
        super().__init__(message, calls=calls)
        self.status = status
        self.request_id = request_id


class Refused(ClaudeError):
    """The model declined (``stop_reason`` ``refusal``); no trace or report."""

    kind = "invalid"


class OutputTruncated(ClaudeError):
    """The reply hit ``max_tokens`` even with the larger budget of the one retry."""


class NoReply(ClaudeError):
    """The reply holds no text block (nothing to read)."""


class TraceRejected(ClaudeError):
    """The trace still had error findings after the one re-ask."""

    kind = "invalid"

    def __init__(self, message: str, *, errors: list[str], checked: CheckedTrace | None,
                 calls: list["CallRecord"]):
        super().__init__(message, calls=calls)
        self.errors = errors
        self.checked = checked


class ReportRejected(ClaudeError):
    """The report still cited unknown evidence ids after the one re-ask."""

    kind = "invalid"

    def __init__(self, message: str, *, unknown: list[str], report: str,
                 calls: list["CallRecord"]):
        super().__init__(message, calls=calls)
        self.unknown = unknown
        self.report = report


class TokenUsage(BaseModel):
    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0

    def __add__(self, other: "TokenUsage") -> "TokenUsage":
        return TokenUsage(**{k: getattr(self, k) + getattr(other, k)
                             for k in TokenUsage.model_fields})


class CallRecord(BaseModel):
    """One Messages API call as made and answered (what generation provenance stores)."""

    stage: str
    attempt: int
    model: str
    response_model: str | None = None
    prompt_version: str = prompts.PROMPT_VERSION
    prompt_template_hash: str
    message_id: str | None = None
    request_id: str | None = None
    stop_reason: str | None = None
    usage: TokenUsage = Field(default_factory=TokenUsage)
    cost_usd: float = 0.0
    seconds: float = 0.0
    request: dict[str, Any]
    response: dict[str, Any]


class ReportResult(BaseModel):
    report: str
    cited: list[str]
    reasked: bool
    calls: list[CallRecord]
    usage: TokenUsage
    cost_usd: float


class ExplanationResult(BaseModel):
    trace: Trace
    explain: str
    dag: str
    warnings: list[str]
    reasked: bool
    calls: list[CallRecord]
    usage: TokenUsage
    cost_usd: float


def call_totals(calls: Iterable[CallRecord]) -> tuple[TokenUsage, float]:
    """The summed token usage and cost (rounded to 1e-8 USD) of ``calls``."""
    calls = list(calls)
    usage = TokenUsage()
    for call in calls:
        usage = usage + call.usage
    return usage, round(sum(c.cost_usd for c in calls), 8)


class _Reply(BaseModel):
    text: str
    record: CallRecord


class ClaudeClient:
    """The report generator and explanation constructor on one SDK client.

    Args:
        api_key: the Anthropic API key (see :meth:`from_env`); required, never stored here.
        model: the model id (default :data:`DEFAULT_MODEL`).
        max_retries: the SDK's retries of connection errors, 408, 409, 429 and 5xx.
        http_client: an ``httpx2.Client`` to send through (tests pass one with an
            ``httpx2.MockTransport``); default the SDK's own.
        base_url: the API's base URL (default the SDK's: api.anthropic.com).
        timeout: seconds per request.
    """

    def __init__(self, api_key: str, *, model: str = DEFAULT_MODEL, max_retries: int = 4,
                 http_client: httpx2.Client | None = None, base_url: str | None = None,
                 timeout: float = 600.0, max_tokens_report: int = MAX_TOKENS_REPORT,
                 max_tokens_trace: int = MAX_TOKENS_TRACE):
        if not api_key or not str(api_key).strip():
            raise MissingApiKey(f"no Anthropic API key: set {API_KEY_ENV}, or generate with "
                                "the knowledge-graph-only constructor (--constructor kg)")
        self.model = model
        self.max_tokens_report = max_tokens_report
        self.max_tokens_trace = max_tokens_trace
        options: dict[str, Any] = {"max_retries": max_retries, "timeout": timeout}
        if http_client is not None:
            options["http_client"] = http_client
        if base_url is not None:
            options["base_url"] = base_url
        self._sdk = anthropic.Anthropic(api_key=api_key, **options)

    @classmethod
    def from_env(cls, **options: Any) -> "ClaudeClient":
        """A client with the key from ``ANTHROPIC_API_KEY`` (the only place a key is read)."""
        return cls(os.environ.get(API_KEY_ENV, ""), **options)

    def __repr__(self) -> str:
        return f"ClaudeClient(model={self.model!r})"

    def close(self) -> None:
        self._sdk.close()

    def __enter__(self) -> "ClaudeClient":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # ------------------------------------------------------------ one call

    def _request(self, prefix: str, messages: list[dict[str, Any]], max_tokens: int,
                 schema: dict[str, Any] | None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model,
            "max_tokens": max_tokens,
            "system": [{"type": "text", "text": prefix,
                        "cache_control": {"type": "ephemeral"}}],
            "messages": messages,
        }
        if schema is not None:
            body["output_config"] = {"format": {"type": "json_schema", "schema": schema}}
        return body

    def _send(self, stage: str, attempt: int, body: dict[str, Any],
              template_hash: str, calls: list[CallRecord]) -> tuple[Any, CallRecord]:
        started = time.perf_counter()
        try:
            message = self._sdk.messages.create(**body)
        except anthropic.APIStatusError as exc:
            raise ClaudeApiError(
                f"Claude API error {exc.status_code} at the {stage} stage: "
                f"{_error_text(exc)}", status=exc.status_code,
                request_id=exc.request_id, calls=calls) from None
        except anthropic.APIConnectionError as exc:
            raise ClaudeApiError(f"Claude API not reachable at the {stage} stage "
                                 f"({type(exc).__name__})", calls=calls) from None
        record = self._record(stage, attempt, body, message, template_hash,
                              seconds=time.perf_counter() - started)
        calls.append(record)
        return message, record

    def _record(self, stage: str, attempt: int, body: Mapping[str, Any], message: Any,
                template_hash: str, *, seconds: float = 0.0, batch: bool = False) -> CallRecord:
        usage = TokenUsage(
            input_tokens=message.usage.input_tokens or 0,
            output_tokens=message.usage.output_tokens or 0,
            cache_creation_input_tokens=message.usage.cache_creation_input_tokens or 0,
            cache_read_input_tokens=message.usage.cache_read_input_tokens or 0)
        record = CallRecord(
            stage=stage, attempt=attempt, model=self.model, response_model=message.model,
            prompt_template_hash=template_hash, message_id=message.id,
            request_id=getattr(message, "_request_id", None), stop_reason=message.stop_reason,
            usage=usage, cost_usd=call_cost(self.model, **usage.model_dump(), batch=batch),
            seconds=round(seconds, 3),
            request=json.loads(json.dumps(dict(body), ensure_ascii=False)),
            response=message.model_dump(mode="json", exclude_none=True))
        log.info("claude %s attempt %d%s: model %s, stop %s, tokens in %d out %d cache "
                 "write %d read %d, $%.5f", stage, attempt, " (batch)" if batch else "",
                 self.model, message.stop_reason, usage.input_tokens, usage.output_tokens,
                 usage.cache_creation_input_tokens, usage.cache_read_input_tokens,
                 record.cost_usd)
        return record

    @staticmethod
    def _text(stage: str, message: Any, calls: list[CallRecord]) -> str:
        """The text of a reply's text blocks (found by type), ``stop_reason`` checked."""
        if message.stop_reason == "refusal":
            raise Refused(f"the model declined to answer at the {stage} stage "
                          "(stop_reason refusal); nothing was generated", calls=calls)
        if message.stop_reason in ("max_tokens", "model_context_window_exceeded"):
            raise OutputTruncated(f"the {stage} reply was cut off (stop_reason "
                                  f"{message.stop_reason})", calls=calls)
        texts = [block.text for block in message.content
                 if getattr(block, "type", None) == "text"]
        if not texts:
            kinds = ", ".join(getattr(b, "type", "?") for b in message.content) or "none"
            raise NoReply(f"the {stage} reply has no text block (blocks: {kinds}; "
                          f"stop_reason {message.stop_reason})", calls=calls)
        return "".join(texts)

    def _reply(self, stage: str, prefix: str, messages: list[dict[str, Any]],
               max_tokens: int, schema: dict[str, Any] | None,
               calls: list[CallRecord]) -> _Reply:
        """One answered request: the text of its text blocks, with ``stop_reason`` checked
        (a max_tokens cut-off is retried once with twice the budget)."""
        template_hash = prompts.template_hash(prefix)
        budget = max_tokens
        for attempt in (1, 2):
            body = self._request(prefix, messages, budget, schema)
            message, record = self._send(stage, len(calls) + 1, body, template_hash, calls)
            if message.stop_reason == "max_tokens" and attempt == 1 \
                    and min(budget * 2, MAX_TOKENS_CAP) > budget:
                bigger = min(budget * 2, MAX_TOKENS_CAP)
                log.warning("claude %s: reply cut at max_tokens=%d; retrying once with %d",
                            stage, budget, bigger)
                budget = bigger
                continue
            try:
                return _Reply(text=self._text(stage, message, calls), record=record)
            except OutputTruncated as exc:
                raise OutputTruncated(f"{exc} at max_tokens={budget}", calls=calls) from None
        raise AssertionError("unreachable")

    # ------------------------------------------------------------ batch results

    def batch_reply(self, stage: str, body: Mapping[str, Any], message: Mapping[str, Any],
                    *, attempt: int = 1) -> tuple[str, CallRecord]:
        """The text of a succeeded Message Batches result (``message`` in the Messages API
        shape) for the request ``body``, checked as an interactive reply is (refusal,
        max_tokens and a missing text block raise, carrying the record in ``calls``), and its
        record, costed at the batch price."""
        parsed = anthropic.types.Message.model_validate(dict(message))
        prefix = body["system"][0]["text"]
        record = self._record(stage, attempt, body, parsed, prompts.template_hash(prefix),
                              batch=True)
        return self._text(stage, parsed, [record]), record

    def explanation_from_batch(self, body: Mapping[str, Any], message: Mapping[str, Any], *,
                               perturbation: Mapping[str, Any], question: str, report: str,
                               trace_id: str | None = None, attempt: int = 1
                               ) -> tuple[CheckedTrace, CallRecord, str]:
        """A batch explanation result read and validated: (checked trace, record, reply
        text). An invalid trace's re-ask is :meth:`reask_params` in the next batch."""
        text, record = self.batch_reply("explanation", body, message, attempt=attempt)
        checked = check_structured_trace(text, perturbation=dict(perturbation),
                                         question=question, report_text=report,
                                         trace_id=trace_id)
        return checked, record, text

    @staticmethod
    def reask_params(body: Mapping[str, Any], reply: str, *, errors: list[str] | None = None,
                     unknown: list[str] | None = None, known: list[str] | None = None
                     ) -> dict[str, Any]:
        """The one re-ask of ``body`` after ``reply``: quoting a trace's error findings
        (``errors``) or naming a report's unknown evidence ids (``unknown``, ``known``)."""
        ask = prompts.trace_reask(errors) if errors is not None \
            else prompts.report_reask(unknown or [], known or [])
        return {**dict(body), "messages": list(body["messages"]) + [
            {"role": "assistant", "content": reply}, {"role": "user", "content": ask}]}

    # ------------------------------------------------------------ stages

    def report_params(self, perturbation: Mapping[str, Any], question: str,
                      evidence: Iterable[Any]) -> dict[str, Any]:
        """The first report request's body (``messages.create`` keyword arguments; also the
        ``params`` of a Message Batches request)."""
        items = prompts.evidence_items(evidence)
        return self._request(prompts.report_prefix(), [
            {"role": "user", "content": prompts.report_user_message(perturbation, question,
                                                                    items)}],
            self.max_tokens_report, None)

    def explanation_params(self, perturbation: Mapping[str, Any], question: str, report: str,
                           evidence: Iterable[Any]) -> dict[str, Any]:
        """The first explanation request's body (as :meth:`report_params`)."""
        items = prompts.evidence_items(evidence)
        return self._request(prompts.explanation_prefix(), [
            {"role": "user", "content": prompts.explanation_user_message(
                perturbation, question, report, items)}],
            self.max_tokens_trace, prompts.trace_schema())

    def write_report(self, perturbation: Mapping[str, Any], question: str,
                     evidence: Iterable[Any]) -> ReportResult:
        """The markdown report of one pair from its numbered evidence items. A report citing
        an id it was not given is re-asked once (naming the ids), then rejected."""
        items = prompts.evidence_items(evidence)
        known = [e["id"] for e in items]
        prefix = prompts.report_prefix()
        messages: list[dict[str, Any]] = self.report_params(perturbation, question,
                                                            items)["messages"]
        calls: list[CallRecord] = []
        reply = self._reply("report", prefix, messages, self.max_tokens_report, None, calls)
        unknown = unknown_citations(reply.text, known)
        reasked = False
        if unknown:
            log.warning("claude report cites unknown evidence ids %s; re-asking once",
                        ", ".join(unknown))
            reasked = True
            messages += [{"role": "assistant", "content": reply.text},
                         {"role": "user", "content": prompts.report_reask(unknown, known)}]
            reply = self._reply("report", prefix, messages, self.max_tokens_report, None,
                                calls)
            unknown = unknown_citations(reply.text, known)
            if unknown:
                raise ReportRejected(
                    "the report still cites evidence ids it was not given after one re-ask: "
                    + ", ".join(unknown), unknown=unknown, report=reply.text, calls=calls)
        usage, cost = call_totals(calls)
        return ReportResult(report=reply.text, cited=cited_ids(reply.text), reasked=reasked,
                            calls=calls, usage=usage, cost_usd=cost)

    def construct_explanation(self, perturbation: Mapping[str, Any], question: str,
                              report: str, evidence: Iterable[Any], *,
                              trace_id: str | None = None) -> ExplanationResult:
        """The trace of one pair from its report, as structured output, read and validated
        by the project's parser and validator; one re-ask quoting the error findings, then
        :class:`TraceRejected`."""
        prefix = prompts.explanation_prefix()
        schema = prompts.trace_schema()
        messages: list[dict[str, Any]] = self.explanation_params(
            perturbation, question, report, evidence)["messages"]
        calls: list[CallRecord] = []
        fields = {"perturbation": dict(perturbation), "question": question,
                  "report_text": report, "trace_id": trace_id}
        checked: CheckedTrace | None = None
        for attempt in (1, 2):
            reply = self._reply("explanation", prefix, messages, self.max_tokens_trace, schema,
                                calls)
            checked = check_structured_trace(reply.text, **fields)
            if checked.valid:
                usage, cost = call_totals(calls)
                return ExplanationResult(
                    trace=checked.trace, explain=checked.explain, dag=checked.dag,
                    warnings=checked.warnings, reasked=attempt > 1, calls=calls, usage=usage,
                    cost_usd=cost)
            if attempt == 1:
                log.warning("claude trace invalid (%d error(s)); re-asking once",
                            len(checked.errors))
                messages += [{"role": "assistant", "content": reply.text},
                             {"role": "user", "content": prompts.trace_reask(checked.errors)}]
        assert checked is not None
        raise TraceRejected(
            f"the trace is still invalid after one re-ask ({len(checked.errors)} error(s)); "
            f"first: {checked.errors[0] if checked.errors else '?'}",
            errors=checked.errors, checked=checked, calls=calls)


CONSTRUCTOR = "claude"


def compact_request(body: Mapping[str, Any]) -> dict[str, Any]:
    """A request body for storage: each system block's text and the output schema replaced
    by their sha256 (they are the static prefix, identical in every request and rebuilt from
    the prompt version); the per-pair messages, model and ``max_tokens`` kept as sent.
    Compacting a compacted body changes nothing."""
    out = json.loads(json.dumps(dict(body), ensure_ascii=False))
    for block in out.get("system") or []:
        if isinstance(block, dict) and isinstance(block.get("text"), str) \
                and not block["text"].startswith("sha256:"):
            block["text"] = "sha256:" + prompts.template_hash(block.pop("text"))
    fmt = (out.get("output_config") or {}).get("format")
    if isinstance(fmt, dict) and isinstance(fmt.get("schema"), dict):
        fmt["schema"] = "sha256:" + schema_sha256(fmt["schema"])
    return out


def generated_row(explanation: ExplanationResult, *, evidence: Iterable[Any],
                  report: ReportResult | None = None) -> dict[str, Any]:
    """The JSONL row ``vctrace ingest`` reads for a generated trace: the VC-TRACES columns
    (``perturbation``, ``question``, ``report_text``, ``explain``, ``dag``), ``trace_id`` and
    ``provenance``: constructor, model, prompt version and template hashes, the evidence items
    with their source ids, every call (compacted request, raw response, usage, cost), total
    usage and cost."""
    trace = explanation.trace
    calls = (report.calls if report else []) + explanation.calls
    usage, cost = call_totals(calls)
    provenance = {
        "constructor": CONSTRUCTOR, "constructor_version": prompts.PROMPT_VERSION,
        "model": calls[-1].model if calls else None,
        "prompt_version": prompts.PROMPT_VERSION,
        "prompt_template_hashes": {c.stage: c.prompt_template_hash for c in calls},
        "schema_sha256": schema_sha256(prompts.trace_schema()),
        "evidence": prompts.evidence_items(evidence),
        "calls": [c.model_dump(mode="json", exclude={"request"})
                  | {"request": compact_request(c.request)} for c in calls],
        "usage": usage.model_dump(), "cost_usd": cost,
        "reasked": {"report": bool(report and report.reasked),
                    "explanation": explanation.reasked},
    }
    return {"trace_id": trace.trace_id,
            "perturbation": trace.perturbation.raw if trace.perturbation else None,
            "question": trace.question, "report_text": trace.report_text,
            "explain": explanation.explain, "dag": explanation.dag, "provenance": provenance}


def estimate_run(pairs: int, *, model: str = DEFAULT_MODEL, **assumptions: Any) -> CostEstimate:
    """The dry run: requests, approximate tokens and cost of ``pairs`` pairs (report and
    explanation stages) with this module's real static prefixes, interactive and with Message
    Batches. ``assumptions`` go to :func:`vctrace.agents.pricing.estimate` (typical sizes,
    re-ask share). Needs no key and sends nothing."""
    return estimate(pairs, model=model, report_prefix_chars=len(prompts.report_prefix()),
                    explain_prefix_chars=len(prompts.explanation_prefix()), **assumptions)


def _error_text(exc: anthropic.APIStatusError) -> str:
    """The API's error type and message from its documented error body, else the status."""
    body = exc.body if isinstance(exc.body, Mapping) else {}
    error = body.get("error") if isinstance(body.get("error"), Mapping) else {}
    kind, message = error.get("type"), error.get("message")
    if kind or message:
        return f"{kind or 'error'}: {message or ''}".strip()
    return f"HTTP {exc.status_code}"
