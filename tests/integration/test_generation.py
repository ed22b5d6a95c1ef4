"""Generation (vctrace.app.generation, `vctrace pairs`, `vctrace generate --constructor kg`)
against the session's real Neo4j: perturbation records in the exact VC-TRACES shape, the
knowledge-graph constructor on the demo knowledge set (every trace valid, grounded, verified),
and proofs that generation never reads the Tahoe differential expression."""

from __future__ import annotations

import json
import re

import pytest

from vctrace.app import generation
from vctrace.app.verification import VerifyRequest, report_summary, verify
from vctrace.cli import main
from vctrace.loaders.tahoe_metadata import TahoeMetadataLoader
from vctrace.traces.perturbation import QUESTION_LINE

from support.de_free import assert_never_reads_de
from support.knowledge import load_demo_knowledge
from support.neo4j import ensure_loaded
from support.paths import SAMPLES, TAHOE

DEMO_DRUGS, DEMO_CELL_LINES = 20, 5


@pytest.fixture
def demo_traces(neo4j_server):
    """The server holding the demo knowledge set, and whatever traces earlier tests of this
    module generated (they only add traces: no reload needed)."""
    if neo4j_server.loaded is None or neo4j_server.loaded[0] != "demo-knowledge":
        ensure_loaded(neo4j_server, "demo-knowledge", lambda graph: load_demo_knowledge(neo4j_server))
    return neo4j_server


@pytest.fixture
def cli(demo, monkeypatch):
    monkeypatch.setenv("VCTRACE_NEO4J_PASSWORD", demo.password)
    return ["--neo4j-uri", demo.uri, "--neo4j-user", demo.user]


def _rows(path) -> list[dict]:
    """The generated rows of ``path`` without the run key (the one thing that differs
    between two runs)."""
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    for row in rows:
        assert row["provenance"].pop("generation_run").startswith("g-")
    return rows


# ---------------------------------------------------------------- pairs


def test_pairs_cover_the_demo_drugs_and_cell_lines_in_the_vc_traces_shape(demo):
    result = generation.pairs(demo.settings())
    assert len(result.pairs) == DEMO_DRUGS * DEMO_CELL_LINES
    keys = [(p.drug_key, p.cell_line_key) for p in result.pairs]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    for pair in result.pairs:
        record = pair.perturbation
        assert list(record) == ["context", "perturbations"]
        assert list(record["context"][0]) == ["cell type", "subtype", "description"]
        assert list(record["perturbations"][0]) == ["name", "perturbation type", "known targets",
                                                    "moa_type", "smiles"]
        assert pair.question == f"{QUESTION_LINE}\n\n{json.dumps(record, indent=4)}"
    trametinib = next(p for p in result.pairs if (p.drug, p.cell_line) == ("Trametinib", "C32"))
    assert trametinib.perturbation == {
        "context": [{"cell type": "C32", "subtype": "disease cell", "description":
                     "The source organ of cell line C32 is Skin. The key driver mutations of "
                     "this cell line are listed as follow. Oncogene on gene BRAF which causes "
                     "GoF; Suppressor on gene CDKN2A which causes None; Suppressor on gene PTEN "
                     "which causes LoF; Oncogene on gene TERT which causes GoF"}],
        "perturbations": [{"name": "Trametinib", "perturbation type": "chemical",
                           "known targets": "MAP2K1, MAP2K2",
                           "moa_type": "MEK inhibitor; inhibitor/antagonist",
                           "smiles": trametinib.perturbation["perturbations"][0]["smiles"]}]}


def test_pairs_filters_and_limit(demo):
    settings = demo.settings()
    by_drug = generation.pairs(settings, drugs=["trametinib", "IXAZOMIB"])
    # "ixazomib" is the base name of both Ixazomib and Ixazomib citrate
    assert sorted({p.drug for p in by_drug.pairs}) == ["Ixazomib", "Ixazomib citrate",
                                                       "Trametinib"]
    assert len(by_drug.pairs) == 3 * DEMO_CELL_LINES and not by_drug.unmatched_drugs
    both = generation.pairs(settings, drugs=["Trametinib"], cell_lines=["hop62", "A549"])
    assert [(p.drug, p.cell_line) for p in both.pairs] == [("Trametinib", "A549"),
                                                           ("Trametinib", "HOP62")]
    assert len(generation.pairs(settings, limit=7).pairs) == 7
    assert generation.pairs(settings, limit=0).pairs == []
    missing = generation.pairs(settings, drugs=["Trametinib", "no such drug"],
                               cell_lines=["C32", "nowhere"])
    assert missing.unmatched_drugs == ["no such drug"]
    assert missing.unmatched_cell_lines == ["nowhere"]
    assert [(p.drug, p.cell_line) for p in missing.pairs] == [("Trametinib", "C32")]


def test_pairs_command_writes_jsonl_that_generate_reads(cli, tmp_path, capsys):
    out = tmp_path / "pairs.jsonl"
    assert main([*cli, "pairs", "--drug", "Trametinib", "--limit", "2", "-o", str(out)]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["drug"], r["cell_line"]) for r in rows] == [("Trametinib", "A549"),
                                                           ("Trametinib", "C32")]
    assert set(rows[0]) >= {"perturbation", "question"}
    assert main([*cli, "pairs", "--cell-line", "C32", "--format", "table"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split()[:2] == ["drug", "cell_line"] and len(table) == 1 + DEMO_DRUGS
    assert main([*cli, "pairs", "--drug", "nothing-like-it"]) == 1
    assert "no loaded Tahoe-100M drug named 'nothing-like-it'" in capsys.readouterr().err
    traces = tmp_path / "traces.jsonl"
    assert main([*cli, "generate", "--no-progress", "--no-ingest", "--pairs", str(out),
                 "-o", str(traces)]) == 0
    generated = [json.loads(line) for line in traces.read_text().splitlines()]
    assert [g["trace_id"] for g in generated] == ["kg:trametinib|a549", "kg:trametinib|c32"]
    assert [g["perturbation"] for g in generated] == [r["perturbation"] for r in rows]
    capsys.readouterr()
    assert main([*cli, "generate", "--no-progress", "--no-ingest", "--pairs", str(out),
                 "--max-targets", "1", "--format", "json", "-o", str(traces)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["pairs"], report["valid"], report["invalid"], report["ingest"]) == \
        (2, 2, 0, None)
    assert [t["targets"] for t in report["traces"]] == [["MAP2K1"], ["MAP2K1"]]


# ---------------------------------------------------------------- generate


def test_generate_command_end_to_end(cli, tmp_path, capsys):
    out = tmp_path / "kg.jsonl"
    assert main([*cli, "generate", "--no-progress", "--drug", "venetoclax", "--cell-line",
                 "HOP62", "-o", str(out)]) == 0
    text = capsys.readouterr().out
    assert re.search(r"kg 1: 1 pairs, 1 traces \(1 valid, 0 invalid\), 0 skipped", text)
    assert "total: 1 traces written" in text
    run_key = re.search(r"generation run (g-\S+) stored", text).group(1)
    assert main([*cli, "generation-runs"]) == 0
    listed = capsys.readouterr().out
    assert run_key in listed and "kg 1" in listed
    assert main([*cli, "generation-runs", run_key, "--format", "json"]) == 0
    stored, = json.loads(capsys.readouterr().out)
    assert (stored["constructor"], stored["pairs"], stored["traces"], stored["stored"],
            stored["requests"], stored["cost_usd"]) == ("kg", 1, 1, 1, 0, 0.0)
    assert main([*cli, "generation-runs", "g-absent"]) == 1
    assert main([*cli, "show", "kg:venetoclax|hop62", "--format", "json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["provenance"]["extra"]["provenance"]["constructor"] == "kg"
    assert shown["provenance"]["extra"]["provenance"]["generation_run"] == run_key
    assert [a["primitive"] for a in shown["actions"]][:3] == [
        "set_context", "binds_to", "modulates_molecule_activity"]
    assert main([*cli, "generate", "--no-progress", "--no-ingest", "--drug", "nothing",
                 "-o", str(tmp_path / "none.jsonl")]) == 1
    assert main([*cli, "generate", "--pairs", str(tmp_path / "absent.jsonl")]) == 2


def _grounding(driver, keys: list[str]) -> dict[str, list[tuple[str, str, bool]]]:
    records, _, _ = driver.execute_query(
        "MATCH (t:Trace)-[:HAS_ACTION]->(a:Action)-[:ASSERTS]->(:Claim)-[r:MENTIONS]->"
        "(m:Mention) "
        "WHERE t.key IN $keys "
        "RETURN t.key AS trace, a.primitive AS primitive, r.role AS role, m.text AS text, "
        "EXISTS { (m)-[:REFERS_TO]->(:Entity) } AS grounded", keys=keys)
    out: dict[str, list] = {}
    for r in records:
        out.setdefault(r["trace"], []).append((r["role"], r["text"], r["grounded"]))
    return out


def test_kg_constructor_on_the_demo_set_valid_grounded_and_verified(demo_traces, tmp_path):
    demo = demo_traces
    settings = demo.settings()
    out = tmp_path / "generated.jsonl"
    result = generation.generate(settings, generation.GenerateRequest(output=out))
    assert result.pairs == DEMO_DRUGS * DEMO_CELL_LINES
    assert not result.skipped  # every demo drug has a curated target
    assert len(result.traces) == result.pairs and result.valid == result.pairs
    total = result.ingest.total  # the CLI test before may have stored one of them
    assert total.written + total.existing == result.pairs and total.invalid == 0
    keys = [t.trace_key for t in result.traces]
    assert len(set(keys)) == len(keys)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    for row in rows:
        provenance = row["provenance"]
        assert provenance["constructor"] == "kg" and provenance["constructor_version"]
        assert provenance["evidence"] and all(e["id"].startswith("E")
                                              for e in provenance["evidence"])
        assert row["explain"].splitlines()[0].startswith('set_context(cell_type="')
        assert row["explain"].splitlines()[-1].startswith("induces_phenotype(")
        assert "regulates_expression" not in row["explain"]
    trametinib = next(r for r in rows if r["trace_id"] == "kg:trametinib|c32")
    assert trametinib["explain"].splitlines()[1:3] == [
        'binds_to(id="n1", actor="Trametinib", target="MAP2K1", '
        'confidence="curated target: primekg, tahoe-100m")',
        'modulates_molecule_activity(id="n2", target="MAP2K1", direction="down", '
        'via="binding by Trametinib", confidence="inferred from the mechanism of action")']
    assert re.search(r'\nparticipates_in\(id="n\d+", entity="MAP2K2", ontology_id="RAF/MAP '
                     r'kinase cascade", evidence_type="PrimeKG pathway_protein"\)\n',
                     trametinib["explain"])
    assert re.search(r'\nmodulates_pathway_activity\(id="n\d+", pathway="RAF/MAP kinase '
                     r'cascade", direction="down"', trametinib["explain"])
    assert "[E1] primekg DRUG_PROTEIN (target): trametinib -> map2k1" in trametinib["report_text"]
    # every mention grounds, except the default phenotype where the graph has no GO process
    grounding = _grounding(demo.driver, keys)
    assert set(grounding) == set(keys)
    ungrounded = {(role, text) for mentions in grounding.values()
                  for role, text, grounded in mentions if not grounded}
    assert ungrounded == {("phenotype", "cell proliferation")}
    assert {t.phenotype_source for t in result.traces} == {"default"}
    # verification judges the claims: structure valid, bindings supported by the curated
    # edges they came from, pathway steps and annotations supported by membership
    run = verify(settings, VerifyRequest(traces=["trace=" + ",".join(keys)],
                                         run_name="kg-generated"))
    assert run.traces == result.pairs
    assert run.counts["structure"] == {"supported": result.pairs}
    assert run.counts["dti-kg"] == {"supported": run.counts["dti-kg"]["supported"]}
    assert set(run.counts["pathway"]) == {"supported"}
    metrics = report_summary(settings, run.run).metrics
    assert metrics["validity"] == 1.0 and metrics["dti_score"] == 1.0
    assert metrics["de_score"] is None  # no regulates_expression: DE is never evidence
    assert 0.5 < metrics["verifiability"] < 1.0
    print(f"\nkg constructor on the demo set: {len(keys)} traces, "
          f"validity {metrics['validity']:.3f}, verifiability {metrics['verifiability']:.3f}, "
          f"DTI {metrics['dti_score']:.3f}, {result.traces_per_s:,.0f} traces/s")
    # reproducible: generating again gives the same traces (keys) and the same rows
    again = generation.generate(settings, generation.GenerateRequest(
        output=tmp_path / "again.jsonl", ingest=False))
    assert [t.trace_key for t in again.traces] == keys
    assert again.run != result.run  # each run has its own key; nothing else differs
    assert _rows(tmp_path / "again.jsonl") == _rows(out)


# ---------------------------------------------------------------- DE is never evidence


def test_generation_statements_never_name_differential_expression(neo4j_server):
    """Each generation statement's text and its EXPLAIN plan (every operator, its details)
    name no DE label or relationship type."""
    for name in generation.GENERATION_STATEMENTS:
        assert_never_reads_de(neo4j_server.driver, name, generation.statement_text(name))


def test_generation_output_does_not_depend_on_the_de_calls(demo_traces, tmp_path):
    """The same rows with the DE calls loaded and after deleting every DE node."""
    demo = demo_traces
    settings = demo.settings()

    def rows(name: str) -> list[dict]:
        out = tmp_path / name
        generation.generate(settings, generation.GenerateRequest(output=out, ingest=False))
        return _rows(out)

    def de_nodes() -> int:
        records, _, _ = demo.driver.execute_query(
            "MATCH (n) WHERE n:DEExperiment OR n:GeneUniverse RETURN count(n) AS n")
        return records[0]["n"]

    assert de_nodes() > 0
    with_de = rows("with_de.jsonl")
    demo.driver.execute_query("MATCH (n) WHERE n:DEExperiment OR n:GeneUniverse "
                              "DETACH DELETE n")
    demo.loaded = None  # the shared load is changed: the next user loads it again
    assert de_nodes() == 0
    assert rows("without_de.jsonl") == with_de


@pytest.mark.shared_data
def test_the_record_and_question_equal_the_released_vc_traces_row(neo4j):
    """venetoclax in HOP62 from the real Tahoe-100M tables: byte for byte the released row."""
    TahoeMetadataLoader(neo4j.graph).load([TAHOE / "drug_metadata.parquet",
                                           TAHOE / "cell_line_metadata.parquet"])
    row = json.loads((SAMPLES / "vc_traces_row_12563.jsonl").read_text().splitlines()[0])
    result = generation.pairs(neo4j.settings(), drugs=["venetoclax"], cell_lines=["HOP62"])
    pair, = result.pairs
    assert pair.perturbation == row["perturbation"]
    assert pair.question == row["question"]
    assert list(pair.perturbation["perturbations"][0]) == list(row["perturbation"]
                                                                ["perturbations"][0])
