"""Counterfactual robustness (``vctrace robustness``) on the bundled demo knowledge set: the
demo's example traces and the knowledge-graph constructor's traces for every demo pair,
verified in one run; their supported claims turned into counterfactuals judged in memory by
the same verifiers, nothing written into the graph."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from vctrace.app import generation, traces
from vctrace.app.demo import example_files
from vctrace.app.robustness import RobustnessOptions, robustness
from vctrace.app.verification import VerifyRequest, verify
from vctrace.cli import main

KINDS = ["target_swap", "direction_flip", "unmeasured_gene", "term_swap", "hidden_target"]


@pytest.fixture
def demo_run(demo, tmp_path):
    """(settings, run key) after ingesting the example traces and generated traces for the
    demo pairs and verifying them with the default verifiers (as ``vctrace demo`` does)."""
    settings = demo.settings(home=tmp_path)
    traces.ingest(settings, example_files())
    generation.generate(settings, generation.GenerateRequest(output=tmp_path / "kg.jsonl"))
    return settings, verify(settings, VerifyRequest()).run


def _graph_size(server):
    records, _, _ = server.driver.execute_query(
        "MATCH (n) WITH count(n) AS nodes, count{ (:Verdict) } AS verdicts "
        "RETURN nodes, verdicts, count{ ()-[]->() } AS relationships")
    return dict(records[0])


def _by_kind(result):
    return {k.kind: k for k in result.kinds}


def _table(result):
    return "\n".join(f"{k.kind:16} {k.verifier:8} n={k.counterfactuals:3} "
                     f"refuted={k.refuted_share} unverifiable={k.unverifiable_share} "
                     f"supported={k.supported_share} with-original={k.supported_with_original}"
                     for k in result.kinds)


def test_counterfactuals_are_judged_without_writes_in_the_open_and_closed_world(demo, demo_run):
    settings, run = demo_run
    before = _graph_size(demo)
    opened = robustness(settings, run, RobustnessOptions(dti_world="open"), write=False)
    closed = robustness(settings, run, RobustnessOptions(dti_world="closed"), write=False)
    assert _graph_size(demo) == before  # no claim, mention or verdict written
    print(f"\nopen world\n{_table(opened)}\nclosed world\n{_table(closed)}")
    assert (opened.dti_world, closed.dti_world) == ("open", "closed")
    for result in (opened, closed):
        kinds = _by_kind(result)
        assert list(kinds) == KINDS
        assert all(0 < k.counterfactuals <= 50 for k in result.kinds)
        assert sum(k.statuses["error"] for k in result.kinds) == 0
        # a verifier never supports a claim and its counterfactual
        assert result.supported_with_original == 0
        assert all(k.supported_pairs == [] for k in result.kinds)
        # de: a flipped direction of a supported gene is refuted; an unmeasured gene is
        # unverifiable, never supported
        assert kinds["direction_flip"].refuted_share == 1.0
        assert kinds["direction_flip"].reasons == {
            "opposite_direction": kinds["direction_flip"].counterfactuals}
        assert kinds["unmeasured_gene"].reasons == {
            "not_measured": kinds["unmeasured_gene"].counterfactuals}
        assert kinds["term_swap"].supported_share == 0.0
    # dti-kg: the honest finding — in the open world a swapped target (and a hidden true
    # target) is unverifiable, never refuted; the closed world refutes both
    for kind in ("target_swap", "hidden_target"):
        assert _by_kind(opened)[kind].refuted_share == 0.0
        assert _by_kind(opened)[kind].reasons == {
            "not_in_curated_targets": _by_kind(opened)[kind].counterfactuals}
        assert _by_kind(closed)[kind].refuted_share == 1.0
    # the same seed draws the same counterfactuals; the cap applies per kind
    again = robustness(settings, run, RobustnessOptions(dti_world="open"), write=False)
    assert again.model_dump() == opened.model_dump()
    capped = robustness(settings, run, RobustnessOptions(per_kind=2, seed=7), write=False)
    assert all(k.counterfactuals == min(2, _by_kind(opened)[k.kind].counterfactuals)
               for k in capped.kinds)
    assert capped.dti_world == "open"  # the run's own (default) world


def test_command_writes_json_and_svg(demo, demo_run, tmp_path, monkeypatch, capsys):
    settings, run = demo_run
    monkeypatch.setenv("VCTRACE_NEO4J_PASSWORD", demo.password)
    monkeypatch.setenv("VCTRACE_HOME", str(tmp_path))
    before = _graph_size(demo)
    capsys.readouterr()
    assert main([*demo.cli, "robustness", "latest", "--no-progress", "--format", "json",
                 "--dti-world", "closed", "--per-kind", "5"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["run"] == run and shown["supported_with_original"] == 0
    json_path = tmp_path / "reports" / f"{run}.robustness.json"
    svg_path = tmp_path / "reports" / f"{run}.robustness.svg"
    written = json.loads(json_path.read_text())
    assert [k["kind"] for k in written["kinds"]] == KINDS
    assert written["options"]["dti_world"] == "closed"
    assert {k["kind"]: k["statuses"] for k in written["kinds"]} == \
        {k["kind"]: k["statuses"] for k in shown["kinds"]}
    svg = ET.fromstring(svg_path.read_text())
    labels = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    assert "target_swap (dti-kg)" in labels and "refuted" in labels
    assert _graph_size(demo) == before
    assert main([*demo.cli, "robustness", "latest", "--no-progress"]) == 0
    out = capsys.readouterr()
    assert "direction_flip" in out.out and "must be 0" in out.err
    assert main([*demo.cli, "robustness", "no-such-run", "--no-progress"]) == 2
    assert "no verification run named 'no-such-run'" in capsys.readouterr().err
