"""The Tahoe-100M DE loader on shards the tests write in the real 16-column schema."""

import pandas as pd
import pytest

from vctrace.cli import main
from vctrace.kg.trace_store import write_traces
from vctrace.loaders import SourceFileError, list_releases
from vctrace.kg.gene_bitmap import is_set
from vctrace.loaders.tahoe_de import COLUMNS, TahoeDELoader, condition_key
from vctrace.traces.records import read_traces

from support.de_rows import de_row
from support.paths import EXAMPLES

GENES = ["DUSP6", "SPRY4", "ETV5", "CCND1", "CDKN1B", "XIST"]
# per gene: (log2FoldChange, padj); None = not tested (baseMean 0, null statistics)
STATS = {"DUSP6": (-3.1, 1e-9), "SPRY4": (-1.2, 1e-4), "ETV5": (-0.3, 0.5),
         "CCND1": (-2.0, 0.2), "CDKN1B": (1.8, 1e-3), "XIST": None}


def shard(path, conditions=(("Trametinib", "C32"), ("Bortezomib", "A549"))):
    rows = []
    for drug, cell in conditions:
        for gene in GENES:
            stats = STATS[gene]
            rows.append(de_row(gene, stats, drug=drug, cell_line=cell, concentration=0.5,
                               plate="plate3"))
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    frame.to_parquet(path)
    return path


def _calls(neo4j, drug="trametinib"):
    records, _, _ = neo4j.driver.execute_query(
        "MATCH (e:DEExperiment)-[:OF_DRUG]->(:Drug {key: $d}) MATCH (e)-[c:DE]->(g:Gene) "
        "RETURN g.symbol AS gene, c.direction AS dir ORDER BY gene", d=drug)
    return [(r["gene"], r["dir"]) for r in records]


def test_significant_calls_and_tested_genes(neo4j, tmp_path):
    release = TahoeDELoader(neo4j.graph).load([shard(tmp_path / "shard.parquet")])
    assert (release.rows_read, release.rows_loaded, release.rows_rejected) == (12, 12, 0)
    # padj < 0.05 and |log2FC| >= 0.5: ETV5 (small change) and CCND1 (padj .2) are out
    assert _calls(neo4j) == [("CDKN1B", "up"), ("DUSP6", "down"), ("SPRY4", "down")]
    records, _, _ = neo4j.driver.execute_query(
        "MATCH (e:DEExperiment {key: $k})-[:IN_CELL_LINE]->(c:CellLine), "
        "(u:GeneUniverse {key: e.universe}) RETURN e, c.key AS cell, u.genes AS genes",
        k=condition_key("Trametinib", "C32", 0.5))
    experiment, genes = records[0]["e"], records[0]["genes"]
    assert records[0]["cell"] == "c32" and experiment["genes_tested"] == 5
    tested = {g: is_set(experiment["tested_bitmap"], i) for i, g in enumerate(genes)}
    assert tested == {g: STATS[g] is not None for g in GENES}  # XIST: not measured
    assert list_releases(neo4j.graph)[0]["options_json"] == \
        '{"conditions": "all", "min_abs_lfc": 0.5, "padj": 0.05}'


def test_thresholds_are_options(neo4j, tmp_path):
    TahoeDELoader(neo4j.graph).load([shard(tmp_path / "s.parquet")],
                                    {"min_abs_lfc": 1.5, "padj": 0.01})
    assert _calls(neo4j) == [("CDKN1B", "up"), ("DUSP6", "down")]


def test_only_the_conditions_of_ingested_traces(neo4j, tmp_path):
    list(write_traces(neo4j.graph, read_traces(EXAMPLES / "demo_traces.jsonl")))
    release = TahoeDELoader(neo4j.graph).load(
        [shard(tmp_path / "s.parquet", (("Trametinib ", "C32"), ("Ixazomib", "A549")))],
        {"conditions": "traces"})
    assert release.rows_loaded == 6  # the ixazomib/A549 rows have no trace
    assert len(_calls(neo4j)) == 3 and _calls(neo4j, "ixazomib") == []
    records, _, _ = neo4j.driver.execute_query(
        "MATCH (t:Trace {trace_id: 'demo-trametinib-c32'})-[:PERTURBED_BY]->(d:Drug)"
        "<-[:OF_DRUG]-(e:DEExperiment)-[:IN_CELL_LINE]->(c:CellLine)<-[:IN_CELL_LINE]-(t) "
        "MATCH (e)-[x:DE]->(g:Gene {key: 'dusp6'}) RETURN x.log2fc AS lfc")
    assert records[0]["lfc"] == -3.1


def test_loading_twice_changes_nothing(neo4j, tmp_path):
    path = shard(tmp_path / "s.parquet")
    TahoeDELoader(neo4j.graph).load([path])
    count = "MATCH (n) OPTIONAL MATCH (n)-[r]->() RETURN count(DISTINCT n) AS n, count(r) AS r"
    before = neo4j.driver.execute_query(count).records[0]
    TahoeDELoader(neo4j.graph).load([path])
    assert neo4j.driver.execute_query(count).records[0] == before


def test_wrong_files_are_refused(neo4j, tmp_path):
    wrong = tmp_path / "drug_metadata.parquet"
    pd.DataFrame({"drug": ["x"], "targets": ["EGFR"]}).to_parquet(wrong)
    with pytest.raises(SourceFileError, match="not a Tahoe DE shard: missing column"):
        TahoeDELoader(neo4j.graph).load([wrong])
    text = tmp_path / "shard.parquet"
    text.write_text("gene_name,baseMean\n")
    with pytest.raises(SourceFileError, match="not a parquet file"):
        TahoeDELoader(neo4j.graph).load([text])


def test_cli_options(neo4j, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("VCTRACE_NEO4J_PASSWORD", neo4j.password)
    cli = ["--neo4j-uri", neo4j.uri, "--neo4j-user", neo4j.user]
    path = str(shard(tmp_path / "s.parquet"))
    assert main([*cli, "load", "tahoe-de", path, "--min-abs-lfc", "1.5"]) == 0
    assert "12 rows read, 12 loaded, 0 rejected" in capsys.readouterr().out
    assert main([*cli, "load", "primekg", path, "--padj", "0.1"]) == 2
    assert "--padj applies to tahoe-de, not primekg" in capsys.readouterr().err
