"""TahoeQA use cases: build the benchmark from the loaded DE, score predictions, run the
built-in predictors (the definitions, the split and the scores are documented in
:mod:`vctrace.runs.tahoeqa`).

``build`` writes one question per JSONL line and, next to it, ``<name>.manifest.json``: the
options (seed, test fraction, sizes, padj), the split salt and each split's drugs, the DE
loads read (release and options), and the counts. ``score`` reads a questions file and either
a predictions file (JSONL, one ``{"id", "prediction"}`` per line; ``answer`` is accepted for
``prediction``) or a built-in predictor; ``baselines`` scores every baseline on one file.

The trace-based predictor reads either every stored trace (refined versions left out) or,
with a verification run, the run's kept traces (those its policy discards left out): for
training-split conditions their verified explanation (DE-refuted genes pruned), for test-split
conditions their original one — pruning by DE verdicts uses the test condition's DE data,
which a prediction for the test split must never see.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any, Iterator, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import InvalidRequest, VctraceError
from ..kg.graph import Graph
from ..progress import Progress, no_progress
from ..runs import refine as refine_mod
from ..runs import tahoeqa as qa
from ..runs.tahoeqa import BASELINES, SPLIT_SALT, Question, TaskScore
from ..settings import Settings
from ..traces.identity import normalise_text
from ..traces.text import parse_explain
from .graph_session import open_graph
from .jsonl import json_objects
from .verification import resolve_run

__all__ = ["BASELINES", "BaselinesResult", "BuildOptions", "BuildResult", "PredictorScore",
           "Question", "ScoreResult", "TahoeQAError", "TaskScore", "baselines", "build",
           "manifest_path", "read_questions", "score"]

BATCH = 200  # conditions per read of calls and bitmaps


class TahoeQAError(VctraceError):
    """A questions or predictions file that cannot be read or used, or no DE to build from."""


class BuildOptions(BaseModel):
    """How the benchmark is drawn (defaults: the paper's sizes)."""

    model_config = ConfigDict(frozen=True)

    seed: int = Field(0, description="seed of the negatives' sampling")
    test_fraction: float = Field(0.2, ge=0, le=1, description="share of drugs held out "
                                 "(by hash, so approximately)")
    up: int = Field(25, ge=0, description="top up-regulated genes per condition")
    down: int = Field(25, ge=0, description="top down-regulated genes per condition")
    negatives: int = Field(100, ge=0, description="not-regulated genes per condition")
    padj: float = Field(0.05, gt=0, le=1, description="a call is significant below this")


class BuildResult(BaseModel):
    output: Path
    manifest: Path
    options: BuildOptions
    conditions: int
    conditions_without_questions: int
    questions: dict[str, dict[str, int]] = Field(description="{split: {task: questions}}")
    drugs: dict[str, int] = Field(description="drugs per split")
    de_loads: list[dict[str, Any]]
    warnings: list[str] = []


def manifest_path(output: Path) -> Path:
    """Where :func:`build` writes the manifest of ``output``."""
    return output.with_name(output.stem + ".manifest.json")


def _condition_rows(graph: Graph) -> list[dict[str, Any]]:
    return graph.read("tahoeqa/conditions")


class _Universe:
    """A DE load's gene list, its order by normalised name, for the tested bitmaps."""

    def __init__(self, genes: list[str]):
        self.genes = genes
        self.keys = [normalise_text(g) for g in genes]
        self.order = np.array(sorted(range(len(genes)), key=self.keys.__getitem__),
                              dtype=np.int64)

    def bits(self, bitmap: bytes | None) -> np.ndarray:
        """The tested flags of the universe's genes. The bit layout is the DE loader's
        (:mod:`vctrace.kg.gene_bitmap`: gene i is bit i % 8 of byte i // 8), unpacked with
        numpy as a loop over 62,710 genes per experiment would take too long."""
        flags = np.unpackbits(np.frombuffer(bitmap or b"", dtype=np.uint8), bitorder="little")
        out = np.zeros(len(self.genes), dtype=bool)
        size = min(len(flags), len(self.genes))
        out[:size] = flags[:size].astype(bool)
        return out

    def names(self, flags: np.ndarray) -> list[tuple[str, str]]:
        """The genes whose flag is set, (normalised name, name) sorted by normalised name."""
        return [(self.keys[i], self.genes[i]) for i in self.order[flags[self.order]].tolist()]


def _experiments(graph: Graph, keys: list[str], universes: dict[str, _Universe]
                 ) -> dict[str, tuple[list[dict[str, Any]], str | None, np.ndarray | None]]:
    """Calls, universe key and tested flags of each experiment key."""
    out = {}
    for record in graph.read("tahoeqa/experiment_calls", keys=keys):
        universe = universes.get(record["universe"])
        flags = universe.bits(record["tested_bitmap"]) if universe else None
        out[record["key"]] = (record["calls"], record["universe"], flags)
    return out


def build(settings: Settings, output: Path, options: BuildOptions | None = None, *,
          progress: Progress = no_progress) -> BuildResult:
    """Draw the TahoeQA questions from the loaded DE and write them to ``output`` (JSONL)
    with a manifest beside it. ``TahoeQAError`` when no DE is loaded."""
    options = options or BuildOptions()
    if output.suffix.lower() not in (".jsonl", ".ndjson"):
        raise TahoeQAError(f"{output}: the questions are written as .jsonl")
    manifest = manifest_path(output)
    with open_graph(settings) as graph:
        conditions = _condition_rows(graph)
        if not conditions:
            raise TahoeQAError("no DE experiments loaded (vctrace load tahoe-de FILES first)")
        universe_keys = sorted({e["universe"] for c in conditions for e in c["experiments"]
                                if e.get("universe")})
        loads = graph.read("tahoeqa/universes", keys=universe_keys)
        universes = {u["key"]: _Universe(u["genes"] or []) for u in loads}
        counts: Counter = Counter()
        drugs: dict[str, set[str]] = {"train": set(), "test": set()}
        empty = 0
        bar = progress("tahoeqa conditions", len(conditions), "conditions")
        try:
            output.parent.mkdir(parents=True, exist_ok=True)
            with output.open("w", encoding="utf-8") as out:
                for start in range(0, len(conditions), BATCH):
                    chunk = conditions[start:start + BATCH]
                    keys = [e["key"] for c in chunk for e in c["experiments"]]
                    found = _experiments(graph, keys, universes)
                    for row in chunk:
                        questions = _questions(row, found, universes, options)
                        split = qa.drug_split(row["drug"], options.test_fraction)
                        drugs[split].add(row["drug_key"])
                        empty += not questions
                        for q in questions:
                            counts[q.split, q.task] += 1
                            out.write(q.model_dump_json() + "\n")
                        bar.update()
        except OSError as exc:
            raise TahoeQAError(f"cannot write {output}: {exc.strerror}") from None
        finally:
            bar.close()
    de_loads = [{"universe": u["key"], "release": u["release"],
                 "options": json.loads(u["options_json"]) if u.get("options_json") else None}
                for u in loads]
    warnings = _warnings(de_loads, drugs, options)
    totals = {split: {task: counts[split, task] for task in qa.TASKS}
              for split in ("train", "test")}
    totals["all"] = {task: counts["train", task] + counts["test", task] for task in qa.TASKS}
    result = BuildResult(output=output, manifest=manifest, options=options,
                         conditions=len(conditions), conditions_without_questions=empty,
                         questions=totals, drugs={k: len(v) for k, v in drugs.items()},
                         de_loads=de_loads, warnings=warnings)
    document = {
        "benchmark": "TahoeQA", "questions_file": output.name,
        "options": options.model_dump(), "split": {
            "by": "drug", "salt": SPLIT_SALT, "test_fraction": options.test_fraction,
            "rule": "test when sha256(salt \\x1f normalised drug) / 2^256 < test_fraction",
            "train_drugs": sorted(drugs["train"]), "test_drugs": sorted(drugs["test"])},
        "labels": {"ranking": "|log2FC| (largest over the doses calling the gene), then padj, "
                   "then gene name", "doses": "consensus: genes called in both directions "
                   "are left out", "not_regulated": "tested at every dose, no significant "
                   "call at any"},
        "conditions": result.conditions,
        "conditions_without_questions": empty, "questions": totals,
        "drugs": result.drugs, "de_loads": de_loads, "warnings": warnings}
    try:
        manifest.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n",
                            encoding="utf-8")
    except OSError as exc:
        raise TahoeQAError(f"cannot write {manifest}: {exc.strerror}") from None
    return result


def _questions(row: dict[str, Any],
               found: dict[str, tuple[list[dict[str, Any]], str | None, np.ndarray | None]],
               universes: dict[str, _Universe], options: BuildOptions) -> list[Question]:
    experiments, flags, keys = [], None, set()
    for e in row["experiments"]:
        calls, universe, tested = found.get(e["key"], ([], None, None))
        keys.add(universe)
        if tested is not None:
            flags = tested if flags is None or flags.shape != tested.shape else flags & tested
        experiments.append(qa.Experiment(
            key=e["key"], concentration=e.get("concentration"), tested=set(),
            calls=[qa.DoseCall(gene=c["gene"], log2fc=c["log2fc"], padj=c.get("padj"),
                               concentration=e.get("concentration"))
                   for c in calls if c.get("log2fc") is not None]))
    if len(keys) == 1 and None not in keys and flags is not None:
        tested_everywhere = universes[keys.pop()].names(flags)  # type: ignore[index]
    elif None in keys or not keys:
        tested_everywhere = []  # an experiment without a load's gene list: no negatives
    else:  # doses from different loads: compare names
        for experiment in experiments:
            _, universe, tested = found[experiment.key]
            experiment.tested = {name for _, name in universes[universe].names(tested)}
        tested_everywhere = None
    perturbation = qa.perturbation_record(row["drug"], row["cell_line"],
                                          targets=row.get("targets") or (),
                                          moa=row.get("moa"), smiles=row.get("smiles"),
                                          organ=row.get("organ"))
    condition = qa.Condition(drug=row["drug"], cell_line=row["cell_line"],
                             experiments=experiments, perturbation=perturbation,
                             tested_everywhere=tested_everywhere)
    return qa.condition_questions(
        condition, split=qa.drug_split(row["drug"], options.test_fraction), up=options.up,
        down=options.down, negatives=options.negatives, seed=options.seed, padj=options.padj)


def _warnings(de_loads: list[dict[str, Any]], drugs: dict[str, set[str]],
              options: BuildOptions) -> list[str]:
    out = []
    for load in de_loads:
        lfc = (load.get("options") or {}).get("min_abs_lfc")
        if lfc:
            out.append(f"DE load {load['release']} kept calls with |log2FC| >= {lfc} only: "
                       "smaller significant changes count as not regulated")
    for split in ("train", "test"):
        if not drugs[split] and (options.test_fraction not in (0, 1)):
            out.append(f"no drug fell into the {split} split (test fraction "
                       f"{options.test_fraction}, {len(drugs['train'] | drugs['test'])} drugs)")
    return out


# ---------------------------------------------------------------- reading files


def read_questions(path: Path) -> list[Question]:
    """The questions of a file :func:`build` wrote; ``TahoeQAError`` naming the bad line."""
    out = []
    for number, record in _jsonl(path):
        try:
            out.append(Question.model_validate(record))
        except ValidationError as exc:
            raise TahoeQAError(f"{path}:{number}: not a TahoeQA question: "
                               f"{exc.errors()[0]['loc']} {exc.errors()[0]['msg']}") from None
    if not out:
        raise TahoeQAError(f"{path}: no questions")
    return out


def read_predictions(path: Path) -> dict[str, str]:
    """``{question id: prediction}`` from a JSONL file of ``{"id", "prediction"}`` lines."""
    out = {}
    for number, record in _jsonl(path):
        answer = record.get("prediction", record.get("answer"))
        if not isinstance(record.get("id"), str) or not isinstance(answer, str):
            raise TahoeQAError(f"{path}:{number}: a prediction needs a string 'id' and a "
                               "string 'prediction'")
        out[record["id"]] = answer
    return out


def _jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    return json_objects(path, TahoeQAError)


# ---------------------------------------------------------------- scoring


class PredictorScore(BaseModel):
    """One predictor's scores: ``{split: {task: TaskScore}}``."""

    predictor: str
    scores: dict[str, dict[str, TaskScore]]
    details: dict[str, Any] = {}


class ScoreResult(PredictorScore):
    questions: Path
    predictions: Path | None = None


def _trace_mentions(settings: Settings, questions: list[Question], run_ref: str | None,
                    progress: Progress) -> tuple[dict, dict[str, Any]]:
    split_of = {q.condition.drug_key: q.split for q in questions}
    mentions: dict = {}
    with open_graph(settings, schema=run_ref is not None) as graph:
        if run_ref is None:
            rows = graph.read("tahoeqa/trace_expression")
            for r in rows:
                qa.add_mentions(mentions, r["drug"], r["cell_line"], r["gene_list"],
                                r["direction"])
            return mentions, {"source": "stored traces", "traces": len({r["trace"] for r in rows})}
        run = resolve_run(graph, run_ref)
        policy = refine_mod.Policy()
        refine_mod.refine(graph, run, policy)  # idempotent: the outcomes export reads
        counts: dict[str, int] = {}
        bar = progress("traces of the run", None, "traces")
        try:
            for trace in refine_mod.export_traces(graph, run, policy, counts=counts):
                held_out = split_of.get(normalise_text(trace.drug or "")) == "test"
                actions = trace.actions
                if not held_out and trace.explain_verified is not None:
                    actions, _, _ = parse_explain(trace.explain_verified)
                for a in actions:
                    if a.primitive == "regulates_expression":
                        qa.add_mentions(mentions, trace.drug, trace.cell_line,
                                        a.args.get("gene_list"), a.args.get("direction"))
                bar.update()
        finally:
            bar.close()
    return mentions, {"source": f"run {run}", "run": run, "policy": json.loads(policy.json()),
                      "traces": counts.get("written", 0), "discarded": counts.get("discarded", 0),
                      "test_split": "original explanations (no DE-based pruning)"}


def _trace_predictions(settings: Settings, questions: list[Question], run: str | None,
                       progress: Progress) -> tuple[dict[str, str], dict[str, Any]]:
    mentions, details = _trace_mentions(settings, questions, run, progress)
    details["conditions_with_traces"] = len({q.condition_key for q in questions
                                             if q.condition_key in mentions})
    return qa.trace_predictions(questions, mentions), details


def _traces_score(settings: Settings, questions: list[Question], run: str | None,
                  progress: Progress) -> PredictorScore:
    predictions, details = _trace_predictions(settings, questions, run, progress)
    return PredictorScore(predictor="traces", scores=qa.score(questions, predictions),
                          details=details)


def score(settings: Settings, questions_path: Path, predictions_path: Path | None = None, *,
          predictor: Literal["traces", "random", "mean", "knn"] | None = None,
          run: str | None = None, seed: int = 0, k: int = 5,
          write_predictions: Path | None = None,
          progress: Progress = no_progress) -> ScoreResult:
    """Score a predictions file, or a built-in ``predictor`` (``traces`` reads the graph:
    every stored trace, or a run's kept traces with ``run``), on a questions file; with
    ``write_predictions`` the predictions used are written there as JSONL."""
    if (predictions_path is None) == (predictor is None):
        raise InvalidRequest("give either a predictions file or a built-in predictor")
    if run is not None and predictor != "traces":
        raise InvalidRequest("a run applies to the traces predictor only")
    questions = read_questions(questions_path)
    details: dict[str, Any] = {}
    if predictions_path is not None:
        predictions = read_predictions(predictions_path)
        known = {q.id for q in questions}
        details["unknown_ids"] = sum(1 for i in predictions if i not in known)
        name = predictions_path.name
    elif predictor == "traces":
        predictions, details = _trace_predictions(settings, questions, run, progress)
        name = "traces"
    else:
        predictions = qa.baseline_predictions(str(predictor), questions, seed=seed, k=k)
        name = str(predictor)
        details = {"seed": seed} if predictor == "random" else {"k": k} if predictor == "knn" \
            else {}
    if write_predictions is not None:
        _write_predictions(write_predictions, questions, predictions)
    return ScoreResult(predictor=name, scores=qa.score(questions, predictions),
                       details=details, questions=questions_path,
                       predictions=predictions_path)


def _write_predictions(path: Path, questions: list[Question], predictions: dict[str, str]
                       ) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8") as out:
            for q in questions:
                if q.id in predictions:
                    out.write(json.dumps({"id": q.id, "prediction": predictions[q.id]}) + "\n")
    except OSError as exc:
        raise TahoeQAError(f"cannot write {path}: {exc.strerror}") from None


class BaselinesResult(BaseModel):
    questions: Path
    results: list[PredictorScore]


def baselines(questions_path: Path, *, seed: int = 0, k: int = 5,
              settings: Settings | None = None, traces: bool = False, run: str | None = None,
              progress: Progress = no_progress) -> BaselinesResult:
    """Every built-in baseline (random, mean, knn) scored on a questions file; with
    ``traces`` (and ``settings``) the trace-based predictor too (of ``run`` when given)."""
    questions = read_questions(questions_path)
    results = []
    for name in BASELINES:
        details = {"seed": seed} if name == "random" else {"k": k} if name == "knn" else {}
        predictions = qa.baseline_predictions(name, questions, seed=seed, k=k)
        results.append(PredictorScore(predictor=name, scores=qa.score(questions, predictions),
                                      details=details))
    if traces:
        if settings is None:
            raise InvalidRequest("the traces predictor needs the database settings")
        results.append(_traces_score(settings, questions, run, progress))
    return BaselinesResult(questions=questions_path, results=results)
