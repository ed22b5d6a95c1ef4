"""`vctrace load`, `vctrace ground` and `vctrace sources` against the session's real Neo4j, on
the bundled demo knowledge set: output lines, JSON, generated option flags, exit statuses."""

import json

import pytest

from vctrace.cli import main

from support.paths import DEMO_TRACES, EXAMPLES

KNOWLEDGE = EXAMPLES / "knowledge"
DEMO_METADATA = [str(KNOWLEDGE / "tahoe" / "drug_metadata.demo.parquet"),
                 str(KNOWLEDGE / "tahoe" / "cell_line_metadata.demo.parquet")]
DEMO_KG = str(KNOWLEDGE / "primekg" / "kg.csv")
DEMO_DE = str(KNOWLEDGE / "tahoe_de" / "demo_de_SYNTHETIC.parquet")


@pytest.fixture
def cli(neo4j, monkeypatch):
    """Global options for the session's server (the password only from the environment)."""
    monkeypatch.setenv("VCTRACE_NEO4J_PASSWORD", neo4j.password)
    return ["--neo4j-uri", neo4j.uri, "--neo4j-user", neo4j.user]


def test_load_prints_the_release_and_the_regrounding(cli, capsys):
    assert main([*cli, "ingest", "--no-progress", str(DEMO_TRACES)]) == 0
    capsys.readouterr()
    assert main([*cli, "load", "tahoe-metadata", *DEMO_METADATA, "--source-version", "demo",
                 "--no-progress"]) == 0
    loaded, regrounded = capsys.readouterr().out.splitlines()
    assert loaded.startswith("tahoe-metadata: ") and ", 0 rejected, in " in loaded
    assert loaded.endswith(" source tahoe-100m demo)") and "(release sr-" in loaded
    assert regrounded.startswith("re-grounded all traces: ")
    assert regrounded.endswith(" aliases indexed)") and " of 61 mentions link to " in regrounded


def test_generated_option_flags_reach_the_loader(cli, capsys):
    assert main([*cli, "load", "tahoe-de", DEMO_DE, "--min-abs-lfc", "1.5",
                 "--conditions", "all"]) == 0
    capsys.readouterr()
    assert main([*cli, "sources", "--format", "json"]) == 0
    release, = json.loads(capsys.readouterr().out)
    assert json.loads(release["options_json"]) == {"padj": 0.05, "min_abs_lfc": 1.5,
                                                   "conditions": "all"}


@pytest.mark.parametrize("args, message", [
    (["primekg", DEMO_KG, "--padj", "0.1"], "vctrace: --padj applies to tahoe-de, not primekg\n"),
    (["tahoe-de", DEMO_DE, "--padj", "2"], "padj: Input should be less than or equal to 1"),
    (["hgnc", DEMO_KG, "--bulk"], "vctrace: --bulk applies to primekg, not hgnc\n"),
    (["primekg", DEMO_METADATA[0]], "drug_metadata.demo.parquet"),
])
def test_load_refusals_exit_two(cli, capsys, args, message):
    assert main([*cli, "load", *args]) == 2
    assert message in capsys.readouterr().err


def test_load_with_rejected_rows_exits_one(cli, tmp_path, capsys):
    path = tmp_path / "kg.csv"
    path.write_text(open(DEMO_KG).read() + "made_up_relation,x,0,DB1,drug,A,DrugBank,1,2,"
                    "gene/protein,B,NCBI\n")
    assert main([*cli, "load", "primekg", str(path)]) == 1
    problem, summary, _ = capsys.readouterr().out.splitlines()
    assert problem.startswith("  kg.csv:") and ": rejected: " in problem
    assert summary.startswith("primekg: ") and " loaded, 1 rejected, in " in summary


def test_ground_table_and_json(cli, capsys):
    assert main([*cli, "ingest", "--no-progress", str(DEMO_TRACES)]) == 0
    assert main([*cli, "load", "tahoe-metadata", *DEMO_METADATA]) == 0
    capsys.readouterr()
    assert main([*cli, "ground", "--no-progress"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("grounding: 0 of ") and lines[0].endswith(
        "ungrounded mentions linked (0 exact, 0 synonym, 0 normalised, 0 fuzzy)")
    assert lines[1].split() == ["primitive", "role", "arguments", "grounded", "share"]
    assert ["binds_to", "actor", "8", "8", "100.0%"] in [line.split() for line in lines]

    assert main([*cli, "ground", "--rebuild", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) == {"mentions", "grounded_exact", "grounded_synonym",
                           "grounded_normalised", "grounded_fuzzy", "aliases",
                           "fuzzy_threshold", "by_role"}
    assert report["mentions"] == 61 and report["aliases"] > 0
    assert report["grounded_exact"] > 0 and report["fuzzy_threshold"] == 0.9
    assert {"primitive": "binds_to", "role": "actor", "arguments": 8, "grounded": 8} in \
        report["by_role"]


def test_sources_lines_and_json(cli, capsys):
    assert main([*cli, "sources"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and "no knowledge loaded yet" in captured.err
    assert main([*cli, "load", "tahoe-metadata", *DEMO_METADATA, "--source-version", "v1"]) == 0
    capsys.readouterr()
    assert main([*cli, "sources"]) == 0
    line, = capsys.readouterr().out.splitlines()
    assert line.startswith("tahoe-100m v1  20")
    assert "  [cell_line_metadata.demo.parquet, drug_metadata.demo.parquet]  sr-" in line
    assert main([*cli, "sources", "--format", "json"]) == 0
    release, = json.loads(capsys.readouterr().out)
    assert (release["source"], release["version"], release["rows_rejected"]) == \
        ("tahoe-100m", "v1", 0)
    assert release["key"] == line.rsplit("  ", 1)[1]
