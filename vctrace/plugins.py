"""Plugin discovery: every public module of a plugin package (``vctrace.loaders``,
``vctrace.verifiers``) is imported, so that its classes register themselves. Modules whose name
starts with ``_`` are helpers and ``base`` defines the registry; every other module must
register at least one plugin (a test checks this), so a new loader or verifier is one new
module, nothing to list anywhere."""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType
from typing import Any

from pydantic import BaseModel, ValidationError

NOT_PLUGINS = ("base",)


def plugin_modules(package: ModuleType) -> list[str]:
    """The names of the plugin modules of ``package`` (sorted)."""
    return sorted(m.name for m in pkgutil.iter_modules(package.__path__)
                  if not m.name.startswith("_") and m.name not in NOT_PLUGINS)


def discover(package: ModuleType) -> list[ModuleType]:
    """Import every plugin module of ``package``; the modules, in name order."""
    return [importlib.import_module(f"{package.__name__}.{name}")
            for name in plugin_modules(package)]


def parse_options(model: type[BaseModel], values: dict[str, Any], owner: str) -> BaseModel:
    """``values`` validated by a plugin's options ``model``; ``ValueError`` naming each bad
    field (``owner`` says whose options they are)."""
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'options'}: {e['msg']}"
                             for e in exc.errors())
        raise ValueError(f"{owner}: {problems}") from None
