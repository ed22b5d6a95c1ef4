"""Prices of Claude models, the cost of a call from its usage, and the dry-run estimate.

``PRICES`` are **assumed list prices**, USD per million tokens, as published on Anthropic's
pricing page and read on ``PRICES_AS_OF`` (interactive Messages API, standard tier, 5-minute
cache writes). They are not fetched: check them before relying on a cost, and add a model here
when its id is used (a model without a price raises :class:`UnknownPrice` rather than costing
$0). Message Batches cost half of every token price (``BATCH_DISCOUNT``).

The dry-run estimate counts tokens approximately as characters / 4 (``CHARS_PER_TOKEN``; English
prose with gene symbols and JSON runs at 3.5-4.5 characters a token with Claude tokenizers), so
it is a planning figure, not a quote; the recorded usage of real calls is exact.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pydantic import BaseModel

__all__ = ["BATCH_DISCOUNT", "CHARS_PER_TOKEN", "MIN_CACHEABLE_TOKENS", "PRICES", "PRICES_AS_OF",
           "CostEstimate",
           "ModelPrice", "StageEstimate", "UnknownPrice", "approx_tokens", "call_cost",
           "estimate", "price_of"]

PRICES_AS_OF = "2026-11-30"
BATCH_DISCOUNT = 0.5
CHARS_PER_TOKEN = 4.0
#: The shortest prefix the API caches (Sonnet-class models; assumed, as documented on
#: ``PRICES_AS_OF``). A shorter prefix marked for caching is simply not cached.
MIN_CACHEABLE_TOKENS = 1024


@dataclass(frozen=True)
class ModelPrice:
    """USD per million tokens: input, output, 5-minute cache write, cache read."""

    input: float
    output: float
    cache_write: float
    cache_read: float


_SONNET_5 = ModelPrice(input=2.00, output=10.00, cache_write=2.50, cache_read=0.20)
_SONNET_4 = ModelPrice(input=3.00, output=15.00, cache_write=3.75, cache_read=0.30)

PRICES: dict[str, ModelPrice] = {
    "claude-sonnet-5-5": _SONNET_5,
    "claude-sonnet-5": _SONNET_5,
    "claude-sonnet-4-6": _SONNET_4,
    "claude-sonnet-4-5": _SONNET_4,
    "claude-sonnet-4-5-20250929": _SONNET_4,
    "claude-haiku-4-5": ModelPrice(input=1.00, output=5.00, cache_write=1.25, cache_read=0.10),
    "claude-haiku-4-5-20251001": ModelPrice(input=1.00, output=5.00, cache_write=1.25,
                                            cache_read=0.10),
    "claude-opus-4-5": ModelPrice(input=5.00, output=25.00, cache_write=6.25, cache_read=0.50),
}


class UnknownPrice(KeyError):
    """A model id with no entry in :data:`PRICES`."""


def price_of(model: str) -> ModelPrice:
    try:
        return PRICES[model]
    except KeyError:
        raise UnknownPrice(f"no price on file for model {model!r}; add it to "
                           "vctrace/agents/pricing.py PRICES") from None


def call_cost(model: str, *, input_tokens: int, output_tokens: int,
              cache_creation_input_tokens: int = 0, cache_read_input_tokens: int = 0,
              batch: bool = False) -> float:
    """USD of one call from its usage. ``input_tokens`` is the uncached input only (the API
    reports cache writes and reads separately, each billed at its own rate)."""
    p = price_of(model)
    usd = (input_tokens * p.input + output_tokens * p.output
           + cache_creation_input_tokens * p.cache_write
           + cache_read_input_tokens * p.cache_read) / 1_000_000
    return usd * (BATCH_DISCOUNT if batch else 1.0)


def approx_tokens(chars: int | str) -> int:
    """Approximate tokens of a text (or of a number of characters): characters / 4."""
    n = len(chars) if isinstance(chars, str) else int(chars)
    return math.ceil(n / CHARS_PER_TOKEN)


class StageEstimate(BaseModel):
    """One stage (report or explanation) for all pairs."""

    stage: str
    requests: int
    static_prefix_tokens: int
    cache_write_tokens: int
    cache_read_tokens: int
    input_tokens: int
    output_tokens: int


class CostEstimate(BaseModel):
    """What a run of ``pairs`` pairs would send and cost, before anything is spent."""

    model: str
    pairs: int
    requests: int
    input_tokens: int
    cache_write_tokens: int
    cache_read_tokens: int
    output_tokens: int
    interactive_usd: float
    batch_usd: float
    stages: list[StageEstimate]
    prices_as_of: str = PRICES_AS_OF
    assumptions: list[str]


def estimate(pairs: int, *, model: str, report_prefix_chars: int, explain_prefix_chars: int,
             perturbation_chars: int = 900, evidence_chars: int = 6_000,
             report_chars: int = 7_200, trace_json_chars: int = 5_000,
             reask_share: float = 0.1, stages: tuple[str, ...] = ("report", "explanation"),
             cache_lifetime_requests: int = 0,
             min_cacheable_tokens: int = MIN_CACHEABLE_TOKENS) -> CostEstimate:
    """Requests, tokens and cost of generating ``pairs`` traces.

    Per pair: a report call (static report prefix + perturbation + evidence in; the report
    out) and an explanation call (static explanation prefix + perturbation + evidence + report
    in; the trace JSON out), and a re-ask for a share ``reask_share`` of pairs per stage (its
    input also carries the first reply). Defaults are VC-TRACES sizes: reports about 7,200
    characters, explain+dag about 2,000 characters (5,000 as JSON).

    Caching: the static prefix is written once per stage and read by every later request
    (``cache_lifetime_requests`` > 0 writes it again every that many requests, for runs slower
    than the cache lifetime). A prefix shorter than ``min_cacheable_tokens`` is not cached
    and counts as plain input on every request. Batches are assumed to hit the cache as often
    as interactive runs (batch caching is best effort; fewer hits cost more), at half price.
    """
    if pairs < 0:
        raise ValueError("pairs must be >= 0")
    pert, evid = approx_tokens(perturbation_chars), approx_tokens(evidence_chars)
    report_out, trace_out = approx_tokens(report_chars), approx_tokens(trace_json_chars)
    plan = {
        "report": (approx_tokens(report_prefix_chars), pert + evid, report_out),
        "explanation": (approx_tokens(explain_prefix_chars), pert + evid + report_out,
                        trace_out),
    }
    out: list[StageEstimate] = []
    for stage in stages:
        prefix, variable, output = plan[stage]
        reasks = math.ceil(pairs * reask_share)
        requests = pairs + reasks
        cached = prefix >= min_cacheable_tokens
        if requests == 0 or not cached:
            writes = 0
        elif cache_lifetime_requests > 0:
            writes = math.ceil(requests / cache_lifetime_requests)
        else:
            writes = 1
        reads = requests - writes if cached else 0
        # a re-ask repeats the first reply and adds the findings (about 100 tokens)
        variable_in = requests * variable + reasks * (output + 100)
        if not cached:
            variable_in += requests * prefix
        out.append(StageEstimate(
            stage=stage, requests=requests, static_prefix_tokens=prefix,
            cache_write_tokens=writes * prefix, cache_read_tokens=reads * prefix,
            input_tokens=variable_in, output_tokens=requests * output))
    totals = {k: sum(getattr(s, k) for s in out) for k in (
        "requests", "input_tokens", "cache_write_tokens", "cache_read_tokens", "output_tokens")}
    usage = dict(input_tokens=totals["input_tokens"], output_tokens=totals["output_tokens"],
                 cache_creation_input_tokens=totals["cache_write_tokens"],
                 cache_read_input_tokens=totals["cache_read_tokens"])
    return CostEstimate(
        model=model, pairs=pairs, **totals,
        interactive_usd=round(call_cost(model, **usage), 4),
        batch_usd=round(call_cost(model, **usage, batch=True), 4),
        stages=out,
        assumptions=[
            f"tokens ~ characters / {CHARS_PER_TOKEN:g}",
            f"list prices of {model} as of {PRICES_AS_OF} (assumed; USD per million tokens)",
            f"re-asked share {reask_share:g} per stage",
            "static prefix written to the cache once per stage, read by every other request "
            f"(not cached when under {min_cacheable_tokens} tokens)",
            f"Message Batches at {BATCH_DISCOUNT:.0%} of every token price, same cache hits",
            "thinking tokens, if the model thinks, are output tokens and not included",
        ])
