"""Every Cypher statement of vctrace, as named ``.cypher`` files in this folder.

``load("name")`` returns the text of ``name.cypher``; ``statements("name")`` splits a file of
several statements on ``;`` at line ends. Statements are always parameterised (``$rows``…);
labels and relationship types come from code (the primitive registry), never from user input.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources


class UnknownQuery(KeyError):
    """No ``.cypher`` file of that name."""


@lru_cache(maxsize=None)
def load(name: str) -> str:
    """The text of query ``name`` (without the ``.cypher`` suffix)."""
    resource = resources.files(__name__).joinpath(f"{name}.cypher")
    if not resource.is_file():
        raise UnknownQuery(name)
    return resource.read_text(encoding="utf-8").strip()


def statements(name: str) -> list[str]:
    """The statements of a multi-statement file, in order, comments removed."""
    text = "\n".join(line for line in load(name).splitlines()
                     if not line.lstrip().startswith("//"))
    return [s.strip() for s in text.split(";\n") if s.strip().rstrip(";").strip()]


def names() -> list[str]:
    """Every query name in the library."""
    return sorted(p.name[:-len(".cypher")] for p in resources.files(__name__).iterdir()
                  if p.name.endswith(".cypher"))


def library() -> dict[str, str]:
    """The named queries users run with ``vctrace query NAME``: name -> first comment line."""
    folder = resources.files(__name__).joinpath("library")
    out = {}
    for item in sorted(folder.iterdir(), key=lambda p: p.name):
        if item.name.endswith(".cypher"):
            first = item.read_text(encoding="utf-8").splitlines()[0]
            out[item.name[:-len(".cypher")]] = first.lstrip("/ ").strip()
    return out


def library_query(name: str) -> str:
    """The text of library query ``name``."""
    if name not in library():
        raise UnknownQuery(name)
    return resources.files(__name__).joinpath("library", f"{name}.cypher") \
        .read_text(encoding="utf-8")
