#!/usr/bin/env python3
"""A stand-in for the `boltz` program, for tests at the process boundary: it parses the same
command line (`boltz predict DIR --out_dir OUT …`), reads each input YAML and writes the output
layout of Boltz-2 2.2.1 (predictions/<id>/affinity_<id>.json and confidence_<id>_model_0.json).

Behaviour is chosen by environment variables: FAKE_BOLTZ_SCORES (JSON: SMILES -> binder
probability; a SMILES not listed gets no output, as when Boltz skips an input),
FAKE_BOLTZ_LOG (a file that gets one line per invocation), FAKE_BOLTZ_EXIT (exit status)."""

import json
import os
import sys
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
    for path in sorted(inputs.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text())
        protein = doc["sequences"][0]["protein"]
        ligand = doc["sequences"][1]["ligand"]
        assert doc["properties"] == [{"affinity": {"binder": "L"}}]
        assert protein["msa"] == "empty" or Path(protein["msa"]).is_file()
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
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
