"""vctrace through routing (issue 14, part 2): the session's server reached with a ``neo4j://``
URI, as a cluster or Aura would be. Reads must go out as READ transactions (which a cluster
routes to followers; the driver's BEGIN says ``mode: 'r'``), writes as WRITE transactions, and
ingest, verify, audit, the query gate and the HTTP service must work unchanged. Lost
connections (what a client sees when a leader goes away) are provoked for real by a TCP relay
that drops the connection at a given statement: managed transactions are retried by the
driver, ``auto_commit`` (``CALL … IN TRANSACTIONS``) by the gateway.

The driver's own wire log (``neo4j`` logger at DEBUG) is the witness of what was sent."""

from __future__ import annotations

import secrets
import threading
from urllib.parse import urlsplit

import pytest
from neo4j import GraphDatabase
from neo4j.exceptions import ClientError

from vctrace.app import queries, traces
from vctrace.app.audit import ClaimAudit, TraceAudit, audit
from vctrace.app.verification import VerifyRequest, verify
from vctrace.kg import graph as graph_module
from vctrace.kg import read_only
from vctrace.kg.graph import Graph, Statement, StatementRejected
from vctrace.kg.read_only import QueryRefused, run_read_only

from support.api import api_client
from support.paths import DEMO_TRACES
from support.routing import DroppingRelay, bolt_messages, direct_uri, routed_uri


def _routed(server, **overrides):
    """Settings reaching the session's server through routing."""
    return server.settings(neo4j_uri=routed_uri(server.uri), **overrides)


def _count(server, query: str) -> int:
    records, _, _ = server.driver.execute_query(query)
    return records[0][0]


@pytest.fixture
def relay(neo4j):
    """A dropping relay in front of the session's server, and a graph (bolt://, through the
    relay) using it."""
    address = urlsplit(direct_uri(neo4j.uri))
    if address.scheme != "bolt":
        pytest.skip("the relay speaks plain Bolt only (not TLS)")
    proxy = DroppingRelay(address.hostname, address.port)
    driver = GraphDatabase.driver(f"bolt://127.0.0.1:{proxy.port}",
                                  auth=(neo4j.user, neo4j.password),
                                  notifications_min_severity="OFF")
    try:
        yield proxy, Graph(driver, uri=f"bolt://127.0.0.1:{proxy.port}")
    finally:
        driver.close()
        proxy.close()


def test_the_local_server_routes_to_itself_and_reads_are_read_transactions(neo4j):
    settings = _routed(neo4j)
    assert settings.uri.startswith("neo4j://")
    with bolt_messages() as bolt, Graph.connect(settings) as graph:
        assert graph.read("kg/ping")
        graph.write(Statement("MERGE (n:RoutingProbe {key: 'w'}) RETURN n.key AS key"))
        # a write sent as a read is refused by the database: the READ mode is real
        with pytest.raises(StatementRejected, match="AccessMode|read access mode"):
            graph.read(Statement("CREATE (n:RoutingProbe {key: 'r'}) RETURN n"))
    assert bolt.routes(), "a neo4j:// driver asks the server for its routing table"
    # the routing table names the server's real address (advertised), so the reads and the
    # write went back to it: one READ BEGIN per read, one WRITE BEGIN for the write
    assert len(bolt.read_begins()) == 2 and len(bolt.write_begins()) == 1
    assert _count(neo4j, "MATCH (n:RoutingProbe) RETURN count(n)") == 1


def test_ingest_through_routing_reads_its_own_writes(neo4j):
    settings = _routed(neo4j)
    with bolt_messages() as bolt:
        first = traces.ingest(settings, [DEMO_TRACES], batch_size=2)
    assert (first.total.written, first.total.existing) == (5, 0)
    assert bolt.write_begins() and bolt.read_begins()
    # the look-ups of existing traces (reads, on followers in a cluster) see the writes
    # before them: the sessions share the bookmarks of read/write
    again = traces.ingest(settings, [DEMO_TRACES])
    assert (again.total.written, again.total.existing) == (0, 5)
    assert _count(neo4j, "MATCH (t:Trace) RETURN count(t)") == 5


def test_verify_and_audit_through_routing(kb):
    settings = _routed(kb)
    with bolt_messages() as bolt:
        result = verify(settings, VerifyRequest(run_name="routed"))
    assert result.traces == 2
    by_name = {v.name: v for v in result.verifiers}
    assert by_name["dti-kg"].counts == {"supported": 2, "unverifiable": 2}
    assert result.counts["structure"] == {"supported": 2}
    assert bolt.routes() and bolt.read_begins() and bolt.write_begins()

    trace = audit(settings, "wrong-trametinib-c32")
    assert isinstance(trace, TraceAudit) and list(trace.runs) == ["routed"]
    egfr, = [a for a in trace.actions if a.action == "n2"]
    claim = audit(settings, egfr.claim_key, run="routed")
    assert isinstance(claim, ClaimAudit)
    dti, = [v for v in claim.verdicts if v.verifier == "dti-kg"]
    assert (dti.status, dti.reason) == ("unverifiable", "not_in_curated_targets")


def test_the_query_gate_runs_user_queries_in_read_transactions(neo4j):
    neo4j.driver.execute_query("CREATE (:Trace {key: 't-keep'})")
    settings = _routed(neo4j)
    with bolt_messages() as bolt:
        result = queries.run_cypher(settings, "MATCH (t:Trace) RETURN t.key AS key")
    assert result.rows == [["t-keep"]]
    tagged = [line for line in bolt.begins() if "vctrace_query" in line]
    assert tagged and all("'mode': 'r'" in line for line in tagged)
    # refused by the plan check, and nothing written
    for text in ("CREATE (:Trace {key: 't-new'})", "MATCH (t:Trace) DETACH DELETE t"):
        with pytest.raises(QueryRefused, match="writes to the graph"):
            queries.run_cypher(settings, text)
    # past the plan check, the database itself refuses a write in the gate's transaction
    with Graph.connect(settings) as graph, pytest.raises(ClientError, match="AccessMode"):
        read_only._run(graph, "CREATE (:Trace {key: 't-sneaked'})", {}, 10, 10,
                       {"vctrace_query": "test"}, threading.Event())
    assert _count(neo4j, "MATCH (t:Trace) RETURN count(t)") == 1


def test_the_service_through_routing(neo4j, tmp_path):
    body = DEMO_TRACES.read_text()
    with api_client(_routed(neo4j), tmp_path) as api:
        assert api.client.get("/health").status_code == 200
        ingested = api.post("/traces", content=body,
                            headers={"Content-Type": "application/x-ndjson"})
        assert ingested.status_code == 200, ingested.text
        assert ingested.json()["totals"]["written"] == 5
        listing = api.get("/traces")
        assert listing.status_code == 200, listing.text
        assert listing.json()["total"] == 5
        counted = api.post("/cypher", role="read",
                           json={"query": "MATCH (t:Trace) RETURN count(t) AS n"})
        assert counted.status_code == 200 and counted.json()["rows"] == [[5]]
        refused = api.post("/cypher", role="read", json={"query": "MATCH (t:Trace) DELETE t"})
        assert refused.status_code == 422
    assert _count(neo4j, "MATCH (t:Trace) RETURN count(t)") == 5


# ---------------------------------------------------------------- lost connections


def test_a_write_that_lost_its_connection_is_retried(relay, neo4j):
    proxy, graph = relay
    marker = f"lost-{secrets.token_hex(4)}"
    proxy.drop_on(marker)
    records = graph.write(Statement(f"MERGE (n:RoutingProbe {{key: '{marker}'}}) "
                                    "RETURN n.key AS key"))
    assert records == [{"key": marker}] and proxy.dropped == 1
    assert _count(neo4j, "MATCH (n:RoutingProbe) RETURN count(n)") == 1


def test_a_read_and_a_user_query_that_lost_their_connection_are_retried(relay, neo4j):
    proxy, graph = relay
    proxy.drop_on("RETURN 1 AS ok")
    assert graph.read(Statement("RETURN 1 AS ok")) == [{"ok": 1}]
    proxy.drop_on("UNWIND range(1, 3) AS i")
    assert run_read_only(graph, "UNWIND range(1, 3) AS i RETURN i", adhoc=False) == \
        (["i"], [[1], [2], [3]])
    assert proxy.dropped == 2


@pytest.mark.parametrize("forward_first", [False, True])
def test_auto_commit_runs_an_interrupted_statement_again(relay, neo4j, monkeypatch,
                                                         forward_first):
    """CALL … IN TRANSACTIONS runs in an implicit transaction, which the driver does not
    retry: the gateway runs it again. Whether the server never saw the statement or had
    committed some of its batches, the idempotent statement ends with each row once."""
    monkeypatch.setattr(graph_module, "AUTO_COMMIT_FIRST_WAIT_S", 0.05)
    proxy, graph = relay
    marker = f"batched-{secrets.token_hex(4)}"
    proxy.drop_on(marker, forward_first=forward_first)
    graph.auto_commit(Statement(
        f"UNWIND range(1, 2000) AS i CALL (i) {{ MERGE (:RoutingProbe {{key: '{marker}-' + i}}) "
        "} IN TRANSACTIONS OF 10 ROWS"))
    assert proxy.dropped == 1
    assert _count(neo4j, "MATCH (n:RoutingProbe) RETURN count(DISTINCT n.key)") == 2000
    assert _count(neo4j, "MATCH (n:RoutingProbe) RETURN count(n)") == 2000


def test_auto_commit_does_not_retry_a_refused_statement(graph):
    text = ("UNWIND [0] AS z CALL (z) { CREATE (:RoutingProbe {x: 1 / z}) } "
            "IN TRANSACTIONS")
    with bolt_messages() as bolt, pytest.raises(ClientError, match="ArithmeticError|zero"):
        graph.auto_commit(Statement(text))
    assert len(bolt.runs("1 / z")) == 1
