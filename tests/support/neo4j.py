"""The integration tier's handle on its real Neo4j server, and the cache that lets tests share
one load of the verification knowledge set (see ``tests/integration/conftest.py``)."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

from neo4j import Driver

from vctrace.kg.graph import Graph
from vctrace.kg.server import LocalNeo4j
from vctrace.settings import Settings


@dataclass
class Neo4jServer:
    uri: str
    user: str
    password: str
    driver: Driver
    local: LocalNeo4j | None
    graph: Graph = field(init=False)
    # what the graph holds besides the schema: (name, shape) of a cached load, or None when
    # unknown (any test may have written anything)
    loaded: tuple[str, "Shape"] | None = None

    def __post_init__(self) -> None:
        self.graph = Graph(self.driver, uri=self.uri)

    def settings(self, **overrides) -> Settings:
        """Settings pointing the CLI and library at this server."""
        return Settings(**{"neo4j_uri": self.uri, "neo4j_user": self.user,
                           "neo4j_password": self.password, **overrides})

    @property
    def cli(self) -> list[str]:
        """Global options pointing `vctrace` at this server (the password goes through
        ``VCTRACE_NEO4J_PASSWORD``)."""
        return ["--neo4j-uri", self.uri, "--neo4j-user", self.user]

    def env(self) -> dict[str, str]:
        return dict(os.environ, VCTRACE_NEO4J_URI=self.uri, VCTRACE_NEO4J_USER=self.user,
                    VCTRACE_NEO4J_PASSWORD=self.password)

    def clear(self) -> None:
        """Delete every node and relationship (schema kept)."""
        self.graph.auto_commit("kg/clear_graph")  # batched: some tests load 100k+ nodes
        self.loaded = None


Shape = tuple[tuple[tuple[tuple[str, ...], int], ...], tuple[tuple[str, int], ...], int]

# what verification runs add to a loaded graph, and nothing else does: VerificationRun and
# Verdict nodes (with COVERS, USED_SOURCE, JUDGES) and the Boltz score cache
RUN_LABELS = ("VerificationRun", "Verdict", "BoltzScore")


def shape(driver: Driver) -> Shape:
    """Nodes per label set, relationships per type, and the number of properties in all: a
    cheap fingerprint of the graph's content (what tests that read a shared load could have
    changed besides adding runs)."""
    nodes, _, _ = driver.execute_query(
        "MATCH (n) RETURN labels(n) AS labels, count(*) AS n, sum(size(keys(n))) AS props")
    rels, _, _ = driver.execute_query(
        "MATCH ()-[r]->() RETURN type(r) AS type, count(*) AS n, sum(size(keys(r))) AS props")
    node_counts = Counter()
    props = 0
    for r in nodes:
        node_counts[tuple(sorted(r["labels"]))] += r["n"]
        props += r["props"]
    props += sum(r["props"] for r in rels)
    return (tuple(sorted(node_counts.items())),
            tuple(sorted((r["type"], r["n"]) for r in rels)), props)


def drop_runs(driver: Driver) -> None:
    for label in RUN_LABELS:
        driver.execute_query(f"MATCH (n:{label}) DETACH DELETE n")


def ensure_loaded(server: Neo4jServer, name: str, load: Callable[[Graph], None]) -> None:
    """Make the graph hold exactly what ``load`` writes into an empty graph, loading only when
    needed: when ``name`` is the last cached load, the verification runs tests added since are
    deleted and the graph's shape is compared with the shape right after the load; any
    other difference (a test that refined, ingested or loaded more) means a fresh load."""
    if server.loaded is not None and server.loaded[0] == name:
        drop_runs(server.driver)
        if shape(server.driver) == server.loaded[1]:
            return
    server.clear()
    load(server.graph)
    server.loaded = (name, shape(server.driver))
