"""dti-boltz up to the process boundary: FASTA, YAML, content-hashed ids, the `boltz predict`
call (a real subprocess of a stand-in program), output parsing, decisions, the Neo4j cache and
failures; plus a GPU test that runs the real model where Boltz-2 and its weights are present."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest
import yaml

from vctrace.verifiers.boltz import (BoltzRunError, BoltzSettings, FastaError, build_yaml,
                                     pair_id, parse_outputs, read_fasta, run_boltz)
from vctrace.verifiers.engine import build_verifiers, verify

from test_verify import find, verdicts
from verify_fixtures import load_knowledge_and_traces

FAKE_SCRIPT = Path(__file__).with_name("fake_boltz.py")


@pytest.fixture
def fake(tmp_path) -> str:
    """An executable `boltz` stand-in run by this interpreter (PATH may lack the venv)."""
    path = tmp_path / "fake-boltz"
    path.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{FAKE_SCRIPT}" "$@"\n')
    path.chmod(0o755)
    return str(path)
# UniProt-style records with the real accessions and gene names; the residues were written for
# these tests (nothing here folds them: the process-boundary tests only carry them, and the GPU
# test checks the pipeline end to end, not the biology).
FASTA = """>sp|Q02750|MP2K1_HUMAN Dual specificity mitogen-activated protein kinase kinase 1 OS=Homo sapiens OX=9606 GN=MAP2K1 PE=1 SV=2
MPKKKPTPIQLNPAPDGSAVNGTSSAETNLEALQKKLEELELDEQQRKRLEAFLTQKQKVGELKDDDFEKISELGAGNGGVVFKVSHKPSGLVMARKLIHLEIKPAIRNQIIRELQVLHECNSPYIVGFYGAFYSDGEISICMEHMDGGSLDQVLKKAGRIPEQILGKVSIAVIKGLTYLREKHKIMHRDVKPSNILVNSRGEIKLCDFGVSGQLIDSMANSFVGTRSYMSPERLQGTHYSVQSDIWSMGLSLVEMAVGRYPIPPPDAKELELMFGCQVEGDAAETPPRPRTPGRPLSSYGMDSRPPMAIFELLDYIVNEPPPKLPSGVFSLEFQDFVNKCLIKNPAERADLKQLMVHAFIKRSDAEEVDFAGWLCSTIGLNQPSTPTHAAGV
>sp|P00533|EGFR_HUMAN Epidermal growth factor receptor OS=Homo sapiens OX=9606 GN=EGFR PE=1 SV=2
MRPSGTAGAALLALLAALCPASRALEEKKVCQGTSNKLTQLGTFEDHFLSLQRMFNNCEVVLGNLEITYVQRNYDLSFLKTIQEVAGYVLIALNTVERIPLENLQIIRGNMYYENSYALAVLSNYDANKTGLKELPMRNLQEILHGAVRFSNNPALCNVESIQWRDIVSSDFLSNMSMDFQNHLGSCQKCDPSCPNGSCWGAGEENCQKLTKIICAQQCSGRCRGKSPSDCCHNQCAAGCTGPRESDCLVCRKFRDEATCKDTCPPLMLYNPTTYQMDVNPEGKYSFGATCVKKCPRNYVVTDHGSCVRACGADSYEMEEDGVRKCKKCEGPCRKVCNGIGIGEFKDSLSINATNIKHFKNCTSISGDLHILPVAFRGDSFTHTPPLDPQELDILKTVKEITGFLLIQAWPENRTDLHAFENLEIIRGRTKQHGQFSLAVVSLNITSLGLRSLKEISDGDVIISGNKNLCYANTINWKKLFGTSGQKTKIISNRGENSCKATGQVCHALCSPEGCWGPEPRDCVSCRNVSRGRECVDKCNLLEGEPREFVENSECIQCHPECLPQAMNITCTGRGPDNCIQCAHYIDGPHCVKTCPAGVMGENNTLVWKYADAGHVCHLCHPNCTYGCTGPGLEGCPTNGPKIPSIATGMVGALLLLLVVALGIGLFM
"""
TRAMETINIB = ("CC1=C2C(=C(N(C1=O)C)NC3=C(C=C(C=C3)I)F)C(=O)N(C(=O)N2C4=CC=CC(=C4)NC(=O)C)"
              "C5CC5")


@pytest.fixture
def fasta(tmp_path):
    path = tmp_path / "targets.fasta"
    path.write_text(FASTA)
    return path


def test_fasta_is_indexed_by_gene_accession_and_entry(fasta):
    sequences = read_fasta(fasta)
    assert sequences["map2k1"] == sequences["q02750"] == sequences["mp2k1_human"]
    assert sequences["map2k1"].startswith("MPKKKPTPIQ") and "\n" not in sequences["egfr"]


@pytest.mark.parametrize("text, message", [
    ("MPKKK\n", "before any '>' header"),
    (">x\nMPK1KK\n", "not an amino-acid sequence"),
    (">x\n>y\nMPK\n", "has no sequence"),
    ("", "no FASTA records")])
def test_bad_fasta_is_reported_with_its_line(tmp_path, text, message):
    path = tmp_path / "bad.fasta"
    path.write_text(text)
    with pytest.raises(FastaError, match=message) as info:
        read_fasta(path)
    assert str(path) in str(info.value)


def test_yaml_and_ids():
    text = build_yaml("mpkkk", TRAMETINIB + " ")
    doc = yaml.safe_load(text)
    assert doc == {"version": 1, "sequences": [
        {"protein": {"id": "A", "sequence": "MPKKK", "msa": "empty"}},
        {"ligand": {"id": "L", "smiles": TRAMETINIB}}],
        "properties": [{"affinity": {"binder": "L"}}]}
    assert pair_id("mpkkk", TRAMETINIB) == pair_id("MPKKK", TRAMETINIB + " ")
    assert pair_id("MPKKK", TRAMETINIB) != pair_id("MPKKR", TRAMETINIB)
    assert len(pair_id("M", "C")) == 16


def test_outputs_are_parsed_and_missing_or_broken_ones_left_out(tmp_path):
    folder = tmp_path / "predictions"
    for pid, affinity in (("aaa", {"affinity_probability_binary": 0.8,
                                   "affinity_pred_value": -2.0}),
                          ("bbb", {"affinity_probability_binary": "n/a"}),
                          ("ccc", None)):
        (folder / pid).mkdir(parents=True)
        if affinity is not None:
            (folder / pid / f"affinity_{pid}.json").write_text(json.dumps(affinity))
    (folder / "aaa" / "confidence_aaa_model_0.json").write_text('{"iptm": 0.6}')
    results = parse_outputs(tmp_path, ["aaa", "bbb", "ccc", "ddd"])
    assert list(results) == ["aaa"]
    assert results["aaa"].probability == 0.8 and results["aaa"].confidence == {"iptm": 0.6}


def test_the_command_line_and_a_failing_process(tmp_path, monkeypatch, fake):
    settings = BoltzSettings(executable=fake, cache=str(tmp_path / "w"), devices=2,
                             extra_args=["--sampling_steps", "50"])
    cmd = settings.command(Path("in"), Path("out"))
    assert cmd[:5] == [fake, "predict", "in", "--out_dir", "out"]
    assert cmd[cmd.index("--devices") + 1] == "2" and cmd[-2:] == ["--sampling_steps", "50"]
    assert Path(cmd[cmd.index("--cache") + 1]).is_absolute()
    monkeypatch.setenv("FAKE_BOLTZ_EXIT", "3")
    with pytest.raises(BoltzRunError, match="exited 3") as info:
        run_boltz(settings, {"p1": build_yaml("MPK", "CCO")}, tmp_path)
    assert "no kernel image" in str(info.value)
    with pytest.raises(BoltzRunError, match="not found"):
        run_boltz(BoltzSettings(executable="no-such-boltz"), {}, tmp_path)


@pytest.fixture
def kb(neo4j, tmp_path):
    load_knowledge_and_traces(neo4j.driver, tmp_path)
    return neo4j


def _boltz(driver, fasta, tmp_path, run, **params):
    verifier, = build_verifiers(driver, ["dti-boltz"], params={"dti-boltz": dict(
        fasta=str(fasta), executable=str(tmp_path / "fake-boltz"), work_dir=str(tmp_path / "boltz"), **params)})
    return verify(driver, [verifier], run_name=run)


def test_dti_boltz_decides_caches_and_reports_missing_outputs(kb, fasta, tmp_path,
                                                              monkeypatch, fake):
    log = tmp_path / "invocations.log"
    monkeypatch.setenv("FAKE_BOLTZ_LOG", str(log))
    monkeypatch.setenv("FAKE_BOLTZ_SCORES", json.dumps({TRAMETINIB: 0.42}))
    _boltz(kb.driver, fasta, tmp_path, "b1")
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
    _boltz(kb.driver, fasta, tmp_path, "b2", tau=0.4)
    again = find(verdicts(kb.driver, "b2"), "dti-boltz", "binds_to", target="map2k1")[None]
    assert again[:3] == ("supported", "predicted_binder", 0.42) and again[3]["cached"] is True
    assert len(log.read_text().splitlines()) == 1
    records, _, _ = kb.driver.execute_query("MATCH (s:BoltzScore) RETURN count(s) AS n")
    assert records[0]["n"] == 2
    # with an MSA the prediction is another one: not taken from the cache of the MSA-free one
    msa = tmp_path / "msa"
    msa.mkdir()
    (msa / "map2k1.a3m").write_text(">query\nMPKKKPTPIQ\n")
    _boltz(kb.driver, fasta, tmp_path, "b3", msa=str(msa))
    with_msa = find(verdicts(kb.driver, "b3"), "dti-boltz", "binds_to", target="map2k1")[None]
    assert with_msa[3]["cached"] is False and with_msa[3]["msa"].endswith("map2k1.a3m")
    assert with_msa[3]["pair"] != right[3]["pair"]
    assert len(log.read_text().splitlines()) == 2


def test_a_missing_output_is_unknown_never_a_non_binder(kb, fasta, tmp_path, monkeypatch, fake):
    monkeypatch.setenv("FAKE_BOLTZ_SCORES", "{}")  # Boltz skipped every input
    _boltz(kb.driver, fasta, tmp_path, "b1")
    right = find(verdicts(kb.driver, "b1"), "dti-boltz", "binds_to", target="map2k1")[None]
    assert right[:2] == ("unverifiable", "model_output_missing") and right[2] is None
    records, _, _ = kb.driver.execute_query("MATCH (s:BoltzScore) RETURN count(s) AS n")
    assert records[0]["n"] == 0  # nothing cached: a later run tries again


def test_a_failed_boltz_process_stores_nothing_and_the_run_resumes(kb, fasta, tmp_path,
                                                                   monkeypatch, fake):
    monkeypatch.setenv("FAKE_BOLTZ_EXIT", "1")
    with pytest.raises(BoltzRunError):
        _boltz(kb.driver, fasta, tmp_path, "b1")
    assert verdicts(kb.driver, "b1") == {}
    monkeypatch.setenv("FAKE_BOLTZ_EXIT", "0")
    monkeypatch.setenv("FAKE_BOLTZ_SCORES", json.dumps({TRAMETINIB: 0.9}))
    result = _boltz(kb.driver, fasta, tmp_path, "b1")
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
