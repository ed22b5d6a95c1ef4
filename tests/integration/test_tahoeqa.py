"""TahoeQA against the real Neo4j, on a DE table the test writes (support.tahoeqa): the exact
questions and answers, the split, F1 of perfect and inverted predictors, the baselines and
the trace-based predictor on hand-made traces, and the command line."""

import json

import pytest

from vctrace.app.tahoeqa import (BuildOptions, TahoeQAError, baselines, build,
                                 manifest_path, read_questions, score)
from vctrace.app.traces import ingest
from vctrace.app.verification import VerifyRequest, verify
from vctrace.cli import main
from vctrace.loaders.tahoe_de import TahoeDELoader

from support.tahoeqa import (CALLS, HAND_MADE, TEST_FRACTION, add_targets, write_de,
                             write_traces)

OPTIONS = BuildOptions(up=2, down=2, negatives=5, test_fraction=TEST_FRACTION, seed=3)
CANDIDATES = {"alpha": {"G06", *(f"G{i}" for i in range(9, 21))},
              "beta": {f"G{i:02d}" for i in range(4, 21)},
              "gamma": {"G03", "G06", *(f"G{i:02d}" for i in range(7, 21))}}


@pytest.fixture
def de(neo4j, tmp_path):
    TahoeDELoader(neo4j.graph).load([write_de(tmp_path / "de.parquet")])
    add_targets(neo4j.driver)
    return neo4j


def _positives(questions, drug):
    return sorted((q.task, q.gene, q.answer, q.rank) for q in questions
                  if q.condition.drug == drug and q.answer != "no")


def test_questions_answers_and_split(de, tmp_path):
    out = tmp_path / "qa.jsonl"
    result = build(de.settings(), out, OPTIONS)
    questions = read_questions(out)
    assert result.conditions == 3 and result.drugs == {"train": 2, "test": 1}
    assert _positives(questions, "alpha") == [
        ("de", "G01", "yes", 1), ("de", "G02", "yes", 2), ("de", "G04", "yes", 1),
        ("de", "G05", "yes", 2), ("doc", "G01", "up", 1), ("doc", "G02", "up", 2),
        ("doc", "G04", "down", 1), ("doc", "G05", "down", 2)]  # G07 conflicting: out
    assert _positives(questions, "beta") == [
        ("de", "G01", "yes", 1), ("de", "G02", "yes", 1), ("de", "G03", "yes", 2),
        ("doc", "G01", "up", 1), ("doc", "G02", "down", 1), ("doc", "G03", "up", 2)]
    for drug, candidates in CANDIDATES.items():
        negatives = {q.gene for q in questions if q.condition.drug == drug and q.answer == "no"}
        assert len(negatives) == 5 and negatives <= candidates, drug
        assert all(q.task == "de" for q in questions if q.gene in negatives
                   and q.condition.drug == drug)
    assert {q.condition.drug: q.split for q in questions} == \
        {"alpha": "train", "beta": "train", "gamma": "test"}
    assert result.questions == {"train": {"de": 17, "doc": 7}, "test": {"de": 9, "doc": 4},
                                "all": {"de": 26, "doc": 11}}
    alpha_g01 = next(q for q in questions if q.condition.drug == "alpha" and q.gene == "G01")
    assert (alpha_g01.log2fc, alpha_g01.concentration) == (3.0, 1.0)
    assert alpha_g01.perturbation["perturbations"][0]["known targets"] == "MAP2K1"
    assert alpha_g01.question.startswith("**Q: Is the gene G01 differentially expressed")
    manifest = json.loads(manifest_path(out).read_text())
    assert manifest["split"]["test_drugs"] == ["gamma"]
    assert manifest["split"]["test_fraction"] == TEST_FRACTION
    assert manifest["de_loads"][0]["options"]["min_abs_lfc"] == 0.5
    # the same DE and seed give the same file; another seed other negatives
    again = tmp_path / "again.jsonl"
    build(de.settings(), again, OPTIONS)
    assert again.read_text() == out.read_text()
    build(de.settings(), again, OPTIONS.model_copy(update={"seed": 4}))
    assert again.read_text() != out.read_text()
    build(de.settings(), again, OPTIONS.model_copy(update={"test_fraction": 0.0}))
    assert {q.split for q in read_questions(again)} == {"train"}


def test_doses_from_separate_loads(neo4j, tmp_path):
    """alpha's high dose loaded from its own file (another gene universe): the same
    questions as from one load."""
    loader = TahoeDELoader(neo4j.graph)
    high = {("alpha", 1.0)}
    loader.load([write_de(tmp_path / "a.parquet", set(CALLS) - high)])
    loader.load([write_de(tmp_path / "b.parquet", high)])
    add_targets(neo4j.driver)
    build(neo4j.settings(), tmp_path / "two.jsonl", OPTIONS)
    neo4j.clear()
    TahoeDELoader(neo4j.graph).load([write_de(tmp_path / "de.parquet")])
    add_targets(neo4j.driver)
    build(neo4j.settings(), tmp_path / "one.jsonl", OPTIONS)
    assert (tmp_path / "two.jsonl").read_text() == (tmp_path / "one.jsonl").read_text()


def test_perfect_inverted_and_baselines(de, tmp_path):
    out = tmp_path / "qa.jsonl"
    build(de.settings(), out, OPTIONS)
    questions = read_questions(out)
    perfect = tmp_path / "perfect.jsonl"
    perfect.write_text("".join(json.dumps({"id": q.id, "prediction": q.answer}) + "\n"
                               for q in questions))
    result = score(de.settings(), out, perfect)
    for split in ("train", "test", "all"):
        assert result.scores[split]["de"].f1 == 1.0 and result.scores[split]["doc"].f1 == 1.0
    flip = {"up": "down", "down": "up"}
    inverted = tmp_path / "inverted.jsonl"
    inverted.write_text("".join(json.dumps({"id": q.id, "prediction": flip[q.answer]}) + "\n"
                                for q in questions if q.task == "doc"))
    result = score(de.settings(), out, inverted)
    assert result.scores["all"]["doc"].f1 == 0.0 and result.scores["all"]["de"].f1 == 0.0
    table = {r.predictor: r.scores for r in baselines(out, k=1).results}
    assert list(table) == ["random", "mean", "knn"]
    # gamma's nearest training drug is alpha (shared MAP2K1), whose DE genes are gamma's
    assert table["knn"]["test"]["doc"].f1 == 1.0
    assert table["knn"]["test"]["de"].recall == 1.0
    assert table["knn"]["test"]["de"].questions == 9


def test_trace_predictor_on_hand_made_traces(de, tmp_path):
    out = tmp_path / "qa.jsonl"
    build(de.settings(), out, OPTIONS)
    ingest(de.settings(), [write_traces(tmp_path / "traces.jsonl", HAND_MADE)])
    written = tmp_path / "pred.jsonl"
    result = score(de.settings(), out, predictor="traces", write_predictions=written)
    got = _predictions(out, written)
    assert got["alpha", "de", "G01"] == "yes" and got["alpha", "doc", "G01"] == "up"
    assert got["alpha", "doc", "G04"] == "up"  # the trace is wrong here
    assert got["alpha", "doc", "G05"] == "down" and got["alpha", "de", "G02"] == "no"
    assert got["beta", "de", "G01"] == "no"  # no beta trace: nothing DE
    assert ("beta", "doc", "G01") not in got
    assert got["gamma", "doc", "G01"] == "up"
    # alpha: DE yes G01 G04 G05 of 4 asked (G02 missed) -> P 1, R 3/4, F1 6/7
    assert result.scores["train"]["de"].f1 == pytest.approx(2 * 3 / (2 * 3 + 0 + 4))
    assert result.details["traces"] == 2 and result.details["conditions_with_traces"] == 2
    # with a run: alpha (train) uses the verified explanation (G04 pruned), gamma (held out)
    # the original one
    run = verify(de.settings(), VerifyRequest(verifiers=["de"], run_name="r1")).run
    result = score(de.settings(), out, predictor="traces", run=run, write_predictions=written)
    got = _predictions(out, written)
    assert got["alpha", "de", "G04"] == "no" and ("alpha", "doc", "G04") not in got
    assert got["alpha", "de", "G01"] == "yes"
    assert result.details["run"] == "r1" and result.details["traces"] == 2
    gamma_g06 = [q for q in read_questions(out) if q.condition.drug == "gamma"
                 and q.gene == "G06"]
    if gamma_g06:  # sampled as a negative: the original (unpruned) trace calls it DE
        assert got["gamma", "de", "G06"] == "yes"


def _predictions(questions_path, predictions_path):
    by_id = {q.id: q for q in read_questions(questions_path)}
    out = {}
    for line in predictions_path.read_text().splitlines():
        r = json.loads(line)
        q = by_id[r["id"]]
        out[q.condition.drug, q.task, q.gene] = r["prediction"]
    return out


def test_errors(neo4j, tmp_path):
    with pytest.raises(TahoeQAError, match="no DE experiments loaded"):
        build(neo4j.settings(), tmp_path / "qa.jsonl")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x"}\n')
    with pytest.raises(TahoeQAError, match="bad.jsonl:1: not a TahoeQA question"):
        read_questions(bad)


def test_cli(de, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("VCTRACE_NEO4J_PASSWORD", de.password)
    out = tmp_path / "qa.jsonl"
    assert main([*de.cli, "tahoeqa", "build", str(out), "--up", "2", "--down", "2",
                 "--negatives", "5", "--test-fraction", "0.5", "--seed", "3",
                 "--no-progress"]) == 0
    text = capsys.readouterr()
    assert "3 conditions, 2 training and 1 held-out drugs" in text.out
    assert "min_abs_lfc" not in text.out and "|log2FC| >= 0.5" in text.err
    assert main([*de.cli, "tahoeqa", "baselines", str(out), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [r["predictor"] for r in data["results"]] == ["random", "mean", "knn"]
    assert main([*de.cli, "tahoeqa", "score", str(out), "--predictor", "mean"]) == 0
    assert "DOC macro-F1" in capsys.readouterr().out
    assert main([*de.cli, "tahoeqa", "score", str(out)]) == 2
    assert "give either PREDICTIONS or --predictor" in capsys.readouterr().err
    assert main([*de.cli, "tahoeqa", "score", str(out), "--predictor", "traces",
                 "--run", "nope"]) != 0
    assert main([*de.cli, "tahoeqa", "build", str(tmp_path / "qa.txt")]) == 2
    assert "written as .jsonl" in capsys.readouterr().err
