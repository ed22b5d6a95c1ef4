"""The layer rules of the package (the import-linter contracts in ``.importlinter``).

One test checks the real package against every contract. The others prove that the contracts
can fail: each copies the package's Python files into a temporary folder, plants one forbidden
import there and checks that import-linter, run on the copy, names the broken contract and the
planted import. Nothing here needs Neo4j, Java or the shared data.

import-linter finds the package to analyse on ``sys.path`` (it puts its working directory first),
so it runs as a subprocess from the folder that holds the package to analyse, with that folder
on ``PYTHONPATH`` too. ``--no-cache`` keeps it from writing ``.import_linter_cache`` anywhere.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / ".importlinter"
PACKAGE = ROOT / "vctrace"

# Packages of the target layout that the contracts name (a forbidden contract naming a module
# that does not exist is an error). A copy gets an empty one wherever the tree lacks it, so the
# demonstrations below do not depend on how far the refactoring has got.
TARGET_PACKAGES = ("app", "runs", "cli", "http", "agents")


def _lint_imports(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run import-linter (from this interpreter's environment) on the package under ``cwd``."""
    script = Path(sys.executable).parent / "lint-imports"
    if script.is_file():
        command = [str(script)]
    else:  # no console script beside the interpreter: call the same entry point
        command = [sys.executable, "-c",
                   "import sys; from importlinter.cli import lint_imports_command; "
                   "sys.exit(lint_imports_command())"]
    # A wide console, so that rich does not wrap contract names and import chains.
    env = {**os.environ, "PYTHONPATH": str(cwd), "COLUMNS": "1000"}
    return subprocess.run([*command, "--no-logo", "--no-cache", *args, str(CONFIG)],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def _output(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit code {result.returncode}\n{result.stdout}\n{result.stderr}"


def _python_files_only(folder: str, names: list[str]) -> list[str]:
    """copytree filter: keep folders and ``.py`` files (no data, jars or caches)."""
    return [name for name in names
            if name == "__pycache__"
            or not (name.endswith(".py") or Path(folder, name).is_dir())]


def _package_copy(tmp_path: Path) -> Path:
    """A copy of the package's Python files in ``tmp_path``, with every target package present."""
    copy = tmp_path / "vctrace"
    shutil.copytree(PACKAGE, copy, ignore=_python_files_only)
    for name in TARGET_PACKAGES:
        if not (copy / name / "__init__.py").is_file():
            (copy / f"{name}.py").unlink(missing_ok=True)  # a module the package replaces
            (copy / name).mkdir(exist_ok=True)
            (copy / name / "__init__.py").write_text(f'"""Empty {name} package."""\n')
    return copy


def test_package_keeps_every_contract():
    result = _lint_imports(ROOT)
    assert result.returncode == 0, _output(result)
    assert "0 broken" in result.stdout, _output(result)


@pytest.mark.parametrize(("module", "source", "contract", "contract_name", "planted"), [
    pytest.param("cli/_violation.py", "from vctrace.kg import graph\n",
                 "faces-through-app", "Faces (cli, http, agents) reach the package only",
                 r"vctrace\.cli\._violation -> vctrace\.kg(\.graph)? \(l\.1\)",
                 id="face-imports-kg"),
    pytest.param("traces/_violation.py", "import neo4j\n",
                 "traces-pure", "vctrace.traces is pure",
                 r"vctrace\.traces\._violation -> neo4j \(l\.1\)",
                 id="traces-imports-neo4j"),
    pytest.param("verifiers/_violation.py", "from vctrace.loaders import base\n",
                 "layers", "Layers: faces (cli > http | agents) > app > runs",
                 r"vctrace\.verifiers\._violation -> vctrace\.loaders(\.base)? \(l\.1\)",
                 id="verifier-imports-loader"),
    pytest.param("http/_violation.py", "from vctrace import cli\n",
                 "layers", "Layers: faces (cli > http | agents) > app > runs",
                 r"vctrace\.http\._violation -> vctrace\.cli \(l\.1\)",
                 id="service-imports-cli"),
])
def test_contract_catches_a_planted_import(tmp_path, module, source, contract, contract_name,
                                           planted):
    copy = _package_copy(tmp_path)
    (copy / module).write_text(source)

    result = _lint_imports(tmp_path, "--contract", contract)

    output = _output(result)
    assert result.returncode != 0, output
    assert re.search(rf"{re.escape(contract_name)}.* BROKEN", result.stdout), output
    assert re.search(planted, result.stdout), output
