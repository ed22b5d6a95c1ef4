"""The query gate's plan rules and error messages, on hand-made EXPLAIN plans and driver
errors (no server; the integration tests run the same rules against real plans)."""

from __future__ import annotations

import pytest
from neo4j.exceptions import Neo4jError

from vctrace.kg.read_only import (ALLOWED_PROCEDURES, QueryRefused, QueryTimedOut, _refusal,
                                  operators, refusals)


def plan(*ops: tuple[str, str]) -> dict:
    """A chain of operators (top first), each (operatorType, Details)."""
    node = None
    for name, details in reversed(ops):
        node = {"operatorType": name, "args": {"Details": details},
                "children": [node] if node else []}
    return node


def test_operators_are_walked_with_their_database():
    tree = plan(("ProduceResults@neo4j", "n"), ("AllNodesScan@neo4j", "n"))
    assert [(o.name, o.database) for o in operators(tree)] == [
        ("ProduceResults", "neo4j"), ("AllNodesScan", "neo4j")]


@pytest.mark.parametrize("ops, query_type, reason", [
    ([("ShowTransactions@neo4j", "")], "r", "administration command (ShowTransactions)"),
    ([("TerminateTransactions@neo4j", "")], "r",
     "administration command (TerminateTransactions)"),
    ([("AdministrationCommand@system", "")], "s", "on database 'system'"),
    ([("LoadCSV@neo4j", "line")], "r", "LOAD CSV"),
    ([("TransactionApply@neo4j", "")], "r", "IN TRANSACTIONS"),
    ([("TransactionForeach@neo4j", "")], "w", "IN TRANSACTIONS"),
    ([("ProcedureCall@neo4j", "dbms.listConfig($autostring_0) :: (name :: STRING)")], "s",
     "procedure 'dbms.listConfig' is not on the allow-list"),
    ([("ProcedureCall@neo4j", "db.labels(apoc.x()) :: (label :: STRING)")], "r",
     "function apoc.x is not a built-in Cypher function"),
    ([("Projection@neo4j", "gds . pageRank(n) AS r")], "r", "function gds.pageRank"),
    ([("Create@neo4j", "(anon_0:Evil)")], "w", "it writes to the graph"),
    ([("ProduceResults@neo4j", "")], "s", "changes the schema"),
])
def test_refused_plans(ops, query_type, reason):
    found = refusals(query_type, plan(*ops), "neo4j")
    assert found and any(reason in r for r in found), found


@pytest.mark.parametrize("ops", [
    [("ProduceResults@neo4j", "n"), ("AllNodesScan@neo4j", "n")],
    [("ProcedureCall@neo4j", "db.labels() :: (label :: STRING)")],
    [("ShowIndexes@neo4j", "")], [("ShowConstraints@neo4j", "")],
    [("Projection@neo4j", "datetime.truncate($autostring_0, datetime()) AS d, "
      "point.distance(a, b) AS p, vector.similarity.cosine(a, b) AS s")],
])
def test_allowed_plans(ops):
    assert refusals("r", plan(*ops), "neo4j") == []


def test_no_plan_is_refused():
    assert refusals("r", None, "neo4j")


def test_the_allow_list_holds_no_admin_or_write_procedure():
    assert not any(p.startswith(("dbms.", "tx.", "db.stats.", "db.create"))
                   for p in ALLOWED_PROCEDURES)
    assert "db.clearQueryCaches" not in ALLOWED_PROCEDURES


def error(code: str, message: str) -> Neo4jError:
    return Neo4jError._hydrate_neo4j(code=code, message=message)


def test_errors_become_clear_refusals():
    timed_out = _refusal(error("Neo.ClientError.Transaction.TransactionTimedOutClientConfiguration",
                               "The transaction has been terminated."), 2)
    assert isinstance(timed_out, QueryTimedOut) and "timed out after 2 s" in str(timed_out)
    memory = _refusal(error("Neo.TransientError.General.MemoryPoolOutOfMemoryError",
                            "db.memory.transaction.max threshold reached"), 60)
    assert "needs more memory than one transaction may use" in str(memory)
    deadlock = _refusal(error("Neo.TransientError.Transaction.DeadlockDetected", "deadlock"), 60)
    assert type(deadlock) is QueryRefused
    assert str(deadlock).startswith("Neo4j could not complete the query now") \
        and "run it again" in str(deadlock)
    syntax = _refusal(error("Neo.ClientError.Statement.SyntaxError", "Invalid input"), 60)
    assert str(syntax) == "Neo.ClientError.Statement.SyntaxError: Invalid input"
    assert all(e.kind == "invalid" for e in (timed_out, memory, deadlock, syntax))
