"""The flags of `vctrace verify`, generated from the verifiers' options models: every field has
one, the old flag names still exist, and a value a model refuses is refused (exit 2, naming
it) before any database is used."""

from __future__ import annotations

import re

import pytest

from vctrace.cli import main
from vctrace.cli.verification import COMMANDS
from vctrace.verifiers import REGISTRY

# flags of the CLI before the split into app/ and cli/ (scripts use them)
OLD_FLAGS = ("--t", "--padj", "--tau", "--fasta", "--boltz-executable", "--boltz-cache",
             "--boltz-msa", "--boltz-work-dir")
# a server that does not exist: a command that connected would fail with "cannot reach"
NOWHERE = ["--neo4j-uri", "bolt://127.0.0.1:9", "--neo4j-user", "neo4j"]


@pytest.fixture
def help_text(capsys) -> str:
    assert main(["verify", "--help"]) == 0
    return capsys.readouterr().out


def _expected_flag(field: str, info, prefix: str) -> str:
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    return extra.get("cli") or "--" + prefix + field.replace("_", "-")


def test_help_lists_a_flag_for_every_option_of_every_verifier(help_text):
    listed = set(re.findall(r"^\s+(--[a-z0-9-]+)", help_text, flags=re.M))
    expected = {_expected_flag(field, info, cls.cli_prefix): name
                for name, cls in REGISTRY.items()
                for field, info in cls.Options.model_fields.items()}
    assert expected, "no verifier has options?"
    assert set(expected) <= listed, set(expected) - listed
    assert set(OLD_FLAGS) | {"--boltz-devices", "--harmonizome-datasets"} <= listed
    assert {"--traces", "--verifiers", "--run-name", "--batch-size", "--list",
            "--no-progress", "--format"} <= listed
    for name, cls in REGISTRY.items():  # the verifiers and their descriptions are listed too
        assert f"{name}  " in help_text and cls.description[:30] in help_text


@pytest.mark.parametrize("args, names", [
    (["--t", "-1"], ("verifier 'de'", "t:", "greater than or equal to 0")),
    (["--padj", "2"], ("verifier 'de'", "padj:", "less than or equal to 1")),
    (["--tau", "1.5", "--verifiers", "dti-boltz"], ("verifier 'dti-boltz'", "tau:")),
    (["--boltz-devices", "0", "--verifiers", "dti-boltz"], ("'dti-boltz'", "devices:")),
    # refused for a verifier that is not run too, rather than silently ignored
    (["--t", "-1", "--verifiers", "dti-kg"], ("verifier 'de'", "t:")),
])
def test_an_option_its_model_refuses_exits_2_naming_it(capsys, args, names):
    assert main([*NOWHERE, "verify", *args]) == 2
    err = capsys.readouterr().err
    assert all(n in err for n in names), err
    assert "cannot reach" not in err


@pytest.mark.parametrize("args, message", [
    (["--verifiers", "dti-kg,bogus"], "unknown verifier(s) bogus; known: de, dti-boltz, dti-kg, "
     "grounding, pathway, structure"),
    (["--traces", "colour=red"], "field must be drug, cell_line or trace"),
    (["--traces", "drug"], "expected FIELD=VALUE"),
    (["--batch-size", "0"], "--batch-size"),
    (["--t", "high"], "'high' is not a valid float"),
])
def test_bad_verify_arguments_exit_2(capsys, args, message):
    assert main([*NOWHERE, "verify", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "cannot reach" not in err


def test_an_unusable_database_exits_2(capsys):
    assert main([*NOWHERE, "verify", "--no-progress"]) == 2
    assert "cannot reach Neo4j at bolt://127.0.0.1:9" in capsys.readouterr().err


def test_every_verification_command_has_its_docstring_as_help(capsys):
    for command in COMMANDS:
        assert main([command.name, "--help"]) == 0
        out = " ".join(capsys.readouterr().out.split())
        assert out.startswith(f"Usage: vctrace {command.name} ")
        assert " ".join(command.callback.__doc__.split())[:60] in out
    assert [c.name for c in COMMANDS] == ["verify", "report", "audit", "refine", "export"]
    assert main(["export", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--include-discarded" in out and "--keep-refuted-bindings" in out \
        and "--prune-unmeasured" in out
