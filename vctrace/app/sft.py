"""SFT export use case: chat-format JSONL from a verification run's verified traces for the
paper's SFT-Prompt and SFT-Generate settings (row format, answers and questions:
:mod:`vctrace.runs.sft`), split by held-out drugs with the TahoeQA split function
(:func:`vctrace.runs.tahoeqa.drug_split`), so a drug held out of TahoeQA's training split is
held out here too at the same fraction.

The run is refined first with the default policy (idempotent; as ``vctrace export``): traces
it discards get no row; the others give their verified explanation. ``OUT_DIR`` receives
``sft_<setting>.<split>.jsonl`` per setting and split and ``manifest.json`` (run, policy,
settings, split rule and each split's drugs, counts, answer sources, skipped traces); every
row also names its split.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from ..errors import VctraceError
from ..progress import Progress, no_progress
from ..runs import refine as refine_mod
from ..runs import sft as sft_mod
from ..runs.tahoeqa import SPLIT_SALT, drug_split
from ..settings import Settings
from ..traces.identity import normalise_text, trace_key
from ..traces.text import parse_explain
from .graph_session import open_graph
from .verification import resolve_run

__all__ = ["SETTINGS", "SftError", "SftExport", "export"]

SETTINGS = sft_mod.SETTINGS


class SftError(VctraceError):
    """The export folder cannot be written."""


class SftExport(BaseModel):
    run: str
    out_dir: Path
    manifest: Path
    settings: list[str]
    test_fraction: float
    files: dict[str, Path] = Field(description="'<setting>.<split>' -> path")
    rows: dict[str, dict[str, int]] = Field(description="{setting: {split: rows}}")
    traces: int = Field(description="kept traces of the run read")
    skipped: dict[str, int] = Field(description="traces without a row, by reason")
    answer_sources: dict[str, int] = Field(description="rows' answers: trace or de_claims")
    drugs: dict[str, int]


def export(settings: Settings, run_ref: str, out_dir: Path, *,
           setting: Literal["prompt", "generate", "both"] = "both",
           test_fraction: float = 0.2, progress: Progress = no_progress) -> SftExport:
    """Write the SFT files of a run (its key or ``"latest"``) into ``out_dir``."""
    if not 0 <= test_fraction <= 1:
        raise SftError(f"test fraction {test_fraction} is not in [0, 1]")
    if setting not in (*SETTINGS, "both"):
        raise SftError(f"unknown setting {setting!r}; known: {', '.join(SETTINGS)}, both")
    chosen = list(SETTINGS) if setting == "both" else [setting]
    files = {f"{s}.{split}": out_dir / f"sft_{s}.{split}.jsonl"
             for s in chosen for split in ("train", "test")}
    rows: dict[str, dict[str, int]] = {s: {"train": 0, "test": 0} for s in chosen}
    skipped: Counter = Counter()
    sources: Counter = Counter()
    drugs: dict[str, set[str]] = {"train": set(), "test": set()}
    policy = refine_mod.Policy()
    counts: dict[str, int] = {}
    with open_graph(settings, schema=True) as graph:
        run = resolve_run(graph, run_ref)
        refine_mod.refine(graph, run, policy)
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
            handles = {name: path.open("w", encoding="utf-8") for name, path in files.items()}
        except OSError as exc:
            raise SftError(f"cannot write into {out_dir}: {exc.strerror}") from None
        bar = progress("sft rows", None, "traces")
        try:
            for trace in refine_mod.export_traces(graph, run, policy, counts=counts):
                bar.update()
                made = _rows(trace, run, test_fraction, chosen)
                if isinstance(made, str):
                    skipped[made] += 1
                    continue
                split, source, lines = made
                sources[source] += 1
                drugs[split].add(normalise_text(trace.drug or ""))
                for s, line in lines:
                    handles[f"{s}.{split}"].write(line + "\n")
                    rows[s][split] += 1
        except OSError as exc:
            raise SftError(f"cannot write into {out_dir}: {exc.strerror}") from None
        finally:
            bar.close()
            for handle in handles.values():
                handle.close()
    result = SftExport(
        run=run, out_dir=out_dir, manifest=out_dir / "manifest.json", settings=chosen,
        test_fraction=test_fraction, files=files, rows=rows,
        traces=counts.get("written", 0), skipped=dict(skipped), answer_sources=dict(sources),
        drugs={k: len(v) for k, v in drugs.items()})
    _manifest(result, policy, drugs)
    return result


def _rows(trace: Any, run: str, test_fraction: float, chosen: list[str]
          ) -> str | tuple[str, str, list[tuple[str, str]]]:
    """(split, answer source, [(setting, JSON line)]) of one trace, or why it has none."""
    if not trace.drug:
        return "no_drug"
    explanation = (trace.explain_verified or "").strip()
    if not explanation:
        return "no_verified_explanation"
    question = sft_mod.question_of(trace.question,
                                   trace.perturbation.raw if trace.perturbation else None)
    if question is None:
        return "no_question"
    answer, source = (trace.answer or "").strip(), "trace"
    if not answer:
        actions, _, _ = parse_explain(explanation, field="explain_verified")
        answer, source = sft_mod.derived_answer(trace.drug, trace.cell_line, actions) or "", \
            "de_claims"
    if not answer:
        return "no_answer"
    split = drug_split(trace.drug, test_fraction)
    key = trace_key(trace)
    meta = {"id": f"sft-{key}", "trace": key, "trace_id": trace.trace_id, "run": run,
            "drug": trace.drug, "cell_line": trace.cell_line, "split": split,
            "answer_source": source}
    return split, source, [
        (s, json.dumps(sft_mod.chat_row(s, question=question, explanation=explanation,
                                        answer=answer, meta=meta), ensure_ascii=False))
        for s in chosen]


def _manifest(result: SftExport, policy: refine_mod.Policy, drugs: dict[str, set[str]]
              ) -> None:
    document = {
        "export": "sft", "run": result.run, "policy": json.loads(policy.json()),
        "settings": result.settings,
        "files": {k: p.name for k, p in result.files.items()},
        "split": {"by": "drug", "salt": SPLIT_SALT, "test_fraction": result.test_fraction,
                  "rule": "test when sha256(salt \\x1f normalised drug) / 2^256 < "
                  "test_fraction (the TahoeQA split)",
                  "train_drugs": sorted(drugs["train"]), "test_drugs": sorted(drugs["test"])},
        "answer": "the trace's answer; else derived from the verified explanation's "
                  "regulates_expression claims",
        "rows": result.rows, "traces": result.traces, "skipped": result.skipped,
        "answer_sources": result.answer_sources, "drugs": result.drugs}
    try:
        result.manifest.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n",
                                   encoding="utf-8")
    except OSError as exc:
        raise SftError(f"cannot write {result.manifest}: {exc.strerror}") from None
