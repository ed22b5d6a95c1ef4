"""`vctrace validate` and `--help`: output, JSON, exit status 0/1/2. No database involved.
(`vctrace validate` on the shared real samples: integration/test_samples.py.)"""

import json
import subprocess
import sys

import pytest

from vctrace.cli import main

from support.paths import DEMO_TRACES, EXAMPLES


def _noted_file(tmp_path):
    """One valid record with an info finding (an argument alias) and a warning (an unknown
    set_context argument) on its first line."""
    path = tmp_path / "noted.jsonl"
    path.write_text(json.dumps({
        "perturbation": {"context": [{"cell type": "A549"}], "perturbations": [{"name": "x"}]},
        "explain": 'set_context(cell_type="A549", disease_model="lung", confidence="high")\n'
                   'induces_phenotype(id="n1", source="x", phenotype="death")',
        "dag": ""}) + "\n")
    return path


def test_valid_files_exit_zero_with_a_summary_per_file(capsys, tmp_path):
    noted = _noted_file(tmp_path)
    assert main(["validate", str(DEMO_TRACES), str(noted)]) == 0
    out = capsys.readouterr().out
    assert "demo_traces.jsonl: 5 records, 5 valid, 0 invalid" in out
    assert "noted.jsonl: 1 records, 1 valid, 0 invalid" in out
    assert "record 1:explain:line 1: info argument_alias" in out


def test_invalid_records_exit_one_and_every_error_is_located(capsys):
    broken = str(EXAMPLES / "broken_traces.jsonl")
    assert main(["validate", broken, str(DEMO_TRACES)]) == 1
    out = capsys.readouterr().out
    assert f"{broken}:record 1:explain:line 4: error unknown_primitive" in out
    assert f"{broken}:record 2:dag:line 9: error cycle" in out
    assert f"{broken}:record 3:explain:line 4: error bad_direction" in out
    assert "3 records, 0 valid, 3 invalid" in out


def test_unreadable_file_exits_two(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "nope.jsonl"), str(DEMO_TRACES)]) == 2
    captured = capsys.readouterr()
    assert "nope.jsonl: no such file" in captured.err
    assert "5 valid" in captured.out  # the readable file is still reported


def test_json_output(capsys):
    assert main(["validate", "--format", "json", str(EXAMPLES / "broken_traces.jsonl")]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["valid"] is False
    file_report, = report["files"]
    assert (file_report["records"], file_report["invalid"]) == (3, 3)
    codes = [f["code"] for t in file_report["traces"] for f in t["findings"]]
    assert codes == ["unknown_primitive", "cycle", "bad_direction"]
    assert file_report["traces"][0]["findings"][0]["line"] == 4


def test_min_severity_filters_output(capsys, tmp_path):
    noted = str(_noted_file(tmp_path))
    main(["validate", noted])
    out = capsys.readouterr().out
    assert ": info " in out and ": warning " in out
    main(["validate", "--min-severity", "error", noted, str(DEMO_TRACES)])
    out = capsys.readouterr().out
    assert ": info " not in out and ": warning " not in out
    assert "1 records, 1 valid" in out and "5 records, 5 valid" in out


def test_help_from_the_module_entry_point():
    result = subprocess.run([sys.executable, "-m", "vctrace.cli", "--help"],
                            capture_output=True, text=True)
    assert result.returncode == 0
    assert result.stdout.startswith("Usage: vctrace")


@pytest.mark.parametrize("args", [[], ["validate"], ["db"], ["db", "start"], ["ingest"],
                                  ["show"], ["demo"]])
def test_help_for_every_command(args, capsys):  # in-process: a subprocess each costs seconds
    assert main([*args, "--help"]) == 0
    assert capsys.readouterr().out.startswith("Usage: vctrace")


def test_usage_errors_exit_two():
    result = subprocess.run([sys.executable, "-m", "vctrace.cli", "validate"],
                            capture_output=True, text=True)
    assert result.returncode == 2 and "Missing argument 'FILE...'" in result.stderr


def test_unreachable_database_fails_fast_with_one_line(monkeypatch, capsys):
    import time

    from vctrace.kg.server import free_port
    monkeypatch.setenv("VCTRACE_NEO4J_PASSWORD", "irrelevant")
    started = time.monotonic()
    code = main(["--neo4j-uri", f"bolt://127.0.0.1:{free_port()}", "show", "t-0"])
    assert code == 2 and time.monotonic() - started < 10
    err = capsys.readouterr().err
    assert err.startswith("vctrace: cannot reach Neo4j at bolt://127.0.0.1:") and \
        err.count("\n") == 1


def test_local_database_not_started(tmp_path, capsys):
    assert main(["--home", str(tmp_path), "show", "t-0"]) == 2
    assert "run `vctrace db start` first" in capsys.readouterr().err
