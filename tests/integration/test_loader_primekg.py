"""The PrimeKG loader on small files the tests write in PrimeKG's real formats."""

import pytest

from vctrace.loaders import SourceFileError
from vctrace.loaders.primekg import COLUMNS_10, COLUMNS_12, PrimeKGLoader

# (relation, display_relation, (index, id, type, name, source) of x, then of y)
BINI = ("20000", "DB11967", "drug", "Binimetinib", "DrugBank")
MEK1 = ("100", "5604", "gene/protein", "MAP2K1", "NCBI")
ERK2 = ("101", "5594", "gene/protein", "MAPK1", "NCBI")
RAF = ("300", "R-HSA-5673001", "pathway", "RAF/MAP kinase cascade", "REACTOME")
MEL = ("400", "13924_12592", "disease", "melanoma, cutaneous", "MONDO_grouped")
NEO = ("401", "5070", "disease", "neoplasm", "MONDO")
EDGES = [("drug_protein", "target", BINI, MEK1), ("protein_protein", "ppi", MEK1, ERK2),
         ("pathway_protein", "interacts with", RAF, MEK1),
         ("indication", "indication", BINI, MEL), ("disease_disease", "parent-child", MEL, NEO)]


def _csv(cells):
    return ",".join(f'"{c}"' if "," in c else c for c in cells)


def write_kg(path, columns=COLUMNS_12, extra=()):
    lines = [",".join(columns)]
    for relation, display, x, y in EDGES:
        for a, b in ((x, y), (y, x)):  # PrimeKG lists both directions
            cells = [relation, display, *a, *b]
            if columns == COLUMNS_10:
                cells = [relation, display, *a[1:], *b[1:]]
            lines.append(_csv(cells))
    lines += list(extra)
    path.write_text("\n".join(lines) + "\n")
    return path


def _counts(neo4j):
    return _graph_counts(neo4j.driver)


def _graph_counts(driver):
    records, _, _ = driver.execute_query(
        "MATCH (n:Entity) WITH [l IN labels(n) WHERE l <> 'Entity'][0] AS label, count(*) AS c "
        "RETURN collect([label, c]) AS nodes")
    nodes = {label: c for label, c in records[0]["nodes"]}
    records, _, _ = driver.execute_query(
        "MATCH ()-[r]->() RETURN type(r) AS t, count(*) AS c ORDER BY t")
    return nodes, {r["t"]: r["c"] for r in records}


def test_kg_csv_loads_each_relationship_once_in_a_canonical_direction(neo4j, tmp_path):
    release = PrimeKGLoader(neo4j.graph).load([write_kg(tmp_path / "kg.csv")])
    assert (release.rows_read, release.rows_loaded, release.rows_rejected) == (10, 10, 0)
    nodes, rels = _counts(neo4j)
    assert nodes == {"Drug": 1, "Gene": 2, "Pathway": 1, "Disease": 2}
    assert rels == {"DRUG_PROTEIN": 1, "PROTEIN_PROTEIN": 1, "PATHWAY_PROTEIN": 1,
                    "INDICATION": 1, "DISEASE_DISEASE": 1}
    records, _, _ = neo4j.driver.execute_query(
        "MATCH (d:Drug)-[r:DRUG_PROTEIN]->(g:Gene) RETURN d.key AS d, d.primekg_id AS id, "
        "g.key AS g, r.display_relation AS dr, r.source AS s")
    assert dict(records[0]) == {"d": "binimetinib", "id": "DB11967", "g": "map2k1",
                                "dr": "target", "s": "primekg"}
    records, _, _ = neo4j.driver.execute_query(
        "MATCH (d:Disease {key: 'MONDO_grouped:13924_12592'}), (n:Disease {key: 'MONDO:0005070'}) "
        "RETURN d.name AS name")
    assert records[0]["name"] == "melanoma, cutaneous"  # a quoted field with a comma


def test_ten_column_variant_gives_the_same_graph(neo4j, tmp_path):
    PrimeKGLoader(neo4j.graph).load([write_kg(tmp_path / "kg.csv")])
    twelve = _counts(neo4j)
    neo4j.driver.execute_query("MATCH (n) DETACH DELETE n")
    PrimeKGLoader(neo4j.graph).load([write_kg(tmp_path / "kg10.csv", COLUMNS_10)])
    assert _counts(neo4j) == twelve


def test_loading_twice_changes_nothing(neo4j, tmp_path):
    path = write_kg(tmp_path / "kg.csv")
    PrimeKGLoader(neo4j.graph).load([path])
    before = _counts(neo4j)
    PrimeKGLoader(neo4j.graph).load([path])
    assert _counts(neo4j) == before


def test_bad_rows_are_reported_by_line_and_the_rest_loads(neo4j, tmp_path):
    extra = ["drug_protein,target,1,DB1,drug,X,DrugBank",  # too few columns
             _csv(["teleports_to", "x", *BINI, *MEK1]),  # unknown relation
             _csv(["drug_protein", "target", *BINI, "7", "", "gene/protein", "EGFR", "NCBI"]),
             _csv(["drug_protein", "target", *BINI, "8", "1956", "alien", "EGFR", "NCBI"])]
    release = PrimeKGLoader(neo4j.graph).load([write_kg(tmp_path / "kg.csv", extra=extra)])
    assert (release.rows_read, release.rows_loaded, release.rows_rejected) == (14, 10, 4)
    assert [(p.line, p.message.split(" (")[0]) for p in release.problems] == [
        (12, "7 columns, expected 12"), (13, "unknown relation 'teleports_to'"),
        (14, "bad node"), (15, "bad node")]
    assert _counts(neo4j)[1]["DRUG_PROTEIN"] == 1


def test_nodes_csv(neo4j, tmp_path):
    nodes = tmp_path / "nodes.csv"
    nodes.write_text("node_index\tnode_id\tnode_type\tnode_name\tnode_source\n"
                     "0\t9796\tgene/protein\tPHYHIP\tNCBI\n1\t8150\tbiological_process\t"
                     "biological_process\tGO\n2\t\tdrug\tNoId\tDrugBank\n")
    release = PrimeKGLoader(neo4j.graph).load([write_kg(tmp_path / "kg.csv"), nodes])
    assert release.rows_rejected == 1 and release.problems[0].line == 4
    nodes_by_label, _ = _counts(neo4j)
    assert nodes_by_label["Gene"] == 3 and nodes_by_label["BiologicalProcess"] == 1


def test_wrong_files_are_refused_before_anything_is_written(neo4j, tmp_path):
    gmt = tmp_path / "kg.csv"
    gmt.write_text("REACTOME_PATHWAY\thttp://x\tMAP2K1\tMAPK1\n")
    with pytest.raises(SourceFileError, match="not a PrimeKG kg.csv"):
        PrimeKGLoader(neo4j.graph).load([gmt])
    harmonizome = tmp_path / "gene_attribute_edges.txt"
    harmonizome.write_text("source\tsource_desc\tsource_id\ttarget\ttarget_desc\ttarget_id\t"
                           "weight\nGeneSym\tna\tGeneID\tna\tna\tna\tna\n")
    with pytest.raises(SourceFileError, match="not a PrimeKG"):
        PrimeKGLoader(neo4j.graph).load([harmonizome])
    records, _, _ = neo4j.driver.execute_query("MATCH (n) RETURN count(n) AS c")
    assert records[0]["c"] == 0


@pytest.mark.slow
def test_bulk_path_builds_the_same_graph(neo4j, tmp_path, monkeypatch, capsys):
    from neo4j import GraphDatabase

    from vctrace.cli import main
    from vctrace.kg.server import LocalNeo4j, free_port
    from vctrace.settings import Settings

    path = write_kg(tmp_path / "kg.csv")
    with path.open("a") as handle:  # a node key too long to index: rejected by both paths
        handle.write(",".join(["drug_protein", "target", "90", "DB99", "drug", "Z" * 10_000,
                               "DrugBank", "91", "5604", "gene/protein", "MAP2K1", "NCBI"])
                     + "\n")
    rejected = sum(1 for _ in path.open())
    release = PrimeKGLoader(neo4j.graph).load([path])
    assert [(p.line, p.message[:28]) for p in release.problems if p.rejected] == [
        (rejected, "not stored: one of its nodes")]
    from vctrace.kg.grounding import ground
    ground(neo4j.graph, rebuild=True)  # as `vctrace load` does after every load
    expected = _counts(neo4j)
    props = ("MATCH (d:Drug)-[r:DRUG_PROTEIN]->(g:Gene) RETURN d {.*} AS d, g {.*} AS g, "
             "r.display_relation AS dr, labels(d) AS l")
    expected_props = neo4j.driver.execute_query(props).records[0]
    home = tmp_path / "home"
    home.mkdir()
    (home / Settings().lib_dir.name).symlink_to(Settings().lib_dir)
    port = free_port()
    cli = ["--home", str(home), "--bolt-port", str(port)]
    monkeypatch.delenv("VCTRACE_NEO4J_URI", raising=False)
    try:
        assert main([*cli, "load", "primekg", "--bulk", str(path)]) == 1  # one row rejected
        assert f"kg.csv:{rejected}: rejected: not stored: node key 'zzzz" in capsys.readouterr().out
        server = LocalNeo4j.from_settings(Settings(home=home, bolt_port=port))
        with GraphDatabase.driver(server.uri, auth=("neo4j", server.password())) as driver:
            assert _graph_counts(driver) == expected
            got = driver.execute_query(props).records[0]
            assert sorted(got["l"]) == sorted(expected_props["l"])
            assert got["dr"] == expected_props["dr"] and got["g"] == expected_props["g"]
            assert {k: v for k, v in got["d"].items()} == dict(expected_props["d"])
        assert main([*cli, "load", "primekg", "--bulk", str(path)]) == 2  # not empty any more
    finally:
        main([*cli, "db", "stop"])
