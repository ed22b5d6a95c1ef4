"""The VC-TRACES text form: ``explain`` lines, ``dag`` lines and the tagged model response.

Parsing is tolerant in the ways real model outputs need (``shared/spec/trace-format.md`` §4):
indentation, blank lines, code fences, trailing commas, single quotes, escaped quotes, unicode,
argument aliases, ``set_context`` with or without an id. Every such deviation is reported as a
:class:`~vctrace.traces.findings.Finding` with its line, and every line that cannot be read is
kept in ``Trace.unparsed_lines``: nothing is dropped silently.

Each line is read in one pass by a scanner of regular expressions when it has the common shape
(keyword arguments whose values are double-quoted strings without escapes, or lists of them;
edge lines). Any other line is read with Python's own expression parser (``ast``) restricted
to literal values, which handles both quote styles, escapes and nested lists exactly; nothing
is ever evaluated. Both give the same result for every line the scanner reads.

Writing produces the canonical form: one call per line, keyword arguments in registry order
(unknown ones after, in their original order), strings in double quotes, lists JSON-style.
"""

from __future__ import annotations

import ast
import json
import re
import warnings
from dataclasses import dataclass
from typing import Any, Iterator

from . import primitives
from .findings import Code, Finding
from .models import Action, Edge, Trace

_CALL_START = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*\(")
_TAGS = ("think", "answer", "explain", "dag")


def _tag_block(text: str, tag: str) -> str | None:
    match = re.search(rf"<{tag}>(.*?)</{tag}>", text, flags=re.S | re.I)
    return match.group(1) if match else None


def _content_lines(text: str, deviations: "_Deviations") -> Iterator[tuple[int, str, str]]:
    """The non-blank lines of a block outside code fences: number (from 1), stripped text and
    the line as written, noting each tolerated layout deviation (indentation, a trailing comma) on the way."""
    for number, original in enumerate(text.splitlines(), start=1):
        stripped = original.strip()
        if not stripped or stripped.startswith("```"):
            continue
        if original[0].isspace() or stripped[-1] == ",":
            deviations.note(number, stripped, original)
        yield number, stripped, original


class _Deviations:
    """Collects tolerated layout deviations of a block and reports each kind once, at its
    first line, with the count (a fully indented block is one finding, not forty)."""

    def __init__(self, field: str):
        self.field = field
        self.indented: list[int] = []
        self.comma: list[int] = []
        self.first = ""  # the kind met first: findings keep that order

    def note(self, number: int, stripped: str, original: str) -> None:
        if original[0].isspace():
            self.indented.append(number)
            self.first = self.first or "indented"
        if stripped[-1] == ",":
            self.comma.append(number)
            self.first = self.first or "comma"

    def findings(self) -> list[Finding]:
        kinds = [("leading indentation", self.indented),
                 ("trailing comma after the call", self.comma)]
        if self.first == "comma":
            kinds.reverse()
        return [Finding.of(Code.FORMAT_DEVIATION,
                           f"{kind} on {len(lines)} line(s): {_ranges(lines)}",
                           field=self.field, line=lines[0])
                for kind, lines in kinds if lines]


def _ranges(numbers: list[int]) -> str:
    spans: list[list[int]] = []
    for n in numbers:
        if spans and n == spans[-1][1] + 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)


@dataclass
class _Call:
    """One call as read from a line: name, positional values, keyword (name, value) pairs."""

    name: str
    positional: list[Any]
    keywords: list[tuple[str, Any]]


# The scanner: the common line shape, read by regular expressions alone. A keyword call whose
# values are double-quoted strings without escapes, or lists of such strings; an edge line with
# two such strings and an optional relation. The grammar is unambiguous (every repetition
# starts with a distinct character), so a hostile line cannot make the matcher backtrack
# without end. Anything else is read by :func:`_ast_call`, which gives the same result for what
# the scanner reads, more slowly.
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_STR = r'"[^"\\]*"'
_ITEMS = rf"(?:{_STR}\s*,\s*)*(?:{_STR}\s*)?"
_PAIR = rf"{_NAME}\s*=\s*(?:{_STR}|\[\s*{_ITEMS}\])"
_SCAN_CALL = re.compile(rf"({_NAME})\s*\(\s*((?:{_PAIR}\s*,\s*)*(?:{_PAIR}\s*)?)\)"
                        rf"(?:\s*[,;])?")
_SCAN_PAIRS = re.compile(rf'({_NAME})\s*=\s*(?:"([^"\\]*)"|(\[)\s*({_ITEMS})\])')
_LIST_ITEM = re.compile(r'"([^"\\]*)"')
_EDGE_LINE = re.compile(r'edge\(\s*"([^"\\]*)"\s*,\s*"([^"\\]*)"\s*'
                        r'(?:,\s*relation\s*=\s*"([^"\\]*)"\s*)?,?\s*\)\s*[,;]?\s*\Z')


def _scan_keywords(stripped: str) -> tuple[str, dict[str, Any]] | None:
    """(name, keyword arguments) of a line the scanner reads whole; ``None`` otherwise (and
    for a repeated keyword, which the expression parser reports)."""
    call = _SCAN_CALL.fullmatch(stripped)
    if call is None:
        return None
    keywords: dict[str, Any] = {}
    for key, string, bracket, items in _SCAN_PAIRS.findall(call.group(2)):
        if key in keywords:
            return None
        keywords[key] = _LIST_ITEM.findall(items) if bracket else string
    return call.group(1), keywords


def _fast_call(text: str) -> _Call | None:
    """A line the scanner reads, as a call; ``None`` when :func:`_ast_call` must read it."""
    edge = _EDGE_LINE.match(text)
    if edge:
        source, target, relation = edge.groups()
        return _Call("edge", [source, target],
                     [] if relation is None else [("relation", relation)])
    scanned = _scan_keywords(text)
    return None if scanned is None else _Call(scanned[0], [], list(scanned[1].items()))


def _ast_call(text: str, line: int, field: str,
              findings: list[Finding]) -> tuple[_Call | None, str | None]:
    """Any call Python's parser reads, with literal values only (nothing is evaluated)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escape sequences are kept literally
            tree = ast.parse(text.rstrip(",;").rstrip(), mode="eval")
    except SyntaxError as exc:
        return None, exc.msg or "syntax error"
    except (ValueError, RecursionError, MemoryError) as exc:
        return None, f"cannot read line: {type(exc).__name__}"
    call = tree.body
    if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Name):
        return None, "not a call of the form name(arg=value, …)"
    positional, keywords = [], []
    for node in call.args:
        try:
            positional.append(ast.literal_eval(node))
        except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
            positional.append(None)
            findings.append(Finding.of(Code.NON_LITERAL_VALUE,
                                       "a positional value is not a literal", field=field,
                                       line=line))
    for kw in call.keywords:
        if kw.arg is None:
            findings.append(Finding.of(Code.NON_LITERAL_VALUE, "**kwargs expansion is not "
                                       "allowed", field=field, line=line))
            continue
        try:
            keywords.append((kw.arg, ast.literal_eval(kw.value)))
        except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
            findings.append(Finding.of(
                Code.NON_LITERAL_VALUE,
                f"argument {kw.arg!r} is not a literal string, number or list",
                field=field, line=line))
    return _Call(call.func.id, positional, keywords), None


def _read_call(stripped: str, line: int, field: str,
               findings: list[Finding]) -> tuple[_Call | None, str | None]:
    fast = _fast_call(stripped)
    return (fast, None) if fast is not None else _ast_call(stripped, line, field, findings)


def _unparseable(reason: str | None, stripped: str, field: str, number: int) -> Finding:
    return Finding.of(Code.UNPARSEABLE_LINE, f"{reason}: {_preview(stripped)}", field=field,
                      line=number)


def parse_explain(text: str, *, field: str = "explain") -> tuple[list[Action], list[str],
                                                                  list[Finding]]:
    """Parse explain text into actions.

    Returns (actions, unparsed lines, findings). Argument checks that need the registry
    (unknown primitive or argument, aliases, list types, lengths) are made here because they
    concern one line; checks across lines are in :mod:`vctrace.traces.validation`.

    Findings come in a fixed order: layout deviations, then what reading the lines found (in
    line order), then the argument checks (in line order).
    """
    (rows, findings), unparsed = _explain_rows(text, field)
    return [Action(**row) for row in rows], unparsed, findings


def _explain_rows(text: str, field: str) -> tuple[tuple[list[dict[str, Any]], list[Finding]],
                                                   list[str]]:
    """((the actions as model fields, findings), unparsed lines) of explain text: one pass,
    the scanner first, the expression parser for what it cannot read."""
    rows: list[dict[str, Any]] = []
    unparsed: list[str] = []
    read: list[Finding] = []  # found while reading lines
    checked: list[Finding] = []  # found checking arguments
    deviations = _Deviations(field)
    for number, stripped, original in _content_lines(text, deviations):
        scanned = _scan_keywords(stripped)
        if scanned is not None:
            name, raw_args = scanned
            action_id = raw_args.pop("id", None)
            fast = _FAST_ARGS.get(name)
            if fast is None or fast[0] is not primitives.get(name):
                fast = _fast_args(name)
            if fast is not None and fast[1].issuperset(raw_args) and all(
                    type(raw_args[k]) is list for k in fast[2] if k in raw_args):
                args = raw_args  # canonical already: nothing to map or report
            else:
                args = _canonical_args(name, raw_args, number, field, checked)
            rows.append({"id": action_id, "primitive": name, "args": args, "line": number,
                         "source_line": original})
            continue
        call, reason = _read_call(stripped, number, field, read)
        if call is None:
            unparsed.append(original)
            read.append(_unparseable(reason, stripped, field, number))
            continue
        name = call.name
        if call.positional:
            checked.append(Finding.of(
                Code.POSITIONAL_ARGUMENT,
                f"{name}: {len(call.positional)} positional argument(s); only keyword "
                "arguments are allowed", field=field, line=number))
        raw_args = dict(call.keywords)
        action_id = raw_args.pop("id", None)
        if action_id is not None and not isinstance(action_id, str):
            checked.append(Finding.of(Code.BAD_ID, f"id {action_id!r} is not a string",
                                      field=field, line=number))
            action_id = str(action_id)
        args = _canonical_args(name, raw_args, number, field, checked)
        rows.append({"id": action_id, "primitive": name, "args": args, "line": number,
                     "source_line": original})
    return (rows, deviations.findings() + read + checked), unparsed


_FAST_ARGS: dict[str, tuple[primitives.PrimitiveSpec, frozenset[str], tuple[str, ...]]] = {}


def _fast_args(name: str) -> tuple[primitives.PrimitiveSpec, frozenset[str],
                                   tuple[str, ...]] | None:
    """(spec, argument names that need no mapping, list arguments) of a primitive, cached
    per spec object (a primitive registered again is read afresh)."""
    spec = primitives.get(name)
    if spec is None:
        return None
    entry = (spec, frozenset(spec.arguments) - frozenset(spec.aliases), spec.list_args)
    _FAST_ARGS[name] = entry
    return entry


def _canonical_args(name: str, raw: dict[str, Any], line: int, field: str,
                    findings: list[Finding]) -> dict[str, Any]:
    spec = primitives.get(name)
    if spec is None:
        findings.append(Finding.of(Code.UNKNOWN_PRIMITIVE,
                                   f"{_preview(name)!s} is not one of the "
                                   f"{len(primitives.REGISTRY)} primitives",
                                   field=field, line=line))
        return raw
    args: dict[str, Any] = {}
    for key, value in raw.items():
        canonical = spec.aliases.get(key, key)
        if canonical != key:
            if canonical in raw:
                findings.append(Finding.of(
                    Code.DUPLICATE_ARGUMENT,
                    f"{name}: both {key!r} and its canonical name {canonical!r} are given; "
                    f"{key!r} kept as an unknown argument", field=field, line=line))
                canonical = key
            else:
                findings.append(Finding.of(Code.ARGUMENT_ALIAS,
                                           f"{name}: argument {key!r} read as {canonical!r}",
                                           field=field, line=line))
        if canonical not in spec.arguments:
            findings.append(Finding.of(Code.UNKNOWN_ARGUMENT,
                                       f"{name}: unknown argument {_preview(canonical)!s}",
                                       field=field, line=line))
        if canonical in spec.list_args and isinstance(value, str):
            findings.append(Finding.of(Code.ARGUMENT_TYPE,
                                       f"{name}: {canonical!r} should be a list; the string was "
                                       "read as a one-item list", field=field, line=line))
            value = [value]
        if canonical in spec.list_args and isinstance(value, tuple):
            value = list(value)
        args[canonical] = value
    return args


def _preview(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[:limit] + f"… ({len(text):,} chars)"


def parse_dag(text: str, *, field: str = "dag") -> tuple[list[Edge], list[str], list[Finding]]:
    """Parse dag text (``edge("nA", "nB", relation="causal")`` lines) into edges."""
    rows, unparsed, findings = _dag_rows(text, field)
    return [Edge(**row) for row in rows], unparsed, findings


def _dag_rows(text: str, field: str) -> tuple[list[dict[str, Any]], list[str], list[Finding]]:
    """(the edges as model fields, unparsed lines, findings) of dag text, in one pass.

    Order as before the scanner: layout deviations, reading findings, edge findings; the
    lines read but not edges come after the lines that could not be read."""
    rows: list[dict[str, Any]] = []
    unparsed: list[str] = []
    late_unparsed: list[str] = []
    read: list[Finding] = []
    checked: list[Finding] = []
    deviations = _Deviations(field)
    for number, stripped, original in _content_lines(text, deviations):
        edge = _EDGE_LINE.match(stripped)
        if edge is not None:
            source, target, relation = edge.groups()
            if relation is None:
                checked.append(Finding.of(Code.MISSING_RELATION,
                                          "edge without relation; read as causal",
                                          field=field, line=number))
                relation = "causal"
            rows.append({"source": source, "target": target, "relation": relation,
                         "line": number, "source_line": original})
            continue
        call, reason = _read_call(stripped, number, field, read)
        if call is not None and call.name != "edge":
            call, reason = None, f"expected edge(...), found {_preview(call.name)}(...)"
        if call is None:
            unparsed.append(original)
            read.append(_unparseable(reason, stripped, field, number))
            continue
        row = _edge_from_call(call, number, field, checked)
        if row is None:
            late_unparsed.append(original)
            continue
        row.update(line=number, source_line=original)
        rows.append(row)
    return rows, unparsed + late_unparsed, deviations.findings() + read + checked


def _edge_from_call(call: _Call, line: int, field: str,
                    findings: list[Finding]) -> dict[str, Any] | None:
    kwargs, positional = dict(call.keywords), call.positional
    names = ("source", "target", "relation")
    values = dict(zip(names, positional))
    for key, value in kwargs.items():
        if key not in names or key in values:
            findings.append(Finding.of(Code.BAD_EDGE, f"edge: unexpected argument {key!r}",
                                       field=field, line=line))
            continue
        values[key] = value
    if len(positional) > 3:
        findings.append(Finding.of(Code.BAD_EDGE, "edge: more than three arguments",
                                   field=field, line=line))
    if not isinstance(values.get("source"), str) or not isinstance(values.get("target"), str):
        findings.append(Finding.of(Code.BAD_EDGE, "edge needs a source and a target id",
                                   field=field, line=line))
        return None
    relation = values.get("relation")
    if relation is None:
        findings.append(Finding.of(Code.MISSING_RELATION,
                                   "edge without relation; read as causal",
                                   field=field, line=line))
        relation = "causal"
    return {"source": values["source"], "target": values["target"], "relation": str(relation)}


def parse_trace_text(explain: str, dag: str | None, **fields: Any) -> Trace:
    """Build a trace from explain and dag texts. ``dag=None`` means the explain text may hold
    the edge lines too (as in a hand-written file): they are split off by their ``edge(``
    prefix. Extra keyword arguments are set on the trace (``perturbation``, ``question``…)."""
    if dag is None:
        explain_lines, dag_lines = [], []
        for line in explain.splitlines():
            match = _CALL_START.match(line)
            is_edge = bool(match) and match.group(1) == "edge"
            # blank placeholders keep line numbers of both parts equal to the file's
            explain_lines.append("" if is_edge else line)
            dag_lines.append(line if is_edge else "")
        explain, dag = "\n".join(explain_lines), "\n".join(dag_lines)
    (actions, findings_a), unparsed_a = _explain_rows(explain, "explain")
    edges, unparsed_d, findings_d = _dag_rows(dag, "dag")
    # the models are built from plain rows by pydantic in one call (not one call per line)
    return Trace(actions=actions, edges=edges, unparsed_lines=unparsed_a + unparsed_d,
                 findings=findings_a + findings_d, **fields)


def parse_response(text: str, **fields: Any) -> Trace:
    """Parse a tagged model response (``<think>``, ``<answer>``, ``<explain>``, ``<dag>``).

    A response is well formatted only with all four tags; each missing one is a finding. When
    ``<explain>`` is missing the whole text is read as explain/dag lines so nothing is lost.
    """
    blocks = {tag: _tag_block(text, tag) for tag in _TAGS}
    missing = [tag for tag, block in blocks.items() if block is None]
    if blocks["explain"] is None:
        trace = parse_trace_text(text, None, **fields)
    else:
        trace = parse_trace_text(blocks["explain"], blocks["dag"] or "", **fields)
    extra = [Finding.of(Code.RESPONSE_TAG_MISSING, f"response has no <{tag}> block",
                        field="response") for tag in missing]
    return trace.model_copy(update={
        "think": blocks["think"].strip() if blocks["think"] else trace.think,
        "answer": blocks["answer"].strip() if blocks["answer"] else trace.answer,
        "findings": extra + trace.findings,
    })


# ---------------------------------------------------------------- writing


_NEEDS_ESCAPE = re.compile(r'["\\\x00-\x1f\x7f\u2028\u2029]')


def _format_value(value: Any) -> str:
    if isinstance(value, str):
        if _NEEDS_ESCAPE.search(value) is None:
            return f'"{value}"'  # what json.dumps gives for such a string, without its cost
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_format_value(v) for v in value) + "]"
    if value is None:
        return "None"
    return repr(value)


def _ordered_args(action: Action) -> list[tuple[str, Any]]:
    spec = primitives.get(action.primitive)
    order = list(spec.arguments) if spec else []
    known = [(k, action.args[k]) for k in order if k in action.args]
    rest = [(k, v) for k, v in action.args.items() if k not in order]
    return known + rest


def format_action(action: Action) -> str:
    parts = [] if action.id is None else [f"id={_format_value(action.id)}"]
    parts += [f"{key}={_format_value(value)}" for key, value in _ordered_args(action)]
    return f"{action.primitive}({', '.join(parts)})"


def format_edge(edge: Edge) -> str:
    return (f"edge({_format_value(edge.source)}, {_format_value(edge.target)}, "
            f"relation={_format_value(edge.relation)})")


def write_explain(actions: list[Action]) -> str:
    return "\n".join(format_action(a) for a in actions)


def write_dag(edges: list[Edge]) -> str:
    return "\n".join(format_edge(e) for e in edges)


def write_response(trace: Trace) -> str:
    """The tagged response form of a trace (the pipeline's raw model output shape)."""
    return (f"<think>{trace.think or ''}</think>\n<answer>{trace.answer or ''}</answer>\n"
            f"<explain>\n{write_explain(trace.actions)}\n</explain>\n"
            f"<dag>\n{write_dag(trace.edges)}\n</dag>\n")
