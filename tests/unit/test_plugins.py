"""Plugin discovery: every module of ``vctrace.loaders`` and ``vctrace.verifiers`` (except
``base`` and ``_helpers``) is imported with its package and registers at least one plugin, so a
new loader or verifier is one new module. The check is shown to catch a module that registers
nothing."""

from __future__ import annotations

import importlib
import sys
import textwrap
from types import ModuleType

import pytest

import vctrace.loaders
import vctrace.verifiers
from vctrace.loaders import Loader
from vctrace.plugins import plugin_modules
from vctrace.verifiers import Verifier


def unregistered_modules(package: ModuleType, registry: dict[str, type]) -> list[str]:
    """The plugin modules of ``package`` that no class of ``registry`` comes from (a module
    that was never imported, or that registers nothing)."""
    registered = {cls.__module__ for cls in registry.values()}
    modules = [f"{package.__name__}.{name}" for name in plugin_modules(package)]
    return [m for m in modules if m not in registered]


@pytest.mark.parametrize("package", [vctrace.loaders, vctrace.verifiers],
                         ids=lambda p: p.__name__)
def test_every_plugin_module_registers_a_plugin(package):
    modules = plugin_modules(package)
    assert modules, package.__name__
    assert "base" not in modules and not [m for m in modules if m.startswith("_")]
    assert unregistered_modules(package, package.REGISTRY) == []


def test_the_plugins_are_the_known_ones():
    assert set(vctrace.loaders.REGISTRY) >= {"tahoe-metadata", "tahoe-de", "primekg",
                                             "harmonizome", "hgnc", "ontology"}
    assert set(vctrace.verifiers.REGISTRY) >= {"structure", "grounding", "dti-kg", "de",
                                               "pathway", "dti-boltz"}


@pytest.mark.parametrize("base, registry", [(Loader, vctrace.loaders.REGISTRY),
                                            (Verifier, vctrace.verifiers.REGISTRY)],
                         ids=["loaders", "verifiers"])
def test_every_subclass_is_registered_under_its_name(base, registry):
    for cls in base.__subclasses__():
        if cls.__module__.startswith("vctrace."):
            assert registry[cls.name] is cls


@pytest.fixture
def plugin_package(tmp_path, monkeypatch):
    """A temporary plugin package built like vctrace.loaders: a ``base`` with the registry, a
    helper module, a module that registers a plugin and one that registers nothing."""
    root = tmp_path / "fake_plugins"
    root.mkdir()
    files = {
        "__init__.py": """
            import sys
            from vctrace.plugins import discover
            from .base import REGISTRY
            discover(sys.modules[__name__])
            """,
        "base.py": """
            REGISTRY = {}
            class Plugin:
                def __init_subclass__(cls, **kwargs):
                    super().__init_subclass__(**kwargs)
                    REGISTRY[cls.name] = cls
            """,
        "_helpers.py": "HELP = 1\n",
        "good.py": """
            from .base import Plugin
            class Good(Plugin):
                name = "good"
            """,
        "forgotten.py": """
            from .base import Plugin
            class Forgotten:  # does not subclass Plugin: registers nothing
                name = "forgotten"
            """,
    }
    for name, text in files.items():
        (root / name).write_text(textwrap.dedent(text))
    monkeypatch.syspath_prepend(str(tmp_path))
    yield importlib.import_module("fake_plugins")
    for name in [m for m in sys.modules if m == "fake_plugins" or m.startswith("fake_plugins.")]:
        del sys.modules[name]


def test_the_check_reports_a_module_that_registers_nothing(plugin_package):
    assert plugin_modules(plugin_package) == ["forgotten", "good"]
    assert set(plugin_package.REGISTRY) == {"good"}
    assert unregistered_modules(plugin_package, plugin_package.REGISTRY) == \
        ["fake_plugins.forgotten"]


def test_the_check_reports_a_module_never_imported(plugin_package, tmp_path):
    (tmp_path / "fake_plugins" / "late.py").write_text(
        "from .base import Plugin\nclass Late(Plugin):\n    name = 'late'\n")
    importlib.invalidate_caches()
    # present on disk after the package was imported: nothing imported it, nothing registered
    assert "fake_plugins.late" in unregistered_modules(plugin_package, plugin_package.REGISTRY)
