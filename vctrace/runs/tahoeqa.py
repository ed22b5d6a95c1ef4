"""TahoeQA, the VCR-Agent paper's downstream benchmark, as pure logic: the held-out-drug split,
the questions of one (drug, cell line) condition, F1 scoring, and the built-in predictors
(Random, Mean, K-neighbour, and the trace-based one). No database here: the application layer
(:mod:`vctrace.app.tahoeqa`) reads the DE calls and traces and calls these functions.

**Labels.** A condition is a (drug, cell line) pair; Tahoe-100M tests it at (up to) three
doses, one ``DEExperiment`` each. A gene's call at one dose is a stored ``DE`` relationship
with ``padj < padj`` (default 0.05). Doses are combined by consensus: a gene called in one
direction at one dose or more and never in the other is *up* or *down*; a gene called in both
directions is *conflicting* and left out of the benchmark (neither DE question nor negative).
The up and down genes are ranked by ``|log2FC|`` (the largest over the doses that call the
gene), ties by the smaller ``padj`` and then the gene's name, and the first ``up`` / ``down``
(25 each) are the DE genes asked about. ``|log2FC|`` rather than the Wald statistic: it is the
size of the effect a reader of a trace cares about, it is what the DE verifier thresholds, and
it is stored for every call (``stat`` may be null in the source files).

**Negatives** ("not regulated"): genes tested (non-null p-value) at *every* dose of the
condition and without a significant call at any dose. Caveat: the DE loader keeps only calls
with ``|log2FC| >= min_abs_lfc`` (default 0.5), so a gene with ``padj < 0.05`` and a smaller
change counts as not regulated; load with ``--min-abs-lfc 0`` for the strict reading (the
build records the load's options). ``negatives`` (100) are sampled without replacement from
the sorted candidates by a ``random.Random`` seeded with a hash of (seed, drug, cell line), so a
condition's questions depend on nothing but its own data and the seed.

**Split** (:func:`drug_split`): a drug is in the test split when the SHA-256 of
(:data:`SPLIT_SALT`, normalised drug name), read as a number in [0, 1), is below the test
fraction. Whole drugs are held out; a drug's split never changes when other drugs are added,
so the realised test share is close to, not exactly, the fraction. SFT exports use the same
function, so a drug is held out from both.

**Tasks and scores** (:func:`score`): ``de`` (answer ``yes``/``no``, one question per asked
gene, DE or negative): F1 of the positive class ``yes``; a question without a prediction counts
as ``no``. ``doc`` (direction of change, ``up``/``down``, DE genes only): macro-F1, the mean of
the F1 with ``up`` as positive and the F1 with ``down`` as positive; a question without a
valid prediction is a miss for its true class (a false negative, no false positive). An F1
with nothing to count (no positives, none predicted) is ``None``.

**Baselines** (from the questions file alone; labels of the *training* split only):

- ``random``: yes/no and up/down each with probability 1/2, from a generator seeded with
  (seed, question id).
- ``mean``: per gene and task, the training-split mean of the positive indicator (``yes``,
  ``up``); positive when above 1/2, negative below, and the task's training-wide majority at
  exactly 1/2 or for a gene never asked in training.
- ``knn``: the *k* training conditions nearest to the question's condition, of other drugs:
  same cell line first, then drug similarity — Jaccard of the known targets plus 1/2 when the
  mechanism class (``moa_type``) is the same — then drug name. Each neighbour that asked about
  the gene votes its answer; a majority decides, a tie or no vote falls back to ``mean``. Drug
  features come from the perturbation record of each question (written by the build from the
  graph), never from the test split's DE data.
- ``traces``: a trace's ``regulates_expression`` actions for the condition: a gene in a
  ``gene_list`` is predicted DE in that action's direction; a gene no trace of the condition
  mentions is predicted not DE (and gets no direction). Directions that disagree across
  actions are decided by majority; a tie gives no direction.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable, Literal, Mapping

from pydantic import BaseModel, Field

from ..traces.identity import normalise_text

SPLIT_SALT = "vctrace-heldout-drug-v1"
TASKS = ("de", "doc")
SPLITS = ("all", "train", "test")
ANSWERS = {"de": ("yes", "no"), "doc": ("up", "down")}
BASELINES = ("random", "mean", "knn")

DE_QUESTION = ("**Q: Is the gene {gene} differentially expressed (padj < {padj:g}) in the "
               "described context after the following perturbation? Answer yes or no.**")
DOC_QUESTION = ("**Q: Is the gene {gene} up-regulated or down-regulated in the described "
                "context after the following perturbation? Answer up or down.**")


# ---------------------------------------------------------------- split


def split_point(drug: str, salt: str = SPLIT_SALT) -> float:
    """Where a drug falls in [0, 1): the SHA-256 of (salt, normalised name) as a fraction."""
    digest = hashlib.sha256(f"{salt}\x1f{normalise_text(drug)}".encode("utf-8")).hexdigest()
    return int(digest[:16], 16) / 2 ** 64


def drug_split(drug: str, test_fraction: float, salt: str = SPLIT_SALT
               ) -> Literal["train", "test"]:
    """``"test"`` for a held-out drug (see the module docstring), else ``"train"``."""
    if not 0 <= test_fraction <= 1:
        raise ValueError(f"test fraction {test_fraction} is not in [0, 1]")
    return "test" if split_point(drug, salt) < test_fraction else "train"


# ---------------------------------------------------------------- labels and questions


@dataclass(frozen=True)
class DoseCall:
    """A stored significant call of one gene at one dose."""

    gene: str
    log2fc: float
    padj: float | None = None
    concentration: float | None = None


@dataclass
class Experiment:
    """One dose of a condition: its calls and the genes it tested (names as in the
    universe)."""

    key: str
    concentration: float | None
    calls: list[DoseCall]
    tested: set[str]


@dataclass
class Condition:
    """A (drug, cell line) condition. ``tested_everywhere``, when given, lists the genes
    tested at every dose as (normalised name, name) pairs sorted by normalised name (the
    application layer computes it from the bitmaps with numpy, for 62,710-gene universes);
    otherwise it is computed from each experiment's ``tested``."""

    drug: str
    cell_line: str
    experiments: list[Experiment]
    perturbation: dict[str, Any] = field(default_factory=dict)
    tested_everywhere: list[tuple[str, str]] | None = None

    @property
    def drug_key(self) -> str:
        return normalise_text(self.drug)

    @property
    def cell_line_key(self) -> str:
        return normalise_text(self.cell_line)


@dataclass(frozen=True)
class GeneLabel:
    gene: str
    direction: Literal["up", "down"]
    log2fc: float
    padj: float | None
    concentration: float | None


@dataclass
class ConditionLabels:
    up: list[GeneLabel]
    down: list[GeneLabel]
    conflicting: list[str]
    not_regulated: list[str]


def label_condition(condition: Condition, padj: float = 0.05) -> ConditionLabels:
    """The consensus labels of a condition's genes over its doses, ranked (module docstring)."""
    best: dict[str, DoseCall] = {}
    directions: dict[str, set[str]] = defaultdict(set)
    for experiment in condition.experiments:
        for call in experiment.calls:
            if call.padj is None or call.padj >= padj or call.log2fc == 0:
                continue
            key = normalise_text(call.gene)
            directions[key].add("up" if call.log2fc > 0 else "down")
            kept = best.get(key)
            if kept is None or _rank_key(call) < _rank_key(kept):
                best[key] = call
    conflicting = sorted(best[k].gene for k, d in directions.items() if len(d) > 1)
    labels = [GeneLabel(best[k].gene, next(iter(d)), best[k].log2fc,  # type: ignore[arg-type]
                        best[k].padj, best[k].concentration)
              for k, d in directions.items() if len(d) == 1]
    labels.sort(key=lambda g: (-abs(g.log2fc), g.padj if g.padj is not None else 1.0,
                               normalise_text(g.gene)))
    tested = condition.tested_everywhere
    if tested is None:
        tested = tested_at_every_dose(condition)
    candidates = [name for key, name in tested if key not in directions]
    return ConditionLabels(up=[g for g in labels if g.direction == "up"],
                           down=[g for g in labels if g.direction == "down"],
                           conflicting=conflicting,
                           not_regulated=candidates)


def tested_at_every_dose(condition: Condition) -> list[tuple[str, str]]:
    """The genes every experiment of the condition tested, as (normalised name, name)
    sorted by normalised name."""
    tested: dict[str, str] | None = None
    for experiment in condition.experiments:
        keys = {normalise_text(g): g for g in experiment.tested}
        tested = keys if tested is None else {k: tested[k] for k in tested if k in keys}
    return sorted((tested or {}).items())


def _rank_key(call: DoseCall) -> tuple[float, float]:
    return -abs(call.log2fc), call.padj if call.padj is not None else 1.0


def sample_negatives(candidates: list[str], n: int, seed: int, drug: str,
                     cell_line: str) -> list[str]:
    """``n`` of the candidates (all when fewer), deterministic in (seed, drug, cell line),
    in their order. ``candidates`` must be sorted by normalised name (what
    :func:`label_condition` gives), so that the draw does not depend on how they were read."""
    ordered = candidates
    tag = f"{seed}\x1f{normalise_text(drug)}\x1f{normalise_text(cell_line)}"
    rng = random.Random(int(hashlib.sha256(tag.encode("utf-8")).hexdigest()[:16], 16))
    chosen = rng.sample(range(len(ordered)), min(n, len(ordered)))
    return [ordered[i] for i in sorted(chosen)]


class QuestionCondition(BaseModel):
    drug: str
    cell_line: str
    drug_key: str
    cell_line_key: str


class Question(BaseModel):
    """One TahoeQA question (a JSONL line)."""

    id: str = Field(description="q-<hash of task, drug, cell line and gene>")
    task: Literal["de", "doc"]
    condition: QuestionCondition
    gene: str
    answer: str = Field(description="de: yes | no; doc: up | down")
    split: Literal["train", "test"]
    question: str = Field(description="the VC-TRACES-style question: a bold line, a blank "
                          "line, the perturbation record as indented JSON")
    perturbation: dict[str, Any]
    kind: Literal["up", "down", "not_regulated"] = Field(description="what the gene was "
                                                         "drawn as")
    rank: int | None = Field(None, description="1-based rank among the condition's up or "
                             "down genes")
    log2fc: float | None = None
    padj: float | None = None
    concentration: float | None = Field(None, description="the dose whose call ranked the gene")

    @property
    def gene_key(self) -> str:
        return normalise_text(self.gene)

    @property
    def condition_key(self) -> tuple[str, str]:
        return self.condition.drug_key, self.condition.cell_line_key


def question_id(task: str, drug: str, cell_line: str, gene: str) -> str:
    payload = "\x1f".join([task, normalise_text(drug), normalise_text(cell_line),
                           normalise_text(gene)])
    return "q-" + hashlib.sha256(payload.encode("utf-8")).hexdigest()[:20]


def perturbation_record(drug: str, cell_line: str, *, targets: Iterable[str] = (),
                        moa: str | None = None, smiles: str | None = None,
                        organ: str | None = None) -> dict[str, Any]:
    """The Tahoe-form perturbation record (trace-format.md §3) of a condition; keys without a
    value are left out."""
    context: dict[str, Any] = {"cell type": cell_line, "subtype": "disease cell"}
    if organ:
        context["description"] = f"The source organ of cell line {cell_line} is {organ}."
    pert: dict[str, Any] = {"name": drug, "perturbation type": "chemical"}
    targets = sorted(set(targets), key=str.upper)
    if targets:
        pert["known targets"] = ", ".join(targets)
    if moa:
        pert["moa_type"] = moa
    if smiles:
        pert["smiles"] = smiles
    return {"context": [context], "perturbations": [pert]}


def question_text(task: str, gene: str, perturbation: Mapping[str, Any] | str,
                  padj: float) -> str:
    """The question line of ``task`` about ``gene``, a blank line, the perturbation record
    as indented JSON (given as a record, or already as that text)."""
    head = (DE_QUESTION if task == "de" else DOC_QUESTION).format(gene=gene, padj=padj)
    body = perturbation if isinstance(perturbation, str) else \
        json.dumps(perturbation, indent=4, ensure_ascii=False)
    return head + "\n\n" + body


def condition_questions(condition: Condition, *, split: Literal["train", "test"],
                        up: int = 25, down: int = 25, negatives: int = 100, seed: int = 0,
                        padj: float = 0.05) -> list[Question]:
    """The questions of one condition: a ``de`` (yes) and a ``doc`` question for each of the
    top ``up`` up and top ``down`` down genes, a ``de`` (no) question for each of
    ``negatives`` sampled not-regulated genes; in that order."""
    labels = label_condition(condition, padj)
    record = json.dumps(condition.perturbation, indent=4, ensure_ascii=False)  # once: slow
    common = dict(condition=QuestionCondition(
        drug=condition.drug, cell_line=condition.cell_line, drug_key=condition.drug_key,
        cell_line_key=condition.cell_line_key), split=split,
        perturbation=condition.perturbation)
    out: list[Question] = []
    for genes in (labels.up[:up], labels.down[:down]):
        for rank, g in enumerate(genes, 1):
            for task, answer in (("de", "yes"), ("doc", g.direction)):
                out.append(Question(
                    id=question_id(task, condition.drug, condition.cell_line, g.gene),
                    task=task, gene=g.gene, answer=answer, kind=g.direction, rank=rank,
                    question=question_text(task, g.gene, record, padj),
                    log2fc=g.log2fc, padj=g.padj, concentration=g.concentration, **common))
    for gene in sample_negatives(labels.not_regulated, negatives, seed, condition.drug,
                                 condition.cell_line):
        out.append(Question(
            id=question_id("de", condition.drug, condition.cell_line, gene), task="de",
            gene=gene, answer="no", kind="not_regulated",
            question=question_text("de", gene, record, padj), **common))
    return out


# ---------------------------------------------------------------- scoring


def f1(tp: int, fp: int, fn: int) -> float | None:
    """F1 of one class; ``None`` when there is nothing to count (tp = fp = fn = 0)."""
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else None


class TaskScore(BaseModel):
    """One task on one split."""

    questions: int
    predicted: int = Field(description="questions with a valid prediction")
    accuracy: float | None = Field(description="share answered right (de: a missing "
                                   "prediction as 'no')")
    f1: float | None = Field(description="de: F1 of 'yes'; doc: macro-F1 of up and down")
    precision: float | None = None
    recall: float | None = None
    f1_up: float | None = None
    f1_down: float | None = None


def _task_score(task: str, pairs: list[tuple[str, str | None]]) -> TaskScore:
    valid = ANSWERS[task]
    predicted = sum(1 for _, p in pairs if p in valid)
    correct = sum(1 for a, p in pairs if a == p)
    accuracy = correct / len(pairs) if pairs else None
    if task == "de":
        given = [(a, p if p in valid else "no") for a, p in pairs]
        tp = sum(1 for a, p in given if a == "yes" and p == "yes")
        fp = sum(1 for a, p in given if a == "no" and p == "yes")
        fn = sum(1 for a, p in given if a == "yes" and p == "no")
        accuracy = sum(1 for a, p in given if a == p) / len(given) if given else None
        return TaskScore(questions=len(pairs), predicted=predicted, accuracy=accuracy,
                         f1=f1(tp, fp, fn), precision=tp / (tp + fp) if tp + fp else None,
                         recall=tp / (tp + fn) if tp + fn else None)
    per_class = {}
    for cls in valid:
        tp = sum(1 for a, p in pairs if a == cls and p == cls)
        fp = sum(1 for a, p in pairs if a != cls and p == cls)
        fn = sum(1 for a, p in pairs if a == cls and p != cls)
        per_class[cls] = f1(tp, fp, fn)
    defined = [v for v in per_class.values() if v is not None]
    return TaskScore(questions=len(pairs), predicted=predicted, accuracy=accuracy,
                     f1=sum(defined) / len(defined) if defined else None,
                     f1_up=per_class["up"], f1_down=per_class["down"])


def score(questions: Iterable[Question], predictions: Mapping[str, str]
          ) -> dict[str, dict[str, TaskScore]]:
    """``{split: {task: TaskScore}}`` for the splits ``all``, ``train``, ``test`` (a split
    without questions is left out). ``predictions`` maps question ids to answers (case and
    spacing ignored)."""
    pairs: dict[tuple[str, str], list[tuple[str, str | None]]] = defaultdict(list)
    for q in questions:
        p = predictions.get(q.id)
        p = p.strip().lower() if isinstance(p, str) else None
        for split in ("all", q.split):
            pairs[split, q.task].append((q.answer, p))
    out: dict[str, dict[str, TaskScore]] = {}
    for split in SPLITS:
        tasks = {t: _task_score(t, pairs[split, t]) for t in TASKS if pairs.get((split, t))}
        if tasks:
            out[split] = tasks
    return out


# ---------------------------------------------------------------- baselines


def _seeded(seed: int, text: str) -> random.Random:
    return random.Random(int(hashlib.sha256(f"{seed}\x1f{text}".encode()).hexdigest()[:16], 16))


def random_predictions(questions: Iterable[Question], seed: int = 0) -> dict[str, str]:
    """A fair coin per question (see the module docstring)."""
    return {q.id: ANSWERS[q.task][_seeded(seed, q.id).random() >= 0.5] for q in questions}


def _positive_means(questions: Iterable[Question]) -> tuple[dict[tuple[str, str], float],
                                                            dict[str, str]]:
    sums: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for q in questions:
        if q.split != "train":
            continue
        hit = int(q.answer == ANSWERS[q.task][0])
        for acc in (sums[q.task, q.gene_key], totals[q.task]):
            acc[0] += hit
            acc[1] += 1
    means = {k: s / n for k, (s, n) in sums.items()}
    majority = {t: ANSWERS[t][0] if totals[t][1] and totals[t][0] / totals[t][1] > 0.5
                else ANSWERS[t][1] for t in TASKS}
    return means, majority


def mean_predictions(questions: list[Question]) -> dict[str, str]:
    """Per gene and task, the training split's mean answer (see the module docstring)."""
    means, majority = _positive_means(questions)
    out = {}
    for q in questions:
        m = means.get((q.task, q.gene_key))
        out[q.id] = majority[q.task] if m is None or m == 0.5 else ANSWERS[q.task][m < 0.5]
    return out


def drug_features(perturbation: Mapping[str, Any]) -> tuple[frozenset[str], str]:
    """(known targets, mechanism class) of a perturbation record, normalised."""
    perts = perturbation.get("perturbations") or [{}]
    first = perts[0] if isinstance(perts, list) and perts and isinstance(perts[0], dict) else {}
    targets = first.get("known targets") or []
    if isinstance(targets, str):
        targets = targets.split(",")
    moa = first.get("moa_type") or ""
    return (frozenset(normalise_text(t) for t in targets if str(t).strip()),
            normalise_text(moa) if moa else "")


def drug_similarity(a: tuple[frozenset[str], str], b: tuple[frozenset[str], str]) -> float:
    """Jaccard of the targets plus 1/2 for the same mechanism class."""
    (ta, ma), (tb, mb) = a, b
    jaccard = len(ta & tb) / len(ta | tb) if ta | tb else 0.0
    return jaccard + (0.5 if ma and ma == mb else 0.0)


def knn_predictions(questions: list[Question], k: int = 5) -> dict[str, str]:
    """The K-neighbour baseline (see the module docstring)."""
    fallback = mean_predictions(questions)
    answers: dict[tuple[str, str], dict[tuple[str, str], str]] = defaultdict(dict)
    features: dict[tuple[str, str], tuple[frozenset[str], str]] = {}
    for q in questions:
        features.setdefault(q.condition_key, drug_features(q.perturbation))
        if q.split == "train":
            answers[q.condition_key][q.task, q.gene_key] = q.answer
    training = sorted(answers)
    neighbours: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for cond in features:
        drug, cell = cond
        ranked = sorted((c for c in training if c[0] != drug),
                        key=lambda c: (c[1] != cell,
                                       -drug_similarity(features[cond], features[c]), c))
        neighbours[cond] = ranked[:k]
    out = {}
    for q in questions:
        votes = Counter(a for c in neighbours[q.condition_key]
                        if (a := answers[c].get((q.task, q.gene_key))) is not None)
        top = votes.most_common(2)
        if top and (len(top) == 1 or top[0][1] > top[1][1]):
            out[q.id] = top[0][0]
        else:
            out[q.id] = fallback[q.id]
    return out


def trace_predictions(questions: Iterable[Question],
                      mentions: Mapping[tuple[str, str], Mapping[str, Counter]],
                      ) -> dict[str, str]:
    """Predictions from traces: ``mentions[(drug_key, cell_line_key)][gene_key]`` counts the
    directions the condition's ``regulates_expression`` actions give the gene."""
    out = {}
    for q in questions:
        directions = mentions.get(q.condition_key, {}).get(q.gene_key)
        if q.task == "de":
            out[q.id] = "yes" if directions else "no"
            continue
        top = (directions or Counter()).most_common(2)
        if top and (len(top) == 1 or top[0][1] > top[1][1]):
            out[q.id] = top[0][0]
    return out


def add_mentions(mentions: dict[tuple[str, str], dict[str, Counter]], drug: str | None,
                 cell_line: str | None, gene_list: Any, direction: Any) -> None:
    """Count one ``regulates_expression`` action into ``mentions`` (unusable ones skipped)."""
    if not drug or not cell_line or direction not in ("up", "down"):
        return
    genes = gene_list if isinstance(gene_list, list) else [gene_list]
    per_gene = mentions.setdefault((normalise_text(drug), normalise_text(cell_line)), {})
    for gene in genes:
        if isinstance(gene, str) and gene.strip():
            per_gene.setdefault(normalise_text(gene), Counter())[direction] += 1


def baseline_predictions(name: str, questions: list[Question], *, seed: int = 0,
                         k: int = 5) -> dict[str, str]:
    """The predictions of baseline ``name`` (one of :data:`BASELINES`)."""
    if name == "random":
        return random_predictions(questions, seed)
    if name == "mean":
        return mean_predictions(questions)
    if name == "knn":
        return knn_predictions(questions, k)
    raise ValueError(f"unknown baseline {name!r}; known: {', '.join(BASELINES)}")
