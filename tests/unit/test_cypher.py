"""The Cypher statement files: names, placeholders filled only with declared names, multi-
statement files, and the query library's documentation. (Every statement is checked by the
real Neo4j in integration/test_cypher_statements.py.)"""

from __future__ import annotations

import re

import pytest

from vctrace import cypher
from vctrace.cypher import UnknownQuery, UnsafeName

# importing the registries declares the labels and relationship types they own
import vctrace.kg.grounding  # noqa: F401
import vctrace.kg.trace_store  # noqa: F401
import vctrace.loaders  # noqa: F401
import vctrace.runs.engine  # noqa: F401
import vctrace.verifiers  # noqa: F401


def test_every_statement_has_an_owner_and_loads():
    names = cypher.names()
    assert len(names) > 50 and names == sorted(set(names))
    assert {n.split("/")[0] for n in names} == set(cypher.OWNERS)
    for name in names:
        if not cypher.placeholders(name):
            assert cypher.load(name).strip(), name


def test_unknown_names_are_refused():
    for name in ("clear_graph", "nobody/clear_graph", "kg/no_such_statement", "../kg/ping"):
        with pytest.raises(UnknownQuery):
            cypher.load(name)


def test_a_placeholder_takes_only_a_declared_name():
    assert cypher.placeholders("loaders/merge_primekg_nodes") == ["LABEL"]
    text = cypher.load("loaders/merge_primekg_nodes", LABEL="Gene")
    assert "MERGE (n:Gene {key: r.key})" in text and "$$" not in text
    for unsafe in ("NotADeclaredLabel", "Gene {key: 1}) DETACH DELETE n //", "Gene`", ""):
        with pytest.raises(UnsafeName):
            cypher.load("loaders/merge_primekg_nodes", LABEL=unsafe)
    with pytest.raises(UnsafeName):
        cypher.allow_names(["Gene) DETACH DELETE (n"])
    assert "NotADeclaredLabel" not in cypher._ALLOWED


def test_exactly_the_placeholders_of_a_statement_are_filled():
    with pytest.raises(ValueError, match="takes names"):
        cypher.load("loaders/merge_primekg_nodes")  # missing
    with pytest.raises(ValueError, match="takes names"):
        cypher.load("loaders/merge_primekg_nodes", LABEL="Gene", REL="PROTEIN_PROTEIN")  # extra
    with pytest.raises(ValueError, match="takes names"):
        cypher.load("kg/graph_summary", LABEL="Gene")  # a statement without placeholders
    edges = cypher.load("loaders/merge_primekg_edges", A="Drug", B="Gene", TYPE="DRUG_PROTEIN")
    assert "MERGE (a)-[e:DRUG_PROTEIN]->(b)" in edges


def test_multi_statement_files_split_into_statements():
    statements = cypher.statements("kg/schema")
    assert len(statements) > 10
    assert all(s.startswith("CREATE ") and ";" not in s.rstrip(";") for s in statements)
    assert not any("//" in s for s in statements)
    assert cypher.statements("kg/ping") == ["RETURN 1 AS ok"]  # comments left out


def test_every_library_query_is_documented():
    library = cypher.library()
    assert {"traces_by_drug", "traces_by_cell_line", "traces_by_primitive",
            "traces_by_entity", "claims_shared_by_traces"} <= set(library)
    for name, about in library.items():
        assert about, f"library/{name}.cypher has no description on its first line"
        text = cypher.library_query(name)
        header = " ".join(line.lstrip("/ ") for line in text.splitlines()
                          if line.startswith("//"))
        for param in set(re.findall(r"\$([A-Za-z_][A-Za-z0-9_]*)", text)):
            assert param in header, f"library/{name}: parameter ${param} is not documented"
    with pytest.raises(UnknownQuery):
        cypher.library_query("clear_graph")
