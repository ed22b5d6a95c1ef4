"""The database use cases (vctrace.app.database): a configured server is used as it is
(nothing to start or stop), status counts what the graph holds, and the local server's whole
state of a local server that is not running (its whole lifecycle: test_neo4j_server.py)."""

import pytest

from vctrace.app import database, traces
from vctrace.kg.graph import NoServerError
from vctrace.kg.server import free_port
from vctrace.settings import Settings

from support.paths import DEMO_TRACES


def _local_settings(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    jars = Settings().lib_dir
    (home / jars.name).symlink_to(jars)
    return Settings(home=home, bolt_port=free_port(), heap="512m", pagecache="128m")


def test_a_configured_server_is_not_started_or_stopped(neo4j):
    settings = neo4j.settings()
    for use_case in (database.start, database.stop):
        result = use_case(settings)
        assert result.local is None and result.uri == neo4j.uri
        assert result.was_running is None and result.schema_statements is None
    assert database.local_server(settings) is None


def test_status_counts_what_the_graph_holds(neo4j):
    settings = neo4j.settings()
    assert database.status(settings).summary == {
        "traces": 0, "actions": 0, "edges": 0, "claims": 0, "mentions": 0, "drugs": 0,
        "cell_lines": 0}
    traces.ingest(settings, [DEMO_TRACES])
    summary = database.status(settings).summary
    assert (summary["traces"], summary["actions"], summary["edges"]) == (5, 42, 35)


def test_init_creates_the_schema_idempotently(neo4j):
    first = database.init(neo4j.settings())
    assert first.schema_statements > 20
    assert database.init(neo4j.settings()).schema_statements == first.schema_statements


def test_a_local_server_that_is_not_running(tmp_path):
    settings = _local_settings(tmp_path)
    status = database.status(settings)  # reported, not raised; nothing connects
    assert status.local.running is False and status.summary is None
    assert status.local.server_dir == settings.server_dir
    assert database.stop(settings).stopped is False
    with pytest.raises(NoServerError, match="run `vctrace db start` first"):
        database.init(settings)
