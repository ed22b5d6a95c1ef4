"""The prompts of the report generator and the explanation constructor.

Each stage has a **static prefix** (instructions; for the constructor also the primitive
definitions and the trace schema) sent as one system block marked for prompt caching, and a
per-pair user message. The prefix is built from constants and the registry only — no pair, no
date, no run id — so it is byte-identical across pairs and every request after the first reads
it from the cache. Its sha256 is the prompt template hash recorded with every call.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from typing import Any, Iterable, Mapping

from ..app import llm_traces

PROMPT_VERSION = "2026-11-30.1"

_REPORT_INSTRUCTIONS = """\
You are the report generator of vctrace, a system that writes and verifies mechanistic
explanations of how a drug perturbation changes a cell line.

You are given a perturbation record (the cell line context and the drug), the question, and a
numbered list of evidence items retrieved from a biomedical knowledge graph and the literature.
Write a grounded markdown report titled "Comprehensive Mechanistic Report: <drug> in
<context>" with six numbered sections, in this order:
1. Perturbation description (type, name, primary target, mechanism of action, potency);
2. Normal signalling in the context (what the pathway does without the drug);
3. Molecular mechanisms of the drug's action;
4. Cellular and tissue-level consequences;
5. Transcriptomic and phenomic effects;
6. Final phenotypic outcomes (primary, secondary), then a one-paragraph summary.
Inside sections, group bullet claims under **CAUSAL (Direct Mechanistic)**,
**CAUSAL (Experimental Evidence)** and **CORRELATIVE**.

Citations: every factual sentence cites the evidence it rests on with the evidence item's id in
square brackets, e.g. [E3] or [E3, E7]. Cite ONLY ids from the evidence list you are given;
never invent an id, a PubMed number or a URL. A claim no evidence item supports is either left
out or stated explicitly as a hypothesis without a citation. Do not use differential expression
measurements of this perturbation: they are not evidence here.
Reply with the report only.
"""

_EXPLAIN_INSTRUCTIONS = """\
You are the explanation constructor of vctrace. From a perturbation record, its question and a
grounded report, you write the mechanistic explanation ("trace"): a directed acyclic graph whose
nodes are actions, each a call of one of the action primitives below with keyword arguments,
and whose edges say which action leads to which.

Rules:
- The first action is set_context (cell type, genotype, disease of the context); it has no id.
- Every other action has a unique id "n1", "n2", ... and exactly the argument names of its
  primitive; direction is "up" or "down" as defined per primitive. Every argument of the
  schema must be present: give "" (an empty string) for an optional argument you leave out,
  never for a required one.
- Use gene symbols (HGNC) for genes and proteins, and the drug's name as given.
- Edges go from cause to consequence: relation "causal" for a direct mechanistic consequence,
  "correlative" for a statistical or inferred association (the report's CAUSAL / CORRELATIVE
  labels). Every edge names ids of actions in the trace; the graph has no cycle.
- The last action is a measurable output: induces_phenotype, alleviates_phenotype,
  regulates_expression or regulates_translation, and every path ends in one.
- State only what the report supports; prefer a short faithful trace to a long speculative one.
Reply with the trace as JSON matching the schema: {"actions": [...], "edges": [...]}.

The action primitives (name [family]; arguments):
"""


def _canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@lru_cache(maxsize=1)
def trace_schema() -> dict[str, Any]:
    """The structured-output schema of a trace (from the primitive registry)."""
    return llm_traces.trace_json_schema()


@lru_cache(maxsize=1)
def explanation_prefix() -> str:
    """The constructor's static prefix: instructions, primitive definitions, schema."""
    return (_EXPLAIN_INSTRUCTIONS + llm_traces.primitive_definitions()
            + "\n\nThe JSON schema of the reply:\n" + _canonical_json(trace_schema()) + "\n")


def report_prefix() -> str:
    """The report generator's static prefix."""
    return _REPORT_INSTRUCTIONS


def template_hash(prefix: str) -> str:
    """sha256 of a static prefix: the prompt template hash recorded with each call."""
    return hashlib.sha256(prefix.encode("utf-8")).hexdigest()


def _plain(item: Any) -> dict[str, Any]:
    if isinstance(item, Mapping):
        return dict(item)
    dump = getattr(item, "model_dump", None)
    if callable(dump):
        return dump(mode="json")
    return dict(vars(item))


def evidence_items(evidence: Iterable[Any]) -> list[dict[str, Any]]:
    """Evidence items (dicts or pydantic models) as plain dicts, each with a string ``id``."""
    items = []
    for index, item in enumerate(evidence, 1):
        plain = _plain(item)
        if not isinstance(plain.get("id"), str) or not plain["id"]:
            raise ValueError(f"evidence item {index} has no string id (like 'E12')")
        items.append(plain)
    return items


def evidence_line(item: Mapping[str, Any]) -> str:
    """``[E12] source, source_id, text`` (the form ``vctrace.app.evidence`` renders), or the
    item's other fields as canonical JSON in place of ``text`` when it has none."""
    rest = {k: v for k, v in item.items() if k != "id"}
    parts = [str(rest.pop(k)) for k in ("source", "source_id") if rest.get(k)]
    text = rest.pop("text", None)
    parts.append(str(text) if text else _canonical_json(rest))
    return f"[{item['id']}] " + ", ".join(parts)


def _perturbation_block(perturbation: Mapping[str, Any], question: str) -> str:
    return ("Perturbation record:\n" + json.dumps(perturbation, indent=2, ensure_ascii=False)
            + "\n\nQuestion:\n" + question.strip() + "\n")


def report_user_message(perturbation: Mapping[str, Any], question: str,
                        evidence: list[dict[str, Any]]) -> str:
    lines = "\n".join(evidence_line(e) for e in evidence) or "(no evidence items)"
    return (_perturbation_block(perturbation, question)
            + "\nEvidence items (cite only these ids):\n" + lines + "\n")


def explanation_user_message(perturbation: Mapping[str, Any], question: str, report: str,
                             evidence: list[dict[str, Any]]) -> str:
    lines = "\n".join(evidence_line(e) for e in evidence) or "(no evidence items)"
    return (_perturbation_block(perturbation, question)
            + "\nEvidence items the report cites:\n" + lines
            + "\n\nReport:\n" + report.strip() + "\n")


def trace_reask(errors: list[str]) -> str:
    return ("The trace you returned is not valid. The project's validator reported these "
            "errors:\n" + "\n".join(f"- {e}" for e in errors)
            + "\nReturn the complete corrected trace as JSON matching the schema.")


def report_reask(unknown: list[str], known: list[str]) -> str:
    return ("Your report cites evidence ids that are not in the evidence list: "
            + ", ".join(f"[{i}]" for i in unknown)
            + ". Cite only these ids: " + (", ".join(known) or "(none)")
            + ". Return the complete corrected report.")
