"""JSON Lines input files of the use cases (pairs, TahoeQA questions and predictions): one
reader that streams the objects with their line numbers and reports what is wrong and where."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

from ..errors import VctraceError

__all__ = ["json_objects"]


def json_objects(path: str | Path,
                 error: type[VctraceError]) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line number, object)`` for each non-blank line of ``path`` (UTF-8, a BOM allowed),
    streamed; ``error`` (a :class:`VctraceError` subclass) names the file and line of a line
    that is not a JSON object, or the file that cannot be read."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8-sig") as handle:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise error(f"{path}:{number}: not JSON ({exc.msg})") from None
                if not isinstance(record, dict):
                    raise error(f"{path}:{number}: not a JSON object")
                yield number, record
    except OSError as exc:
        raise error(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise error(f"{path}: not UTF-8 text") from None
