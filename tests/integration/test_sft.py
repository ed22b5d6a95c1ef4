"""SFT exports against the real Neo4j: hand-made traces (support.tahoeqa) verified by the DE
verifier on a DE table the test writes, exported for both settings, split by held-out drug."""

import json

import pytest

from vctrace.app.sft import export
from vctrace.app.traces import ingest
from vctrace.app.verification import VerifyRequest, verify
from vctrace.cli import main
from vctrace.loaders.tahoe_de import TahoeDELoader

from support.tahoeqa import HAND_MADE, TEST_FRACTION, trace_row, write_de, write_traces


@pytest.fixture
def verified(neo4j, tmp_path):
    TahoeDELoader(neo4j.graph).load([write_de(tmp_path / "de.parquet")])
    rows = [*HAND_MADE, trace_row("beta", [(["G01"], "up")], trace_id="t-beta")]
    ingest(neo4j.settings(), [write_traces(tmp_path / "traces.jsonl", rows)])
    verify(neo4j.settings(), VerifyRequest(verifiers=["de"], run_name="r1"))
    return neo4j


def _read(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_both_settings_split_by_drug(verified, tmp_path):
    out = tmp_path / "sft"
    result = export(verified.settings(), "r1", out, test_fraction=TEST_FRACTION)
    assert result.rows == {"prompt": {"train": 2, "test": 1},
                           "generate": {"train": 2, "test": 1}}
    assert result.answer_sources == {"trace": 1, "de_claims": 2} and result.skipped == {}
    train = _read(out / "sft_prompt.train.jsonl")
    test = _read(out / "sft_prompt.test.jsonl")
    assert sorted(r["drug"] for r in train) == ["alpha", "beta"]
    assert [r["drug"] for r in test] == ["gamma"]
    assert {r["split"] for r in train} == {"train"} and test[0]["split"] == "test"
    alpha = next(r for r in train if r["drug"] == "alpha")
    user, target = alpha["messages"][1]["content"], alpha["messages"][2]["content"]
    # the verified explanation: G04 (claimed up, observed down) and G05 (|log2FC| 1 below
    # the verifier's t = 1.5) pruned, and with G05 the action that claimed it
    assert user.startswith("**Q: How does the following perturbation influence the cell")
    assert 'gene_list=["G01"]' in user and "G04" not in user and "G05" not in user
    assert target == "alpha in C1 up-regulates G01."
    assert alpha["answer_source"] == "de_claims" and alpha["run"] == "r1"
    gamma = _read(out / "sft_generate.test.jsonl")[0]
    assert gamma["messages"][1]["content"].startswith("**Q:")
    assert "<explain>" not in gamma["messages"][1]["content"]
    answer = gamma["messages"][2]["content"]
    assert answer.startswith("<explain>\n") and \
        answer.endswith("</explain>\n<answer>\nGamma inhibits MEK and raises G01.\n</answer>")
    assert "G06" not in answer  # not DE: pruned from the verified explanation
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["split"]["test_drugs"] == ["gamma"]
    assert manifest["split"]["train_drugs"] == ["alpha", "beta"]
    assert manifest["run"] == "r1" and manifest["rows"] == result.rows
    # the same export again gives the same files
    first = {p.name: p.read_text() for p in out.iterdir()}
    export(verified.settings(), "latest", out, test_fraction=TEST_FRACTION)
    assert {p.name: p.read_text() for p in out.iterdir()} == first


def test_one_setting_and_cli(verified, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("VCTRACE_NEO4J_PASSWORD", verified.password)
    out = tmp_path / "sft"
    assert main([*verified.cli, "sft", "export", "r1", str(out), "--setting", "prompt",
                 "--test-fraction", "0", "--no-progress"]) == 0
    assert "3 kept traces, 3 training and 0 held-out drugs" in capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == [
        "manifest.json", "sft_prompt.test.jsonl", "sft_prompt.train.jsonl"]
    assert len(_read(out / "sft_prompt.train.jsonl")) == 3
    assert main([*verified.cli, "sft", "export", "nope", str(tmp_path / "x"),
                 "--format", "json"]) != 0
    assert "nope" in capsys.readouterr().err
