"""`vctrace token` and `vctrace serve` as a user runs them: tokens printed once and stored as
hashes only; the service a separate process bound to loopback, answering /health without a
token and refusing the API without one, its log free of the token."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

from vctrace.cli import main
from vctrace.kg.server import free_port


def test_token_create_list_revoke(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("VCTRACE_HOME", str(tmp_path))
    assert main(["token", "create", "--role", "write", "--name", "pipeline"]) == 0
    captured = capsys.readouterr()
    token = captured.out.strip()
    assert token.startswith("vct_") and "shown only now" in captured.err
    assert main(["token", "create", "--role", "read"]) == 0
    capsys.readouterr()
    assert main(["token", "list", "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(t["name"], t["role"], t["revoked_at"]) for t in listed][0] == ("pipeline", "write",
                                                                            None)
    assert token not in json.dumps(listed) and token not in (tmp_path / "tokens.json").read_text()
    assert main(["token", "revoke", "pipeline"]) == 0
    assert "revoked token" in capsys.readouterr().out
    assert main(["token", "revoke", "nobody"]) == 1
    assert "no token with id or name 'nobody'" in capsys.readouterr().err
    assert main(["token", "create", "--role", "admin"]) == 2  # not a role


def test_a_world_readable_token_file_is_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("VCTRACE_HOME", str(tmp_path))
    assert main(["token", "create", "--role", "read"]) == 0
    capsys.readouterr()
    (tmp_path / "tokens.json").chmod(0o644)
    assert main(["token", "list"]) == 2
    assert "readable by others" in capsys.readouterr().err


def _get(url: str, token: str | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"}
                                     if token else {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_serve_binds_loopback_and_keeps_tokens_out_of_its_log(neo4j, tmp_path):
    env = dict(neo4j.env(), VCTRACE_HOME=str(tmp_path))
    created = subprocess.run([sys.executable, "-m", "vctrace.cli", "token", "create", "--role",
                              "read"], env=env, capture_output=True, text=True, check=True)
    token = created.stdout.strip()
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        process = subprocess.Popen([sys.executable, "-m", "vctrace.cli", "serve", "--port",
                                    str(port)], env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, body = _get(f"http://127.0.0.1:{port}/health")
                break
            except OSError:
                assert process.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        assert status == 200 and json.loads(body)["database"] == "reachable"
        assert _get(f"http://127.0.0.1:{port}/sources")[0] == 401
        assert _get(f"http://127.0.0.1:{port}/sources", token)[0] == 200
        listening = subprocess.run(["ss", "-ltnH", f"sport = :{port}"], capture_output=True,
                                   text=True).stdout
        if listening:  # ss is there: the only listener is on loopback
            assert all(line.split()[3].startswith("127.0.0.1:")
                       for line in listening.splitlines()), listening
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(30)
    text = log.read_text()
    assert token not in text and token.split("_")[-1] not in text
    assert neo4j.password not in text
    assert f"http://127.0.0.1:{port}" in text
