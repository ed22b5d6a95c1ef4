"""Evidence citations in a generated report: ``[E12]`` ids, and those the report was not given.

A report generator numbers every evidence item it retrieved (``[E1]`` … ``[En]``); the model's
report may cite only those ids (``shared/spec/report-format.md``: a report citing an id it was
not given is rejected). A citation is ``[E<digits>]``; several may share one bracket
(``[E3, E7]`` or ``[E3; E7]``), and a footnote form ``[^E3]`` is read too.
"""

from __future__ import annotations

import re
from typing import Iterable

__all__ = ["cited_ids", "unknown_citations"]

_BRACKET = re.compile(r"\[\^?\s*(E\d+(?:\s*[,;]\s*\^?E\d+)*)\s*\]")
_ID = re.compile(r"E\d+")


def cited_ids(text: str) -> list[str]:
    """Every evidence id cited in ``text``, once each, in order of first citation."""
    seen: dict[str, None] = {}
    for match in _BRACKET.finditer(text or ""):
        for item in _ID.findall(match.group(1)):
            seen.setdefault(item, None)
    return list(seen)


def unknown_citations(text: str, known: Iterable[str]) -> list[str]:
    """The ids cited in ``text`` that are not in ``known``, in order of first citation."""
    allowed = set(known)
    return [item for item in cited_ids(text) if item not in allowed]
