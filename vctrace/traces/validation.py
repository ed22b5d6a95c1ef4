"""Structural validation of a trace, as findings with codes and locations.

The DAG checks are one pass over the edges with plain successor sets: edges that all lead to a
later action (the usual case) need no further test; otherwise a topological pass decides, and
only a trace that has a cycle is built as a networkx graph, to name one cycle per strongly
connected component.

``validate_structure`` returns the findings of the checks across lines; ``check`` attaches
them to a parsed trace; ``is_valid`` is the *validity* metric of ``shared/spec/verification.md``:
a trace is valid when it has no error finding (all primitives known, required arguments
present, ids unique, edges resolve, acyclic, ``set_context`` first, a measurable final action,
direction values ``up``/``down``). Warnings (an unknown extra argument, a non-measurable
dead end) are reported but do not make a trace invalid: the released VC-TRACES explanations,
all counted valid by the paper, contain them.
"""

from __future__ import annotations

import math
from typing import Any

import networkx as nx

from . import primitives
from .findings import Code, Finding, Severity, TraceInvalid
from .identity import normalise_text
from .limits import MAX_ACTIONS, MAX_EDGES, MAX_KEY_BYTES, MAX_LIST_ITEMS
from .models import Action, Trace

_TEXT_FIELDS = ("trace_id", "question", "answer", "think", "report_text", "explain_verified")


_SPECS: dict[str, tuple[primitives.PrimitiveSpec, bool]] = {}


def _spec(name: str) -> tuple[primitives.PrimitiveSpec, bool] | None:
    """(spec, whether it takes a direction) of a primitive, cached per spec object."""
    spec = primitives.get(name)
    if spec is None:
        return None
    cached = _SPECS.get(name)
    if cached is None or cached[0] is not spec:
        cached = _SPECS[name] = (spec, spec.has_direction)
    return cached


def _action_findings(action: Action) -> list[Finding]:
    found: list[Finding] = []
    cached = _spec(action.primitive)
    if cached is None:
        return found  # already reported by the parser as unknown_primitive
    spec, has_direction = cached
    args = action.args
    at = {"field": "explain", "line": action.line}
    if spec.takes_id and not action.id:
        found.append(Finding.of(Code.MISSING_ID, f"{spec.name} has no id", **at))
    for name in spec.required:
        if name not in args:
            found.append(Finding.of(Code.MISSING_REQUIRED_ARGUMENT,
                                    f"{spec.name} needs {name!r}", **at))
        elif args[name] in ("", [], None):
            found.append(Finding.of(Code.EMPTY_ARGUMENT, f"{spec.name}: {name!r} is empty", **at))
    if spec.required_any and not any(args.get(n) for n in spec.required_any):
        found.append(Finding.of(Code.MISSING_REQUIRED_ARGUMENT,
                                f"{spec.name} needs one of {', '.join(spec.required_any)}", **at))
    if has_direction and "direction" in args:
        value = args["direction"]
        if value not in primitives.DIRECTIONS:
            found.append(Finding.of(Code.BAD_DIRECTION,
                                    f"{spec.name}: direction {value!r} is not 'up' or 'down'",
                                    **at))
    return found


def normalise_directions(trace: Trace) -> Trace:
    """Map direction values that differ from ``up``/``down`` only by case or spaces, with an
    info finding per change; other values are left for validation to report."""
    actions, notes = _normalised_actions(trace.actions)
    return trace.model_copy(update={"actions": actions, "findings": trace.findings + notes})


def _normalised_actions(actions: list[Action]) -> tuple[list[Action], list[Finding]]:
    """(the actions with direction spellings normalised, a finding per change); the same
    action objects where nothing changes."""
    out, notes = [], []
    for action in actions:
        value = action.args.get("direction")
        if value is not None and value not in primitives.DIRECTIONS and isinstance(value, str) \
                and value.strip().lower() in primitives.DIRECTIONS:
            args = dict(action.args, direction=value.strip().lower())
            action = action.model_copy(update={"args": args})
            notes.append(Finding.of(Code.DIRECTION_NORMALISED,
                                    f"direction {value!r} read as {args['direction']!r}",
                                    field="explain", line=action.line))
        out.append(action)
    return out, notes


def key_bytes(value: str) -> int:
    """UTF-8 bytes of ``value`` as an index key: the larger of its raw and normalised forms
    (NFKC and case folding can lengthen a name; both forms are stored and indexed)."""
    size = len(value.encode("utf-8", "surrogatepass"))
    if size > MAX_KEY_BYTES or len(value) * 72 <= MAX_KEY_BYTES:
        return size  # too long already, or too short for any expansion to matter
    return max(size, len(normalise_text(value).encode("utf-8", "surrogatepass")))


_SHORT = MAX_KEY_BYTES // 72
"""A string of at most this many characters cannot be over the key limit (4 bytes a
character, and NFKC expands a character to 18 at most)."""


def _over(value: Any) -> bool:
    return isinstance(value, str) and len(value) > _SHORT and key_bytes(value) > MAX_KEY_BYTES


def _argument_limits(action: Action) -> list[Finding]:
    found: list[Finding] = []
    if _over(action.id):
        found.append(Finding.of(Code.ID_TOO_LONG, f"{action.primitive}: id is "
                                f"{key_bytes(action.id):,} bytes in UTF-8 (limit "
                                f"{MAX_KEY_BYTES:,})", field="explain", line=action.line))
    for name, value in action.args.items():
        if type(value) is str:  # the common case first, cheaply
            if len(value) > _SHORT and key_bytes(value) > MAX_KEY_BYTES:
                found.append(_too_long(action, f"argument {name!r}", value))
        elif isinstance(value, (list, tuple)):
            try:  # items whose lengths are all short need no closer look
                if max(map(len, value), default=0) <= _SHORT and len(value) <= MAX_LIST_ITEMS:
                    continue
            except TypeError:  # an item without a length (a number, None)
                pass
            if len(value) > MAX_LIST_ITEMS:
                found.append(Finding.of(Code.TOO_MANY_ITEMS, f"{action.primitive}: argument "
                                        f"{name!r} has {len(value):,} items (limit "
                                        f"{MAX_LIST_ITEMS:,})", field="explain",
                                        line=action.line))
            for index, item in enumerate(value, 1):
                if _over(item):
                    found.append(_too_long(action, f"item {index} of argument {name!r}", item))
                    break  # one finding per argument
        elif _over(value):
            found.append(_too_long(action, f"argument {name!r}", value))
    return found


def _too_long(action: Action, what: str, value: str) -> Finding:
    return Finding.of(Code.ARGUMENT_TOO_LONG, f"{action.primitive}: {what} is "
                      f"{key_bytes(value):,} bytes in UTF-8 (limit {MAX_KEY_BYTES:,})",
                      field="explain", line=action.line)


def _flat_text(actions: list[Action]) -> tuple[list[str], str] | None:
    """(every id and argument string of ``actions``, their joined text) when all are
    strings or lists of strings within the item limit (the common case, checked in bulk);
    ``None`` sends the checks to each action."""
    parts: list[Any] = []
    for action in actions:
        if action.id is not None:
            parts.append(action.id)
        for value in action.args.values():
            if type(value) is list:
                if len(value) > MAX_LIST_ITEMS:
                    return None
                parts.extend(value)
            else:
                parts.append(value)
    try:
        return parts, "".join(parts)
    except TypeError:  # a value that is not a string
        return None


def limit_findings(trace: Trace) -> list[Finding]:
    """The storage limits of :mod:`vctrace.traces.limits`: sizes of keyed and indexed
    strings, numbers of actions, edges and list items."""
    return _limit_findings(trace, _flat_text(trace.actions))


def _limit_findings(trace: Trace, flat: tuple[list[str], str] | None) -> list[Finding]:
    found: list[Finding] = []
    if len(trace.actions) > MAX_ACTIONS:
        found.append(Finding.of(Code.TOO_MANY_ACTIONS, f"{len(trace.actions):,} actions "
                                f"(limit {MAX_ACTIONS:,})", field="explain"))
    if len(trace.edges) > MAX_EDGES:
        found.append(Finding.of(Code.TOO_MANY_EDGES, f"{len(trace.edges):,} edges "
                                f"(limit {MAX_EDGES:,})", field="dag"))
    if trace.trace_id is not None and key_bytes(trace.trace_id) > MAX_KEY_BYTES:
        found.append(Finding.of(Code.TRACE_ID_TOO_LONG, f"trace_id is "
                                f"{key_bytes(trace.trace_id):,} bytes in UTF-8 (limit "
                                f"{MAX_KEY_BYTES:,})", field="trace_id"))
    for what, name in (("drug", trace.drug), ("cell line", trace.cell_line)):
        if name is not None and key_bytes(name) > MAX_KEY_BYTES:
            found.append(Finding.of(Code.NAME_TOO_LONG, f"the {what} name is "
                                    f"{key_bytes(name):,} bytes in UTF-8 (limit "
                                    f"{MAX_KEY_BYTES:,})", field="perturbation"))
    if flat is not None and max(map(len, flat[0]), default=0) <= _SHORT:
        return found  # no string long enough to reach the key limit
    for action in trace.actions:
        found += _argument_limits(action)
    return found


def _hostile(value: Any) -> tuple[bool, bool]:
    """Whether ``value`` (walked iteratively, keys included) holds a NUL character in a
    string, and whether it holds a NaN or infinite number."""
    nul = nonfinite = False
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            nul = nul or "\x00" in item
        elif isinstance(item, float):
            nonfinite = nonfinite or not math.isfinite(item)
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    return nul, nonfinite


def _clean(value: Any) -> bool:
    """True when ``value`` surely holds no NUL and no non-finite number (strings and lists of
    strings, the common case, checked without the general walk)."""
    if type(value) is str:
        return "\x00" not in value
    if value is None:
        return True
    if type(value) is list:
        return all(type(v) is str and "\x00" not in v for v in value)
    return False


def content_findings(trace: Trace) -> list[Finding]:
    """NUL characters and NaN/infinite numbers anywhere in what would be stored: neither
    survives a round trip (NUL is cut by many tools; NaN/Infinity are not JSON)."""
    return _content_findings(trace, _flat_text(trace.actions))


def _content_findings(trace: Trace, flat: tuple[list[str], str] | None) -> list[Finding]:
    places: list[tuple[Any, dict[str, Any]]] = [
        (getattr(trace, name), {"field": name}) for name in _TEXT_FIELDS
        if not _clean(getattr(trace, name))]
    if trace.perturbation is not None:
        places.append((trace.perturbation.raw, {"field": "perturbation"}))
    places += [(value, {"field": str(key)}) for key, value in trace.provenance.extra.items()
               if not _clean(value)]
    if flat is None or "\x00" in flat[1]:
        places += [((a.id, a.args), {"field": "explain", "line": a.line})
                   for a in trace.actions
                   if not (_clean(a.id) and all(_clean(v) for v in a.args.values()))]
    found = []
    for value, at in places:
        nul, nonfinite = _hostile(value)
        if nul:
            found.append(Finding.of(Code.NUL_CHARACTER, "a NUL character (U+0000) in the "
                                    "text; refused", **at))
        if nonfinite:
            found.append(Finding.of(Code.NON_FINITE_NUMBER, "a NaN or infinite number; "
                                    "refused (not JSON)", **at))
    return found


def validate_structure(trace: Trace) -> list[Finding]:
    """Findings of the checks that concern the trace as a whole."""
    flat = _flat_text(trace.actions)
    found: list[Finding] = _limit_findings(trace, flat) + _content_findings(trace, flat)
    if not trace.actions:
        return found + [Finding.of(Code.EMPTY_TRACE, "the trace has no actions",
                                   field="explain")]
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

    # the DAG as plain successor sets: one pass over the edges, no graph library for the
    # common (acyclic) case
    successors: dict[str, set[str]] = {}
    targets: set[str] = set()
    order = {action_id: index for index, action_id in enumerate(seen)}
    backward = False  # edges that all lead to a later action make no cycle
    for edge in trace.edges:
        at = {"field": "dag", "line": edge.line}
        if edge.relation not in primitives.RELATIONS:
            found.append(Finding.of(Code.BAD_RELATION,
                                    f"relation {edge.relation!r} is not causal or correlative",
                                    **at))
        source, target = edge.source, edge.target
        missing = [end for end in (source, target) if end not in seen]
        if missing:
            found.append(Finding.of(Code.DANGLING_EDGE,
                                    f"edge {source} -> {target}: no action with id "
                                    f"{', '.join(repr(m) for m in missing)}", **at))
            continue
        if not backward and order[source] >= order[target]:
            backward = True  # not in line order: the topological pass decides
        out = successors.get(source)
        if out is None:
            successors[source] = {target}
        elif target in out:
            found.append(Finding.of(Code.DUPLICATE_EDGE,
                                    f"edge {source} -> {target} given twice", **at))
        else:
            out.add(target)
        targets.add(target)

    if backward and not _acyclic(successors):
        found += _cycle_findings(trace, seen)
    found += _terminal_findings(trace, seen, successors, targets)
    return found


def _acyclic(successors: dict[str, set[str]]) -> bool:
    """Whether the graph of ``successors`` has no cycle (Kahn's topological pass)."""
    indegree: dict[str, int] = {}
    for out in successors.values():
        for target in out:
            indegree[target] = indegree.get(target, 0) + 1
    ready = [node for node in successors if node not in indegree]
    done = 0
    while ready:
        node = ready.pop()
        done += 1
        for target in successors.get(node, ()):
            left = indegree[target] - 1
            indegree[target] = left
            if left == 0:
                ready.append(target)
    nodes = set(successors) | set(indegree)
    return done == len(nodes)


def _cycle_findings(trace: Trace, seen: dict[str, Action]) -> list[Finding]:
    """A finding per cycle (one representative cycle per strongly connected component), from
    a networkx graph built only when the trace has a cycle, edge by edge in the order given
    (the last line of an edge given twice locates it)."""
    graph = nx.DiGraph()
    graph.add_nodes_from(seen)
    for edge in trace.edges:
        if edge.source in seen and edge.target in seen:
            graph.add_edge(edge.source, edge.target, line=edge.line)
    found = []
    for cycle in _cycles(graph):
        # located at the cycle's last-written edge: the one that closed it
        lines = [graph.edges[u, cycle[(i + 1) % len(cycle)]]["line"] or 0
                 for i, u in enumerate(cycle)]
        path = " -> ".join(cycle + [cycle[0]])
        found.append(Finding.of(Code.CYCLE, f"cycle {path}", field="dag",
                                line=max(lines) or None))
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


def _terminal_findings(trace: Trace, seen: dict[str, Action],
                       successors: dict[str, set[str]], targets: set[str]) -> list[Finding]:
    found = []
    last = trace.actions[-1]
    measurable = primitives.measurable_primitives()
    if primitives.get(last.primitive) and last.primitive not in measurable:
        found.append(Finding.of(Code.TERMINAL_NOT_MEASURABLE,
                                f"the final action is {last.primitive}; it must be a measurable "
                                f"output ({', '.join(measurable)})",
                                field="explain", line=last.line))
    for action in trace.actions:
        if action.id is None or action.primitive == "set_context" or action.id not in seen:
            continue
        if action.id in successors:
            continue
        if action.id not in targets:
            found.append(Finding.of(Code.ISOLATED_ACTION,
                                    f"{action.id} ({action.primitive}) has no edges",
                                    field="explain", line=action.line))
        elif action.primitive not in measurable and primitives.get(action.primitive):
            found.append(Finding.of(Code.NON_MEASURABLE_SINK,
                                    f"{action.id} ({action.primitive}) ends a path without a "
                                    "measurable output", field="explain", line=action.line))
    return found


def check(trace: Trace) -> Trace:
    """The trace with direction spellings normalised and structural findings appended (a new
    trace: the given one is left as it is)."""
    actions, notes = _normalised_actions(trace.actions)
    if notes:
        trace = trace.model_copy(update={"actions": actions,
                                         "findings": trace.findings + notes})
    return trace.model_copy(update={"actions": list(actions),
                                    "findings": trace.findings + validate_structure(trace)})


def check_at(trace: Trace, before: list[Finding], record: int | None) -> Trace:
    """:func:`check`, with the findings ``before`` put first and every finding placed at
    ``record`` (one copy of the trace, not one per step)."""
    actions, notes = _normalised_actions(trace.actions)
    if notes:
        trace = trace.model_copy(update={"actions": actions,
                                         "findings": trace.findings + notes})
    findings = before + trace.findings + validate_structure(trace)
    return trace.model_copy(update={"actions": list(actions),
                                    "findings": [f.at_record(record) for f in findings]})


def is_valid(trace: Trace) -> bool:
    """Validity as defined in verification.md: no error finding (parse or structure)."""
    return not any(f.severity is Severity.ERROR for f in trace.findings)


def assert_valid(trace: Trace) -> Trace:
    """Return the checked trace or raise :class:`TraceInvalid`."""
    checked = check(trace)
    if not is_valid(checked):
        raise TraceInvalid(checked.findings)
    return checked

