"""`vctrace ingest` and `vctrace show` against the session's real Neo4j: the lines users and
scripts grep, and the exit statuses."""

import json

import pytest

from vctrace.cli import main

from support.paths import BROKEN_TRACES, DEMO_TRACES


@pytest.fixture
def cli(neo4j, monkeypatch):
    """Global options for the session's server (the password only from the environment)."""
    monkeypatch.setenv("VCTRACE_NEO4J_PASSWORD", neo4j.password)
    return ["--neo4j-uri", neo4j.uri, "--neo4j-user", neo4j.user]


def test_ingest_lines_and_exit_status(cli, tmp_path, capsys):
    broken, demo = str(BROKEN_TRACES), str(DEMO_TRACES)
    assert main([*cli, "ingest", "--no-progress", "--batch-size", "2", demo, broken]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[:6] == [
        f"{demo}: 5 records, 5 written, 0 already stored, 0 invalid (not written)",
        f"{broken}: 3 records, 0 written, 0 already stored, 3 invalid (not written)",
        f"  {broken}:record 1:explain:line 4: error unknown_primitive: inhibits_kinase is not "
        "one of the 20 primitives",
        f"  {broken}:record 2:dag:line 9: error cycle: cycle n3 -> n4 -> n5 -> n6 -> n8 -> n3",
        f"  {broken}:record 3:explain:line 4: error bad_direction: modulates_molecule_activity: "
        "direction 'decreased' is not 'up' or 'down'",
        lines[5]]
    assert lines[5].startswith("total: 5 traces written (42 actions, 35 edges), 0 already "
                               "stored, 3 invalid, in ")
    assert lines[5].endswith(" traces/s)")
    # no knowledge loaded: nothing grounds, and the grounding line says so
    assert lines[6].startswith("grounding: 0 of ") and len(lines) == 7

    assert main([*cli, "ingest", "--no-progress", demo]) == 0
    assert f"{demo}: 5 records, 0 written, 5 already stored, 0 invalid" in \
        capsys.readouterr().out


def test_ingest_an_unreadable_file_exits_one_and_loads_the_others(cli, tmp_path, capsys):
    # issue 9: 2 only when nothing could be read; an unreadable file beside readable ones is 1
    missing = str(tmp_path / "missing.jsonl")
    assert main([*cli, "ingest", "--no-progress", missing, str(DEMO_TRACES)]) == 1
    captured = capsys.readouterr()
    assert captured.err == f"vctrace: {missing}: no such file\n"
    assert missing not in captured.out
    assert "total: 5 traces written" in captured.out


def test_ingest_bulk_refuses_a_configured_server(cli, capsys):
    assert main([*cli, "ingest", "--bulk", str(DEMO_TRACES)]) == 2
    assert capsys.readouterr().err == \
        "vctrace: --bulk imports into the local server only (VCTRACE_NEO4J_URI is set)\n"


def test_show_in_three_formats(cli, capsys):
    assert main([*cli, "ingest", "--no-progress", str(DEMO_TRACES)]) == 0
    capsys.readouterr()
    assert main([*cli, "show", "demo-olaparib-ht-29"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("# trace t-") and "(demo-olaparib-ht-29)\n" in text
    assert "# drug: olaparib; cell line: HT-29; 9 actions" in text
    assert 'binds_to(id="n1", actor="olaparib", target="PARP1"' in text

    assert main([*cli, "show", "demo-olaparib-ht-29", "--format", "json"]) == 0
    form = json.loads(capsys.readouterr().out)
    assert form["trace_id"] == "demo-olaparib-ht-29" and len(form["actions"]) == 9
    assert form["trace_key"].startswith("t-")

    assert main([*cli, "show", form["trace_key"][:10], "--format", "dot"]) == 0
    assert capsys.readouterr().out.startswith("digraph")


def test_show_exit_one_when_nothing_or_several_match(cli, capsys):
    assert main([*cli, "ingest", "--no-progress", str(DEMO_TRACES)]) == 0
    capsys.readouterr()
    assert main([*cli, "show", "no-such-trace"]) == 1
    assert capsys.readouterr().err == "vctrace: no stored trace matches 'no-such-trace'\n"
    assert main([*cli, "show", "demo-"]) == 1
    assert "matches several traces (" in capsys.readouterr().err
