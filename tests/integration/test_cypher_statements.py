"""Every statement file of vctrace/cypher is accepted by the real Neo4j: ``EXPLAIN`` plans each
one (parsing and semantic checks: unknown variables, wrong types, bad syntax) without running
it, so a broken statement fails here even if no other test reaches it."""

from __future__ import annotations

import pytest

from vctrace import cypher

# importing the registries declares the labels and relationship types statements are filled
# with (only declared names are accepted)
import vctrace.kg.grounding  # noqa: F401
import vctrace.kg.trace_store  # noqa: F401
import vctrace.loaders  # noqa: F401
import vctrace.runs.engine  # noqa: F401
import vctrace.verifiers  # noqa: F401

# a declared name for each placeholder: TYPE and REL stand for relationship types, the others
# for labels
FILL = {"LABEL": "Gene", "A": "Drug", "B": "Gene", "TYPE": "PROTEIN_PROTEIN",
        "REL": "PROTEIN_PROTEIN"}


def texts(name: str) -> list[str]:
    """The statements of file ``name``, placeholders filled."""
    wanted = cypher.placeholders(name)
    if not wanted:
        return cypher.statements(name)
    unknown = set(wanted) - set(FILL)
    assert not unknown, f"{name}: say in FILL what placeholder(s) {unknown} stand for"
    return [cypher.load(name, **{key: FILL[key] for key in wanted})]


def explain(session, text: str) -> None:
    # an implicit (auto-commit) transaction: files with CALL … IN TRANSACTIONS need one
    session.run("EXPLAIN " + text).consume()


@pytest.mark.parametrize("name", cypher.names())
def test_every_statement_is_planned_by_neo4j(neo4j_server, name):
    statements = texts(name)
    assert statements, name
    with neo4j_server.driver.session() as session:
        for text in statements:
            explain(session, text)


def test_the_check_fails_a_broken_statement(neo4j_server):
    from neo4j.exceptions import CypherSyntaxError
    broken = cypher.load("runs/find_runs").replace("RETURN", "RETRUN", 1)
    unknown_variable = cypher.load("kg/graph_summary") + "\n, nosuchvariable AS x"
    with neo4j_server.driver.session() as session:
        for text in (broken, unknown_variable):
            with pytest.raises(CypherSyntaxError):
                explain(session, text)
