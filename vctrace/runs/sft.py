"""Supervised fine-tuning rows from verified traces, for the VCR-Agent paper's two settings,
as pure logic (the application layer, :mod:`vctrace.app.sft`, reads the run's traces).

Each row is one chat in the common ``{"messages": [{"role", "content"}, …]}`` form:

- **SFT-Prompt** (``prompt``): the user turn is the trace's question followed by its verified
  explanation (``explain_verified``, in ``<explain>`` tags) as context; the assistant turn, the
  target, is the answer.
- **SFT-Generate** (``generate``): the user turn is the question alone; the target is the
  verified explanation, then the answer: ``<explain>…</explain>\\n<answer>…</answer>`` (the
  tags of the original pipeline's responses).

**The answer**: the trace's own ``answer`` (the one-paragraph mechanism summary of a
VCR-Agent response, stored from the ``answer`` field or the ``<answer>`` tag) when it has one.
Otherwise it is derived from the verified explanation's DE claims — its
``regulates_expression`` actions after pruning, which the DE data did not refute — as one
sentence naming the up- and down-regulated genes (in order of appearance; a gene claimed in
both directions is left out). A trace with neither gets no row (counted as skipped).

The question is the trace's ``question`` (a VC-TRACES row's), or, when absent, the VC-TRACES
question line and the perturbation record as indented JSON, as the released dataset writes it.
"""

from __future__ import annotations

import json
from typing import Any, Iterable, Literal, Mapping

from ..traces.identity import normalise_text
from ..traces.models import Action

SETTINGS = ("prompt", "generate")
VC_TRACES_QUESTION = ("**Q: How does the following perturbation influence the cell in the "
                      "described context, mechanistically and functionally?**")
SYSTEM = ("You are an expert in cellular pharmacology. Explain how a perturbation acts on a "
          "cell mechanistically, and state the resulting changes.")
PROMPT_CONTEXT = ("Verified mechanistic explanation (one action per line; claims refuted by "
                  "the verifiers removed):")


def question_of(question: str | None, perturbation: Mapping[str, Any] | None) -> str | None:
    """The trace's question, or the VC-TRACES question built from its perturbation."""
    if question and question.strip():
        return question.strip()
    if perturbation:
        return VC_TRACES_QUESTION + "\n\n" + json.dumps(perturbation, indent=4,
                                                         ensure_ascii=False)
    return None


def de_claims(actions: Iterable[Action]) -> tuple[list[str], list[str]]:
    """(up, down) genes of the ``regulates_expression`` actions, in order of appearance,
    without genes claimed in both directions."""
    seen: dict[str, tuple[str, set[str]]] = {}
    for action in actions:
        if action.primitive != "regulates_expression":
            continue
        direction = action.args.get("direction")
        genes = action.args.get("gene_list")
        if direction not in ("up", "down"):
            continue
        for gene in genes if isinstance(genes, list) else [genes]:
            if isinstance(gene, str) and gene.strip():
                seen.setdefault(normalise_text(gene), (gene.strip(), set()))[1].add(direction)
    up = [name for name, dirs in seen.values() if dirs == {"up"}]
    down = [name for name, dirs in seen.values() if dirs == {"down"}]
    return up, down


def derived_answer(drug: str | None, cell_line: str | None,
                   actions: Iterable[Action]) -> str | None:
    """The answer sentence derived from DE claims, or None without any."""
    up, down = de_claims(actions)
    if not up and not down:
        return None
    parts = []
    if up:
        parts.append("up-regulates " + ", ".join(up))
    if down:
        parts.append("down-regulates " + ", ".join(down))
    where = f" in {cell_line}" if cell_line else ""
    return f"{drug or 'The perturbation'}{where} " + " and ".join(parts) + "."


def chat_row(setting: Literal["prompt", "generate"], *, question: str, explanation: str,
             answer: str, meta: Mapping[str, Any]) -> dict[str, Any]:
    """One chat row of ``setting`` with ``meta`` (trace, run, drug, cell line, split…)."""
    if setting == "prompt":
        user = f"{question}\n\n{PROMPT_CONTEXT}\n<explain>\n{explanation}\n</explain>"
        target = answer
    elif setting == "generate":
        user = question
        target = f"<explain>\n{explanation}\n</explain>\n<answer>\n{answer}\n</answer>"
    else:
        raise ValueError(f"unknown setting {setting!r}; known: {', '.join(SETTINGS)}")
    return {"messages": [{"role": "system", "content": SYSTEM},
                         {"role": "user", "content": user},
                         {"role": "assistant", "content": target}],
            "setting": setting, **meta}
