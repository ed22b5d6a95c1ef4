"""The dti-boltz verifier on the knowledge set: decisions, the Neo4j cache of scores,
missing outputs and a failing `boltz predict` (a real subprocess of a stand-in program); plus a
GPU test that runs the real model where Boltz-2 and its weights are present. (FASTA, YAML, ids,
output parsing and the command line: unit/test_boltz_inputs.py.)"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from vctrace.runs.engine import build_verifiers, verify
from vctrace.verifiers._boltz import (BoltzRunError, BoltzSettings, build_yaml, pair_id,
                                      read_fasta, run_boltz)

from support.boltz import TRAMETINIB
from support.verdicts import find, verdicts


def _boltz(graph, fasta, tmp_path, run, **options):
    verifier, = build_verifiers(graph, ["dti-boltz"], options={"dti-boltz": dict(
        fasta=str(fasta), executable=str(tmp_path / "fake-boltz"),
        work_dir=str(tmp_path / "boltz"), **options)})
    return verify(graph, [verifier], run_name=run)


def test_dti_boltz_decides_caches_and_reports_missing_outputs(kb, fasta, tmp_path,
                                                              monkeypatch, fake):
    log = tmp_path / "invocations.log"
    monkeypatch.setenv("FAKE_BOLTZ_LOG", str(log))
    monkeypatch.setenv("FAKE_BOLTZ_SCORES", json.dumps({TRAMETINIB: 0.42}))
    _boltz(kb.graph, fasta, tmp_path, "b1")
    vs = verdicts(kb.driver, "b1")
    right = find(vs, "dti-boltz", "binds_to", actor="trametinib", target="map2k1")[None]
    assert right[:3] == ("refuted", "predicted_non_binder", 0.42)  # 0.42 < tau 0.5
    assert right[3]["ic50_um"] == pytest.approx(10 ** -1.5) and right[3]["cached"] is False
    assert right[3]["confidence"]["iptm"] == 0.7
    # the same ligand with EGFR is another pair, predicted in the same invocation
    egfr = find(vs, "dti-boltz", "binds_to", target="egfr")[None]
    assert egfr[0] == "refuted" and egfr[3]["pair"] != right[3]["pair"]
    assert find(vs, "dti-boltz", "binds_to", target="foobarin")[None][:2] == \
        ("unverifiable", "no_sequence")
    assert find(vs, "dti-boltz", "binds_to", actor="map2k1")[None][:2] == \
        ("unverifiable", "actor_not_a_drug")
    assert len(log.read_text().splitlines()) == 1
    # a second run with another tau: every pair comes from the Neo4j cache, no new process
    _boltz(kb.graph, fasta, tmp_path, "b2", tau=0.4)
    again = find(verdicts(kb.driver, "b2"), "dti-boltz", "binds_to", target="map2k1")[None]
    assert again[:3] == ("supported", "predicted_binder", 0.42) and again[3]["cached"] is True
    assert len(log.read_text().splitlines()) == 1
    records, _, _ = kb.driver.execute_query("MATCH (s:BoltzScore) RETURN count(s) AS n")
    assert records[0]["n"] == 2
    # with an MSA the prediction is another one: not taken from the cache of the MSA-free one
    msa = tmp_path / "msa"
    msa.mkdir()
    (msa / "map2k1.a3m").write_text(">query\nMPKKKPTPIQ\n")
    _boltz(kb.graph, fasta, tmp_path, "b3", msa=str(msa))
    with_msa = find(verdicts(kb.driver, "b3"), "dti-boltz", "binds_to", target="map2k1")[None]
    assert with_msa[3]["cached"] is False and with_msa[3]["msa"].endswith("map2k1.a3m")
    assert with_msa[3]["pair"] != right[3]["pair"]
    assert len(log.read_text().splitlines()) == 2


def test_a_missing_output_is_unknown_never_a_non_binder(kb, fasta, tmp_path, monkeypatch, fake):
    monkeypatch.setenv("FAKE_BOLTZ_SCORES", "{}")  # Boltz skipped every input
    _boltz(kb.graph, fasta, tmp_path, "b1")
    right = find(verdicts(kb.driver, "b1"), "dti-boltz", "binds_to", target="map2k1")[None]
    assert right[:2] == ("unverifiable", "model_output_missing") and right[2] is None
    records, _, _ = kb.driver.execute_query("MATCH (s:BoltzScore) RETURN count(s) AS n")
    assert records[0]["n"] == 0  # nothing cached: a later run tries again


def test_a_failed_boltz_process_stores_nothing_and_the_run_resumes(kb, fasta, tmp_path,
                                                                   monkeypatch, fake):
    monkeypatch.setenv("FAKE_BOLTZ_EXIT", "1")
    with pytest.raises(BoltzRunError):
        _boltz(kb.graph, fasta, tmp_path, "b1")
    assert verdicts(kb.driver, "b1") == {}
    monkeypatch.setenv("FAKE_BOLTZ_EXIT", "0")
    monkeypatch.setenv("FAKE_BOLTZ_SCORES", json.dumps({TRAMETINIB: 0.9}))
    result = _boltz(kb.graph, fasta, tmp_path, "b1")
    assert result.resumed
    right = find(verdicts(kb.driver, "b1"), "dti-boltz", "binds_to", target="map2k1")[None]
    assert right[:2] == ("supported", "predicted_binder")


def _real_boltz_available() -> str | None:
    """Why the real model cannot run here (None when it can)."""
    if shutil.which(os.environ.get("VCTRACE_BOLTZ_EXECUTABLE", "boltz")) is None:
        return "no boltz executable"
    cache = Path(os.environ.get("BOLTZ_CACHE", Path.home() / ".boltz"))
    if not (cache / "boltz2_aff.ckpt").is_file() or not (cache / "boltz2_conf.ckpt").is_file():
        return f"no Boltz-2 weights in {cache}"
    try:
        import torch
    except ImportError:
        return "no torch"
    return None if torch.cuda.is_available() else "no CUDA GPU"


@pytest.mark.gpu
def test_real_boltz2_scores_trametinib_with_map2k1(tmp_path, fasta):
    why = _real_boltz_available()
    if why:
        pytest.skip(why)
    settings = BoltzSettings(executable=os.environ.get("VCTRACE_BOLTZ_EXECUTABLE", "boltz"),
                             cache=os.environ.get("BOLTZ_CACHE"), timeout_s=1800)
    sequence = read_fasta(fasta)["map2k1"]
    pid = pair_id(sequence, TRAMETINIB)
    results, log = run_boltz(settings, {pid: build_yaml(sequence, TRAMETINIB)}, tmp_path)
    assert pid in results, log.read_text()[-3000:]
    result = results[pid]
    assert 0.0 <= result.probability <= 1.0 and -10 < result.pred_value < 10
    assert 0.0 <= result.confidence["iptm"] <= 1.0
    print(f"trametinib/MAP2K1: p = {result.probability:.3f}, log10 IC50 µM = "
          f"{result.pred_value:.2f}, ipTM {result.confidence['iptm']:.2f}", file=sys.stderr)
