"""The trace JSON schema generated from the primitive registry (structured output of the
explanation constructor), and the reading of a schema-valid reply by the project's validator.

No JSON-schema library is a dependency; ``_conforms`` below checks an instance against the
subset of JSON Schema that structured outputs accept, and fails on any keyword outside it, so
the test also proves the generated schema stays inside that subset.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from vctrace.app.llm_traces import check_structured_trace
from vctrace.traces import primitives
from vctrace.traces.citations import cited_ids, unknown_citations
from vctrace.traces.primitives import Family, PrimitiveSpec
from vctrace.traces.trace_schema import (primitive_definitions, record_from_structured,
                                         schema_sha256, trace_json_schema)

_KEYWORDS = {"type", "properties", "required", "additionalProperties", "items", "enum",
             "const", "anyOf", "description"}


def _conforms(instance: Any, schema: dict[str, Any], where: str = "$") -> list[str]:
    """Errors of ``instance`` against ``schema`` (the structured-outputs subset)."""
    unknown = set(schema) - _KEYWORDS
    assert not unknown, f"{where}: keyword(s) outside the structured-outputs subset: {unknown}"
    if "anyOf" in schema:
        if any(not _conforms(instance, variant, where) for variant in schema["anyOf"]):
            return []
        return [f"{where}: matches no variant"]
    if "const" in schema and instance != schema["const"]:
        return [f"{where}: {instance!r} is not {schema['const']!r}"]
    if "enum" in schema and instance not in schema["enum"]:
        return [f"{where}: {instance!r} not in {schema['enum']}"]
    kind = schema.get("type")
    if kind == "string" and not isinstance(instance, str):
        return [f"{where}: not a string"]
    if kind == "array":
        if not isinstance(instance, list):
            return [f"{where}: not an array"]
        return [e for i, item in enumerate(instance)
                for e in _conforms(item, schema["items"], f"{where}[{i}]")]
    if kind == "object":
        assert schema.get("additionalProperties") is False, f"{where}: object not closed"
        if not isinstance(instance, dict):
            return [f"{where}: not an object"]
        errors = [f"{where}: missing {k}" for k in schema.get("required", [])
                  if k not in instance]
        errors += [f"{where}: extra {k}" for k in instance if k not in schema["properties"]]
        for key, value in instance.items():
            if key in schema["properties"]:
                errors += _conforms(value, schema["properties"][key], f"{where}.{key}")
        return errors
    return []


def _variants(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {v["properties"]["primitive"]["const"]: v
            for v in schema["properties"]["actions"]["items"]["anyOf"]}


def _value(spec: PrimitiveSpec, name: str) -> Any:
    if name in spec.list_args:
        return ["MAP2K1", "MAP2K2"]
    if name == "direction":
        return "down"
    return f"{name} value"


def _instance_with_every_primitive() -> dict[str, Any]:
    """One action per registered primitive: set_context first, a measurable action last,
    chained by causal edges."""
    specs = list(primitives.REGISTRY.values())
    context = [s for s in specs if not s.takes_id]
    last = [s for s in specs if s.name == "induces_phenotype"]
    middle = [s for s in specs if s.takes_id and s.name != "induces_phenotype"]
    actions = []
    for spec in context:
        args = {name: "" for name in spec.arguments}
        args.update({spec.required_any[0]: "C32", "disease": "melanoma"})
        actions.append({"primitive": spec.name, "args": args})
    for number, spec in enumerate(middle + last, 1):
        args = {name: _value(spec, name) if name in spec.required else ""
                for name in spec.arguments}
        if "via" in args:
            args["via"] = "a stated route"
        actions.append({"id": f"n{number}", "primitive": spec.name, "args": args})
    ids = [a["id"] for a in actions if "id" in a]
    edges = [{"source": a, "target": b, "relation": "causal"} for a, b in zip(ids, ids[1:])]
    return {"actions": actions, "edges": edges}


def test_every_registered_primitive_is_a_variant_with_its_arguments():
    schema = trace_json_schema()
    variants = _variants(schema)
    assert list(variants) == list(primitives.REGISTRY)
    for name, spec in primitives.REGISTRY.items():
        variant = variants[name]
        args = variant["properties"]["args"]
        assert list(args["properties"]) == list(spec.arguments)
        assert args["required"] == list(spec.arguments)  # none optional: "" = not given
        assert args["additionalProperties"] is False
        assert ("id" in variant["properties"]) is spec.takes_id
        assert ("id" in variant["required"]) is spec.takes_id
        for arg in spec.list_args:
            assert args["properties"][arg] == {"type": "array", "items": {"type": "string"}}
        if spec.has_direction:
            assert args["properties"]["direction"]["enum"] == ["up", "down"]
    edge = schema["properties"]["edges"]["items"]
    assert edge["properties"]["relation"]["enum"] == list(primitives.RELATIONS)
    assert edge["required"] == ["source", "target", "relation"]


def test_a_new_primitive_is_picked_up_without_edits():
    spec = PrimitiveSpec("methylates_dna", Family.REGULATION, required=("locus", "direction"),
                         optional=("via",), up_means="more methylation")
    registry = dict(primitives.REGISTRY, methylates_dna=spec)
    variant = _variants(trace_json_schema(registry))["methylates_dna"]
    assert variant["properties"]["args"]["required"] == ["locus", "direction", "via"]
    assert "methylates_dna" in primitive_definitions(registry)
    assert "methylates_dna" not in _variants(trace_json_schema())


def _count(schema: Any) -> tuple[int, int]:
    """(optional object properties, union-typed places) in a schema."""
    optional = unions = 0
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if node.get("type") == "object":
                optional += len(set(node["properties"]) - set(node.get("required", [])))
            unions += "anyOf" in node or isinstance(node.get("type"), list)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return optional, unions


def test_schema_stays_within_the_structured_output_grammar_limits():
    # the API refuses more than 24 optional properties and more than 16 union-typed
    # parameters across a request's strict schemas
    optional, unions = _count(trace_json_schema())
    assert optional == 0 and unions <= 16


def test_empty_optional_arguments_are_dropped_and_empty_required_ones_reported():
    instance = _instance_with_every_primitive()
    checked = check_structured_trace(instance)
    binds = next(a for a in checked.trace.actions if a.primitive == "binds_to")
    assert binds.args == {"actor": "actor value", "target": "target value",
                          "via": "a stated route"}
    context = checked.trace.actions[0]
    assert context.args == {"cell_type": "C32", "disease": "melanoma"}
    binds_item = next(a for a in instance["actions"] if a["primitive"] == "binds_to")
    binds_item["args"]["target"] = ""
    errors = check_structured_trace(instance).errors
    assert any(e.startswith("empty_argument") and "'target'" in e for e in errors)


def test_schema_is_deterministic_and_hashable():
    a, b = trace_json_schema(), trace_json_schema()
    assert json.dumps(a) == json.dumps(b)
    assert schema_sha256(a) == schema_sha256(b)
    assert len(schema_sha256(a)) == 64
    text = primitive_definitions()
    assert text == primitive_definitions()
    assert all(f"- {name} [" in text for name in primitives.REGISTRY)


def test_a_schema_valid_instance_becomes_a_valid_trace():
    schema = trace_json_schema()
    instance = _instance_with_every_primitive()
    assert _conforms(instance, schema) == []
    perturbation = {"context": [{"cell type": "C32"}],
                    "perturbations": [{"name": "Binimetinib"}]}
    checked = check_structured_trace(json.dumps(instance), perturbation=perturbation,
                                     question="Q", report_text="report")
    assert checked.errors == []
    assert checked.valid
    assert {a.primitive for a in checked.trace.actions} == set(primitives.REGISTRY)
    assert checked.trace.drug == "Binimetinib" and checked.trace.report_text == "report"
    assert checked.explain.splitlines()[0].startswith("set_context(")
    assert checked.dag.splitlines()[0] == 'edge("n1", "n2", relation="causal")'


def test_schema_valid_but_invalid_trace_has_error_findings():
    instance = _instance_with_every_primitive()
    instance["edges"].append({"source": instance["edges"][-1]["target"], "target": "n1",
                              "relation": "causal"})
    instance["edges"].append({"source": "n1", "target": "n99", "relation": "causal"})
    assert _conforms(instance, trace_json_schema()) == []
    checked = check_structured_trace(instance)
    assert not checked.valid
    codes = {e.split(" ")[0].rstrip(":") for e in checked.errors}
    assert {"cycle", "dangling_edge"} <= codes


def test_schema_rejects_unknown_arguments_and_primitives():
    schema = trace_json_schema()
    bad_arg = {"actions": [{"id": "n1", "primitive": "binds_to",
                            "args": {"actor": "a", "target": "b", "colour": "red"}}],
               "edges": []}
    bad_prim = {"actions": [{"id": "n1", "primitive": "teleports", "args": {}}], "edges": []}
    assert _conforms(bad_arg, schema) and _conforms(bad_prim, schema)


def test_unreadable_replies_are_findings_not_exceptions():
    assert check_structured_trace("{not json").errors[0].startswith("not_a_trace")
    assert not check_structured_trace([1, 2]).valid
    record = record_from_structured({"actions": [{"id": "n1", "primitive": "binds_to",
                                                  "args": {"actor": "a", "target": "b",
                                                           "via": None}}]}, question="Q")
    assert record["actions"][0]["args"] == {"actor": "a", "target": "b"}
    assert record["question"] == "Q" and record["edges"] == []


@pytest.mark.parametrize("text, known, cited, unknown", [
    ("A [E1] and [E3, E7]. B [^E9] [E1].", ["E1", "E3", "E7"], ["E1", "E3", "E7", "E9"],
     ["E9"]),
    ("no citations [1] [X2] [e3]", ["E1"], [], []),
    ("[E12;E4]", ["E4"], ["E12", "E4"], ["E12"]),
])
def test_citations(text, known, cited, unknown):
    assert cited_ids(text) == cited
    assert unknown_citations(text, known) == unknown
