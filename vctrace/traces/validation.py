"""Structural validation of a trace (networkx), as findings with codes and locations.

``validate_structure`` returns the findings of the checks across lines; ``check`` attaches
them to a parsed trace; ``is_valid`` is the *validity* metric of ``shared/spec/verification.md``:
a trace is valid when it has no error finding (all primitives known, required arguments
present, ids unique, edges resolve, acyclic, ``set_context`` first, a measurable final action,
direction values ``up``/``down``). Warnings (an unknown extra argument, a non-measurable
dead end) are reported but do not make a trace invalid: the released VC-TRACES explanations,
all counted valid by the paper, contain them.
"""

from __future__ import annotations

import networkx as nx

from . import primitives
from .findings import Code, Finding, Severity, TraceInvalid
from .models import Action, Trace


def _action_findings(action: Action) -> list[Finding]:
    found: list[Finding] = []
    spec = primitives.get(action.primitive)
    if spec is None:
        return found  # already reported by the parser as unknown_primitive
    at = {"field": "explain", "line": action.line}
    if spec.takes_id and not action.id:
        found.append(Finding.of(Code.MISSING_ID, f"{spec.name} has no id", **at))
    for name in spec.required:
        if name not in action.args:
            found.append(Finding.of(Code.MISSING_REQUIRED_ARGUMENT,
                                    f"{spec.name} needs {name!r}", **at))
        elif action.args[name] in ("", [], None):
            found.append(Finding.of(Code.EMPTY_ARGUMENT, f"{spec.name}: {name!r} is empty", **at))
    if spec.required_any and not any(action.args.get(n) for n in spec.required_any):
        found.append(Finding.of(Code.MISSING_REQUIRED_ARGUMENT,
                                f"{spec.name} needs one of {', '.join(spec.required_any)}", **at))
    if spec.has_direction and "direction" in action.args:
        value = action.args["direction"]
        if value not in primitives.DIRECTIONS:
            found.append(Finding.of(Code.BAD_DIRECTION,
                                    f"{spec.name}: direction {value!r} is not 'up' or 'down'",
                                    **at))
    return found


def normalise_directions(trace: Trace) -> Trace:
    """Map direction values that differ from ``up``/``down`` only by case or spaces, with an
    info finding per change; other values are left for validation to report."""
    actions, notes = [], []
    for action in trace.actions:
        value = action.args.get("direction")
        if isinstance(value, str) and value not in primitives.DIRECTIONS \
                and value.strip().lower() in primitives.DIRECTIONS:
            args = dict(action.args, direction=value.strip().lower())
            action = action.model_copy(update={"args": args})
            notes.append(Finding.of(Code.DIRECTION_NORMALISED,
                                    f"direction {value!r} read as {args['direction']!r}",
                                    field="explain", line=action.line))
        actions.append(action)
    return trace.model_copy(update={"actions": actions, "findings": trace.findings + notes})


def validate_structure(trace: Trace) -> list[Finding]:
    """Findings of the checks that concern the trace as a whole."""
    found: list[Finding] = []
    if not trace.actions:
        return [Finding.of(Code.EMPTY_TRACE, "the trace has no actions", field="explain")]
    for action in trace.actions:
        found += _action_findings(action)

    contexts = [a for a in trace.actions if a.primitive == "set_context"]
    if not contexts:
        found.append(Finding.of(Code.MISSING_CONTEXT, "no set_context line", field="explain"))
    elif trace.actions[0].primitive != "set_context":
        found.append(Finding.of(Code.CONTEXT_NOT_FIRST, "set_context is not the first line",
                                field="explain", line=contexts[0].line))
    if len(contexts) > 1:
        found.append(Finding.of(Code.MULTIPLE_CONTEXT, f"{len(contexts)} set_context lines",
                                field="explain", line=contexts[1].line))

    graph = nx.DiGraph()
    seen: dict[str, Action] = {}
    for action in trace.actions:
        if action.id is None:
            continue
        if action.id in seen:
            found.append(Finding.of(Code.DUPLICATE_ID,
                                    f"id {action.id!r} already used on line "
                                    f"{seen[action.id].line}", field="explain", line=action.line))
            continue
        seen[action.id] = action
        graph.add_node(action.id)

    for edge in trace.edges:
        at = {"field": "dag", "line": edge.line}
        if edge.relation not in primitives.RELATIONS:
            found.append(Finding.of(Code.BAD_RELATION,
                                    f"relation {edge.relation!r} is not causal or correlative",
                                    **at))
        missing = [end for end in (edge.source, edge.target) if end not in seen]
        if missing:
            found.append(Finding.of(Code.DANGLING_EDGE,
                                    f"edge {edge.source} -> {edge.target}: no action with id "
                                    f"{', '.join(repr(m) for m in missing)}", **at))
            continue
        if graph.has_edge(edge.source, edge.target):
            found.append(Finding.of(Code.DUPLICATE_EDGE,
                                    f"edge {edge.source} -> {edge.target} given twice", **at))
        graph.add_edge(edge.source, edge.target, line=edge.line)

    cycles = [] if nx.is_directed_acyclic_graph(graph) else _cycles(graph)
    for cycle in cycles:
        # located at the cycle's last-written edge: the one that closed it
        lines = [graph.edges[u, cycle[(i + 1) % len(cycle)]]["line"] or 0
                 for i, u in enumerate(cycle)]
        path = " -> ".join(cycle + [cycle[0]])
        found.append(Finding.of(Code.CYCLE, f"cycle {path}", field="dag",
                                line=max(lines) or None))

    found += _terminal_findings(trace, graph)
    return found


def _cycles(graph: nx.DiGraph) -> list[list[str]]:
    """One representative cycle per strongly connected component that has one."""
    cycles = []
    for component in nx.strongly_connected_components(graph):
        nodes = sorted(component)
        if len(nodes) == 1 and not graph.has_edge(nodes[0], nodes[0]):
            continue
        sub = graph.subgraph(component)
        cycles.append([u for u, _ in nx.find_cycle(sub, source=nodes[0])])
    return cycles


def _terminal_findings(trace: Trace, graph: nx.DiGraph) -> list[Finding]:
    found = []
    last = trace.actions[-1]
    measurable = primitives.measurable_primitives()
    if primitives.get(last.primitive) and last.primitive not in measurable:
        found.append(Finding.of(Code.TERMINAL_NOT_MEASURABLE,
                                f"the final action is {last.primitive}; it must be a measurable "
                                f"output ({', '.join(measurable)})",
                                field="explain", line=last.line))
    for action in trace.actions:
        if action.id is None or action.primitive == "set_context" or action.id not in graph:
            continue
        if graph.degree(action.id) == 0:
            found.append(Finding.of(Code.ISOLATED_ACTION,
                                    f"{action.id} ({action.primitive}) has no edges",
                                    field="explain", line=action.line))
        elif graph.out_degree(action.id) == 0 and action.primitive not in measurable \
                and primitives.get(action.primitive):
            found.append(Finding.of(Code.NON_MEASURABLE_SINK,
                                    f"{action.id} ({action.primitive}) ends a path without a "
                                    "measurable output", field="explain", line=action.line))
    return found


def check(trace: Trace) -> Trace:
    """The trace with direction spellings normalised and structural findings appended."""
    trace = normalise_directions(trace)
    return trace.model_copy(update={"findings": trace.findings + validate_structure(trace)})


def is_valid(trace: Trace) -> bool:
    """Validity as defined in verification.md: no error finding (parse or structure)."""
    return not any(f.severity is Severity.ERROR for f in trace.findings)


def assert_valid(trace: Trace) -> Trace:
    """Return the checked trace or raise :class:`TraceInvalid`."""
    checked = check(trace)
    if not is_valid(checked):
        raise TraceInvalid(checked.findings)
    return checked

