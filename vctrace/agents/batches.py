"""Message Batches for many pairs: submit, poll, collect, resume, re-send what failed.

One :class:`BatchRun` owns a JSON state file. Each request has a ``custom_id`` naming its stage,
pair and prompt version (:func:`custom_id`; the API allows ``[A-Za-z0-9_-]{1,64}``, so the pair
and version are hashed and the readable parts kept in the state). The state is written after
every batch is created and after every result is collected, so a run killed at any point resumes
without re-sending a request already in a batch: :meth:`BatchRun.submit` skips every id that is
submitted and not failed; only ``errored`` and ``expired`` (and ``canceled``) results are sent
again, each id at most ``max_tries`` times in all (default :data:`MAX_TRIES`), and never an id
whose error is the request's own (``invalid_request_error``: sending it again cannot help).
:meth:`BatchRun.given_up` says why an id will not be sent again. Requests are split under the
API's limits per batch (``MAX_REQUESTS`` requests, ``MAX_BYTES`` of request body).

Results arrive as JSONL in any order and are matched by ``custom_id``. A succeeded result's
message goes through the same checks as an interactive reply (``stop_reason``, content blocks by
type) in the caller's hands: this module only moves requests and results.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import anthropic

from .claude import ClaudeApiError, ClaudeClient

__all__ = ["MAX_BYTES", "MAX_REQUESTS", "MAX_TRIES", "BatchRun", "custom_id"]

MAX_REQUESTS = 100_000
MAX_BYTES = 256 * 1024 * 1024
#: Times one request is sent in all (the first and the re-sends of errored/expired results).
MAX_TRIES = 3
RESEND = ("errored", "expired", "canceled")
#: Errors of the request itself: re-sending the same body cannot succeed.
FINAL_ERRORS = ("invalid_request_error",)


def custom_id(stage: str, pair: str, prompt_version: str, attempt: int = 1) -> str:
    """``<stage>-<sha256(pair, version)[:40]>-<attempt>``: at most 64 characters of
    ``[A-Za-z0-9_-]``, one per (stage, pair, prompt version, attempt)."""
    digest = hashlib.sha256(f"{pair}\x1f{prompt_version}".encode("utf-8")).hexdigest()[:40]
    safe = "".join(c if c.isalnum() else "_" for c in stage)[:16]
    return f"{safe}-{digest}-{attempt}"


class BatchRun:
    """The batches of one generation run, resumable from ``state_path``."""

    def __init__(self, client: ClaudeClient, state_path: str | Path, *,
                 max_requests: int = MAX_REQUESTS, max_bytes: int = MAX_BYTES,
                 max_tries: int = MAX_TRIES):
        if max_tries < 1:
            raise ValueError("max_tries must be at least 1")
        self._sdk = client._sdk
        self.path = Path(state_path)
        self.max_requests, self.max_bytes, self.max_tries = max_requests, max_bytes, max_tries
        self.state: dict[str, Any] = {"batches": {}, "submitted": {}, "results": {},
                                      "tries": {}}
        if self.path.exists():
            self.state = json.loads(self.path.read_text(encoding="utf-8"))
            self.state.setdefault("tries", {})

    def _save(self) -> None:
        tmp = self.path.with_suffix(self.path.suffix + ".tmp")
        tmp.write_text(json.dumps(self.state, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, self.path)

    def _api(self, what: str, call: Callable[[], Any]) -> Any:
        try:
            return call()
        except anthropic.APIStatusError as exc:
            raise ClaudeApiError(f"Message Batches {what}: HTTP {exc.status_code}",
                                 status=exc.status_code, request_id=exc.request_id) from None
        except anthropic.APIConnectionError as exc:
            raise ClaudeApiError(f"Message Batches {what}: not reachable "
                                 f"({type(exc).__name__})") from None

    def tries(self, cid: str) -> int:
        """How many times ``cid`` was sent."""
        return self.state["tries"].get(cid, 1 if cid in self.state["submitted"] else 0)

    def _resendable(self, cid: str) -> bool:
        result = self.state["results"].get(cid)
        return result is not None and result.get("type") in RESEND \
            and _error_type(result) not in FINAL_ERRORS and self.tries(cid) < self.max_tries

    def outstanding(self, requests: Iterable[str]) -> list[str]:
        """The ids of ``requests`` still to send: never submitted, or failed and worth
        sending again (fewer than ``max_tries`` tries, not the request's own error)."""
        return [cid for cid in requests
                if cid not in self.state["submitted"] or self._resendable(cid)]

    def given_up(self, cid: str) -> str | None:
        """Why ``cid`` will not be sent again and has no succeeded result (``"errored 3
        times (overloaded_error: Overloaded)"``), or ``None``: not sent yet, pending,
        succeeded, or to be sent again."""
        if cid not in self.state["submitted"]:
            return None
        result = self.state["results"].get(cid)
        if result is None:
            batch = self.state["batches"].get(self.state["submitted"][cid], {})
            return "had no result in its ended batch" if batch.get("collected") else None
        kind = result.get("type")
        if kind == "succeeded" or self._resendable(cid):
            return None
        tries = self.tries(cid)
        detail = _error_text(result)
        return f"{kind} {'once' if tries == 1 else f'{tries} times'}" + \
            (f" ({detail})" if detail else "")

    def submit(self, requests: Mapping[str, Mapping[str, Any]]) -> list[str]:
        """Create batches for the outstanding ``requests`` (custom id → ``messages.create``
        body); the ids of the batches created."""
        todo = self.outstanding(requests)
        created, chunk, size = [], [], 0
        for cid in todo:
            item = {"custom_id": cid, "params": dict(requests[cid])}
            item_size = len(json.dumps(item, ensure_ascii=False).encode("utf-8"))
            if chunk and (len(chunk) >= self.max_requests or size + item_size > self.max_bytes):
                created.append(self._create(chunk))
                chunk, size = [], 0
            chunk.append(item)
            size += item_size
        if chunk:
            created.append(self._create(chunk))
        return created

    def _create(self, chunk: list[dict[str, Any]]) -> str:
        batch = self._api("create", lambda: self._sdk.messages.batches.create(requests=chunk))
        ids = [item["custom_id"] for item in chunk]
        self.state["batches"][batch.id] = {"status": batch.processing_status,
                                           "custom_ids": ids, "collected": False}
        for cid in ids:
            self.state["tries"][cid] = self.tries(cid) + 1
            self.state["submitted"][cid] = batch.id
            self.state["results"].pop(cid, None)
        self._save()
        return batch.id

    def poll_once(self) -> bool:
        """Ask for the status (and request counts) of every batch not ended; ``True`` when
        all have ended."""
        changed = False
        for bid, state in self.state["batches"].items():
            if state["status"] == "ended":
                continue
            batch = self._api("retrieve",
                              lambda bid=bid: self._sdk.messages.batches.retrieve(bid))
            seen = (batch.processing_status, batch.request_counts.model_dump(mode="json"))
            changed |= seen != (state["status"], state.get("counts"))
            state["status"], state["counts"] = seen
        if changed:  # the state holds every result: not rewritten on each quiet poll
            self._save()
        return all(b["status"] == "ended" for b in self.state["batches"].values())

    def poll(self, *, interval: float = 60.0, timeout: float | None = None,
             sleep: Callable[[float], None] = time.sleep) -> bool:
        """Wait until every batch has ended (``True``), or ``timeout`` seconds (``False``)."""
        started = time.monotonic()
        while True:
            if self.poll_once():
                return True
            if timeout is not None and time.monotonic() - started >= timeout:
                return False
            sleep(interval)

    def collect(self) -> dict[str, int]:
        """Read the results of every ended batch not yet collected; counts by result type."""
        counts: dict[str, int] = {}
        for bid, batch in self.state["batches"].items():
            if batch["status"] != "ended" or batch["collected"]:
                continue
            results: Iterable[Any] = self._api(
                "results", lambda bid=bid: list(self._sdk.messages.batches.results(bid)))
            for item in results:
                if self.state["submitted"].get(item.custom_id) != bid:
                    continue  # an id re-sent in a later batch: that one's result counts
                result = item.result.model_dump(mode="json", exclude_none=True)
                self.state["results"][item.custom_id] = result
                counts[result["type"]] = counts.get(result["type"], 0) + 1
            batch["collected"] = True
            self._save()
        return counts

    def message(self, cid: str) -> dict[str, Any] | None:
        """The message of ``cid``'s succeeded result, else ``None``."""
        result = self.state["results"].get(cid)
        return result["message"] if result and result.get("type") == "succeeded" else None

    def open_batches(self) -> list[str]:
        """The ids of the batches not yet collected (still processing, or ended)."""
        return [bid for bid, b in self.state["batches"].items() if not b["collected"]]

    def succeeded(self) -> dict[str, dict[str, Any]]:
        """Custom id → the succeeded result's message (Messages API shape)."""
        return {cid: r["message"] for cid, r in self.state["results"].items()
                if r.get("type") == "succeeded"}

    def failed(self) -> dict[str, str]:
        """Custom id → result type, for the results that failed (errored, expired,
        canceled)."""
        return {cid: r["type"] for cid, r in self.state["results"].items()
                if r.get("type") in RESEND}


def _api_error(result: Mapping[str, Any]) -> Mapping[str, Any]:
    """The ``{"type", "message"}`` of an errored result (``result.error.error`` in the
    documented shape), else empty."""
    outer = result.get("error")
    inner = outer.get("error") if isinstance(outer, Mapping) else None
    return inner if isinstance(inner, Mapping) else {}


def _error_type(result: Mapping[str, Any]) -> str | None:
    return _api_error(result).get("type")


def _error_text(result: Mapping[str, Any]) -> str:
    error = _api_error(result)
    return ": ".join(str(error[k]) for k in ("type", "message") if error.get(k))
