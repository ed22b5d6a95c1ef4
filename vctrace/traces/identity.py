"""Content-addressed identity of traces and claims.

Keys are SHA-256 digests of a canonical JSON encoding (sorted keys, no whitespace, NFC
unicode), so they are the same on every run and machine and change exactly when the content
does. Only the first 128 bits are kept (32 hex digits): collisions are out of reach at any
scale this tool meets, and the keys stay short enough to type.

- **trace key** ``t-…``: the perturbation record, the actions (id, primitive, canonical
  arguments, in line order) and the edges (sorted). Where a record came from (file, row) and
  the surrounding texts (question, report) are not part of it: the same explanation of the same
  perturbation is the same trace wherever it is read from.
- **claim key** ``c-…``: what an action asserts, independent of how it was phrased and of the
  trace it is in: the primitive, its claim arguments (required ones, see
  ``PrimitiveSpec.claim_args``) normalised (NFKC, case-folded, spaces collapsed; lists sorted
  and de-duplicated), and the context a verdict depends on (``ContextScope``): nothing for
  context-free facts such as ``binds_to``, the normalised (drug, cell line) otherwise.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from functools import lru_cache
from typing import Any

from . import primitives
from .models import Action, Trace

_SPACES = re.compile(r"\s+")


_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                              default=str)
"""The canonical JSON encoding (one encoder for every digest: what ``json.dumps`` with these
options builds anew on each call)."""


def _digest(payload: Any) -> str:
    encoded = _CANONICAL.encode(payload)
    return hashlib.sha256(unicodedata.normalize("NFC", encoded).encode("utf-8")).hexdigest()[:32]


def normalise_text(value: Any) -> str:
    """The matching form of a name: NFKC, case-folded, whitespace collapsed and trimmed."""
    return _normalise(value) if isinstance(value, str) else _normalise(str(value))


@lru_cache(maxsize=1 << 16)
def _normalise(text: str) -> str:  # names recur across traces: cached
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text)).strip().casefold()


def normalise_value(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return sorted({_normalise(v) if isinstance(v, str) else _normalise(str(v))
                       for v in value})
    return _normalise(value) if isinstance(value, str) else _normalise(str(value))


def trace_key(trace: Trace) -> str:
    payload = {
        "perturbation": trace.perturbation.raw if trace.perturbation else None,
        "actions": [[a.id, a.primitive, a.args] for a in trace.actions],
        "edges": sorted([e.source, e.target, e.relation] for e in trace.edges),
    }
    return "t-" + _digest(payload)


def claim_context(trace: Trace, primitive: str) -> dict[str, str]:
    """The context a verdict on a claim of ``primitive`` in ``trace`` depends on."""
    return trace_context(trace) if _in_context(primitive) else {}


def trace_context(trace: Trace) -> dict[str, str]:
    """The context of ``trace``'s context-dependent claims: its normalised drug and cell
    line."""
    return {"drug": normalise_text(trace.drug or ""),
            "cell_line": normalise_text(trace.cell_line or "")}


def _in_context(primitive: str) -> bool:
    """Whether a verdict on a claim of ``primitive`` depends on the trace's context."""
    spec = primitives.get(primitive)
    return spec is not None and spec.context_scope is not primitives.ContextScope.NONE


def claim_args(action: Action) -> dict[str, Any]:
    """The normalised arguments that make up the claim of ``action``."""
    spec = primitives.get(action.primitive)
    names = spec.claim_args if spec else tuple(action.args)
    return {name: normalise_value(action.args[name]) for name in names if name in action.args}


def claim_key(trace: Trace, action: Action) -> str:
    return claims_of(trace, [action])[0][0]


def claims_of(trace: Trace, actions: list[Action] | None = None
              ) -> list[tuple[str, dict[str, Any], dict[str, str]]]:
    """(key, claim arguments, context) of the claim of each of ``actions`` (default: all of
    the trace's), the trace's context worked out once."""
    context = trace_context(trace)
    out = []
    for action in trace.actions if actions is None else actions:
        args = claim_args(action)
        scoped = context if _in_context(action.primitive) else {}
        payload = {"primitive": action.primitive, "args": args, "context": scoped}
        out.append(("c-" + _digest(payload), args, scoped))
    return out
