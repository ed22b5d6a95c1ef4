"""Output helpers shared by the command modules: consoles, tables, errors, progress bars.

Consoles are made per call (not at import) so they write to whatever ``sys.stdout`` /
``sys.stderr`` are at that moment (pipes, test captures).
"""

from __future__ import annotations

import json
import math
import sys
from typing import Any, Callable, Iterable, Sequence

import click
from rich.console import Console
from rich.padding import Padding
from rich.progress import (BarColumn, MofNCompleteColumn, Progress as RichProgress, TextColumn,
                           TimeElapsedColumn, TimeRemainingColumn)
from rich.table import Table

from ..app import Bar, Progress, no_progress

EXIT_OK, EXIT_INVALID, EXIT_UNUSABLE = 0, 1, 2


def stdout() -> Console:
    """Results: plain text when piped (no colours, no wrapping of long lines)."""
    return Console(file=sys.stdout, soft_wrap=True, highlight=False,
                   width=None if sys.stdout.isatty() else 10_000)


def stderr() -> Console:
    return Console(file=sys.stderr, soft_wrap=True, highlight=False)


def say(text: str = "") -> None:
    """A line of results on stdout, printed as is (no markup)."""
    print(text, file=sys.stdout)


def note(text: str) -> None:
    """A message on stderr, printed as is."""
    print(text, file=sys.stderr)


def error(message: str) -> None:
    """``vctrace: message`` on stderr."""
    print(f"vctrace: {message}", file=sys.stderr)


def table(columns: Sequence[str], rows: Iterable[Sequence[Any]], *,
          numeric: Iterable[str] = (), title: str | None = None, width: int = 60,
          indent: int = 0) -> None:
    """A rich table of ``rows`` on stdout; ``numeric`` columns right-aligned; text longer
    than ``width`` shortened; ``indent`` spaces before every line (a table inside a
    step-by-step report)."""
    numeric = set(numeric)
    grid = Table(title=title, box=None, pad_edge=False, show_edge=False,
                 header_style="bold")
    for name in columns:
        grid.add_column(name, justify="right" if name in numeric else "left",
                        overflow="fold")
    for row in rows:
        grid.add_row(*(cell(v, width) for v in row))
    stdout().print(Padding(grid, (0, 0, 0, indent), expand=False) if indent else grid)


def cell(value: Any, width: int = 60) -> str:
    """A value as table text: numbers with thousands separators, JSON for maps and lists,
    long text shortened with an ellipsis."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.3f}"
    text = json.dumps(value, ensure_ascii=False, default=str) \
        if isinstance(value, (dict, list)) else str(value)
    return text if len(text) <= width else text[:width - 1] + "…"


class _RichBar:
    def __init__(self, bars: RichProgress, task: int):
        self.bars, self.task = bars, task

    def update(self, n: int = 1) -> None:
        self.bars.advance(self.task, n)

    def close(self) -> None:
        self.bars.remove_task(self.task)
        if not self.bars.tasks:
            self.bars.stop()


def no_progress_option(command: Callable) -> Callable:
    """The ``--no-progress`` flag of commands that draw progress bars."""
    return click.option("--no-progress", is_flag=True, help="no progress bars")(command)


def progress_bars(enabled: bool = True) -> Progress:
    """A :class:`vctrace.progress.Progress` drawing rich bars on stderr (transient: they
    vanish when done); ``no_progress`` when disabled or stderr is not a terminal."""
    if not enabled or not sys.stderr.isatty():
        return no_progress
    bars = RichProgress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TextColumn("{task.fields[unit]}"), TimeElapsedColumn(),
                        TimeRemainingColumn(), console=stderr(), transient=True)

    def start(task: str, total: int | None = None, unit: str = "items") -> Bar:
        if not bars.live.is_started:
            bars.start()
        return _RichBar(bars, bars.add_task(task, total=total, unit=unit))

    return start


def json_text(data: Any) -> str:
    """``data`` as indented, strict JSON (RFC 8259): NaN and infinities become ``null``, other
    values JSON cannot hold (dates, paths) their text."""
    return json.dumps(_finite(data), indent=2, ensure_ascii=False, allow_nan=False, default=str)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(v) for key, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def counts_text(counts: dict[str, int]) -> str:
    """``{"traces": 5, "cell_lines": 2}`` as ``5 traces, 2 cell lines``."""
    return ", ".join(f"{value:,} {name.replace('_', ' ')}" for name, value in counts.items())


def seconds_text(steps: dict[str, float]) -> str:
    """``{"restart": 5.61}`` as ``restart 5.6 s``."""
    return ", ".join(f"{name} {secs:.1f} s" for name, secs in steps.items())


def grounding_table(by_role: Iterable[Any], indent: int = 0) -> None:
    """The per primitive / role grounding table (rows with ``primitive``, ``role``,
    ``arguments``, ``grounded`` and ``share``), nothing when there are no rows."""
    rows = [(r.primitive, r.role, r.arguments, r.grounded, f"{r.share:.1%}") for r in by_role]
    if rows:
        table(("primitive", "role", "arguments", "grounded", "share"), rows,
              numeric=("arguments", "grounded", "share"), indent=indent)
