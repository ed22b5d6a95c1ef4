"""The test tiers (``tests/unit``: no server, no shared data, no Java, seconds;
``tests/integration``: the real Neo4j the session starts, Java, the shared real data) and what
both share: the ``support`` helpers (``tests/`` is on pytest's ``pythonpath``) and the skipping of
tests marked ``shared_data`` when the shared folder is absent.

Test modules never import each other or a conftest: helpers live in ``tests/support``,
fixtures in the conftest of their tier.

``--neo4j-scheme=neo4j`` (or ``VCTRACE_TEST_SCHEME=neo4j``) runs the integration tier through
routing: the session's server (``neo4j_server``, however it was started) is reached with a
``neo4j://`` URI, so every test, CLI subprocess and HTTP service of the session goes through
the driver's routing table, as with a cluster or Aura. The default is ``bolt`` (direct).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytest.register_assert_rewrite("support")

from support.boltz import FASTA, write_fake_boltz  # noqa: E402  (after the rewrite hook)
from support.paths import SHARED, SHARED_MISSING  # noqa: E402
from support.routing import routed_uri  # noqa: E402

UNIT = Path(__file__).resolve().parent / "unit"
SCHEMES = ("bolt", "neo4j")


def pytest_addoption(parser):
    parser.addoption("--neo4j-scheme", choices=SCHEMES, default=None,
                     help="how the integration tier reaches its Neo4j: bolt (direct, the "
                     "default) or neo4j (through the routing table, as a cluster); default "
                     "from VCTRACE_TEST_SCHEME")


def neo4j_scheme(config) -> str:
    scheme = config.getoption("--neo4j-scheme") or os.environ.get("VCTRACE_TEST_SCHEME", "bolt")
    if scheme not in SCHEMES:
        raise pytest.UsageError(f"VCTRACE_TEST_SCHEME={scheme!r}: expected one of {SCHEMES}")
    return scheme


def pytest_report_header(config):
    return f"neo4j scheme: {neo4j_scheme(config)}"


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef, request):
    """With the neo4j scheme, the session's server handle is switched to a ``neo4j://`` URI
    and a routing driver as soon as the tier's ``neo4j_server`` fixture made it (the tier's
    conftest stays scheme-agnostic)."""
    server = yield
    if fixturedef.argname == "neo4j_server" and neo4j_scheme(request.config) == "neo4j":
        from neo4j import GraphDatabase

        from vctrace.kg.graph import Graph

        server.uri = routed_uri(server.uri)
        server.driver = GraphDatabase.driver(server.uri, auth=(server.user, server.password),
                                             notifications_min_severity="OFF")
        server.driver.verify_connectivity()
        server.graph = Graph(server.driver, uri=server.uri)
        fixturedef.addfinalizer(server.driver.close)
    return server


def pytest_collection_modifyitems(config, items):
    skip_shared = pytest.mark.skip(reason=SHARED_MISSING)
    for item in items:
        if item.get_closest_marker("shared_data") is None:
            continue
        if UNIT in Path(item.path).resolve().parents:
            raise pytest.UsageError(f"{item.nodeid}: a unit test must not need the shared data")
        if SHARED is None:
            item.add_marker(skip_shared)


# the dti-boltz inputs, used by both tiers' Boltz tests
@pytest.fixture
def fake(tmp_path) -> str:
    """An executable `boltz` stand-in in the test's folder; its path."""
    return write_fake_boltz(tmp_path)


@pytest.fixture
def fasta(tmp_path):
    """The test targets as a UniProt FASTA file."""
    path = tmp_path / "targets.fasta"
    path.write_text(FASTA)
    return path
