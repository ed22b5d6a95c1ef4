"""Local server hygiene (issue 9): the password never in a process's arguments, an owner-only
store, no orphan server when the pid file cannot be written, the free-space guard, no
authentication lockout, LOAD CSV without file access and a per-transaction memory cap."""

from __future__ import annotations

import os
import socket
import stat
import threading
import time
from pathlib import Path

import pytest
from neo4j import GraphDatabase
from neo4j.exceptions import AuthError, ClientError, Neo4jError

from vctrace.app.graph_session import check_free_space
from vctrace.kg.server import LocalNeo4j, ServerError, free_port
from vctrace.settings import Settings, default_heap


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _cmdlines() -> dict[int, bytes]:
    out = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                out[int(entry)] = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                pass
    return out


def _server(root: Path, **kw) -> LocalNeo4j:
    settings = Settings()
    return LocalNeo4j(root=root, lib_dir=settings.lib_dir, port=free_port(),
                      version=settings.neo4j_version, heap=kw.pop("heap", "512m"),
                      pagecache="64m", start_timeout_s=180, **kw)


@pytest.mark.slow
def test_a_fresh_server_keeps_its_password_and_store_to_itself(tmp_path):
    """One fresh start, watched: no process's arguments ever hold the password; then the
    modes, the lockout, LOAD CSV of files and the transaction memory cap."""
    server = _server(tmp_path / "neo4j")
    seen: set[bytes] = set()
    polls = [0]
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            seen.update(_cmdlines().values())
            polls[0] += 1
            time.sleep(0.002)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        server.start()
    finally:
        stop.set()
        watcher.join()
    try:
        password = server.password().encode()
        assert polls[0] > 50
        assert any(b"AdminTool" in c or b".args" in c for c in seen), "admin tool not seen"
        assert any(b"CommunityEntryPoint" in c for c in seen)
        assert not [c for c in seen if password in c]
        assert not list((server.root / "run").glob("*.args"))  # the argfile is gone

        # owner-only: the root 700, the password 600, nothing under the root for others
        assert stat.S_IMODE(server.root.stat().st_mode) == 0o700
        assert stat.S_IMODE(server.password_file.stat().st_mode) == 0o600
        readable = [p for p in server.root.rglob("*")
                    if not p.is_symlink() and p.stat().st_mode & 0o007]
        assert readable == []
        assert list((server.root / "data").rglob("auth.ini"))

        conf = (server.root / "conf" / "neo4j.conf").read_text()
        assert "dbms.security.allow_csv_import_from_file_urls=false" in conf
        assert "db.memory.transaction.max=256m" in conf  # half of the 512m heap

        # five wrong passwords do not lock the right one out
        for _ in range(5):
            with GraphDatabase.driver(server.uri, auth=("neo4j", "wrong")) as driver:
                with pytest.raises(AuthError):
                    driver.verify_connectivity()
        with GraphDatabase.driver(server.uri, auth=("neo4j", server.password())) as driver:
            driver.verify_connectivity()
            (server.root / "import" / "x.csv").write_text("a\n1\n")
            with pytest.raises(ClientError, match="(?i)file"):
                driver.execute_query("LOAD CSV FROM 'file:///x.csv' AS row RETURN row")
            with driver.session() as session, \
                    pytest.raises(Neo4jError, match="db.memory.transaction.max"):
                session.run("UNWIND range(1, 20000000) AS i "
                            "RETURN collect(toString(i)) AS xs").consume()
            records, _, _ = driver.execute_query("RETURN 1 AS one")
            assert records[0]["one"] == 1
    finally:
        server.stop()
    assert not _port_open(server.port)


def _java_of(root: Path) -> list[int]:
    needle = str(root.resolve()).encode()
    return [pid for pid, c in _cmdlines().items() if needle in c and b"java" in c]


@pytest.mark.slow
def test_a_pid_file_that_cannot_be_written_leaves_no_server_running(tmp_path):
    server = _server(tmp_path / "neo4j")
    (server.root / "run" / "vctrace.pid").mkdir(parents=True)  # a directory: not writable
    with pytest.raises(ServerError, match="pid file"):
        server.start()
    assert _java_of(server.root) == []
    assert not _port_open(server.port)
    assert server.pid() is None and not server.is_running()


def test_the_free_space_guard_refuses_to_start(tmp_path):
    server = _server(tmp_path / "neo4j", min_free_mb=1e12)
    with pytest.raises(ServerError, match="MB free on the filesystem(.|\n)*VCTRACE_MIN_FREE_MB"):
        server.start()
    assert _java_of(server.root) == [] and not server.password_file.exists()
    settings = Settings(home=tmp_path, min_free_mb=1e12)
    with pytest.raises(ServerError, match="MB free"):
        check_free_space(settings)
    check_free_space(Settings(home=tmp_path, min_free_mb=0))
    check_free_space(Settings(home=tmp_path, min_free_mb=1))
    check_free_space(Settings(home=tmp_path, neo4j_uri="bolt://x:1", min_free_mb=1e12))


def test_the_default_heap_is_a_quarter_of_the_memory_between_1g_and_8g(monkeypatch):
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    expected = max(1, min(8, int(total / 2**30 / 4)))
    assert default_heap() == f"{expected}g"
    assert Settings().heap == f"{expected}g" or "VCTRACE_HEAP" in os.environ
    monkeypatch.setenv("VCTRACE_HEAP", "700m")
    assert Settings().heap == "700m"
