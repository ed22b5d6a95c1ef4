"""Every Cypher statement of vctrace, as named ``.cypher`` files, one folder per owner.

``kg/`` (schema, whole-graph counts), ``traces/`` (the trace store), ``grounding/``,
``loaders/``, ``verifiers/``, ``runs/`` (engine, metrics, refine, audit) and ``library/`` (the
queries users run by name). ``load("runs/find_runs")`` returns the text of
``runs/find_runs.cypher``; ``statements("kg/schema")`` splits a file of several statements.

Statements are always parameterised (``$rows``…). Labels and relationship types cannot be
parameters in Cypher, so a statement may hold ``$$NAME$$`` placeholders; :func:`load` fills
them, and only with names that a registry has declared through :func:`allow_names` (the
primitive registry, the loaders' label maps…) — never with user text.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from typing import Iterable
from ..errors import VctraceError

OWNERS = ("kg", "traces", "grounding", "loaders", "verifiers", "runs", "library", "generation",
          "generation_runs", "tahoeqa")
_PLACEHOLDER = re.compile(r"\$\$([A-Z_]+)\$\$")
_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_ALLOWED: set[str] = set()


class UnknownQuery(VctraceError, KeyError):
    """No ``.cypher`` file of that name."""


class UnsafeName(ValueError):
    """A label or relationship type that no registry declared (never spliced into Cypher)."""


def allow_names(names: Iterable[str]) -> None:
    """Declare labels / relationship types that statements may be filled with. Called by the
    registries that own them, at import; each must be a plain identifier."""
    for name in names:
        if not _IDENTIFIER.fullmatch(name):
            raise UnsafeName(f"{name!r} is not a plain label or relationship type")
        _ALLOWED.add(name)


@lru_cache(maxsize=None)
def _raw(name: str) -> str:
    resource = resources.files(__name__).joinpath(f"{name}.cypher")
    if "/" not in name or name.split("/", 1)[0] not in OWNERS or not resource.is_file():
        raise UnknownQuery(name)
    return resource.read_text(encoding="utf-8").strip()


def load(name: str, **names: str) -> str:
    """The text of statement ``name`` (``owner/file``, no suffix), with each ``$$KEY$$``
    placeholder replaced by ``names[KEY]``, which must be a declared name."""
    text = _raw(name)
    wanted = set(_PLACEHOLDER.findall(text))
    if wanted != set(names):
        raise ValueError(f"statement {name} takes names {sorted(wanted)}, got {sorted(names)}")
    for key, value in names.items():
        if value not in _ALLOWED:
            raise UnsafeName(f"{value!r} is not a declared label or relationship type")
        text = text.replace("$$" + key + "$$", value)
    return text


def placeholders(name: str) -> list[str]:
    """The ``$$KEY$$`` names statement ``name`` needs (empty for most)."""
    return sorted(set(_PLACEHOLDER.findall(_raw(name))))


def statements(name: str) -> list[str]:
    """The statements of a multi-statement file, in order, comments removed."""
    text = "\n".join(line for line in load(name).splitlines()
                     if not line.lstrip().startswith("//"))
    return [s.strip() for s in text.split(";\n") if s.strip().rstrip(";").strip()]


def names() -> list[str]:
    """Every statement name (``owner/file``), across all owners."""
    root = resources.files(__name__)
    return sorted(f"{owner}/{p.name[:-len('.cypher')]}" for owner in OWNERS
                  for p in root.joinpath(owner).iterdir() if p.name.endswith(".cypher"))


def library() -> dict[str, str]:
    """The named queries users run with ``vctrace query NAME``: name -> first comment line."""
    out = {}
    for name in names():
        owner, _, short = name.partition("/")
        if owner == "library":
            out[short] = _raw(name).splitlines()[0].lstrip("/ ").strip()
    return out


def library_query(name: str) -> str:
    """The text of library query ``name``."""
    if name not in library():
        raise UnknownQuery(name)
    return load(f"library/{name}")
