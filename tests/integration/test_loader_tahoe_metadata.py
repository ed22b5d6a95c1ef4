"""The Tahoe-100M metadata loader, on the real files in shared/data/tahoe and on broken ones.
(Base drug names: unit/test_entity_names.py; registration: unit/test_plugins.py.)"""

import pandas as pd
import pytest

from vctrace.cli import main
from vctrace.kg.trace_store import write_traces
from vctrace.loaders import SourceFileError, list_releases
from vctrace.loaders.tahoe_metadata import TahoeMetadataLoader
from vctrace.traces.identity import normalise_text
from vctrace.traces.records import read_traces

from support.paths import EXAMPLES, TAHOE

REAL = [TAHOE / "drug_metadata.parquet", TAHOE / "cell_line_metadata.parquet",
        TAHOE / "obs_cell_grid.parquet"]


def _count(neo4j, query, **params):
    records, _, _ = neo4j.driver.execute_query(query, **params)
    return records[0][0]


@pytest.mark.shared_data
def test_real_metadata_load(neo4j):
    drugs = pd.read_parquet(REAL[0])
    cells = pd.read_parquet(REAL[1])
    grid = pd.read_parquet(REAL[2])
    release = TahoeMetadataLoader(neo4j.graph).load(REAL, {"source_version": "2025-02"})
    assert release.rows_read == len(drugs) + len(cells) + len(grid)
    assert release.rows_rejected == 0 and release.rows_loaded == release.rows_read
    assert _count(neo4j, "MATCH (d:Drug) RETURN count(d)") == \
        len(set(drugs["drug"].map(normalise_text)) | set(grid["drug"].map(normalise_text)))
    assert _count(neo4j, "MATCH (d:Drug {is_control: true}) RETURN collect(d.name)") == \
        ["DMSO_TF"]
    assert _count(neo4j, "MATCH (c:CellLine) RETURN count(c)") == \
        len(set(cells["cell_name"].map(normalise_text)) | set(grid["cell_name"].map(normalise_text)))
    expected_targets = sum(len([t for t in str(v).split(",") if t.strip() and " " not in t.strip()])
                           for v in drugs["targets"].dropna())
    # one real target is a viral protease, not a human gene: reported, not linked
    partial = [p for p in release.problems if not p.rejected]
    assert [p.message for p in partial] == [
        "Palmatine (chloride): target(s) that are not gene symbols, not linked: 'WNV NS2B-NS3'"]
    assert _count(neo4j, "MATCH (:Drug)-[r:TARGETS]->(:Gene) RETURN count(r)") == expected_targets
    records, _, _ = neo4j.driver.execute_query(
        "MATCH (d:Drug {key: 'trametinib'})-[:TARGETS]->(g:Gene) RETURN d, collect(g.symbol) AS t")
    assert sorted(records[0]["t"]) == ["MAP2K1", "MAP2K2"]
    assert records[0]["d"]["moa_fine"] == "MEK inhibitor" and records[0]["d"]["human_approved"]
    records, _, _ = neo4j.driver.execute_query(
        "MATCH (c:CellLine {key: 'c32'})-[h:HAS_DRIVER]->(g:Gene {key: 'braf'}) "
        "RETURN c.cellosaurus_id AS cvcl, h.mechanism AS m")
    assert records[0]["m"] == "GoF" and records[0]["cvcl"].startswith("CVCL_")
    assert _count(neo4j, "MATCH (:Drug)-[t:TESTED_IN]->(:CellLine) RETURN count(t)") == \
        grid.assign(d=grid["drug"].map(normalise_text), c=grid["cell_name"].map(normalise_text)) \
            .drop_duplicates(["d", "c", "conc", "plate"]).shape[0]
    assert _count(neo4j, "MATCH (d:Drug {key: 'ixazomib citrate'}) RETURN d.base_name") == \
        "ixazomib"
    # provenance: every node and relationship names its source; one release recorded
    assert _count(neo4j, "MATCH (n:Entity) WHERE NOT 'tahoe-100m' IN n.sources "
                  "RETURN count(n)") == 0
    assert _count(neo4j, "MATCH ()-[r:TARGETS|HAS_DRIVER|TESTED_IN]->() "
                  "WHERE r.source <> 'tahoe-100m' OR r.release <> $k RETURN count(r)",
                  k=release.key) == 0
    recorded, = list_releases(neo4j.graph)
    assert recorded["version"] == "2025-02" and recorded["rows_loaded"] == release.rows_loaded


@pytest.mark.shared_data
def test_loading_twice_changes_nothing(neo4j):
    TahoeMetadataLoader(neo4j.graph).load(REAL[:2])
    shape = "MATCH (n) OPTIONAL MATCH (n)-[r]->() RETURN count(DISTINCT n), count(r)"
    records, _, _ = neo4j.driver.execute_query(shape)
    before = tuple(records[0])
    TahoeMetadataLoader(neo4j.graph).load(REAL[:2])
    records, _, _ = neo4j.driver.execute_query(shape)
    assert tuple(records[0]) == before
    assert len(list_releases(neo4j.graph)) == 1


@pytest.mark.shared_data
def test_traces_and_metadata_share_drug_and_cell_line_nodes(neo4j):
    list(write_traces(neo4j.graph, read_traces(EXAMPLES / "demo_traces.jsonl")))
    TahoeMetadataLoader(neo4j.graph).load(REAL[:2])
    records, _, _ = neo4j.driver.execute_query(
        "MATCH (t:Trace {trace_id: 'demo-trametinib-c32'})-[:PERTURBED_BY]->(d:Drug)"
        "-[:TARGETS]->(g:Gene), (t)-[:IN_CELL_LINE]->(c:CellLine)-[:HAS_DRIVER]->(b:Gene) "
        "RETURN collect(DISTINCT g.symbol) AS targets, collect(DISTINCT b.symbol) AS drivers")
    assert sorted(records[0]["targets"]) == ["MAP2K1", "MAP2K2"]
    assert "BRAF" in records[0]["drivers"]


@pytest.mark.shared_data
def test_bad_rows_are_reported_with_lines_and_the_rest_loads(neo4j, tmp_path):
    good = pd.read_parquet(REAL[0]).head(3)
    bad = good.copy()
    bad.loc[1, "drug"] = "   "
    bad.loc[2, "targets"] = "EGFR, not a symbol!"
    path = tmp_path / "drug_metadata.parquet"
    bad.to_parquet(path)
    release = TahoeMetadataLoader(neo4j.graph).load([path])
    assert release.rows_read == 3 and release.rows_loaded == 2 and release.rows_rejected == 1
    assert [(p.line, p.rejected, p.message.split(":")[0]) for p in release.problems] == \
        [(3, True, "drug name is empty"), (4, False, good.loc[2, "drug"].strip())]
    assert _count(neo4j, "MATCH (d:Drug) RETURN count(d)") == 2


def test_wrong_files_are_refused_before_anything_is_written(neo4j, tmp_path):
    wrong = tmp_path / "drug_metadata.parquet"
    pd.DataFrame({"x_id": [1], "x_type": ["gene"]}).to_parquet(wrong)
    with pytest.raises(SourceFileError, match="missing column"):
        TahoeMetadataLoader(neo4j.graph).load([wrong])
    gmt = tmp_path / "kg.csv"
    gmt.write_text("set\tdesc\tA\tB\n")
    with pytest.raises(SourceFileError, match="not a Tahoe metadata file"):
        TahoeMetadataLoader(neo4j.graph).load([gmt])
    notparquet = tmp_path / "cell_line_metadata.parquet"
    notparquet.write_text("not parquet")
    with pytest.raises(SourceFileError, match="not a parquet file"):
        TahoeMetadataLoader(neo4j.graph).load([notparquet])
    assert _count(neo4j, "MATCH (n) RETURN count(n)") == 0


@pytest.mark.shared_data
def test_cli_load_and_sources(neo4j, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("VCTRACE_NEO4J_PASSWORD", neo4j.password)
    cli = ["--neo4j-uri", neo4j.uri, "--neo4j-user", neo4j.user]
    assert main([*cli, "load", "tahoe-metadata", str(TAHOE), "--source-version", "v1"]) == 0
    out = capsys.readouterr().out
    assert "tahoe-metadata:" in out and "0 rejected" in out
    assert main([*cli, "sources"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("tahoe-100m v1") and "drug_metadata.parquet" in out
    assert main([*cli, "load", "tahoe-metadata", str(tmp_path / "missing")]) == 2
    assert "no such file" in capsys.readouterr().err
