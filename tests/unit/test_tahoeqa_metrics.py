"""TahoeQA's pure parts: split, labels over doses, negatives, F1, baselines; SFT rows."""

from collections import Counter

import pytest

from vctrace.runs import sft
from vctrace.runs import tahoeqa as qa
from vctrace.traces.models import Action


def experiment(calls, tested, concentration=0.5, key="e"):
    return qa.Experiment(key=key, concentration=concentration, tested=set(tested),
                         calls=[qa.DoseCall(g, lfc, padj, concentration)
                                for g, lfc, padj in calls])


def condition(*experiments, drug="Drug A", cell="C1", targets=(), moa=None):
    return qa.Condition(drug=drug, cell_line=cell, experiments=list(experiments),
                        perturbation=qa.perturbation_record(drug, cell, targets=targets,
                                                            moa=moa))


def test_split_is_by_drug_hash_and_stable():
    assert qa.drug_split("Trametinib", 0.0) == "train"
    assert qa.drug_split("Trametinib", 1.0) == "test"
    point = qa.split_point("Trametinib")
    assert qa.split_point(" trametinib ") == point  # normalised name
    assert qa.drug_split("Trametinib", point + 1e-9) == "test"
    assert qa.drug_split("Trametinib", point) == "train"
    drugs = [f"drug-{i}" for i in range(2000)]
    share = sum(qa.drug_split(d, 0.2) == "test" for d in drugs) / len(drugs)
    assert 0.17 < share < 0.23
    with pytest.raises(ValueError):
        qa.drug_split("x", 1.5)


def test_labels_rank_by_abs_lfc_and_doses_must_agree():
    genes = ["A", "B", "C", "D", "E", "F", "G"]
    low = experiment([("A", 2.0, 0.01), ("B", -3.0, 0.001), ("C", 1.0, 0.04),
                      ("D", 1.5, 0.2), ("E", 1.2, 0.01)], genes, 0.1, "lo")
    high = experiment([("A", 2.5, 0.02), ("E", -1.1, 0.01)], genes[:-1], 1.0, "hi")
    labels = qa.label_condition(condition(low, high))
    assert [(g.gene, g.log2fc, g.concentration) for g in labels.up] == \
        [("A", 2.5, 1.0), ("C", 1.0, 0.1)]
    assert [g.gene for g in labels.down] == ["B"]
    assert labels.conflicting == ["E"]  # up at one dose, down at the other: left out
    # D: padj .2 is not significant; G: not tested at the high dose
    assert labels.not_regulated == ["D", "F"]


def test_ties_break_on_padj_then_name():
    e = experiment([("Z", 1.0, 0.01), ("Y", 1.0, 0.01), ("X", 1.0, 0.001)], "XYZ")
    assert [g.gene for g in qa.label_condition(condition(e)).up] == ["X", "Y", "Z"]


def test_questions_of_a_condition():
    genes = [f"G{i}" for i in range(20)]
    e = experiment([("G0", 3.0, 0.01), ("G1", 2.0, 0.01), ("G2", -4.0, 0.01),
                    ("G3", -1.0, 0.01)], genes)
    qs = qa.condition_questions(condition(e), split="test", up=1, down=2, negatives=5, seed=7)
    assert [(q.task, q.gene, q.answer, q.kind) for q in qs[:6]] == [
        ("de", "G0", "yes", "up"), ("doc", "G0", "up", "up"),
        ("de", "G2", "yes", "down"), ("doc", "G2", "down", "down"),
        ("de", "G3", "yes", "down"), ("doc", "G3", "down", "down")]
    negatives = [q for q in qs[6:]]
    assert len(negatives) == 5 and {q.answer for q in negatives} == {"no"}
    assert not {q.gene for q in negatives} & {"G0", "G1", "G2", "G3"}
    again = qa.condition_questions(condition(e), split="test", up=1, down=2, negatives=5,
                                   seed=7)
    assert [q.model_dump() for q in again] == [q.model_dump() for q in qs]
    other = qa.condition_questions(condition(e), split="test", up=1, down=2, negatives=5,
                                   seed=8)
    assert [q.gene for q in other[6:]] != [q.gene for q in negatives]
    assert len({q.id for q in qs}) == len(qs)
    assert qs[0].question.startswith("**Q: Is the gene G0 differentially expressed")
    assert '"cell type": "C1"' in qs[0].question and qs[0].split == "test"


def test_f1_perfect_inverted_and_missing():
    e = experiment([("A", 1.0, 0.01), ("B", -1.0, 0.01)], "ABCD")
    qs = qa.condition_questions(condition(e), split="train", negatives=2)
    perfect = {q.id: q.answer for q in qs}
    s = qa.score(qs, perfect)
    assert s["all"]["de"].f1 == 1.0 and s["all"]["doc"].f1 == 1.0 and "test" not in s
    flip = {"up": "down", "down": "up", "yes": "yes", "no": "no"}
    s = qa.score(qs, {q.id: flip[q.answer] for q in qs})
    assert s["train"]["doc"].f1 == 0.0 and s["train"]["de"].f1 == 1.0
    s = qa.score(qs, {})  # nothing predicted: DE all "no", DOC all misses
    assert s["all"]["de"].f1 == 0.0 and s["all"]["doc"].f1 == 0.0
    assert s["all"]["de"].predicted == 0 and s["all"]["de"].accuracy == 0.5


def test_f1_values():
    assert qa.f1(0, 0, 0) is None
    assert qa.f1(1, 1, 0) == pytest.approx(2 / 3)
    e = experiment([("A", 1.0, 0.01), ("B", 1.0, 0.01), ("C", -1.0, 0.01)], "ABCDE")
    qs = qa.condition_questions(condition(e), split="train", negatives=2)
    doc = {q.id: "up" for q in qs if q.task == "doc"}
    s = qa.score(qs, doc)["all"]["doc"]
    # up: tp 2, fp 1 -> 0.8; down: tp 0, fn 1 -> 0; macro 0.4
    assert (s.f1_up, s.f1_down, s.f1) == (pytest.approx(0.8), 0.0, pytest.approx(0.4))


def _benchmark():
    """Three cell-line-C1 conditions: two training drugs that share targets with the test
    drug differently."""
    genes = list("ABCDEFGH")
    a = condition(experiment([("A", 2, 0.01), ("B", -2, 0.01)], genes), drug="alpha",
                  targets=("MAP2K1",), moa="inhibitor")
    b = condition(experiment([("A", -2, 0.01), ("C", 2, 0.01)], genes), drug="beta",
                  targets=("EGFR",), moa="inhibitor")
    g = condition(experiment([("A", 2, 0.01), ("B", -2, 0.01)], genes), drug="gamma",
                  targets=("MAP2K1", "MAP2K2"), moa="inhibitor")
    splits = {"alpha": "train", "beta": "train", "gamma": "test"}
    return [q for c in (a, b, g)
            for q in qa.condition_questions(c, split=splits[c.drug], negatives=3)]


def test_baselines_use_training_labels_only():
    qs = _benchmark()
    test = [q for q in qs if q.split == "test"]
    knn = qa.knn_predictions(qs, k=1)  # gamma's nearest: alpha (shared MAP2K1)
    assert all(knn[q.id] == q.answer for q in test if q.gene in "AB")
    mean = qa.mean_predictions(qs)
    a_doc = next(q for q in test if q.task == "doc" and q.gene == "A")
    # training: A up (alpha) and down (beta): a tie -> the training majority of DOC answers
    assert mean[a_doc.id] in ("up", "down")
    a_de = next(q for q in test if q.task == "de" and q.gene == "A")
    assert mean[a_de.id] == "yes"  # DE in both training conditions
    # changing the test labels changes no prediction
    flipped = [q.model_copy(update={"answer": {"up": "down", "down": "up", "yes": "no",
                                               "no": "yes"}[q.answer]})
               if q.split == "test" else q for q in qs]
    for fn in (qa.mean_predictions, qa.knn_predictions):
        assert fn(flipped) == fn(qs)
    r1, r2 = qa.random_predictions(qs, 1), qa.random_predictions(qs, 1)
    assert r1 == r2 and set(r1.values()) <= {"yes", "no", "up", "down"}
    assert r1 != qa.random_predictions(qs, 2)
    with pytest.raises(ValueError):
        qa.baseline_predictions("state", qs)


def test_trace_predictions():
    qs = _benchmark()
    mentions: dict = {}
    qa.add_mentions(mentions, "Gamma", "c1", ["A", "B"], "up")
    qa.add_mentions(mentions, "gamma", "C1", ["B"], "down")
    qa.add_mentions(mentions, "gamma", "C1", ["B"], "down")
    qa.add_mentions(mentions, "gamma", "C1", ["C"], "sideways")  # not a direction: skipped
    assert mentions[("gamma", "c1")]["b"] == Counter(down=2, up=1)
    p = qa.trace_predictions(qs, mentions)
    got = {(q.condition.drug, q.task, q.gene): p.get(q.id) for q in qs}
    assert got["gamma", "de", "A"] == "yes" and got["gamma", "doc", "A"] == "up"
    assert got["gamma", "doc", "B"] == "down"  # majority
    assert got["alpha", "de", "A"] == "no" and ("alpha", "doc", "A") in got
    assert got["alpha", "doc", "A"] is None  # no trace: no direction


def test_sft_rows():
    actions = [Action(primitive="regulates_expression",
                      args={"regulator": "ERK", "gene_list": ["DUSP6", "SPRY4"],
                            "direction": "down"}),
               Action(primitive="regulates_expression",
                      args={"regulator": "x", "gene_list": ["CDKN1B", "SPRY4"],
                            "direction": "up"})]
    assert sft.de_claims(actions) == (["CDKN1B"], ["DUSP6"])
    assert sft.derived_answer("Trametinib", "C32", actions) == \
        "Trametinib in C32 up-regulates CDKN1B and down-regulates DUSP6."
    assert sft.derived_answer("x", None, []) is None
    q = sft.question_of(None, {"context": [{"cell type": "C32"}]})
    assert q.startswith(sft.VC_TRACES_QUESTION + "\n\n{")
    prompt = sft.chat_row("prompt", question="Q", explanation="E", answer="A",
                          meta={"split": "test"})
    assert [m["role"] for m in prompt["messages"]] == ["system", "user", "assistant"]
    assert prompt["messages"][1]["content"].endswith("<explain>\nE\n</explain>")
    assert prompt["messages"][2]["content"] == "A" and prompt["split"] == "test"
    gen = sft.chat_row("generate", question="Q", explanation="E", answer="A", meta={})
    assert gen["messages"][1]["content"] == "Q"
    assert gen["messages"][2]["content"] == "<explain>\nE\n</explain>\n<answer>\nA\n</answer>"


@pytest.mark.parametrize("args, expected", [
    (["tahoeqa", "build"], "--test-fraction"),
    (["tahoeqa", "build"], "Exit status: 0 done"),
    (["tahoeqa", "score"], "--predictor [traces|random|mean|knn]"),
    (["tahoeqa", "score"], "macro-F1"),
    (["tahoeqa", "baselines"], "--traces"),
    (["sft", "export"], "--setting [prompt|generate|both]"),
    (["sft", "export"], "Exit status: 0 done"),
])
def test_help_texts(args, expected, capsys):
    from vctrace.cli import main
    assert main([*args, "--help"]) == 0
    assert expected in " ".join(capsys.readouterr().out.split()), args


def test_usage_errors_before_any_work(tmp_path, capsys):
    from vctrace.cli import main
    questions = tmp_path / "q.jsonl"
    questions.write_text("{}\n")
    assert main(["tahoeqa", "score", str(questions)]) == 2
    assert "give either PREDICTIONS or --predictor" in capsys.readouterr().err
    assert main(["tahoeqa", "baselines", str(questions), "--run", "r1"]) == 2
    assert main(["tahoeqa", "score", str(questions), "--predictor", "mean"]) == 2
    assert "q.jsonl:1: not a TahoeQA question" in capsys.readouterr().err
    assert main(["sft", "export", "r1", str(tmp_path), "--setting", "both",
                 "--test-fraction", "2"]) == 2
