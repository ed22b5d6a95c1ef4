"""The local Neo4j runtime: a real server from Maven Central jars, auth on, clean stop."""

import socket

import pytest
from neo4j import GraphDatabase
from neo4j.exceptions import AuthError

from vctrace.app import database
from vctrace.kg.schema import init_schema, schema_names
from vctrace.kg.server import LocalNeo4j, ServerError, free_port
from vctrace.settings import Settings


def _port_open(port):
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_session_server_requires_authentication(neo4j_server):
    with GraphDatabase.driver(neo4j_server.uri, auth=("neo4j", "wrong-password")) as driver:
        with pytest.raises(AuthError):
            driver.verify_connectivity()
    records, _, _ = neo4j_server.driver.execute_query("CALL dbms.components() YIELD versions")
    assert records[0]["versions"][0].startswith("5.26")


def test_schema_init_is_idempotent(neo4j):
    before = schema_names(neo4j.graph)
    assert init_schema(neo4j.graph) > 0
    after = schema_names(neo4j.graph)
    assert before == after
    assert {"trace_key", "claim_key", "mention_key"} <= after


@pytest.mark.slow
def test_start_stop_restart_keeps_data(tmp_path):
    """The local server's lifecycle through the use cases of ``vctrace db``: start (install,
    conf on 127.0.0.1, password file 600, schema), start again (a no-op), stop, restart with
    the data kept."""
    home = tmp_path / "home"
    home.mkdir()
    (home / Settings().lib_dir.name).symlink_to(Settings().lib_dir)
    settings = Settings(home=home, bolt_port=free_port(), heap="512m", pagecache="64m")
    try:
        started = database.start(settings)
        assert started.was_running is False and started.start_seconds > 0
        assert started.local.running and started.schema_statements > 20
        assert _port_open(settings.bolt_port)
        server = LocalNeo4j.from_settings(settings)
        assert (server.root / "conf" / "neo4j.conf").read_text().count("127.0.0.1") >= 3
        assert oct(server.password_file.stat().st_mode)[-3:] == "600"
        again = database.start(settings)
        assert again.was_running is True and again.start_seconds is None
        assert again.local.pid == started.local.pid
        with GraphDatabase.driver(server.uri, auth=("neo4j", server.password())) as driver:
            driver.execute_query("CREATE (:Probe {value: 42})")
        assert database.status(settings).local.pid == started.local.pid
        stopped = database.stop(settings)
        assert stopped.stopped is True and not stopped.local.running
        assert not _port_open(settings.bolt_port)
        assert database.stop(settings).stopped is False
        assert database.status(settings).local.running is False
        assert database.start(settings).local.pid != started.local.pid
        with GraphDatabase.driver(server.uri, auth=("neo4j", server.password())) as driver:
            records, _, _ = driver.execute_query("MATCH (p:Probe) RETURN p.value AS v")
            assert [r["v"] for r in records] == [42]
    finally:
        database.stop(settings)


def test_busy_port_gives_a_clear_error(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        server = LocalNeo4j(root=tmp_path / "srv", lib_dir=Settings().lib_dir,
                            port=sock.getsockname()[1])
        with pytest.raises(ServerError, match="already in use"):
            server.start()
