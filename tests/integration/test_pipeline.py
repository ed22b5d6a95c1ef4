"""`vctrace pipeline DIR` (vctrace.agents.pipeline) against the session's real Neo4j holding the
demo knowledge set: the knowledge-graph loop end to end (every stage's output, VC-TRACES rows
with explain_verified), resuming after a kill at every stage boundary without redoing
anything (stage calls counted, generation and verification runs counted in the graph), a
verification run resumed by its key, parameters changed on the same directory refused, and the
Claude loop through the real SDK at a fake transport: interactive, resumed after a killed
chunk, and through Message Batches (the fakes of test_generate_claude*)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from vctrace.agents import pipeline
from vctrace.agents import run as claude_run
from vctrace.app import verification
from vctrace.cli import main

from support.fake_claude import KEY, FakeClaude, fake
from integration.test_generate_claude_batch import FakeBatches, _fake as fake_batches
from support.knowledge import load_demo_knowledge
from support.neo4j import ensure_loaded

VC_TRACES_COLUMNS = ["perturbation", "question", "report_text", "explain", "dag",
                     "explain_verified"]
DEMO_PAIRS = 100
STAGE_INDEX = {name: i for i, name in enumerate(pipeline.STAGES)}


@pytest.fixture
def cli(demo, monkeypatch):
    monkeypatch.setenv("VCTRACE_NEO4J_PASSWORD", demo.password)
    return ["--neo4j-uri", demo.uri, "--neo4j-user", demo.user]


@pytest.fixture
def demo_loop(neo4j_server):
    """The demo knowledge set and whatever earlier tests of this module added (traces,
    generation and verification runs, refined versions): loaded only when the server holds
    something else. Tests count what they add."""
    if neo4j_server.loaded is None or neo4j_server.loaded[0] != "demo-knowledge":
        ensure_loaded(neo4j_server, "demo-knowledge",
                      lambda graph: load_demo_knowledge(neo4j_server))
    return neo4j_server


def _count(server, label: str) -> int:
    records, _, _ = server.driver.execute_query(f"MATCH (n:{label}) RETURN count(n) AS n")
    return records[0]["n"]


def _runs(server) -> tuple[int, int]:
    return _count(server, "GenerationRun"), _count(server, "VerificationRun")


def _state(directory: Path) -> dict:
    return json.loads((directory / "state.json").read_text())


def _export_rows(directory: Path) -> list[dict]:
    return [json.loads(line) for line in
            (directory / "vc_traces.jsonl").read_text().splitlines()]


class _Counted:
    """Counts the calls of every stage function; ``fail`` (stage name, "before" or "after")
    raises KeyboardInterrupt once, before the stage does anything or after it did all its work
    but before the pipeline recorded it as done (a kill at the boundary)."""

    def __init__(self, monkeypatch, fail: tuple[str, str] | None = None):
        self.calls = {name: 0 for name in pipeline.STAGES}
        self.fail = fail
        for name, real in list(pipeline._STAGE_FUNCTIONS.items()):
            monkeypatch.setitem(pipeline._STAGE_FUNCTIONS, name, self._wrap(name, real))

    def _wrap(self, name, real):
        def stage(*args, **kwargs):
            self.calls[name] += 1
            if self.fail == (name, "before"):
                self.fail = None
                raise KeyboardInterrupt
            real(*args, **kwargs)
            if self.fail == (name, "after"):
                self.fail = None
                raise KeyboardInterrupt
        return stage


def test_the_kg_loop_end_to_end_on_the_demo_set(demo, cli, tmp_path, capsys):
    directory = tmp_path / "loop"
    before = _runs(demo)
    status = main([*cli, "pipeline", str(directory), "--no-progress", "--parquet"])
    out = capsys.readouterr().out
    assert status == 0, out
    for name in ("state.json", "pairs.jsonl", "generated/kg.jsonl", "trace_keys.txt",
                 "vc_traces.jsonl", "vc_traces.parquet"):
        assert (directory / name).stat().st_size > 0, name
    state = _state(directory)
    assert all(s["status"] == "done" and s["attempts"] == 1 for s in state["stages"].values())
    assert len((directory / "pairs.jsonl").read_text().splitlines()) == DEMO_PAIRS
    keys = (directory / "trace_keys.txt").read_text().split()
    assert len(keys) == DEMO_PAIRS
    report, = directory.glob("report/*.report.html")
    assert report.name == f"{state['verification_run']}.report.html"
    rows = _export_rows(directory)
    assert len(rows) == DEMO_PAIRS
    assert all(list(row) == VC_TRACES_COLUMNS and row["explain_verified"] for row in rows)
    frame = pd.read_parquet(directory / "vc_traces.parquet")
    assert list(frame.columns) == VC_TRACES_COLUMNS and len(frame) == DEMO_PAIRS
    # one generation run, one verification run covering exactly the generated traces
    assert _runs(demo) == (before[0] + 1, before[1] + 1)
    run, = [r for r in verification.list_runs(demo.settings())
            if r.key == state["verification_run"]]
    assert run.status == "complete" and run.traces == DEMO_PAIRS
    assert run.filter["traces"] == sorted(keys)
    assert f"pairs {DEMO_PAIRS}; traces generated {DEMO_PAIRS}, valid {DEMO_PAIRS}, stored " \
           f"{DEMO_PAIRS}; skipped 0, invalid 0" in out
    assert f"generation run {state['generation_run']}" in out
    assert re.search(r"metrics: validity 1\.000, verifiability 0\.\d{3}, DTI 1\.000, DE —", out)
    assert f"export: {DEMO_PAIRS} VC-TRACES rows in {directory / 'vc_traces.jsonl'}" in out
    assert "cost $0.0000" in out
    # the same command again: nothing is redone, the summary is the whole loop's
    assert main([*cli, "pipeline", str(directory), "--no-progress", "--parquet",
                 "--format", "json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["resumed"] and not any(s["ran"] for s in again["stages"])
    assert (again["pairs"], again["stored"], again["exported"]) == (DEMO_PAIRS,) * 3
    assert again["metrics"]["validity"] == 1.0 and again["cost_usd"] == 0.0
    assert again["kept"] + again["refined"] == DEMO_PAIRS
    assert _runs(demo) == (before[0] + 1, before[1] + 1)
    assert _state(directory)["stages"] == state["stages"]
    with capsys.disabled():
        print("\nkg pipeline on the demo set, seconds per stage: " + ", ".join(
            f"{name} {s['seconds']:.2f}" for name, s in state["stages"].items()))


@pytest.mark.parametrize("stage", pipeline.STAGES)
@pytest.mark.parametrize("when", ["before", "after"])
def test_a_kill_at_a_stage_boundary_resumes_without_redoing_anything(
        demo_loop, tmp_path, monkeypatch, stage, when):
    demo = demo_loop
    settings = demo.settings()
    request = pipeline.PipelineRequest(directory=tmp_path / "loop", limit=3)
    before = _runs(demo)
    counted = _Counted(monkeypatch, fail=(stage, when))
    with pytest.raises(KeyboardInterrupt):
        pipeline.run_pipeline(settings, request)
    killed = STAGE_INDEX[stage]
    assert counted.calls == {name: int(i <= killed) for i, name in enumerate(pipeline.STAGES)}
    state = _state(request.directory)
    assert [s["status"] for s in state["stages"].values()] == \
        ["done"] * killed + ["running"] + ["pending"] * (len(pipeline.STAGES) - killed - 1)
    result = pipeline.run_pipeline(settings, request)
    # the killed stage runs once more, the later ones once, the earlier ones never again
    assert counted.calls == {name: 1 + (i == killed) if i <= killed else 1
                             for i, name in enumerate(pipeline.STAGES)}
    assert [s.ran for s in result.stages] == [i >= killed for i in range(len(pipeline.STAGES))]
    assert (result.pairs, result.stored, result.exported) == (3, 3, 3)
    assert _runs(demo) == (before[0] + 1, before[1] + 1)
    assert _state(request.directory)["stages"][stage]["attempts"] == 2
    assert len(_export_rows(request.directory)) == 3


def test_an_interrupted_verification_run_is_resumed_by_its_key(demo_loop, tmp_path,
                                                               monkeypatch):
    demo = demo_loop
    settings = demo.settings()
    request = pipeline.PipelineRequest(directory=tmp_path / "loop", limit=4)
    before = _runs(demo)
    real_judge = verification.StartedRun.judge

    def killed(self, progress=None, stop=None):
        self.release()  # the run is taken and stored, nothing judged: a killed verify
        raise KeyboardInterrupt

    monkeypatch.setattr(verification.StartedRun, "judge", killed)
    with pytest.raises(KeyboardInterrupt):
        pipeline.run_pipeline(settings, request)
    key = _state(request.directory)["verification_run"]
    assert key and _runs(demo)[1] == before[1] + 1
    unfinished, = [r for r in verification.list_runs(settings) if r.key == key]
    assert unfinished.status != "complete"
    resumed = []
    real_resume = verification.begin_resume
    monkeypatch.setattr(verification.StartedRun, "judge", real_judge)
    monkeypatch.setattr(verification, "begin_resume",
                        lambda s, ref: resumed.append(ref) or real_resume(s, ref))
    result = pipeline.run_pipeline(settings, request)
    assert resumed == [key] and result.verification_run == key
    assert _runs(demo) == (before[0] + 1, before[1] + 1)
    done, = [r for r in verification.list_runs(settings) if r.key == key]
    assert done.status == "complete" and done.traces == 4 and result.exported == 4


def test_other_parameters_for_a_directory_are_refused(cli, tmp_path, capsys, monkeypatch):
    directory = tmp_path / "loop"
    assert main([*cli, "pipeline", str(directory), "--no-progress", "--limit", "2"]) == 0
    capsys.readouterr()
    assert main([*cli, "pipeline", str(directory), "--no-progress", "--limit", "3"]) == 2
    err = capsys.readouterr().err
    assert "was started with other parameters (limit: 2 then, 3 now)" in err
    assert "give another directory" in err
    assert main([*cli, "pipeline", str(directory), "--no-progress", "--limit", "2",
                 "--constructor", "claude"]) == 2
    assert "constructor: 'kg' then, 'claude' now" in capsys.readouterr().err
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    assert main([*cli, "pipeline", str(other), "--limit", "1"]) == 2
    assert "is not a pipeline directory" in capsys.readouterr().err
    assert main([*cli, "pipeline", str(tmp_path / "x"), "--batch"]) == 2  # usage error
    assert main([*cli, "pipeline", str(tmp_path / "y"), "--no-progress",
                 "--drug", "no such drug"]) == 1
    assert "no loaded Tahoe-100M drug named 'no such drug'" in capsys.readouterr().err
    assert _export_rows(tmp_path / "y") == []
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    assert main([*cli, "pipeline", str(tmp_path / "z"), "--no-progress", "--limit", "1",
                 "--constructor", "claude"]) == 2
    assert "ANTHROPIC_API_KEY" in capsys.readouterr().err
    assert all(s["status"] == "pending" for s in _state(tmp_path / "z")["stages"].values())


def test_the_claude_loop_resumes_a_killed_chunk(demo, cli, tmp_path, monkeypatch, capsys):
    api = FakeClaude()
    fake(monkeypatch, api)
    directory = tmp_path / "claude"
    command = [*cli, "pipeline", str(directory), "--constructor", "claude", "--drug",
               "trametinib", "--limit", "2", "--chunk-size", "1", "--no-progress"]
    before = _runs(demo)
    real = claude_run.generate_with_claude
    chunks = []

    def second_chunk_killed(*args, **kwargs):
        chunks.append(args[1].pairs[0].cell_line)
        if len(chunks) == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(claude_run, "generate_with_claude", second_chunk_killed)
    assert main(command) == 130
    state = _state(directory)
    assert [c["index"] for c in state["chunks"]] == [1] and len(api.requests) == 2
    assert (directory / "generated" / "part-0001.jsonl").exists()
    assert state["stages"]["generate"]["status"] == "running"
    capsys.readouterr()
    assert main(command) == 0
    out = capsys.readouterr().out
    assert chunks[1] == chunks[2] and len(chunks) == 3  # only the killed chunk again
    assert len(api.requests) == 4
    state = _state(directory)
    assert [c["output"] for c in state["chunks"]] == ["generated/part-0001.jsonl",
                                                      "generated/part-0002.jsonl"]
    generated = [json.loads(line) for path in sorted((directory / "generated").glob("*.jsonl"))
                 for line in path.read_text().splitlines()]
    assert {r["provenance"]["generation_run"] for r in generated} == {state["generation_run"]}
    assert [r["trace_id"] for r in generated] == ["claude:trametinib|a549", "claude:trametinib|c32"]
    rows = _export_rows(directory)
    assert len(rows) == 2 and all(list(r) == VC_TRACES_COLUMNS for r in rows)
    assert all(re.search(r"\[E\d+\]", r["report_text"]) for r in rows)
    assert _runs(demo) == (before[0] + 1, before[1] + 1)
    assert main([*cli, "generation-runs", state["generation_run"], "--format", "json"]) == 0
    stored, = json.loads(capsys.readouterr().out)
    assert (stored["constructor"], stored["pairs"], stored["traces"], stored["stored"],
            stored["requests"]) == ("claude", 2, 2, 2, 4)
    assert stored["cost_usd"] > 0
    assert f"claude {state['request']['model']}" in out and "4 requests" in out
    for text in (out, json.dumps(state), *(p.read_text() for p in directory.rglob("*.jsonl"))):
        assert KEY not in text


def test_the_claude_loop_through_message_batches(demo, cli, tmp_path, monkeypatch, capsys):
    api = FakeBatches()
    fake_batches(monkeypatch, api)
    directory = tmp_path / "batch"
    command = [*cli, "pipeline", str(directory), "--constructor", "claude", "--batch",
               "--drug", "trametinib", "--limit", "2", "--poll-interval", "0",
               "--no-progress", "--format", "json"]
    before = _runs(demo)
    assert main(command) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["batch"] and (result["pairs"], result["stored"], result["exported"]) == \
        (2, 2, 2)
    assert result["cost_usd"] > 0 and result["requests"] == 4
    assert (directory / "generated" / "batch.jsonl").exists() and \
        any((directory / "batches").iterdir())
    assert all(list(r) == VC_TRACES_COLUMNS for r in _export_rows(directory))
    sent = len(api.headers)
    assert len(api.sent_ids()) == 4  # a report and a trace per pair
    assert main(command) == 0  # done: nothing is sent again
    assert len(api.headers) == sent and json.loads(capsys.readouterr().out)["resumed"]
    assert _runs(demo) == (before[0] + 1, before[1] + 1)
    assert main([*cli, "generation-runs", result["generation_run"], "--format", "json"]) == 0
    stored, = json.loads(capsys.readouterr().out)
    assert stored["batch"] and (stored["traces"], stored["stored"]) == (2, 2)
