"""Fixtures of the integration tier. The Neo4j tests run against a real Neo4j 5.26 server that
this test session starts itself (free port, temporary directory, authentication on) and stops at
the end; the jars come from Maven Central into the vctrace home (``VCTRACE_HOME``, cached
between runs). Set ``VCTRACE_TEST_NEO4J_URI`` (+ ``_USER``/``_PASSWORD``) to run them against
another server instead; it will be wiped between tests.

``neo4j`` gives a test an empty graph. ``kb`` gives it the verification knowledge set
(:mod:`support.knowledge`) loaded once and shared by every test that only adds verification
runs to it: before each such test the runs are deleted and the graph compared with its shape
right after the load, and anything else that changed makes a fresh load.
"""

from __future__ import annotations

import os
import warnings

import pytest
from neo4j import GraphDatabase

from vctrace.kg.schema import init_schema
from vctrace.kg.server import LocalNeo4j, ServerError, free_port
from vctrace.settings import Settings

from support.api import api_client
from support.knowledge import load_demo_knowledge, load_knowledge_and_traces
from support.neo4j import Neo4jServer, ensure_loaded


@pytest.fixture(scope="session")
def neo4j_server(tmp_path_factory) -> Neo4jServer:
    uri = os.environ.get("VCTRACE_TEST_NEO4J_URI")
    local = None
    if uri:
        user = os.environ.get("VCTRACE_TEST_NEO4J_USER", "neo4j")
        password = os.environ.get("VCTRACE_TEST_NEO4J_PASSWORD", "")
    else:
        settings = Settings()
        for attempt in (1, 2):  # a second try on a fresh port if the first was taken meanwhile
            local = LocalNeo4j(root=tmp_path_factory.mktemp("neo4j"), lib_dir=settings.lib_dir,
                               port=free_port(), version=settings.neo4j_version, heap="768m",
                               pagecache="256m", start_timeout_s=180)
            try:
                local.start()
                break
            except ServerError as exc:
                if attempt == 2:
                    raise
                warnings.warn(f"test Neo4j did not start, trying again: {exc}")
        uri, user, password = local.uri, "neo4j", local.password()
    driver = GraphDatabase.driver(uri, auth=(user, password), notifications_min_severity="OFF")
    server = Neo4jServer(uri, user, password, driver, local)
    init_schema(server.graph)
    try:
        yield server
    finally:
        driver.close()
        if local is not None:
            local.stop()


@pytest.fixture
def neo4j(neo4j_server) -> Neo4jServer:
    """The session's server with an empty graph (schema kept)."""
    neo4j_server.clear()
    return neo4j_server


@pytest.fixture
def graph(neo4j):
    """The gateway to the session's server, with an empty graph."""
    return neo4j.graph


@pytest.fixture(scope="session")
def knowledge_folder(tmp_path_factory):
    """Where the knowledge set's source files are written (once per session)."""
    return tmp_path_factory.mktemp("knowledge")


@pytest.fixture
def kb(neo4j_server, knowledge_folder) -> Neo4jServer:
    """The server holding the knowledge set and its two grounded traces, and no runs."""
    ensure_loaded(neo4j_server, "knowledge",
                  lambda graph: load_knowledge_and_traces(graph, knowledge_folder))
    return neo4j_server


@pytest.fixture
def demo(neo4j_server) -> Neo4jServer:
    """The server holding exactly the bundled demo knowledge set (DE included) and no
    traces: loaded once, and again only when a test changed the graph."""
    ensure_loaded(neo4j_server, "demo-knowledge",
                  lambda graph: load_demo_knowledge(neo4j_server))
    return neo4j_server


@pytest.fixture
def api(neo4j, tmp_path):
    """The HTTP service over the session's server (empty graph): ``api.get/post`` send a read
    or write token; ``api.client`` sends what the test gives it."""
    with api_client(neo4j.settings(), tmp_path) as client:
        yield client


@pytest.fixture
def kb_api(kb, tmp_path):
    """The HTTP service over the knowledge set (:func:`kb`)."""
    with api_client(kb.settings(), tmp_path) as client:
        yield client


def pytest_collection_modifyitems(config, items):
    for item in items:
        if {"neo4j", "neo4j_server", "kb", "graph", "api", "kb_api", "demo"} & set(
                getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.neo4j)
