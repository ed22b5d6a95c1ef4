"""The JSON schema of a trace, generated from the primitive registry, for structured output.

A language model asked for a trace as structured output (the ``output_config`` json_schema
format of the Claude Messages API) gets this schema::

    {"actions": [{"id", "primitive", "args": {...}}, ...],
     "edges":   [{"source", "target", "relation": "causal" | "correlative"}, ...]}

``actions.items`` is one variant per registered primitive (``anyOf``), each fixing
``primitive`` with a ``const`` and listing exactly that primitive's canonical argument names:
list arguments are arrays of strings, ``direction`` the enum ``up``/``down``, everything else a
string. ``set_context`` has no ``id``. Adding a primitive to :mod:`vctrace.traces.primitives`
adds its variant here with no edit.

**Every argument is required; an empty string means "not given"** for the optional ones (and
for ``set_context``'s at-least-one-of arguments). Structured outputs compile the schema into a
grammar and refuse a schema with more than 24 optional properties in all ("Schemas contains too
many optional parameters … (limit: 24)"); the registry has about 60, so none is optional here.
:func:`record_from_structured` drops the empty optional values again; an empty *required*
value is kept, and the validator reports it (``empty_argument``).

The schema keeps to the subset structured outputs accept: every object closes with
``additionalProperties: false``; no string or number constraints. A schema-valid reply is not
yet a valid trace (a cycle, a dangling edge, a non-measurable last action): the reply is turned
into the JSON form (:func:`record_from_structured`) and read by the project's own parser and
validator like any other record.

:func:`primitive_definitions` is the registry as text for a prompt (one line per primitive).
Both are deterministic (registry order, no sets, sorted nothing that is ordered), so a prompt
built from them is byte-identical from one call to the next.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Mapping

from . import primitives
from .primitives import PrimitiveSpec

__all__ = ["primitive_definitions", "record_from_structured", "schema_sha256",
           "trace_json_schema"]

_STRING = {"type": "string"}
_STRINGS = {"type": "array", "items": {"type": "string"}}


def _argument_schema(spec: PrimitiveSpec, name: str) -> dict[str, Any]:
    if name in spec.list_args:
        return dict(_STRINGS)
    if name == "direction":
        return {"type": "string", "enum": list(primitives.DIRECTIONS)}
    return dict(_STRING)


def _action_schema(spec: PrimitiveSpec) -> dict[str, Any]:
    args = {
        "type": "object",
        "properties": {name: _argument_schema(spec, name) for name in spec.arguments},
        "required": list(spec.arguments),
        "additionalProperties": False,
    }
    properties: dict[str, Any] = {}
    required: list[str] = []
    if spec.takes_id:
        properties["id"] = dict(_STRING)
        required.append("id")
    properties["primitive"] = {"type": "string", "const": spec.name}
    properties["args"] = args
    required += ["primitive", "args"]
    description = f"{spec.name} ({spec.family.value})"
    optional = [n for n in spec.arguments if n not in spec.required]
    if optional:
        description += f"; \"\" (empty) when not given: {', '.join(optional)}"
    if spec.up_means:
        description += f"; direction up means {spec.up_means}"
    return {"type": "object", "description": description, "properties": properties,
            "required": required, "additionalProperties": False}


def trace_json_schema(registry: Mapping[str, PrimitiveSpec] | None = None) -> dict[str, Any]:
    """The JSON schema of a trace for ``registry`` (default: every registered primitive)."""
    specs = list((registry if registry is not None else primitives.REGISTRY).values())
    edge = {
        "type": "object",
        "properties": {"source": dict(_STRING), "target": dict(_STRING),
                       "relation": {"type": "string", "enum": list(primitives.RELATIONS)}},
        "required": ["source", "target", "relation"],
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "properties": {
            "actions": {"type": "array", "items": {"anyOf": [_action_schema(s) for s in specs]}},
            "edges": {"type": "array", "items": edge},
        },
        "required": ["actions", "edges"],
        "additionalProperties": False,
    }


def schema_sha256(schema: Mapping[str, Any]) -> str:
    """A content hash of a schema (canonical JSON: sorted keys, no spaces)."""
    text = json.dumps(schema, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def primitive_definitions(registry: Mapping[str, PrimitiveSpec] | None = None) -> str:
    """One line per primitive: name, family, required / optional arguments, what up means,
    whether it is a measurable output (a valid final action)."""
    lines = []
    for spec in (registry if registry is not None else primitives.REGISTRY).values():
        parts = [f"- {spec.name} [{spec.family.value}]"]
        if spec.required:
            parts.append("required: " + ", ".join(spec.required))
        if spec.required_any:
            parts.append("at least one of: " + ", ".join(spec.required_any))
        if spec.optional:
            parts.append("optional: " + ", ".join(spec.optional))
        if spec.list_args:
            parts.append("lists of strings: " + ", ".join(spec.list_args))
        if spec.up_means:
            parts.append(f"direction \"up\" means {spec.up_means}")
        if not spec.takes_id:
            parts.append("no id; always the first action")
        if spec.measurable:
            parts.append("measurable output")
        lines.append("; ".join(parts))
    return "\n".join(lines)


def record_from_structured(data: Mapping[str, Any], **fields: Any) -> dict[str, Any]:
    """The JSON-form record (``shared/spec/trace-format.md`` §5) of a structured reply, with
    ``fields`` (``perturbation``, ``question``, ``report_text``, ``trace_id``, ``provenance``…)
    added. Optional arguments given as ``""`` or ``null`` (not given) are dropped; nothing
    else is changed, so every deviation is left for the parser and validator to report."""
    actions = []
    for item in data.get("actions") or []:
        if not isinstance(item, Mapping):
            actions.append(item)
            continue
        args = item.get("args")
        if isinstance(args, Mapping):
            spec = primitives.get(item.get("primitive")) \
                if isinstance(item.get("primitive"), str) else None
            required = spec.required if spec is not None else ()
            args = {k: v for k, v in args.items()
                    if v is not None and not (v == "" and k not in required)}
        actions.append({"id": item.get("id"), "primitive": item.get("primitive"),
                        "args": {} if args is None else args})
    edges = list(data.get("edges") or [])
    return {**fields, "actions": actions, "edges": edges}
