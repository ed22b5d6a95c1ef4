#!/usr/bin/env python3
"""A stand-in for the `boltz` program, for tests at the process boundary: it parses the same
command line (`boltz predict DIR --out_dir OUT …`), reads each input YAML and writes the output
layout of Boltz-2 2.2.1 (predictions/<id>/affinity_<id>.json and confidence_<id>_model_0.json).

Behaviour is chosen by environment variables: FAKE_BOLTZ_SCORES (JSON: SMILES -> binder
probability; a SMILES not listed gets no output, as when Boltz skips an input),
FAKE_BOLTZ_LOG (a file that gets one line per invocation), FAKE_BOLTZ_EXIT (exit status),
FAKE_BOLTZ_SLEEP (seconds each input costs: a fixed cost per pair, for the Ray bench),
FAKE_BOLTZ_COUNTER (a file that gets one line "<id> <SMILES>" per input scored), and
FAKE_BOLTZ_KILL_PARENT (JSON [text, marker file]: on reaching an input whose YAML contains the
text while the marker does not exist, create it and SIGKILL the process that started this one,
e.g. a Ray worker, then die: a worker killed mid-batch, once)."""

import json
import os
import signal
import sys
import time
from pathlib import Path

import yaml


def main(argv):
    if os.environ.get("FAKE_BOLTZ_LOG"):
        with open(os.environ["FAKE_BOLTZ_LOG"], "a") as log:
            log.write(" ".join(argv) + "\n")
    if int(os.environ.get("FAKE_BOLTZ_EXIT", "0")):
        print("CUDA error: no kernel image is available", file=sys.stderr)
        return int(os.environ["FAKE_BOLTZ_EXIT"])
    assert argv[0] == "predict", argv
    inputs = Path(argv[1])
    out = Path(argv[argv.index("--out_dir") + 1])
    scores = json.loads(os.environ.get("FAKE_BOLTZ_SCORES", "{}"))
    results = out / f"boltz_results_{inputs.name}" / "predictions"
    cost = float(os.environ.get("FAKE_BOLTZ_SLEEP", "0"))
    kill = json.loads(os.environ.get("FAKE_BOLTZ_KILL_PARENT", "null"))
    for path in sorted(inputs.glob("*.yaml")):
        text = path.read_text()
        doc = yaml.safe_load(text)
        protein = doc["sequences"][0]["protein"]
        ligand = doc["sequences"][1]["ligand"]
        assert doc["properties"] == [{"affinity": {"binder": "L"}}]
        assert protein["msa"] == "empty" or Path(protein["msa"]).is_file()
        if kill and kill[0] in text and not os.path.exists(kill[1]):
            Path(kill[1]).write_text(str(os.getppid()))
            os.kill(os.getppid(), signal.SIGKILL)
            os._exit(137)
        time.sleep(cost)
        probability = scores.get(ligand["smiles"])
        if probability is None:
            print(f"Failed to process {path}: skipping", file=sys.stderr)
            continue
        folder = results / path.stem
        folder.mkdir(parents=True)
        (folder / f"affinity_{path.stem}.json").write_text(json.dumps({
            "affinity_pred_value": -1.5, "affinity_probability_binary": probability,
            "affinity_pred_value1": -1.4, "affinity_probability_binary1": probability,
            "affinity_pred_value2": -1.6, "affinity_probability_binary2": probability}))
        (folder / f"confidence_{path.stem}_model_0.json").write_text(json.dumps({
            "confidence_score": 0.8, "ptm": 0.85, "iptm": 0.7, "ligand_iptm": 0.7,
            "protein_iptm": 0.0, "complex_plddt": 0.82, "complex_iplddt": 0.75,
            "complex_pde": 0.9, "complex_ipde": 1.2}))
        if os.environ.get("FAKE_BOLTZ_COUNTER"):
            with open(os.environ["FAKE_BOLTZ_COUNTER"], "a") as counter:
                counter.write(f"{path.stem} {ligand['smiles']}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
