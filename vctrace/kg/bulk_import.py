"""Offline bulk import of traces into an empty local database (``neo4j-admin database import``).

The second write path (DESIGN.md habit 4): for a first load of a VC-TRACES-sized set into a
fresh local server, writing store files directly is several times faster than transactions
over Bolt on a 2-core machine. The graph it builds is the same as the transactional path's —
the rows come from :func:`vctrace.kg.trace_store.trace_row` — and a test reads both back and
compares them. It only runs against the local server vctrace manages, only when its database is
empty, and with the server stopped for the import (it is started again afterwards).
"""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

from ..errors import VctraceError
from ..traces import primitives
from ..traces.identity import trace_key
from ..traces.models import Trace
from .server import ADMIN_TOOL, LocalNeo4j, ServerError
from .trace_store import _claim_row, _input_row, trace_row

ARRAY_DELIMITER = "\u001f"  # unit separator: never part of a name or a sentence


class BulkImportError(VctraceError):
    """The import could not be done (the database is not empty, or neo4j-admin failed)."""


def _quote(value: Any) -> str:
    return '"' + str(value).replace('"', '""') + '"'


def _array(value: list[str]) -> str:
    joined = ARRAY_DELIMITER.join(value)
    if joined.count(ARRAY_DELIMITER) != max(len(value) - 1, 0):
        raise BulkImportError("a list value contains U+001F; use the transactional ingest")
    return _quote(joined) if value else ""


_ENCODE = {"string[]": _array, "long": lambda value: str(int(value)),
           "long[]": lambda value: ARRAY_DELIMITER.join(str(int(v)) for v in value),
           "id": str}
"""Cell encoders by column kind (strings, the common case, are quoted inline). ``id``: an
integer node id (``--id-type=integer``), whose header is the column name alone."""


class CsvFile:
    """One CSV file with a typed neo4j-admin header; ``None`` is written as an empty field
    (no property), strings always quoted (an empty string stays an empty string).
    ``multiline`` tells whether a written row holds a line break (inside a quoted field): only
    such files need neo4j-admin's slow multi-line parsing."""

    def __init__(self, path: Path, columns: list[tuple[str, str]]):
        self.path, self.columns = path, columns
        # None: a string column, quoted inline (the common case, without a call per cell)
        self.encoders = [(name, _ENCODE.get(kind, None if kind in ("", "string") else _quote))
                         for name, kind in columns]
        self.handle = path.open("w", encoding="utf-8", newline="")
        header = [name if kind in ("", "string", "id") else f"{name}:{kind}"
                  for name, kind in columns]
        self.handle.write(",".join(header) + "\n")
        self.rows = 0
        self.multiline = False

    def write(self, values: dict[str, Any]) -> None:
        get = values.get
        line = ",".join([
            "" if (value := get(name)) is None
            else encode(value) if encode is not None
            else '"' + value.replace('"', '""') + '"' if type(value) is str
            else _quote(value)
            for name, encode in self.encoders])
        if not self.multiline and ("\n" in line or "\r" in line):
            self.multiline = True
        self.handle.write(line + "\n")
        self.rows += 1

    def write_lines(self, lines: list[str]) -> None:
        """Rows already formatted, none holding a line break (relationship rows of numeric
        ids and quoted names): one write for all."""
        if lines:
            self.handle.write("\n".join(lines) + "\n")
            self.rows += len(lines)

    def close(self) -> None:
        self.handle.close()


_TRACE_COLUMNS = [(":ID(Trace)", "id"), ("key", ""), ("trace_id", ""), ("trace_ids", "string[]"),
                  ("drug", ""), ("cell_line", ""),
                  ("question", ""), ("answer", ""), ("think", ""), ("report_text", ""),
                  ("explain_verified", ""), ("perturbation_json", ""), ("provenance_json", ""),
                  ("findings_json", ""), ("layout_json", ""), ("unparsed_lines", "string[]"),
                  ("n_actions", "long"), ("n_edges", "long"), ("primitives", "string[]"),
                  ("primitive_counts", "long[]"),
                  ("ingested_at", "datetime"), (":LABEL", "")]


@dataclass
class BulkResult:
    traces: int = 0
    actions: int = 0
    edges: int = 0
    claims: int = 0
    mentions: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    multiline_files: list[Path] = field(default_factory=list)
    """The files with a line break inside a field (only these are parsed multi-line)."""
    more_ids: dict[str, list[str]] = field(default_factory=dict)
    """Trace key -> every id of content met again under other ids than the one its node was
    written with: recorded after the import with :func:`~vctrace.kg.trace_store.add_trace_ids`
    (a node row cannot be changed once written), so the graph equals a transactional
    ingest's."""


class _Writer:
    """Writes the import files. Nodes get integer ids (``--id-type=integer``, numbered per
    id space as first met): neo4j-admin maps them without sorting strings, and relationship
    lines are two numbers; keys are ordinary properties."""

    def __init__(self, folder: Path):
        self.folder = folder
        now = datetime.now(timezone.utc).isoformat()
        self.now = now
        self.nodes: dict[str, CsvFile] = {}
        self.rels: dict[str, CsvFile] = {}
        # node key -> its import id, per id space (actions are numbered by next_action)
        self.id_of: dict[str, dict[str, int]] = {k: {} for k in
                                                 ("trace", "claim", "mention", "drug", "cell",
                                                  "input")}
        self.next_action = 0
        self.ids: dict[str, list[str]] = {}  # trace key -> its ids, in order
        self.grown: set[str] = set()  # keys with ids beyond the one their node was written with
        self._node("traces", _TRACE_COLUMNS)
        self._node("claims", [(":ID(Claim)", "id"), ("key", ""), ("primitive", ""),
                              ("args_json", ""), ("drug", ""), ("cell_line", ""),
                              ("n_traces", "long"), ("created_at", "datetime"), (":LABEL", "")])
        # claim rows are written at the end, when how many traces assert each is known
        self.claims: dict[str, dict[str, Any]] = {}
        self.asserting: dict[str, int] = {}
        self._node("mentions", [(":ID(Mention)", "id"), ("key", ""), ("text", ""),
                                (":LABEL", "")])
        for name, group in (("drugs", "Drug"), ("cell_lines", "CellLine")):
            self._node(name, [(f":ID({group})", "id"), ("key", ""), ("name", ""),
                              ("source", ""), (":LABEL", "")])
        self._node("inputs", [(":ID(InputRecord)", "id"), ("key", ""), ("file", ""),
                              ("sha256", ""), ("record", "long"), ("format", ""),
                              ("read_at", "datetime"), (":LABEL", "")])
        for spec in primitives.REGISTRY.values():
            columns = [(":ID(Action)", "id"), ("idx", "long"), ("primitive", ""), ("id", ""),
                       ("extra_args_json", "")]
            columns += [(a, "string[]" if a in spec.list_args else "") for a in spec.arguments]
            columns.append((":LABEL", ""))
            self._node(f"actions_{spec.label}", columns)
        ends = {"has_action": ("Trace", "Action"), "leads_to": ("Action", "Action"),
                "asserts": ("Action", "Claim"), "claim_mentions": ("Claim", "Mention"),
                "perturbed_by": ("Trace", "Drug"), "in_cell_line": ("Trace", "CellLine"),
                "read_from": ("Trace", "InputRecord")}
        props = {"leads_to": [("relation", ""), ("idx", "long")],
                 "claim_mentions": [("role", "")]}
        for name, (start, end) in ends.items():
            self.rels[name] = CsvFile(folder / f"rel_{name}.csv",
                                       [(f":START_ID({start})", ""), (f":END_ID({end})", ""),
                                        (":TYPE", "")] + props.get(name, []))

    def _node(self, name: str, columns: list[tuple[str, str]]) -> None:
        self.nodes[name] = CsvFile(self.folder / f"nodes_{name}.csv", columns)

    def _new_id(self, space: str, key: str) -> int | None:
        """The id of a node not met yet (``None`` when ``key`` already has one)."""
        ids = self.id_of[space]
        if key in ids:
            return None
        ids[key] = len(ids)
        return ids[key]

    def add(self, trace: Trace, result: BulkResult) -> None:
        tkey = trace_key(trace)
        tid = self.id_of["trace"].get(tkey)
        row = trace_row(tkey, trace) if tid is None else None  # raises on an invalid trace
        if row is not None:
            tid = self._new_id("trace", tkey)
        input_row = _input_row(tkey, trace)
        if input_row and (iid := self._new_id("input", input_row["key"])) is not None:
            self.nodes["inputs"].write({":ID(InputRecord)": iid, "key": input_row["key"],
                                        ":LABEL": "InputRecord", "read_at": self.now,
                                        **input_row["props"]})
            self.rels["read_from"].write_lines([f"{tid},{iid},READ_FROM"])
        if row is None:  # content met before: only its id may be new
            ids = self.ids.get(tkey)
            if trace.trace_id is not None and (ids is None or trace.trace_id not in ids):
                self.ids.setdefault(tkey, []).append(trace.trace_id)
                self.grown.add(tkey)
            return
        if trace.trace_id is not None:
            self.ids[tkey] = [trace.trace_id]
        self.nodes["traces"].write({**row["props"], ":ID(Trace)": tid, ":LABEL": "Trace",
                                    "ingested_at": self.now})
        for kind, file, label, rel in (("drug", "drugs", "Drug", "PERTURBED_BY"),
                                       ("cell", "cell_lines", "CellLine", "IN_CELL_LINE")):
            key = row["drug_key" if kind == "drug" else "cell_line_key"]
            if key is None:
                continue
            nid = self._new_id(kind, key)
            if nid is not None:
                name = row["drug" if kind == "drug" else "cell_line"]
                self.nodes[file].write({f":ID({label})": nid, "key": key, "name": name,
                                        "source": "trace", ":LABEL": label})
            self.rels["perturbed_by" if kind == "drug" else "in_cell_line"].write_lines(
                [f"{tid},{self.id_of[kind][key]},{rel}"])
        for ckey in {a["claim_key"] for a in row["actions"]}:
            self.asserting[ckey] = self.asserting.get(ckey, 0) + 1
        first = self.next_action
        self.next_action += len(row["actions"])
        # relationship rows of this trace: numeric ids, and names from the registries
        # (roles, relations): no quote or line break to escape
        has_action, asserts, mentions = [], [], []
        for action, action_row in zip(trace.actions, row["actions"]):
            aid = first + action_row["props"]["idx"]
            self.nodes[f"actions_{action_row['label']}"].write(
                {":ID(Action)": aid,
                 ":LABEL": f"Action{ARRAY_DELIMITER}{action_row['label']}",
                 **action_row["props"]})
            has_action.append(f"{tid},{aid},HAS_ACTION")
            ckey = action_row["claim_key"]
            cid = self._new_id("claim", ckey)
            if cid is not None:
                claim = _claim_row(action, action_row)
                self.claims[ckey] = claim["props"]
                result.claims += 1
                for mention in claim["mentions"]:
                    mid = self._new_id("mention", mention["key"])
                    if mid is not None:
                        self.nodes["mentions"].write({":ID(Mention)": mid,
                                                      "key": mention["key"],
                                                      "text": mention["text"],
                                                      ":LABEL": "Mention"})
                        result.mentions += 1
                    mentions.append(f'{cid},{self.id_of["mention"][mention["key"]]},MENTIONS,'
                                    f'"{mention["role"]}"')
            asserts.append(f'{aid},{self.id_of["claim"][ckey]},ASSERTS')
        self.rels["has_action"].write_lines(has_action)
        self.rels["asserts"].write_lines(asserts)
        self.rels["claim_mentions"].write_lines(mentions)
        self.rels["leads_to"].write_lines([
            f'{first + e["source"]},{first + e["target"]},LEADS_TO,"{e["props"]["relation"]}",'
            f'{e["props"]["idx"]}' for e in row["edges"]])
        result.traces += 1
        result.actions += len(row["actions"])
        result.edges += len(row["edges"])

    def close(self) -> tuple[list[Path], list[Path]]:
        claims = self.nodes["claims"]
        for ckey, props in self.claims.items():
            claims.write({":ID(Claim)": self.id_of["claim"][ckey], "key": ckey,
                          ":LABEL": "Claim", "created_at": self.now,
                          "n_traces": self.asserting[ckey], **props})
        for f in list(self.nodes.values()) + list(self.rels.values()):
            f.close()
        nodes = [f.path for f in self.nodes.values() if f.rows]
        rels = [f.path for f in self.rels.values() if f.rows]
        return nodes, rels

    def multiline(self) -> list[Path]:
        return [f.path for f in list(self.nodes.values()) + list(self.rels.values())
                if f.rows and f.multiline]


def write_import_files(traces: Iterable[Trace], folder: Path) -> tuple[BulkResult, list[Path],
                                                                       list[Path]]:
    """Write the CSV files of ``traces`` (valid ones only are accepted) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    result = BulkResult()
    writer = _Writer(folder)
    try:
        for trace in traces:
            writer.add(trace, result)
    finally:
        nodes, rels = writer.close()
    result.more_ids = {key: writer.ids[key] for key in sorted(writer.grown)}
    result.multiline_files = writer.multiline()
    return result, nodes, rels


def _multiline_option(multiline: list[Path] | None) -> list[str]:
    """neo4j-admin's multi-line parsing, which parses a file in one thread: for every file
    (``None``: the files' contents are not known), for the files listed, or for none."""
    if multiline is None:
        return ["--multiline-fields=true"]
    if not multiline:
        return ["--multiline-fields=false"]
    return ["--multiline-fields-format=v2",
            "--multiline-fields=" + ",".join(str(path) for path in multiline)]


def admin_import(server: LocalNeo4j, nodes: list[Path], rels: list[Path],
                 folder: Path, *, multiline: list[Path] | None = None,
                 id_type: str = "string") -> dict[str, float]:
    """Replace the local ``server``'s database with the given CSV files: stop the server, run
    ``neo4j-admin database import full``, start it again. Returns the seconds of each step.
    ``multiline``: the files that may hold a line break inside a field (``None``: any may);
    the others are parsed in parallel. ``id_type``: what the files' node ids are
    (``string`` or ``integer``). On failure the server is started again (with its old
    store) and the tool's output raised as :class:`BulkImportError`."""
    seconds = {}
    t0 = time.perf_counter()
    server.stop()
    cmd = ["java", "-Xmx2g", "-cp", server._classpath(), ADMIN_TOOL, "database", "import",
           "full", "neo4j", "--overwrite-destination=true", *_multiline_option(multiline),
           "--array-delimiter=U+001F", f"--id-type={id_type}",
           f"--report-file={folder / 'import.report'}",
           *[f"--nodes={path}" for path in nodes],
           *[f"--relationships={path}" for path in rels]]
    completed = subprocess.run(cmd, env=server._env(), capture_output=True, text=True)
    seconds["neo4j-admin import"] = time.perf_counter() - t0
    if completed.returncode != 0:
        try:
            server.start()
        except ServerError:
            pass
        raise BulkImportError("neo4j-admin import failed:\n"
                              + (completed.stdout + completed.stderr)[-3000:])
    t0 = time.perf_counter()
    server.start()
    seconds["restart"] = time.perf_counter() - t0
    return seconds


def bulk_import(server: LocalNeo4j, traces: Iterable[Trace], folder: Path) -> BulkResult:
    """Import ``traces`` into the (empty) database of the local ``server``: write the CSV
    files, then :func:`admin_import`. The caller checks emptiness first and creates the
    schema afterwards."""
    t0 = time.perf_counter()
    result, nodes, rels = write_import_files(traces, folder)
    result.seconds["write files"] = time.perf_counter() - t0
    result.seconds.update(admin_import(server, nodes, rels, folder,
                                       multiline=result.multiline_files, id_type="integer"))
    return result
