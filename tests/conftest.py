"""Shared fixtures. The Neo4j tests run against a real Neo4j 5.26 server that this test session
starts itself (free port, temporary directory, authentication on) and stops at the end; the
jars come from Maven Central into the vctrace home (``VCTRACE_HOME``, cached between runs).
Set ``VCTRACE_TEST_NEO4J_URI`` (+ ``_USER``/``_PASSWORD``) to run them against another server
instead; it will be wiped between tests.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest
from neo4j import Driver, GraphDatabase

from vctrace import cypher
from vctrace.kg.schema import init_schema
from vctrace.kg.server import LocalNeo4j, ServerError, free_port
from vctrace.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def _shared() -> Path:
    """The project's shared folder (real data fixtures), beside the repository."""
    for candidate in (os.environ.get("VCTRACE_SHARED"), ROOT.parent / "shared", "/work/shared"):
        if candidate and (Path(candidate) / "data").is_dir():
            return Path(candidate)
    raise RuntimeError("shared/data not found beside the repository; set VCTRACE_SHARED")


SHARED = _shared()
SAMPLES = SHARED / "data" / "traces-sample"
TAHOE = SHARED / "data" / "tahoe"
EXAMPLES = ROOT / "vctrace" / "examples"
SAMPLE_FILES = sorted(SAMPLES.glob("*.jsonl"))


@dataclass
class Neo4jServer:
    uri: str
    user: str
    password: str
    driver: Driver
    local: LocalNeo4j | None

    def settings(self, **overrides) -> Settings:
        """Settings pointing the CLI and library at this server."""
        return Settings(neo4j_uri=self.uri, neo4j_user=self.user,
                        neo4j_password=self.password, **overrides)

    def env(self) -> dict[str, str]:
        return dict(os.environ, VCTRACE_NEO4J_URI=self.uri, VCTRACE_NEO4J_USER=self.user,
                    VCTRACE_NEO4J_PASSWORD=self.password)


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
    init_schema(driver)
    try:
        yield Neo4jServer(uri, user, password, driver, local)
    finally:
        driver.close()
        if local is not None:
            local.stop()


@pytest.fixture
def neo4j(neo4j_server) -> Neo4jServer:
    """The session's server with an empty graph (schema kept)."""
    with neo4j_server.driver.session() as session:  # batched: some tests load 100k+ nodes
        session.run(cypher.load("clear_graph")).consume()
    return neo4j_server


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "neo4j" in getattr(item, "fixturenames", ()) or \
                "neo4j_server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.neo4j)
