"""`vctrace db …` against the session's real Neo4j (a configured server: nothing to start or
stop) and a local server that is not running."""

import subprocess
import sys

from vctrace.cli import main

from support.paths import DEMO_TRACES


def test_db_commands_on_a_configured_server(neo4j):
    def run(*args, **env):
        return subprocess.run([sys.executable, "-m", "vctrace.cli", *args], capture_output=True,
                              text=True, env={**neo4j.env(), **env}, timeout=120)

    assert run("ingest", "--no-progress", str(DEMO_TRACES)).returncode == 0
    status = run("db", "status")
    assert status.returncode == 0
    assert status.stdout == (f"connected to {neo4j.uri}: 5 traces, 42 actions, 35 edges, "
                             "42 claims, 61 mentions, 5 drugs, 4 cell lines\n")
    for action in ("start", "stop"):
        done = run("db", action)
        assert done.returncode == 0
        assert done.stdout == (f"using the Neo4j at {neo4j.uri} (VCTRACE_NEO4J_URI); nothing "
                               f"to {action}\n")
    init = run("db", "init")
    assert init.returncode == 0 and init.stdout.startswith(f"schema ready on {neo4j.uri}: ")
    assert init.stdout.endswith(" constraints and indexes\n")
    refused = run("db", "status", VCTRACE_NEO4J_PASSWORD="wrong")
    assert refused.returncode == 2 and "refused the credentials" in refused.stderr


def test_db_status_and_stop_of_a_local_server_not_running(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("VCTRACE_NEO4J_URI", raising=False)
    home = ["--home", str(tmp_path)]
    assert main([*home, "db", "status"]) == 1
    assert capsys.readouterr().out == f"local Neo4j: not running (home {tmp_path / 'neo4j'})\n"
    assert main([*home, "db", "stop"]) == 0
    assert capsys.readouterr().out == "Neo4j was not running\n"
    assert main([*home, "db", "init"]) == 2
    assert "run `vctrace db start` first" in capsys.readouterr().err
