"""dti-boltz up to the process boundary, without a database: FASTA, YAML, content-hashed ids,
the `boltz predict` command line (run as a real subprocess of a stand-in program), output
parsing and a failing process. (The verifier's decisions and its Neo4j cache:
integration/test_boltz.py.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from vctrace.verifiers._boltz import (BoltzRunError, BoltzSettings, FastaError, build_yaml,
                                      pair_id, parse_outputs, read_fasta, run_boltz)

from support.boltz import TRAMETINIB


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


def test_boltz_settings_have_their_defaults_in_one_place():
    settings = BoltzSettings()
    assert (settings.executable, settings.cache, settings.devices, settings.accelerator,
            settings.msa, settings.extra_args) == ("boltz", None, 1, "gpu", "empty", ())
    assert settings.timeout_s > 0
    with pytest.raises(ValueError):
        BoltzSettings(devices=0)
