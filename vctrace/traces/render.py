"""A trace as a picture: Graphviz DOT text (``vctrace show TRACE --format dot | dot -Tsvg``).

Actions are boxes coloured by family with their main arguments; causal edges are solid,
correlative ones dashed; ``set_context`` is shown as a note above the graph.
"""

from __future__ import annotations

import json

from . import primitives
from .models import Action, Trace

FAMILY_COLOURS = {
    primitives.Family.SYSTEM_INITIALIZATION: "#e0e0e0",
    primitives.Family.INTERACTION: "#b3d4fc",
    primitives.Family.FUNCTIONAL: "#c8e6c9",
    primitives.Family.REGULATION: "#ffe0b2",
    primitives.Family.PROTEOSTASIS: "#f8bbd0",
    primitives.Family.METABOLIC: "#d1c4e9",
    primitives.Family.PHENOTYPE: "#fff59d",
}


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a valid DOT quoted string


def _label(action: Action, width: int = 40) -> str:
    spec = primitives.get(action.primitive)
    names = spec.claim_args if spec else tuple(action.args)
    parts = []
    for name in names:
        value = action.args.get(name)
        if value is None:
            continue
        text = ", ".join(value) if isinstance(value, list) else str(value)
        parts.append(f"{name}: {text if len(text) <= width else text[:width - 1] + '…'}")
    head = f"{action.id}  {action.primitive}" if action.id else action.primitive
    return "\n".join([head] + parts)


def to_dot(trace: Trace, title: str | None = None) -> str:
    lines = ["digraph trace {", "  rankdir=TB;",
             '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10];',
             '  edge [fontname="Helvetica", fontsize=9];']
    if title:
        lines.append(f"  label={_q(title)}; labelloc=t;")
    for index, action in enumerate(trace.actions):
        spec = primitives.get(action.primitive)
        colour = FAMILY_COLOURS.get(spec.family, "white") if spec else "white"
        node = action.id or f"_{index}"
        shape = ", shape=note" if action.primitive == "set_context" else ""
        lines.append(f"  {_q(node)} [label={_q(_label(action))}, fillcolor={_q(colour)}{shape}];")
    for edge in trace.edges:
        style = "dashed" if edge.relation == "correlative" else "solid"
        lines.append(f"  {_q(edge.source)} -> {_q(edge.target)} [style={style}];")
    lines.append("}")
    return "\n".join(lines)
