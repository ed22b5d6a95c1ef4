"""`vctrace validate` and the command line's shape (help, usage errors, options that cannot be
combined): nothing here needs a database."""

import json
import subprocess
import sys

import pytest

from vctrace.cli import main

from support.paths import BROKEN_TRACES, DEMO_TRACES


def _strict(text):
    """Parse ``text`` as strict JSON (NaN and infinities refused)."""
    def refuse(constant):
        raise ValueError(f"not strict JSON: {constant}")
    return json.loads(text, parse_constant=refuse)


def test_validate_prints_located_findings_and_a_summary_per_file(capsys):
    broken, demo = str(BROKEN_TRACES), str(DEMO_TRACES)
    assert main(["validate", "--no-progress", demo, broken]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        f"{demo}: 5 records, 5 valid, 0 invalid (0 errors, 0 warnings, 0 info)",
        f"{broken}:record 1:explain:line 4: error unknown_primitive: inhibits_kinase is not one "
        "of the 20 primitives",
        f"{broken}:record 2:dag:line 9: error cycle: cycle n3 -> n4 -> n5 -> n6 -> n8 -> n3",
        f"{broken}:record 3:explain:line 4: error bad_direction: modulates_molecule_activity: "
        "direction 'decreased' is not 'up' or 'down'",
        f"{broken}: 3 records, 0 valid, 3 invalid (3 errors, 0 warnings, 0 info)",
    ]


def test_validate_exit_status_zero_one_two(tmp_path, capsys):
    assert main(["validate", str(DEMO_TRACES)]) == 0
    assert main(["validate", str(BROKEN_TRACES)]) == 1
    assert main(["validate", str(tmp_path / "missing.jsonl"), str(DEMO_TRACES)]) == 2
    captured = capsys.readouterr()
    assert f"vctrace: {tmp_path / 'missing.jsonl'}: no such file\n" in captured.err
    assert f"{DEMO_TRACES}: 5 records, 5 valid" in captured.out  # the readable file still is


def test_validate_json_is_one_strict_report(tmp_path, capsys):
    missing = str(tmp_path / "missing.jsonl")
    assert main(["validate", "--format", "json", str(BROKEN_TRACES), missing]) == 2
    report = _strict(capsys.readouterr().out)
    assert report["valid"] is False and report["unreadable"] == [f"{missing}: no such file"]
    file_report, = report["files"]
    assert (file_report["records"], file_report["valid"], file_report["invalid"]) == (3, 0, 3)
    assert file_report["severity_counts"] == {"error": 3}
    first = file_report["traces"][0]
    assert (first["record"], first["valid"], first["trace_key"]) == (1, False, None)
    assert first["findings"][0] == {
        "code": "unknown_primitive", "severity": "error",
        "message": "inhibits_kinase is not one of the 20 primitives", "record": 1,
        "field": "explain", "line": 4}


def test_min_severity_hides_findings_but_not_their_counts(tmp_path, capsys):
    # an unknown extra argument is a warning; the trace stays valid
    text = ('set_context(cell_type="C32")\n'
            'induces_phenotype(id="n1", source="x", phenotype="arrest", colour="red")\n')
    path = tmp_path / "warned.txt"
    path.write_text(text)
    assert main(["validate", str(path)]) == 0
    assert ": warning unknown_argument: " in capsys.readouterr().out
    assert main(["validate", "--min-severity", "error", str(path)]) == 0
    out = capsys.readouterr().out
    assert ": warning " not in out and "1 valid, 0 invalid (0 errors, 2 warnings" in out


@pytest.mark.parametrize("args, message", [
    (["validate"], "Missing argument 'FILE...'"),
    (["validate", "--min-severity", "fatal", "x.jsonl"], "'fatal' is not one of"),
    (["ingest", "--batch-size", "0", "x.jsonl"], "0 is not in the range x>=1"),
    (["ingest", "--bulk", "--batch-size", "10", "x.jsonl"],
     "--batch-size applies to the transactional ingest, not --bulk"),
    (["show", "t-1", "--format", "svg"], "'svg' is not one of"),
    (["load", "nosuch", "x.csv"], "'nosuch' is not one of"),
    (["query", "traces_by_drug", "--param", "drug"], "wants NAME=VALUE, got 'drug'"),
])
def test_usage_errors_exit_two_before_any_work(args, message, capsys):
    assert main(args) == 2
    assert message in capsys.readouterr().err


def test_help_of_every_command_in_a_fresh_process():
    """The console entry point works on its own, and each of these commands documents
    itself (exit statuses where they matter)."""
    result = subprocess.run([sys.executable, "-m", "vctrace.cli", "--help"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    for name in ("validate", "ingest", "show", "db", "load", "ground", "sources", "query",
                 "cypher"):
        assert f"\n  {name} " in result.stdout, name


@pytest.mark.parametrize("args, expected", [
    (["validate"], "Exit status: 0 every record is valid, 1 some are invalid, 2 a file"),
    (["ingest"], "--batch-size N"),
    (["show"], "--format [text|json|dot]"),
    (["db"], "start"),
    (["db", "status"], "Exit status: 1 the local server is not running"),
    (["load"], "tahoe-de        Tahoe-100M pseudobulk DE"),
    (["load"], "--padj X"),
    (["load"], "--bulk"),
    (["ground"], "--rebuild"),
    (["sources"], "--format [text|json]"),
    (["query"], "--param NAME=VALUE"),
    (["cypher"], "Exit status: 1 the database refuses the query"),
])
def test_help_texts(args, expected, capsys):
    assert main([*args, "--help"]) == 0
    assert expected in " ".join(capsys.readouterr().out.split(" ")), args


def test_load_help_names_every_source_and_the_sources_of_each_option(capsys):
    assert main(["load", "--help"]) == 0
    out = capsys.readouterr().out
    for source in ("harmonizome", "hgnc", "ontology", "primekg", "tahoe-de",
                   "tahoe-metadata"):
        assert f"\n    {source} " in out, source
    assert "tahoe-de: keep calls with padj below this" in out
    assert "harmonizome: the dataset's name" in out
