"""The Harmonizome loader on gene_attribute_edges files the tests write in the real layout."""

import gzip

import pytest

from vctrace.loaders import SourceFileError
from vctrace.loaders.harmonizome import HEADER, HarmonizomeLoader

ROWS = [("MAP2K1", "na", "5604", "trametinib_MCF7_10uM", "na", "na", "-1.000000"),
        ("DUSP6", "na", "1848", "trametinib_MCF7_10uM", "na", "na", "-1.000000"),
        ("CDKN1B", "na", "1027", "trametinib_MCF7_10uM", "na", "na", "1.000000"),
        ("DUSP6", "na", "1848", "selumetinib_A549_1uM", "na", "na", "-1.000000")]


def write(path, rows=ROWS, compress=True, extra=()):
    lines = ["\t".join(HEADER), "\t".join(("GeneSym", "na", "GeneID", "na", "na", "na",
                                           "na"))]
    lines += ["\t".join(r) for r in rows] + list(extra)
    data = ("\n".join(lines) + "\n").encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


def _edges(neo4j):
    records, _, _ = neo4j.driver.execute_query(
        "MATCH (g:Gene)-[e:HAS_ATTRIBUTE]->(a:HarmonizomeAttribute) "
        "RETURN g.symbol AS g, a.name AS a, e.dataset AS d, e.sign AS s ORDER BY g, a")
    return [tuple(r.values()) for r in records]


def test_gz_file_with_dataset_from_its_folder(neo4j, tmp_path):
    path = write(tmp_path / "lincscmapchemical" / "gene_attribute_edges.txt.gz")
    release = HarmonizomeLoader(neo4j.graph).load([path])
    assert (release.rows_read, release.rows_loaded, release.rows_rejected) == (4, 4, 0)
    assert _edges(neo4j) == [
        ("CDKN1B", "trametinib_MCF7_10uM", "lincscmapchemical", 1),
        ("DUSP6", "selumetinib_A549_1uM", "lincscmapchemical", -1),
        ("DUSP6", "trametinib_MCF7_10uM", "lincscmapchemical", -1),
        ("MAP2K1", "trametinib_MCF7_10uM", "lincscmapchemical", -1)]
    records, _, _ = neo4j.driver.execute_query("MATCH (g:Gene {key: 'dusp6'}) RETURN g")
    assert records[0]["g"]["entrez_id"] == "1848"


def test_plain_text_named_dataset_and_idempotency(neo4j, tmp_path):
    path = write(tmp_path / "x" / "gene_attribute_edges.txt", compress=False)
    HarmonizomeLoader(neo4j.graph).load([path], {"dataset": "cmap"})
    HarmonizomeLoader(neo4j.graph).load([path], {"dataset": "cmap"})
    assert len(_edges(neo4j)) == 4 and {e[2] for e in _edges(neo4j)} == {"cmap"}


def test_bad_rows_are_reported_and_the_rest_loads(neo4j, tmp_path):
    extra = ["DUSP6\tna\t1848\tx", "\tna\tna\tx\tna\tna\t1", "EGFR\tna\t1956\tx\tna\tna\thigh"]
    path = write(tmp_path / "cmap" / "gene_attribute_edges.txt.gz", extra=extra)
    release = HarmonizomeLoader(neo4j.graph).load([path])
    assert release.rows_loaded == 4 and release.rows_rejected == 3
    assert [p.line for p in release.problems] == [7, 8, 9]
    assert "weight 'high' is not a number" in release.problems[2].message


def test_wrong_files_are_refused(neo4j, tmp_path):
    gmt = tmp_path / "lib.gmt"
    gmt.write_text("REACTOME_X\thttp://x\tMAP2K1\tMAPK1\n")
    with pytest.raises(SourceFileError, match="not a Harmonizome gene_attribute_edges file"):
        HarmonizomeLoader(neo4j.graph).load([gmt])
    broken = tmp_path / "d" / "gene_attribute_edges.txt.gz"
    broken.parent.mkdir()
    broken.write_bytes(b"\x1f\x8b\x08\x00garbage")
    with pytest.raises(SourceFileError, match="cannot read"):
        HarmonizomeLoader(neo4j.graph).load([broken])
    records, _, _ = neo4j.driver.execute_query("MATCH (n) RETURN count(n) AS c")
    assert records[0]["c"] == 0
