"""dti-boltz on Ray (the extra ``vctrace[ray]``): the fan-out on a small local Ray (one per
module) with the `boltz` stand-in at the process boundary: the same scores as the local path,
each finished task handed back at once, a worker killed mid-batch retried, and without retries
a run that stops with the finished pairs cached and resumes (even on the local backend)
without scoring them again (counted by the stand-in in a file)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from vctrace.runs.engine import build_verifiers, verify
from vctrace.verifiers._boltz import BoltzRunError, BoltzSettings, build_yaml, pair_id, run_boltz
from vctrace.verifiers._boltz_ray import fan_out

from support.boltz import FASTA, TRAMETINIB, write_fake_boltz
from support.verdicts import verdicts

ray = pytest.importorskip("ray")

SMILES = ["CCO", "CC(=O)O", "c1ccccc1", "CCN", "CCCl", TRAMETINIB]
EGFR_START = "MRPSGTAGAALLALLAALCPASRA"  # in the EGFR input only
MONITOR = "RAY_memory_monitor_refresh_ms"


@pytest.fixture(scope="module", autouse=True)
def local_ray():
    """One small local Ray for the module (4 logical CPUs: 4 tasks at once), with a small
    object store and without Ray's memory monitor: on a machine shared with Neo4j servers it
    would kill workers for memory the stand-in does not use."""
    monitor = os.environ.get(MONITOR)
    os.environ[MONITOR] = "0"
    try:
        ray.init(num_cpus=4, object_store_memory=100 * 2**20, include_dashboard=False,
                 log_to_driver=False, logging_level="warning")
    finally:
        os.environ.pop(MONITOR) if monitor is None else os.environ.update({MONITOR: monitor})
    yield
    ray.shutdown()


def _inputs() -> dict[str, str]:
    """Six (protein, ligand) inputs by pair id: one protein, six ligands."""
    sequence = FASTA.split("\n")[1]
    return {pair_id(sequence, s): build_yaml(sequence, s) for s in SMILES}


def _fake(tmp_path: Path, **extra: str) -> tuple[BoltzSettings, Path]:
    counter = tmp_path / "scored.txt"
    env = {"FAKE_BOLTZ_SCORES": json.dumps({s: round(0.1 * i + 0.05, 2)
                                            for i, s in enumerate(SMILES)}),
           "FAKE_BOLTZ_COUNTER": str(counter), **extra}
    return BoltzSettings(executable=write_fake_boltz(tmp_path, env), accelerator="cpu"), counter


def _scored(counter: Path) -> list[str]:
    return sorted(line.split()[0] for line in counter.read_text().splitlines()) \
        if counter.exists() else []


def _collect() -> tuple[list[list[str]], dict, object]:
    calls: list[list[str]] = []
    found: dict = {}

    def store(ids, results, log):
        calls.append(list(ids))
        found.update(results)
    return calls, found, store


def test_ray_tasks_score_what_the_local_path_scores(tmp_path):
    settings, counter = _fake(tmp_path)
    inputs = _inputs()
    local, _ = run_boltz(settings, inputs, tmp_path / "local")
    calls, found, store = _collect()
    stats = fan_out(settings, inputs, store, pairs_per_task=2, num_gpus=0)
    assert stats.tasks == 3 and stats.scored == 6 and stats.failed_tasks == 0
    # one store call per finished task, the tasks' pairs disjoint and covering the inputs
    assert sorted(len(c) for c in calls) == [2, 2, 2]
    assert sorted(p for c in calls for p in c) == sorted(inputs)
    assert {k: (r.probability, r.pred_value, r.confidence) for k, r in found.items()} == \
        {k: (r.probability, r.pred_value, r.confidence) for k, r in local.items()}
    assert _scored(counter) == sorted(list(inputs) * 2)  # once locally, once on Ray


def test_a_worker_killed_mid_batch_is_retried(tmp_path):
    marker = tmp_path / "killed"
    settings, counter = _fake(tmp_path, FAKE_BOLTZ_KILL_PARENT=json.dumps(["c1ccccc1",
                                                                         str(marker)]))
    inputs = _inputs()
    calls, found, store = _collect()
    stats = fan_out(settings, inputs, store, pairs_per_task=2, num_gpus=0, retries=1)
    assert marker.exists()  # a worker was killed
    assert stats.failed_tasks == 0 and sorted(found) == sorted(inputs) and len(calls) == 3
    # the killed batch ran again (its pair scored before the kill is scored twice, as the
    # unit of work is the batch); every other pair once
    killed = next(c for c in calls if pair_id(FASTA.split("\n")[1], "c1ccccc1") in c)
    scored = _scored(counter)
    assert all(scored.count(p) == 1 for p in inputs if p not in killed)
    assert all(1 <= scored.count(p) <= 2 for p in killed)


def test_without_retries_finished_tasks_are_kept_and_only_the_rest_is_scored_again(tmp_path):
    marker = tmp_path / "killed"
    settings, counter = _fake(tmp_path, FAKE_BOLTZ_KILL_PARENT=json.dumps(["CCN",
                                                                         str(marker)]))
    inputs = _inputs()
    calls, found, store = _collect()
    with pytest.raises(BoltzRunError, match=r"1 of 6 Boltz task\(s\) on Ray failed; the 5 "):
        fan_out(settings, inputs, store, pairs_per_task=1, num_gpus=0, retries=0)
    assert len(found) == 5 and len(calls) == 5 and _scored(counter) == sorted(found)
    rest = {p: inputs[p] for p in inputs if p not in found}
    fan_out(settings, rest, store, pairs_per_task=1, num_gpus=0, retries=0)
    assert sorted(found) == sorted(inputs) and _scored(counter) == sorted(inputs)


def _run(graph, fasta, settings_path, tmp_path, run, **options):
    verifier, = build_verifiers(graph, ["dti-boltz"], options={"dti-boltz": dict(
        fasta=str(fasta), executable=settings_path, accelerator="cpu", **options)})
    return verify(graph, [verifier], run_name=run)


def _decisions(driver, run):
    """{claim: (status, reason, score, pair, probability)} of the run's dti-boltz verdicts."""
    return {key[1:]: (status, reason, score, evidence.get("pair"), evidence.get("probability"))
            for key, (status, reason, score, evidence) in
            verdicts(driver, run, "dti-boltz").items()}


def _boltz_scores(driver) -> int:
    records, _, _ = driver.execute_query("MATCH (s:BoltzScore) RETURN count(s) AS n")
    return records[0]["n"]


def test_dti_boltz_on_ray_decides_as_the_local_path_and_caches(kb, fasta, tmp_path):
    counter = tmp_path / "scored.txt"
    fake = write_fake_boltz(tmp_path, {"FAKE_BOLTZ_SCORES": json.dumps({TRAMETINIB: 0.6}),
                                       "FAKE_BOLTZ_COUNTER": str(counter)})
    _run(kb.graph, fasta, fake, tmp_path, "local")
    kb.driver.execute_query("MATCH (s:BoltzScore) DETACH DELETE s")
    result = _run(kb.graph, fasta, fake, tmp_path, "ray", backend="ray", pairs_per_task=1)
    assert result.verifiers[0].subjects > 0
    local, on_ray = _decisions(kb.driver, "local"), _decisions(kb.driver, "ray")
    assert on_ray == local and ("supported", "predicted_binder", 0.6) in \
        {v[:3] for v in on_ray.values()}
    assert _boltz_scores(kb.driver) == 2 and len(_scored(counter)) == 4  # 2 local + 2 on Ray
    # again on Ray: everything from the cache, nothing submitted
    _run(kb.graph, fasta, fake, tmp_path, "ray-again", backend="ray")
    assert _decisions(kb.driver, "ray-again") == local and len(_scored(counter)) == 4


def test_a_killed_ray_run_resumes_without_rescoring_finished_pairs(kb, fasta, tmp_path):
    counter, marker = tmp_path / "scored.txt", tmp_path / "killed"
    fake = write_fake_boltz(tmp_path, {
        "FAKE_BOLTZ_SCORES": json.dumps({TRAMETINIB: 0.3}), "FAKE_BOLTZ_COUNTER": str(counter),
        "FAKE_BOLTZ_KILL_PARENT": json.dumps([EGFR_START, str(marker)])})
    with pytest.raises(BoltzRunError, match="1 of 2 Boltz task"):
        _run(kb.graph, fasta, fake, tmp_path, "r", backend="ray", pairs_per_task=1,
             ray_retries=0)
    assert marker.exists() and _boltz_scores(kb.driver) == 1 and len(_scored(counter)) == 1
    assert verdicts(kb.driver, "r") == {}
    # the same run resumes, here on the local backend (where Boltz runs is not part of the
    # run's identity); only the EGFR pair is scored now
    result = _run(kb.graph, fasta, fake, tmp_path, "r")
    assert result.resumed and _boltz_scores(kb.driver) == 2
    scored = _scored(counter)
    assert len(scored) == 2 and len(set(scored)) == 2
    assert {v[:2] for v in _decisions(kb.driver, "r").values()} >= \
        {("refuted", "predicted_non_binder")}


def test_gpu_tasks_on_a_local_ray_without_gpus_are_refused_not_left_waiting(tmp_path,
                                                                            monkeypatch):
    from vctrace.verifiers import _boltz_ray
    monkeypatch.setattr(_boltz_ray, "_STARTED_HERE", [True])  # as if connect() started it
    settings, counter = _fake(tmp_path)
    with pytest.raises(BoltzRunError, match="no GPU for Ray tasks reserving 1 GPU"):
        fan_out(settings, _inputs(), lambda *a: None, num_gpus=1)
    assert not counter.exists()
