"""The query gate: how user-supplied Cypher runs (``vctrace cypher``, the query library, and
the HTTP service later).

1. **Plan check.** The query is first sent as ``EXPLAIN`` (nothing runs) and the plan Neo4j
   returns is the authority — never the query text, which is easy to disguise. Refused:

   - anything but a read query (``summary.query_type`` must be ``'r'``): writes, schema
     changes, administration commands;
   - administration and monitoring commands, by plan operator: ``Show*`` (transactions,
     settings, users, databases, procedures, functions…) except ``ShowIndexes`` and
     ``ShowConstraints``, ``Terminate*`` (``TERMINATE TRANSACTION(S)``), and any operator
     planned for another database than the graph's (``AdministrationCommand@system``: ``SHOW
     USERS``, ``SHOW DATABASES``…);
   - ``LOAD CSV`` (operator ``LoadCSV``: the server would read a file or fetch a URL);
   - ``CALL { … } IN TRANSACTIONS`` (``TransactionApply`` / ``TransactionForeach``);
   - procedures not in :data:`ALLOWED_PROCEDURES` (operator ``ProcedureCall``; the name is the
     head of its details): every ``dbms.*``, ``tx.*``, ``db.stats.*``, ``db.create*``…;
   - namespaced functions outside Cypher's built-in namespaces (:data:`FUNCTION_NAMESPACES`),
     found in the operators' details, where Neo4j has already replaced literals by
     parameters (plugins such as APOC: ``apoc.*``, and ``graph.*``).

2. **Run.** The query then runs in a managed READ transaction (``session.execute_read``: a
   cluster routes it to a follower or read replica, and the driver runs it again after a lost
   connection or a leader switch, but not after the query's own errors: memory, timeout,
   termination), so a write that got past the plan check is still refused by the database;
   with a transaction timeout (enforced by the server, which terminates the transaction) and
   metadata ``vctrace_query`` tagging it. Rows past ``limit`` are not fetched: the
   transaction is rolled back, which stops the work.

3. **Deadline.** Neo4j checks for termination between rows, not inside the evaluation of one
   expression: ``reduce(s = '', x IN range(1, 2000000) | s + 'x')`` keeps a CPU busy after its
   timeout until that expression ends (measured on 5.26: minutes), and the client would wait
   for it. So the client waits at most ``timeout_s + grace_s``; then it asks the server to
   ``TERMINATE`` the tagged transaction (``kg/terminate_user_query``) and reports a timeout
   (the report says the server may still be finishing that expression).

4. **Admission.** Because such an expression cannot be stopped, ad-hoc queries (``adhoc=True``:
   ``vctrace cypher``, ``POST /cypher``; not the project's own library queries) are admitted
   only while the server runs fewer than ``max_adhoc`` of them and none that was terminated is
   still finishing (``kg/adhoc_queries``, from ``SHOW TRANSACTIONS``): a hostile or careless
   query can keep at most ``max_adhoc`` cores busy for its timeout, then at most one until its
   expression ends, and meanwhile further ad-hoc queries get :class:`QueryBusy`. The check is
   not atomic: clients racing in the same instant may exceed the cap by their number.
   In a cluster, ``SHOW TRANSACTIONS`` sees one member's transactions (the reader the check is
   routed to), so the cap holds per member, roughly, and the termination after the deadline
   reaches the query only when routed to the member running it; the server-side transaction
   timeout holds on every member.

Per-transaction memory is limited by the server (``db.memory.transaction.max``, written by
:mod:`vctrace.kg.server`); a query over it fails with ``MemoryPoolOutOfMemoryError``, reported
as such.
"""

from __future__ import annotations

import re
import secrets
import threading
from dataclasses import dataclass
from typing import Any, Iterator

import neo4j
from neo4j.exceptions import ClientError, DatabaseError, Neo4jError, TransientError

from ..errors import Busy, InvalidRequest
from .graph import Graph

#: Procedures a user query may call: read-only metadata (labels, relationship types,
#: property keys, the schema) and the read-only full-text and vector index searches.
ALLOWED_PROCEDURES = frozenset({
    "db.labels", "db.relationshipTypes", "db.propertyKeys",
    "db.schema.visualization", "db.schema.nodeTypeProperties", "db.schema.relTypeProperties",
    "db.index.fulltext.queryNodes", "db.index.fulltext.queryRelationships",
    "db.index.fulltext.listAvailableAnalyzers",
    "db.index.vector.queryNodes", "db.index.vector.queryRelationships",
    "db.ping",
})

#: ``SHOW`` commands a user query may run: schema metadata only.
ALLOWED_SHOW = frozenset({"ShowIndexes", "ShowConstraints"})

#: Namespaces of Cypher's built-in functions; a namespaced function outside them (a plugin's)
#: is refused.
FUNCTION_NAMESPACES = ("date", "datetime", "duration", "localdatetime", "localtime", "time",
                       "point", "vector.similarity")

_IN_TRANSACTIONS = frozenset({"TransactionApply", "TransactionForeach"})
_FUNCTION_CALL = re.compile(r"(?<![\w.$`])([A-Za-z_]\w*(?:\s*\.\s*[A-Za-z_]\w*)+)\s*\(")
_QUERY_TYPES = {"w": "it writes to the graph", "rw": "it writes to the graph",
                "s": "it changes the schema or runs an administration command"}
_TIMED_OUT = ("Neo.ClientError.Transaction.TransactionTimedOut",
              "Neo.ClientError.Transaction.TransactionTimedOutClientConfiguration")

#: Seconds the client waits past the transaction timeout for the server to stop the query.
GRACE_S = 5.0


class QueryRefused(InvalidRequest):
    """The gate or the database refused the query (not a read, an administration command,
    LOAD CSV, a procedure off the allow-list, a syntax error…), or it failed while running
    (timed out, too much memory, a transient error)."""


class QueryTimedOut(QueryRefused):
    """The query ran past its transaction timeout."""


class QueryBusy(Busy):
    """An ad-hoc query not admitted now (see :func:`admit`)."""


@dataclass(frozen=True)
class Operator:
    name: str       # e.g. "ProcedureCall"
    database: str   # the database it is planned for (the part after "@"), or ""
    details: str


def operators(plan: dict[str, Any] | None) -> Iterator[Operator]:
    """Every operator of an EXPLAIN plan (``ResultSummary.plan``), depth first."""
    if not plan:
        return
    name, _, database = str(plan.get("operatorType", "")).partition("@")
    details = str((plan.get("args") or {}).get("Details", ""))
    yield Operator(name, database, details)
    for child in plan.get("children") or ():
        yield from operators(child)


def refusals(query_type: str | None, plan: dict[str, Any] | None, database: str) -> list[str]:
    """Why a query with this plan may not run through the gate (empty: it may)."""
    reasons: list[str] = []
    if plan is None:
        reasons.append("Neo4j returned no plan for it")
    for op in operators(plan):
        if op.database and op.database != database:
            reasons.append(f"an administration command ({op.name} on database "
                           f"{op.database!r})")
        elif op.name.startswith("Show") and op.name not in ALLOWED_SHOW:
            reasons.append(f"an administration command ({op.name}); of the SHOW commands "
                           "only SHOW INDEXES and SHOW CONSTRAINTS are allowed")
        elif op.name.startswith(("Terminate", "Administration", "System")):
            reasons.append(f"an administration command ({op.name})")
        elif op.name == "LoadCSV":
            reasons.append("LOAD CSV (the server would read a file or fetch a URL)")
        elif op.name in _IN_TRANSACTIONS:
            reasons.append("CALL { … } IN TRANSACTIONS")
        details = op.details
        if op.name == "ProcedureCall":
            procedure, _, details = details.partition("(")
            procedure = procedure.strip().replace("`", "")
            if procedure not in ALLOWED_PROCEDURES:
                reasons.append(f"procedure {procedure or op.details!r} is not on the "
                               f"allow-list ({', '.join(sorted(ALLOWED_PROCEDURES))})")
        for call in _FUNCTION_CALL.findall(details):
            function = re.sub(r"\s+", "", call)
            if not function.startswith(tuple(ns + "." for ns in FUNCTION_NAMESPACES)):
                reasons.append(f"function {function} is not a built-in Cypher function")
    if not reasons and query_type != "r":
        reasons.append(_QUERY_TYPES.get(query_type or "", f"query type {query_type!r}")
                       + "; only read queries run here")
    return list(dict.fromkeys(reasons))


def check(graph: Graph, text: str, params: dict[str, Any] | None = None, *,
          timeout_s: float = 30.0) -> None:
    """Plan ``text`` with EXPLAIN (nothing runs) and raise :class:`QueryRefused` unless the
    gate allows it."""
    def explain(tx: neo4j.ManagedTransaction) -> neo4j.ResultSummary:
        try:
            return tx.run("EXPLAIN " + text, params or {}).consume()
        except Neo4jError as exc:
            if _retry_worthwhile(exc):
                raise
            raise _NotRetried(exc) from exc

    try:
        with graph.session(read_only=True) as session:
            summary = session.execute_read(neo4j.unit_of_work(timeout=timeout_s)(explain))
    except _NotRetried as exc:
        raise _refusal(exc.error, timeout_s) from exc.error
    except Neo4jError as exc:
        raise _refusal(exc, timeout_s) from exc
    reasons = refusals(summary.query_type, summary.plan, graph.database)
    if reasons:
        raise QueryRefused("; ".join(reasons))


def admit(graph: Graph, max_adhoc: int) -> None:
    """Raise :class:`QueryBusy` unless another ad-hoc query may start now (see the module
    docstring, point 4)."""
    counts = graph.read("kg/adhoc_queries")[0]
    if counts["stuck"]:
        raise QueryBusy(
            "the server is still finishing an ad-hoc query that timed out and was terminated "
            "(one long expression Neo4j cannot interrupt); ad-hoc queries are refused until it "
            "ends; try again later")
    if counts["running"] >= max_adhoc:
        raise QueryBusy(f"{counts['running']} ad-hoc queries are running, the most allowed "
                        f"at once (VCTRACE_MAX_ADHOC_QUERIES={max_adhoc}); try again later")


def run_read_only(graph: Graph, text: str, params: dict[str, Any] | None = None, *,
                  timeout_s: float = 60.0, limit: int = 10_000, grace_s: float = GRACE_S,
                  adhoc: bool = True, max_adhoc: int = 2) -> tuple[list[str], list[list[Any]]]:
    """Check ``text`` with the gate, then run it read-only with a ``timeout_s`` transaction
    timeout; return (column names, rows), at most ``limit`` rows. :class:`QueryRefused`
    (:class:`QueryTimedOut`) when refused or failed; for an ``adhoc`` query,
    :class:`QueryBusy` when :func:`admit` refuses it."""
    if timeout_s <= 0:
        raise ValueError("timeout_s must be positive")
    check(graph, text, params, timeout_s=min(timeout_s, 30.0))
    if adhoc:
        admit(graph, max_adhoc)
    tag = secrets.token_hex(12)
    metadata = {"vctrace_query": tag, "vctrace_adhoc": adhoc}
    outcome: dict[str, Any] = {}
    gave_up = threading.Event()

    def work() -> None:
        try:
            outcome["value"] = _run(graph, text, params or {}, timeout_s, limit, metadata,
                                    gave_up)
        except BaseException as exc:  # handed to the caller's thread
            outcome["error"] = exc

    worker = threading.Thread(target=work, name="vctrace-user-query", daemon=True)
    worker.start()
    try:
        worker.join(timeout_s + grace_s)
    except BaseException:  # Ctrl-C: stop the server's work too
        gave_up.set()
        _terminate(graph, tag)
        raise
    if worker.is_alive():
        gave_up.set()
        _terminate(graph, tag)
        raise QueryTimedOut(
            f"the query timed out: no answer within {timeout_s:g} s; Neo4j was told to "
            "terminate it, but it may be evaluating one long expression (a reduce() or list "
            "comprehension over a large list), which Neo4j checks for termination only when "
            "it ends; narrow the query")
    if "error" in outcome:
        error = outcome["error"]
        if isinstance(error, Neo4jError):
            raise _refusal(error, timeout_s) from error
        raise error
    return outcome["value"]


class _NotRetried(Exception):
    """Carries a database error out of a managed transaction without the driver's retry: the
    driver retries every transient error, but a query over the memory limit fails the same
    way again (only lost connections and cluster changes are worth a new try)."""

    def __init__(self, error: Neo4jError) -> None:
        super().__init__(str(error))
        self.error = error


class _Rows(Exception):
    """Ends the user query's transaction with its rows: an exception makes the managed
    transaction roll back (which stops the server's work past ``limit`` rows, where a commit
    would first run the query to its end) and is handed back without a retry."""

    def __init__(self, keys: list[str], rows: list[list[Any]]) -> None:
        super().__init__(f"{len(rows)} rows")
        self.keys, self.rows = keys, rows


def _retry_worthwhile(exc: Neo4jError) -> bool:
    """Whether the driver should run a failed user query again: a transient error of the
    cluster (leader switch, a database briefly unavailable), not one of the query's own
    (memory, timeouts, termination)."""
    code = exc.code or ""
    return exc.is_retryable() and "Memory" not in code and "Terminated" not in code


def _run(graph: Graph, text: str, params: dict[str, Any], timeout_s: float, limit: int,
         metadata: dict[str, Any], gave_up: threading.Event) -> tuple[list[str], list[list[Any]]]:
    """Run the query in a managed READ transaction (``session.execute_read``: routed to a
    reader of a cluster, run again by the driver after a lost connection or a cluster change)
    with the gate's timeout and metadata; its columns and at most ``limit`` rows, always
    rolled back. A retry that would start after the caller gave up (``gave_up``) does not."""

    def query(tx: neo4j.ManagedTransaction) -> None:
        if gave_up.is_set():
            raise QueryTimedOut("the query timed out (the client gave up before a retry)")
        try:
            result = tx.run(text, params)
            keys = list(result.keys())
            rows: list[list[Any]] = []
            for record in result:
                if len(rows) >= limit:
                    break
                rows.append([_plain(v) for v in record.values()])
        except Neo4jError as exc:
            if _retry_worthwhile(exc):
                raise
            raise _NotRetried(exc) from exc
        raise _Rows(keys, rows)

    try:
        with graph.session(read_only=True) as session:
            session.execute_read(neo4j.unit_of_work(metadata=metadata, timeout=timeout_s)(query))
    except _Rows as done:
        return done.keys, done.rows
    except _NotRetried as failed:
        raise failed.error from None
    raise AssertionError("unreachable: the query's transaction ends with _Rows or an error")


def _terminate(graph: Graph, tag: str) -> None:
    """Ask the server to terminate the user query tagged ``tag`` (best effort)."""
    try:
        graph.read("kg/terminate_user_query", tag=tag)
    except Exception:  # noqa: BLE001 - the timeout is reported either way
        pass


def _refusal(exc: Neo4jError, timeout_s: float) -> QueryRefused:
    code = exc.code or type(exc).__name__
    message = (exc.message or str(exc)).strip()
    if code in _TIMED_OUT:
        return QueryTimedOut(f"the query timed out after {timeout_s:g} s (its transaction "
                             "timeout) and Neo4j stopped it; narrow the query or give it "
                             "more time")
    if "MemoryPoolOutOfMemoryError" in code or "MemoryLimitExceeded" in code:
        return QueryRefused(f"the query needs more memory than one transaction may use "
                            f"({code}: {message}); narrow it")
    if isinstance(exc, TransientError):
        return QueryRefused(f"Neo4j could not complete the query now ({code}: {message}); "
                            "run it again")
    if isinstance(exc, (ClientError, DatabaseError)):
        return QueryRefused(f"{code}: {message}")
    return QueryRefused(f"{code}: {message}")


def _plain(value: Any) -> Any:
    """Nodes, relationships and paths as plain maps (for JSON and CSV output)."""
    if isinstance(value, neo4j.graph.Node):
        return {"labels": sorted(value.labels), **dict(value)}
    if isinstance(value, neo4j.graph.Relationship):
        return {"type": value.type, **dict(value)}
    if isinstance(value, neo4j.graph.Path):
        return [_plain(n) for n in value.nodes]
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, bytes):
        return value.hex()
    if hasattr(value, "iso_format"):
        return value.iso_format()
    return value
