"""The query gate for user Cypher (vctrace.kg.read_only, through vctrace.app.queries and the
CLI) against the session's real Neo4j: each refused class is refused with a clear message and
nothing happens; allowed reads and procedures work; timeouts stop the server's work; memory is
limited per transaction; the row cap is an option."""

from __future__ import annotations

import http.server
import threading
import time
from pathlib import Path

import pytest
from neo4j import exceptions as driver_errors

from vctrace.app import queries
from vctrace.cli import main
from vctrace.kg.read_only import (ALLOWED_PROCEDURES, QueryBusy, QueryRefused, QueryTimedOut,
                                  run_read_only)


def refused(settings, text, params=None) -> str:
    with pytest.raises(QueryRefused) as caught:
        queries.run_cypher(settings, text, params)
    assert caught.value.kind == "invalid"
    message = str(caught.value)
    assert message.startswith("query refused: ")
    return message


def running(driver, needle: str) -> list[dict]:
    """Transactions whose current query contains ``needle`` (through the driver, not the
    gate)."""
    records, _, _ = driver.execute_query(
        "SHOW TRANSACTIONS YIELD transactionId, currentQuery, status "
        "WHERE currentQuery CONTAINS $needle AND NOT currentQuery STARTS WITH 'SHOW' "
        "RETURN transactionId, currentQuery, status", needle=needle)
    return [dict(r) for r in records]


@pytest.mark.parametrize("text, reason", [
    ("SHOW TRANSACTIONS", "administration command (ShowTransactions)"),
    ("SHOW SETTINGS", "administration command (ShowSettings)"),
    ("SHOW USERS", "administration command (AdministrationCommand on database 'system')"),
    ("SHOW DATABASES", "administration command (AdministrationCommand"),
    ("SHOW PROCEDURES", "administration command (ShowProcedures)"),
    ("TERMINATE TRANSACTION 'neo4j-transaction-1'",
     "administration command (TerminateTransactions)"),
    ("CALL dbms.listConfig()", "procedure 'dbms.listConfig' is not on the allow-list"),
    ("CALL dbms.listConfig() YIELD name RETURN name",
     "procedure 'dbms.listConfig' is not on the allow-list"),
    ("CALL dbms.components()", "procedure 'dbms.components' is not on the allow-list"),
    ("CALL dbms.showCurrentUser()", "procedure 'dbms.showCurrentUser' is not on the allow-list"),
    ("CALL db.clearQueryCaches()", "procedure 'db.clearQueryCaches' is not on the allow-list"),
    ("CALL db.stats.retrieve('GRAPH COUNTS')",
     "procedure 'db.stats.retrieve' is not on the allow-list"),
    ("CALL db.createLabel('Evil')", "procedure 'db.createLabel' is not on the allow-list"),
    ("CALL tx.setMetaData({a: 1})", "procedure 'tx.setMetaData' is not on the allow-list"),
    ("CALL () { MATCH (n) RETURN n } IN TRANSACTIONS RETURN count(n) AS n",
     "CALL { … } IN TRANSACTIONS"),
    ("CREATE (:Evil)", "it writes to the graph"),
    ("MERGE (e:Evil {k: 1}) RETURN e", "it writes to the graph"),
    ("CREATE INDEX evil IF NOT EXISTS FOR (n:Evil) ON (n.k)", "changes the schema"),
])
def test_refused_classes(neo4j, text, reason):
    message = refused(neo4j.settings(), text)
    assert reason in message, message
    records, _, _ = neo4j.driver.execute_query("MATCH (n:Evil) RETURN count(n) AS n")
    assert records[0]["n"] == 0
    records, _, _ = neo4j.driver.execute_query("SHOW INDEXES YIELD name WHERE name = 'evil' "
                                               "RETURN name")
    assert records == []


def test_terminate_probes_leave_other_transactions_running(neo4j):
    """With another session's transaction open, neither form of TERMINATE gets through, and
    that transaction still answers and commits afterwards."""
    settings = neo4j.settings()
    with neo4j.driver.session() as session:
        tx = session.begin_transaction(metadata={"probe": "victim"})
        tx.run("CREATE (:Victim)").consume()
        records, _, _ = neo4j.driver.execute_query(
            "SHOW TRANSACTIONS YIELD transactionId, metaData WHERE metaData.probe = 'victim' "
            "RETURN transactionId")
        [victim] = [r["transactionId"] for r in records]
        for text in ("SHOW TRANSACTIONS YIELD transactionId AS t TERMINATE TRANSACTIONS t "
                     "YIELD message RETURN message",
                     "SHOW TRANSACTIONS YIELD transactionId TERMINATE TRANSACTIONS "
                     "transactionId",
                     f"TERMINATE TRANSACTION '{victim}'", "TERMINATE TRANSACTIONS $ids"):
            refused(settings, text, {"ids": [victim]})
        assert tx.run("RETURN 1 AS one").single()["one"] == 1  # not terminated
        tx.commit()
    records, _, _ = neo4j.driver.execute_query("MATCH (v:Victim) RETURN count(v) AS n")
    assert records[0]["n"] == 1


class _Recorder(http.server.BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self):  # noqa: N802 - http.server's name
        type(self).requests.append(self.path)
        body = b"a,b\n1,2\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/csv")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def http_server():
    _Recorder.requests = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", _Recorder.requests
    finally:
        server.shutdown()
        server.server_close()


def test_load_csv_is_refused_and_nothing_is_fetched(neo4j, http_server):
    url, requests = http_server
    settings = neo4j.settings()
    for text, params in ((f"LOAD CSV FROM '{url}/literal.csv' AS row RETURN row", None),
                         ("LOAD CSV WITH HEADERS FROM $url AS row RETURN row",
                          {"url": f"{url}/param.csv"}),
                         ("LOAD CSV FROM 'file:///etc/passwd' AS row RETURN row", None),
                         ("LOAD CSV FROM 'file:///import.csv' AS row RETURN count(row)", None)):
        assert "LOAD CSV (the server would read a file or fetch a URL)" in \
            refused(settings, text, params)
    time.sleep(0.5)
    assert requests == []
    # the probe means something: without the gate, the server fetches the URL, unless its
    # conf blocks remote LOAD CSV as well (internal.dbms.cypher_ip_blocklist)
    try:
        neo4j.driver.execute_query(f"LOAD CSV FROM '{url}/direct.csv' AS row RETURN row")
    except driver_errors.ClientError as exc:
        assert "cypher_ip_blocklist" in exc.message
        assert requests == []
    else:
        assert requests == ["/direct.csv"]


def test_functions_outside_cypher_are_refused(neo4j):
    from vctrace.kg.read_only import refusals
    plan = {"operatorType": "Projection@neo4j",
            "args": {"Details": "apoc.text.join($autolist_0, $autostring_1) AS j, "
                                "datetime.truncate($autostring_2, datetime()) AS d"}}
    assert refusals("r", plan, "neo4j") == [
        "function apoc.text.join is not a built-in Cypher function"]
    # a name that merely looks like a call inside a string is a parameter in the plan
    result = queries.run_cypher(neo4j.settings(), "RETURN 'dbms.listConfig()' AS s, "
                                "datetime.truncate('day', datetime('2026-01-02T03:04')) AS d")
    assert result.rows == [["dbms.listConfig()", "2026-01-02T00:00:00.000000000+00:00"]]


def test_allowed_reads_and_procedures(neo4j):
    settings = neo4j.settings()
    neo4j.driver.execute_query("CREATE (:Gene {symbol: 'TP53'})-[:INTERACTS]->(:Gene)")
    assert queries.run_cypher(settings, "MATCH (g:Gene) RETURN count(g) AS n").rows == [[2]]
    labels = queries.run_cypher(settings, "CALL db.labels() YIELD label RETURN label")
    assert ["Gene"] in labels.rows
    types = queries.run_cypher(settings, "CALL db.relationshipTypes()")
    assert ["INTERACTS"] in types.rows
    keys = queries.run_cypher(settings, "CALL db.propertyKeys()")
    assert ["symbol"] in keys.rows
    assert queries.run_cypher(settings, "CALL db.schema.visualization()").columns == [
        "nodes", "relationships"]
    assert queries.run_cypher(settings, "CALL db.schema.nodeTypeProperties()").rows
    assert queries.run_cypher(settings, "CALL db.ping()").rows == [[True]]
    assert queries.run_cypher(settings, "SHOW INDEXES YIELD name RETURN name").rows
    assert queries.run_cypher(settings, "SHOW CONSTRAINTS YIELD name RETURN name").rows
    assert {"db.labels", "db.relationshipTypes", "db.propertyKeys",
            "db.schema.visualization"} <= ALLOWED_PROCEDURES
    assert not any(p.startswith(("dbms.", "tx.")) for p in ALLOWED_PROCEDURES)
    # nothing written by the queries above
    records, _, _ = neo4j.driver.execute_query("MATCH (n) RETURN count(n) AS n")
    assert records[0]["n"] == 2


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100


def test_a_query_past_its_timeout_is_stopped_by_the_server(neo4j):
    """A CPU-bound row-by-row query under a 2 s timeout is refused as timed out within a few
    seconds, and the server is not running it any more (and stops using CPU)."""
    text = "UNWIND range(1, 10000000000) AS x WITH x WHERE x % 7 = 3 RETURN count(x) AS n"
    started = time.monotonic()
    with pytest.raises(QueryTimedOut, match="timed out after 2 s") as caught:
        queries.run_cypher(neo4j.settings(), text, timeout_s=2)
    elapsed = time.monotonic() - started
    assert caught.value.kind == "invalid"
    assert elapsed < 8, elapsed
    deadline = time.monotonic() + 10
    while running(neo4j.driver, "x % 7 = 3") and time.monotonic() < deadline:
        time.sleep(0.25)
    assert running(neo4j.driver, "x % 7 = 3") == []
    if neo4j.local is not None:  # the server's own process: idle again
        pid = neo4j.local.pid()
        before = _cpu_seconds(pid)
        time.sleep(2)
        assert _cpu_seconds(pid) - before < 1.0


def test_the_client_gives_up_on_an_expression_neo4j_cannot_interrupt(neo4j):
    """Neo4j checks for termination between rows: one long expression (a quadratic reduce)
    runs past its timeout. The client does not wait for it: timeout + grace, then it asks the
    server to terminate the query and reports the timeout; the server ends the work when the
    expression ends (here a few seconds)."""
    text = "RETURN size(reduce(s = '', x IN range(1, 400000) | s + 'x')) AS n"
    started = time.monotonic()
    with pytest.raises(QueryTimedOut, match="timed out: no answer within 1 s") as caught:
        run_read_only(neo4j.graph, text, timeout_s=1, grace_s=1)
    assert time.monotonic() - started < 5
    assert "one long expression" in str(caught.value)
    # while it finishes, ad-hoc queries are not admitted; the project's own queries still run
    settings = neo4j.settings()
    with pytest.raises(QueryBusy, match="still finishing an ad-hoc query") as busy:
        queries.run_cypher(settings, "RETURN 1 AS ok")
    assert busy.value.kind == "busy"
    assert queries.run_query(settings, "traces_by_drug", {"drug": "nothing"}).rows == []
    deadline = time.monotonic() + 60
    while running(neo4j.driver, "range(1, 400000)") and time.monotonic() < deadline:
        time.sleep(0.5)
    assert running(neo4j.driver, "range(1, 400000)") == []
    assert queries.run_cypher(settings, "RETURN 1 AS ok").rows == [[1]]


def test_ad_hoc_queries_running_at_once_are_capped(neo4j):
    """At most VCTRACE_MAX_ADHOC_QUERIES ad-hoc queries run at once; library queries are not
    counted or refused."""
    settings = neo4j.settings().model_copy(update={"max_adhoc_queries": 1})
    text = "UNWIND range(1, 100000000) AS x WITH x WHERE x = -1 RETURN x"
    first = threading.Thread(target=lambda: pytest.raises(
        QueryTimedOut, queries.run_cypher, settings, text, timeout_s=3), daemon=True)
    first.start()
    deadline = time.monotonic() + 10
    while not running(neo4j.driver, "x = -1") and time.monotonic() < deadline:
        time.sleep(0.1)
    with pytest.raises(QueryBusy, match="1 ad-hoc queries are running"):
        queries.run_cypher(settings, "RETURN 1 AS ok")
    assert queries.run_query(settings, "traces_by_drug", {"drug": "nothing"}).rows == []
    first.join(20)
    assert not first.is_alive()
    assert queries.run_cypher(settings, "RETURN 1 AS ok").rows == [[1]]


def test_a_query_over_the_transaction_memory_limit(neo4j):
    records, _, _ = neo4j.driver.execute_query(
        "SHOW SETTINGS YIELD name, value WHERE name = 'db.memory.transaction.max' "
        "RETURN value")
    if not records or records[0]["value"] in ("0", "0B", "0.00B"):
        pytest.skip("this server sets no per-transaction memory limit")
    message = str(pytest.raises(
        QueryRefused, queries.run_cypher, neo4j.settings(),
        "UNWIND range(1, 100000000) AS x RETURN size(collect(x)) AS n", timeout_s=60).value)
    assert "needs more memory than one transaction may use" in message
    assert "db.memory.transaction.max" in message
    assert queries.run_cypher(neo4j.settings(), "RETURN 1 AS ok").rows == [[1]]


def test_the_row_cap_is_an_option_and_reported(neo4j, monkeypatch, capsys):
    settings = neo4j.settings()
    text = "UNWIND range(1, 10) AS i RETURN i"
    cut = queries.run_cypher(settings, text, limit=4)
    assert (cut.rows, cut.truncated, cut.limit) == ([[1], [2], [3], [4]], True, 4)
    whole = queries.run_cypher(settings, text, limit=10)
    assert (len(whole.rows), whole.truncated) == (10, False)
    with pytest.raises(queries.InvalidLimit):
        queries.run_cypher(settings, text, limit=0)
    monkeypatch.setenv("VCTRACE_NEO4J_PASSWORD", neo4j.password)
    assert main([*neo4j.cli, "cypher", text, "--limit", "3", "--format", "json"]) == 0
    captured = capsys.readouterr()
    assert captured.out.count('"i"') == 3
    assert "only the first 3 rows" in captured.err
    assert main([*neo4j.cli, "cypher", text, "--limit", "0"]) == 2
    assert "--limit" in capsys.readouterr().err


def test_the_cli_refuses_probes_with_exit_1(neo4j, monkeypatch, capsys):
    monkeypatch.setenv("VCTRACE_NEO4J_PASSWORD", neo4j.password)
    for text, reason in (("SHOW TRANSACTIONS", "ShowTransactions"),
                         ("SHOW USERS", "AdministrationCommand"),
                         ("CALL dbms.listConfig()", "dbms.listConfig"),
                         ("LOAD CSV FROM 'http://127.0.0.1:9/x' AS r RETURN r", "LOAD CSV"),
                         ("MATCH (n) DETACH DELETE n", "writes to the graph")):
        assert main([*neo4j.cli, "cypher", text]) == 1
        err = capsys.readouterr().err
        assert err.startswith("vctrace: query refused: ") and reason in err, err
        assert "Traceback" not in err
    assert main([*neo4j.cli, "cypher", "UNWIND range(1, 10000000000) AS x WITH x "
                 "WHERE x % 11 = 4 RETURN count(x)", "--timeout-s", "1"]) == 1
    assert "timed out after 1 s" in capsys.readouterr().err


def test_a_write_past_the_plan_check_is_still_refused_by_the_database(neo4j, monkeypatch):
    """Defence in depth: with the plan check disabled, the READ transaction refuses it."""
    from vctrace.kg import read_only
    monkeypatch.setattr(read_only, "check", lambda *args, **kwargs: None)
    with pytest.raises(QueryRefused, match="Neo.ClientError.Statement.AccessMode"):
        run_read_only(neo4j.graph, "CREATE (:Evil)")
    records, _, _ = neo4j.driver.execute_query("MATCH (n:Evil) RETURN count(n) AS n")
    assert records[0]["n"] == 0
