"""Per-record isolation in knowledge loads (issue 9): a row Neo4j refuses to store, a row
with bad quoting or extra cells, a corrupt parquet row group or a file corrupted part-way is
reported with its file and line; the valid rows around it (same batch, later lines, later
files and row groups) are loaded and the SourceRelease is recorded; paths that are not
regular files, and empty files, are refused as such."""

from __future__ import annotations

import gzip
import os

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from vctrace.cli import main
from vctrace.loaders.harmonizome import HEADER as HARMONIZOME_HEADER
from vctrace.loaders.primekg import COLUMNS_10

BIG = "Z" * 1_000_000  # a 1 MB drug name: its key is far past Neo4j's index key limit


@pytest.fixture
def cli(neo4j, monkeypatch):
    """Global options for the session's server (the password only from the environment)."""
    monkeypatch.setenv("VCTRACE_NEO4J_PASSWORD", neo4j.password)
    return ["--neo4j-uri", neo4j.uri, "--neo4j-user", neo4j.user]


def _count(neo4j, query: str) -> int:
    records, _, _ = neo4j.driver.execute_query(query)
    return records[0][0]


def _releases(neo4j) -> list[dict]:
    records, _, _ = neo4j.driver.execute_query("MATCH (s:SourceRelease) RETURN s")
    return [dict(r["s"]) for r in records]


def _load(cli, capsys, *args: str) -> tuple[int, str, str]:
    status = main([*cli, "load", *args, "--no-progress"])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


# ---------------------------------------------------------------- PrimeKG


def _drug_gene(drug: str, gene: str, drug_id: str = "DB1", gene_id: str = "1") -> str:
    return ",".join(["drug_protein", "target", drug_id, "drug", drug, "DrugBank",
                     gene_id, "gene/protein", gene, "NCBI"])


def _kg(path, rows: list[str]) -> str:
    path.write_text("\n".join([",".join(COLUMNS_10), *rows]) + "\n")
    return str(path)


def test_primekg_a_huge_name_is_rejected_with_its_line_and_the_rest_loads(neo4j, cli, capsys,
                                                                         tmp_path):
    kg = _kg(tmp_path / "kg.csv", [
        _drug_gene("trametinib", "MAP2K1", "DB1", "5604"),        # line 2
        _drug_gene(BIG, "MAP2K2", "DB2", "5605"),                 # line 3: refused node
        _drug_gene("selumetinib", "MAP2K2", "DB3", "5605"),       # line 4
    ])
    status, out, err = _load(cli, capsys, "primekg", kg)
    assert status == 1, err
    assert "kg.csv:3: rejected: not stored: one of its nodes was refused" in out
    assert "kg.csv:3: partly loaded: Drug node 'ZZZZ" in out and "too large to index" in out
    assert "3 rows read, 2 loaded, 1 rejected" in out
    assert _count(neo4j, "MATCH (:Drug)-[r:DRUG_PROTEIN]->(:Gene) RETURN count(r)") == 2
    assert _count(neo4j, "MATCH (d:Drug) WHERE size(d.name) > 1000 RETURN count(d)") == 0
    release, = _releases(neo4j)
    assert (release["rows_read"], release["rows_loaded"], release["rows_rejected"]) == (3, 2, 1)


def test_primekg_a_huge_name_in_nodes_csv_is_rejected_and_kg_csv_still_loads(neo4j, cli, capsys,
                                                                            tmp_path):
    nodes = tmp_path / "nodes.csv"
    nodes.write_text("node_index,node_id,node_type,node_name,node_source\n"
                     "0,DB9,drug,binimetinib,DrugBank\n"
                     f"1,DB8,drug,{BIG},DrugBank\n"
                     "2,5604,gene/protein,MAP2K1,NCBI\n")
    kg = _kg(tmp_path / "kg.csv", [_drug_gene("trametinib", "MAP2K1", "DB1", "5604")])
    status, out, _ = _load(cli, capsys, "primekg", str(nodes), kg)
    assert status == 1
    assert "nodes.csv:3: rejected: not stored: Neo4j refused it" in out
    assert _count(neo4j, "MATCH (d:Drug) RETURN count(d)") == 2  # binimetinib, trametinib
    assert _count(neo4j, "MATCH ()-[r:DRUG_PROTEIN]->() RETURN count(r)") == 1
    assert len(_releases(neo4j)) == 1


def test_primekg_bad_quoting_and_extra_cells_are_rejected_and_the_next_row_loads(
        neo4j, cli, capsys, tmp_path):
    kg = _kg(tmp_path / "kg.csv", [
        _drug_gene("trametinib", "MAP2K1", "DB1", "5604"),                        # line 2
        _drug_gene('"cobimetinib', "MAP2K1", "DB4", "5604"),                      # 3: open quote
        _drug_gene("selumetinib", "MAP2K2", "DB3", "5605"),                       # 4
        _drug_gene("binimetinib", "MAP2K1", "DB5", "5604") + ",extra",            # 5: 11 cells
        _drug_gene("mirdametinib", "MAP2K2", "DB6", "5605"),                      # 6
    ])
    status, out, _ = _load(cli, capsys, "primekg", kg)
    assert status == 1
    assert "kg.csv:3: rejected: bad quoting" in out
    assert "kg.csv:5: rejected: 11 columns, expected 10" in out
    assert "5 rows read, 3 loaded, 2 rejected" in out
    records, _, _ = neo4j.driver.execute_query("MATCH (d:Drug) RETURN d.key AS k ORDER BY k")
    assert [r["k"] for r in records] == ["mirdametinib", "selumetinib", "trametinib"]


# ---------------------------------------------------------------- paths that are not files


def test_folders_devices_fifos_and_empty_files_are_refused_as_such(neo4j, cli, capsys,
                                                                  tmp_path):
    folder = tmp_path / "kg.csv"
    folder.mkdir()
    fifo = tmp_path / "fifo" / "kg.csv"
    fifo.parent.mkdir()
    os.mkfifo(fifo)
    device = tmp_path / "dev" / "kg.csv"
    device.parent.mkdir()
    device.symlink_to("/dev/zero")
    empty = tmp_path / "empty" / "kg.csv"
    empty.parent.mkdir()
    empty.write_text("")
    for path, message in [(folder, "not a regular file (a folder)"),
                          (fifo, "not a regular file (a device, FIFO or socket)"),
                          (device, "not a regular file (a device, FIFO or socket)"),
                          (empty, "empty file")]:
        status, _, err = _load(cli, capsys, "primekg", str(path))
        assert status == 2, path
        assert err == f"vctrace: {path}: {message}\n"
    for source in ("harmonizome", "hgnc", "ontology"):
        status, _, err = _load(cli, capsys, source, str(folder))
        assert (status, err) == (2, f"vctrace: {folder}: not a regular file (a folder)\n")
    status, _, err = _load(cli, capsys, "tahoe-de", str(device))
    assert (status, err) == (2, f"vctrace: {device}: not a regular file (a device, FIFO or "
                                "socket)\n")
    assert _releases(neo4j) == []


# ---------------------------------------------------------------- Harmonizome and HGNC


def _harmonizome(path, rows, compress=True) -> bytes:
    lines = ["\t".join(HARMONIZOME_HEADER), "\t".join(("GeneSym", "na", "GeneID", "na", "na",
                                                        "na", "na"))]
    lines += ["\t".join(r) for r in rows]
    data = ("\n".join(lines) + "\n").encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(data) if compress else data)
    return path.read_bytes()


def _attribute_rows(n: int, prefix: str) -> list[tuple[str, ...]]:
    return [(f"{prefix}{i}", "na", str(i), "trametinib_MCF7_10uM", "na", "na", "1.0")
            for i in range(n)]


def test_harmonizome_a_refused_row_and_a_file_corrupted_part_way(neo4j, cli, capsys,
                                                                 tmp_path):
    first = tmp_path / "ds" / "first.txt"
    rows = _attribute_rows(3, "GENE") + [("X" * 20_000, "na", "9", "trametinib_MCF7_10uM",
                                           "na", "na", "1.0")] + _attribute_rows(3, "MORE")
    _harmonizome(first, rows, compress=False)
    second = tmp_path / "ds" / "second.txt.gz"
    data = _harmonizome(second, _attribute_rows(20_000, "LATER"))
    second.write_bytes(data[: len(data) * 2 // 3])  # truncated part-way
    status, out, err = _load(cli, capsys, "harmonizome", str(first), str(second))
    assert status == 1, err
    assert "first.txt:6: rejected: not stored: Neo4j refused it" in out
    assert "second.txt.gz:" in out and "cannot read the file from this line on" in out
    assert _count(neo4j, "MATCH (g:Gene) WHERE g.symbol STARTS WITH 'GENE' "
                         "OR g.symbol STARTS WITH 'MORE' RETURN count(g)") == 6
    later = _count(neo4j, "MATCH (g:Gene) WHERE g.symbol STARTS WITH 'LATER' RETURN count(g)")
    assert 0 < later < 20_000  # the rows before the corruption
    release, = _releases(neo4j)
    assert release["rows_loaded"] == 6 + later


def test_hgnc_extra_cells_are_rejected_with_their_line(neo4j, cli, capsys, tmp_path):
    path = tmp_path / "hgnc_complete_set.txt"
    path.write_text("hgnc_id\tsymbol\tname\talias_symbol\tprev_symbol\n"
                    "HGNC:6840\tMAP2K1\tmitogen-activated protein kinase kinase 1\tMEK1\t\n"
                    "HGNC:6842\tMAP2K2\tmitogen-activated protein kinase kinase 2\tMEK2\t\t"
                    "surplus\n"
                    'HGNC:1\t"BRAF\tB-Raf\t\t\n'
                    "HGNC:2\tKRAS\tKRAS proto-oncogene\t\t\n")
    status, out, _ = _load(cli, capsys, "hgnc", str(path))
    assert status == 1
    assert "hgnc_complete_set.txt:3: rejected: 6 columns, expected at most 5" in out
    records, _, _ = neo4j.driver.execute_query("MATCH (g:Gene) RETURN g.symbol AS s ORDER BY s")
    assert [r["s"] for r in records] == ['"BRAF', "KRAS", "MAP2K1"]  # QUOTE_NONE: no swallow


# ---------------------------------------------------------------- parquet row groups


def _corrupt_row_group(path, group: int) -> None:
    metadata = pq.ParquetFile(path).metadata
    data = bytearray(path.read_bytes())
    for c in range(2):  # the first two columns: names, large enough to corrupt inside
        column = metadata.row_group(group).column(c)
        start = column.dictionary_page_offset or column.data_page_offset
        middle = start + column.total_compressed_size // 2
        data[middle:middle + 16] = b"\xff" * 16
    path.write_bytes(bytes(data))


def test_tahoe_metadata_a_corrupt_row_group_is_reported_and_the_others_load(neo4j, cli, capsys,
                                                                          tmp_path):
    n = 1000
    path = tmp_path / "gene_metadata.parquet"
    pq.write_table(pa.table({"gene_symbol": [f"G{i}" for i in range(3 * n)],
                             "ensembl_id": [f"ENSG{i:011d}" for i in range(3 * n)]}),
                   path, row_group_size=n, compression="snappy")
    _corrupt_row_group(path, 1)
    status, out, err = _load(cli, capsys, "tahoe-metadata", str(path))
    assert status == 1, err
    assert (f"gene_metadata.parquet:{n + 2}: rejected: row group 1 (lines {n + 2}–{2 * n + 1}, "
            f"1,000 rows) cannot be read: ") in out
    assert "3,000 rows read, 2,000 loaded, 1,000 rejected" in out
    assert _count(neo4j, "MATCH (g:Gene) RETURN count(g)") == 2 * n
    assert _count(neo4j, "MATCH (g:Gene {key: 'g2999'}) RETURN count(g)") == 1
    assert len(_releases(neo4j)) == 1


def _de_rows(genes: list[str], per_drug: int) -> dict[str, list]:
    from vctrace.loaders.tahoe_de import COLUMNS

    rows: dict[str, list] = {c: [] for c in COLUMNS}
    for i, gene in enumerate(genes):
        values = {"gene_name": gene, "baseMean": 10.0, "log2FoldChange": 2.0, "lfcSE": 0.1,
                  "stat": 5.0, "pvalue": 1e-6, "padj": 1e-5, "plate": "p1",
                  "n_cells_trt": 100, "n_cells_ctrl": 100, "Cell_ID_Cellosaur": "CVCL_1",
                  "Cell_ID_DepMap": "ACH-1", "Cell_Name_Vevo": "A549",
                  "drug": f"drug{i // per_drug}", "concentration": 1.0,
                  "concentration_unit": "uM"}
        for c in COLUMNS:
            rows[c].append(values[c])
    return rows


def test_tahoe_de_a_refused_gene_is_rejected_and_the_other_calls_load(neo4j, cli, capsys,
                                                                   tmp_path):
    path = tmp_path / "shard.parquet"
    pq.write_table(pa.table(_de_rows(["MAP2K1", "Q" * 20_000, "DUSP6"], 3)), path)
    status, out, err = _load(cli, capsys, "tahoe-de", str(path))
    assert status == 1, err
    assert "shard.parquet:0: rejected: gene 'QQQ" in out and "too large" in out
    assert _count(neo4j, "MATCH ()-[r:DE]->() RETURN count(r)") == 2
    assert len(_releases(neo4j)) == 1


def test_tahoe_de_a_corrupt_row_group_is_reported_and_the_others_load(neo4j, cli, capsys,
                                                                    tmp_path):
    n = 500
    rows = _de_rows([f"G{i}" for i in range(3 * n)], n)
    path = tmp_path / "shard.parquet"
    pq.write_table(pa.table(rows), path, row_group_size=n, compression="snappy")
    _corrupt_row_group(path, 1)
    status, out, err = _load(cli, capsys, "tahoe-de", str(path))
    assert status == 1, err
    assert f"shard.parquet:{n + 2}: rejected: row group 1" in out
    assert _count(neo4j, "MATCH (e:DEExperiment) RETURN count(e)") == 2, out  # drug0, drug2
    assert _count(neo4j, "MATCH ()-[r:DE]->() RETURN count(r)") == 2 * n
    assert len(_releases(neo4j)) == 1


def test_the_release_is_recorded_when_a_later_file_fails_part_way(neo4j, cli, capsys, tmp_path,
                                                                  monkeypatch):
    """nodes.csv loads, then kg.csv fails after its first batch (a read error the loader has
    no row-level handling for): the release is recorded with what was loaded, and the error
    names the file (exit 2)."""
    from vctrace.loaders import primekg

    nodes = tmp_path / "nodes.csv"
    nodes.write_text("node_index,node_id,node_type,node_name,node_source\n"
                     "0,DB9,drug,binimetinib,DrugBank\n")
    kg = _kg(tmp_path / "kg.csv", [_drug_gene("trametinib", "MAP2K1", "DB1", "5604"),
                                   _drug_gene("selumetinib", "MAP2K2", "DB3", "5605")])
    real = primekg.edge_rows

    def failing(file, release):
        for n, item in enumerate(real(file, release)):
            if n == 1:
                raise OSError("Input/output error")
            yield item

    monkeypatch.setattr(primekg, "edge_rows", failing)
    status, _, err = _load(cli, capsys, "primekg", str(nodes), kg)
    assert status == 2
    assert err.startswith("vctrace: kg.csv: load stopped: Input/output error (release sr-")
    release, = _releases(neo4j)
    assert "kg.csv:0: rejected: load stopped here: Input/output error" in \
        release["problems_sample"]
    assert _count(neo4j, "MATCH (d:Drug {key: 'binimetinib'}) RETURN count(d)") == 1


# ---------------------------------------------------------------- ontologies


def test_ontology_refused_terms_are_reported_at_their_line(neo4j, cli, capsys, tmp_path):
    """obonet keeps no line numbers; a refused term is reported at its ``id:`` line. A name
    too long to be an alias key is stored but not indexed as an alias (it broke grounding)."""
    huge_id = "GO:" + "9" * 10_000
    obo = tmp_path / "go.obo"
    obo.write_text("\n".join([
        "format-version: 1.2", "ontology: go", "",
        "[Term]", "id: GO:0000001", "name: good process", "namespace: biological_process", "",
        "[Term]", "id: GO:0000002", "namespace: biological_process", "",
        "[Term]", f"id: {huge_id}", "name: huge id", "namespace: biological_process", "",
        "[Term]", "id: GO:0000004", f"name: {'long ' * 2_000}",
        "namespace: biological_process", "",
        "[Term]", "id: GO:0000005", "name: later process", "namespace: biological_process",
        ""]))
    status, out, err = _load(cli, capsys, "ontology", str(obo))
    assert status == 1, err
    assert "go.obo:10: rejected: GO:0000002: no name" in out
    assert f"go.obo:14: rejected: {huge_id}: not stored: Neo4j refused it" in out
    assert "5 rows read, 3 loaded, 2 rejected" in out
    assert _count(neo4j, "MATCH (p:BiologicalProcess) RETURN count(p)") == 3
    assert _count(neo4j, "MATCH (a:Alias)-[:ALIAS_OF]->(:BiologicalProcess {key: 'GO:0000004'}) "
                         "RETURN max(size(a.key))") < 20  # its id's forms only
