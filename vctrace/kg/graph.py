"""The graph gateway: the one way vctrace reads from and writes to Neo4j.

A :class:`Graph` holds the driver, the database name and the default transaction timeout, and
maps the driver's errors to clear ones (:class:`GraphUnavailable` when the server cannot be
reached or the connection is lost, :class:`NoServerError` when none is configured or the
credentials fail, :class:`StatementRejected` when the server refuses a statement's data,
e.g. a value too large to index). Statements are named: ``graph.read("runs/find_runs", …)``
runs the text of ``vctrace/cypher/runs/find_runs.cypher`` (see :mod:`vctrace.cypher`), always
with parameters; labels and relationship types go into a statement only through
:func:`vctrace.cypher.load`'s whitelisted ``names``.

Everything below the application layer receives a ``Graph``; nothing else opens a driver or a
session.

**Clusters and Aura** (``neo4j://`` / ``neo4j+s://`` URIs; see ``docs/cluster.md``). Every
statement runs in one of the driver's *managed* transactions, which the driver routes and
retries (for up to 30 s, on lost connections, a leader switch and transient errors):

- :meth:`Graph.read` and :meth:`Graph.read_transaction`: a READ transaction, routed to a
  reader (a follower or read replica);
- :meth:`Graph.write`, :meth:`Graph.write_batches`, :meth:`Graph.write_each` (the schema) and
  :meth:`Graph.write_transaction`: a WRITE transaction, routed to the leader. A retried
  transaction runs again from the start, so the work must be idempotent (vctrace's writes
  MERGE on content keys).
- :meth:`Graph.auto_commit` is the exception: ``CALL … IN TRANSACTIONS`` needs an implicit
  (auto-commit) transaction, which the driver never retries, because the batches it committed
  before a failure stay committed. Every such statement of vctrace is idempotent (deletes, and
  MERGEs that complete an interrupted run), so ``auto_commit`` runs it again from the start on
  a retryable error, a bounded number of times (:data:`AUTO_COMMIT_ATTEMPTS`), and the
  batches already committed are found done.

Every session shares the driver's ``execute_query`` bookmark manager, so work is causally
chained across the gateway: a read routed to a follower sees every write this process
committed before it (read-your-writes), whichever API wrote it.
"""

from __future__ import annotations

import logging
import time
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Mapping, Sequence, TypeVar

import neo4j
from neo4j import Driver, GraphDatabase
from neo4j.exceptions import (AuthError, ClientError, DatabaseError, DriverError, Neo4jError,
                              ServiceUnavailable, SessionExpired)

from ..errors import DatabaseUnavailable, VctraceError
from .. import cypher
from ..settings import Settings

log = logging.getLogger(__name__)

T = TypeVar("T")

#: How often :meth:`Graph.auto_commit` runs a statement in all when it fails with an error the
#: driver calls retryable (lost connection, leader switch, transient error); the waits between
#: tries double from :data:`AUTO_COMMIT_FIRST_WAIT_S` (1 + 2 + 4 + 8 s: a leader election
#: usually takes a few seconds).
AUTO_COMMIT_ATTEMPTS = 5
AUTO_COMMIT_FIRST_WAIT_S = 1.0


class GraphError(VctraceError):
    """A problem using Neo4j that the user can act on (the message says what to do)."""


class NoServerError(GraphError, DatabaseUnavailable):
    """No usable Neo4j: none configured or started, unreachable, or the credentials fail."""


class GraphUnavailable(GraphError, DatabaseUnavailable):
    """The connection to Neo4j was lost mid-work (server stopped or restarted); work already
    committed is kept, and the same command resumes."""


class StatementRejected(GraphError):
    """Neo4j refused what a statement would write or read (a value too large for an index
    key, a constraint broken, a bad parameter): the server works, this request does not.
    Writers that batch records retry without the offending ones (see
    :func:`store_rejection`)."""

    kind = "invalid"


def store_rejection(exc: BaseException) -> str | None:
    """Why Neo4j refused a statement, when ``exc`` is such a refusal (a client or database
    error: the same statement fails again the same way), else ``None`` (lost connections,
    credentials; transient errors are retried by the driver before they get here)."""
    if isinstance(exc, StatementRejected):
        return str(exc)
    if isinstance(exc, AuthError) or not isinstance(exc, (ClientError, DatabaseError)):
        return None
    message = (exc.message or str(exc)).split(", element id:")[0].split(" Index: ")[0]
    return f"Neo4j refused it ({exc.code}): {message.strip()[:300]}"


class Graph:
    """Driver + database + timeouts; every statement of vctrace runs through one of these.

    Use as a context manager (``with Graph.connect(settings) as graph:``) so the driver is
    closed. ``read`` routes to readers (a cluster's followers), ``write`` to the leader; both
    take a statement *name* (``"owner/file"``) or a :class:`Statement` made by
    :func:`statement` when labels must be filled in.
    """

    def __init__(self, driver: Driver, database: str = "neo4j", *,
                 timeout_s: float | None = None, uri: str = "") -> None:
        self.driver = driver
        self.database = database
        self.timeout_s = timeout_s
        self.uri = uri
        self.schema_ready = False  # set by callers that keep one graph for many use cases

    # ------------------------------------------------------------ opening and closing

    @classmethod
    def connect(cls, settings: Settings) -> "Graph":
        """A connected graph for the configured Neo4j (``VCTRACE_NEO4J_URI``) or the local
        server. Fails at once with :class:`NoServerError` rather than retrying for half a
        minute when the server is down."""
        password = settings.password()
        if password is None and settings.uses_local_server:
            raise NoServerError(f"no local Neo4j under {settings.server_dir}: run "
                                "`vctrace db start` first (or set VCTRACE_NEO4J_URI)")
        auth = (settings.neo4j_user, password) if password is not None else None
        driver = GraphDatabase.driver(settings.uri, auth=auth, notifications_min_severity="OFF")
        try:
            driver.verify_connectivity()
        except ServiceUnavailable as exc:
            driver.close()
            hint = "run `vctrace db start`" if settings.uses_local_server else "is it running?"
            raise NoServerError(f"cannot reach Neo4j at {settings.uri} ({hint})") from exc
        except AuthError as exc:
            driver.close()
            raise NoServerError(f"Neo4j at {settings.uri} refused the credentials of user "
                                f"{settings.neo4j_user!r}") from exc
        return cls(driver, settings.neo4j_database, uri=settings.uri)

    def close(self) -> None:
        self.driver.close()

    def __enter__(self) -> "Graph":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # ------------------------------------------------------------ statements

    def read(self, name: str | "Statement", **params: Any) -> list[dict[str, Any]]:
        """Run a read statement; its records as dicts."""
        return self._execute(name, params, routing="r")

    def write(self, name: str | "Statement", **params: Any) -> list[dict[str, Any]]:
        """Run a write statement in its own transaction; its records as dicts."""
        return self._execute(name, params, routing="w")

    def write_batches(self, name: str | "Statement", rows: Sequence[Mapping[str, Any]],
                      batch_size: int, **params: Any) -> list[dict[str, Any]]:
        """Send ``rows`` to a statement that does ``UNWIND $rows``, ``batch_size`` rows per
        transaction; the records of every batch, in order."""
        out: list[dict[str, Any]] = []
        for start in range(0, len(rows), batch_size):
            out += self.write(name, rows=list(rows[start:start + batch_size]), **params)
        return out

    def write_each(self, name: str) -> int:
        """Run each statement of a multi-statement file, in order (the schema); how many."""
        texts = cypher.statements(name)
        for text in texts:
            self._execute(Statement(text), {}, routing="w")
        return len(texts)

    def auto_commit(self, name: str | "Statement", **params: Any) -> None:
        """Run a statement that batches itself (``CALL … IN TRANSACTIONS`` needs an implicit
        transaction, routed to the leader).

        The driver does not retry implicit transactions; this does, because every statement
        run here must be **idempotent**: on an error the driver calls retryable (a lost
        connection, a leader switch, a deadlock between batches) the statement runs again
        from the start, up to :data:`AUTO_COMMIT_ATTEMPTS` times in all, and finds the batches
        committed before the failure already done. Other errors, and the last retryable one,
        are raised (lost connections as :class:`GraphUnavailable`, refusals as the driver's
        errors)."""
        text = _text(name)
        wait_s = AUTO_COMMIT_FIRST_WAIT_S
        for attempt in range(1, AUTO_COMMIT_ATTEMPTS + 1):
            try:
                with self.session() as session:
                    session.run(text, params).consume()
                return
            except GraphUnavailable as exc:
                error: BaseException = exc.__cause__ or exc
            except (DriverError, Neo4jError) as exc:
                error = exc
            retryable = isinstance(error, (DriverError, Neo4jError)) and error.is_retryable()
            if not retryable or attempt == AUTO_COMMIT_ATTEMPTS:
                with self._mapped():
                    raise error
            log.warning("auto-commit statement failed (%s); running it again in %g s "
                        "(attempt %d of %d)", error, wait_s, attempt + 1, AUTO_COMMIT_ATTEMPTS)
            time.sleep(wait_s)
            wait_s *= 2

    def read_transaction(self, work: Callable[..., T], *args: Any,
                         timeout_s: float | None = None,
                         metadata: dict[str, Any] | None = None, **kwargs: Any) -> T:
        """``work(tx, *args, **kwargs)`` in a managed READ transaction (routed to a reader,
        retried by the driver on retryable errors, so ``work`` may run more than once);
        its return value. ``timeout_s`` defaults to the graph's; ``metadata`` tags the
        transaction (``SHOW TRANSACTIONS``). Errors are mapped like :meth:`read`'s."""
        return self._transaction(neo4j.READ_ACCESS, work, args, kwargs, timeout_s, metadata)

    def write_transaction(self, work: Callable[..., T], *args: Any,
                          timeout_s: float | None = None,
                          metadata: dict[str, Any] | None = None, **kwargs: Any) -> T:
        """``work(tx, *args, **kwargs)`` in a managed WRITE transaction (routed to the leader
        and retried, e.g. after a leader switch or a deadlock: ``work`` must be idempotent);
        its return value. Errors are mapped like :meth:`write`'s."""
        return self._transaction(neo4j.WRITE_ACCESS, work, args, kwargs, timeout_s, metadata)

    def _transaction(self, mode: str, work: Callable[..., T], args: tuple, kwargs: dict,
                     timeout_s: float | None, metadata: dict[str, Any] | None) -> T:
        unit = neo4j.unit_of_work(timeout=self.timeout_s if timeout_s is None else timeout_s,
                                  metadata=metadata)(work)
        with self.session(read_only=mode == neo4j.READ_ACCESS) as session, _rejections():
            run = session.execute_read if mode == neo4j.READ_ACCESS else session.execute_write
            return run(unit, *args, **kwargs)

    @contextmanager
    def session(self, *, read_only: bool = False) -> Iterator[neo4j.Session]:
        """A driver session (only the kg layer uses it). Run work in it with the managed
        ``session.execute_read``/``execute_write`` (routed and retried), not explicit
        transactions; ``session.run`` only for ``CALL … IN TRANSACTIONS`` (see
        :meth:`auto_commit`). It shares the bookmarks of ``read``/``write`` (causal
        consistency in a cluster); errors from it are mapped like theirs."""
        mode = neo4j.READ_ACCESS if read_only else neo4j.WRITE_ACCESS
        with self._mapped(), self.driver.session(
                database=self.database, default_access_mode=mode,
                bookmark_manager=self.driver.execute_query_bookmark_manager) as session:
            yield session

    def _execute(self, name: str | "Statement", params: dict[str, Any],
                 routing: str) -> list[dict[str, Any]]:
        query = neo4j.Query(_text(name), timeout=self.timeout_s)
        with self._mapped(), _rejections():
            records, _, _ = self.driver.execute_query(query, params, database_=self.database,
                                                      routing_=routing)
        return [dict(r) for r in records]

    @contextmanager
    def _mapped(self) -> Iterator[None]:
        try:
            yield
        except (ServiceUnavailable, SessionExpired) as exc:
            raise GraphUnavailable(
                f"lost the connection to Neo4j at {self.uri or 'the server'} ({exc}); what was "
                "committed is kept: run the same command again to resume") from exc
        except AuthError as exc:
            raise NoServerError(f"Neo4j at {self.uri or 'the server'} refused the "
                                f"credentials ({exc.message})") from exc


@contextmanager
def _rejections() -> Iterator[None]:
    """Refused statements as :class:`StatementRejected` (``read``/``write``; explicit
    sessions see the driver's errors and classify them with :func:`store_rejection`)."""
    try:
        yield
    except (ClientError, DatabaseError) as exc:
        reason = store_rejection(exc)
        if reason is None:
            raise
        raise StatementRejected(reason) from exc


class Statement(str):
    """A statement's final text (after label interpolation), passed where a name is taken."""


def statement(name: str, **names: str) -> Statement:
    """The statement ``name`` with its ``$$PLACEHOLDER$$``s filled by whitelisted labels or
    relationship types (see :func:`vctrace.cypher.load`)."""
    return Statement(cypher.load(name, **names))


def _text(name: str | Statement) -> str:
    return name if isinstance(name, Statement) else cypher.load(name)
