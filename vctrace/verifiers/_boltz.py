"""Boltz-2 at the process boundary: inputs, the ``boltz predict`` call, outputs, decisions.

Boltz-2 (PyPI ``boltz``, tested against the 2.2.1 layout) has no supported Python API and pins
old numpy/torch versions, so it runs as a separate program, ideally from its own virtual
environment (``--boltz-executable``). One YAML per distinct (protein sequence, ligand SMILES)
pair, named by a content hash of the pair so an id always means the same complex; one
``boltz predict DIR`` invocation per batch (the model is loaded once per invocation).

Outputs read (``<out>/boltz_results_<DIR name>/predictions/<id>/``): ``affinity_<id>.json``
(``affinity_probability_binary``, ``affinity_pred_value`` = log10 IC50 in µM, and the two
heads) and ``confidence_<id>_model_0.json`` (``confidence_score``, ``iptm``, ``ligand_iptm``,
``complex_plddt``…). Boltz skips inputs it cannot process and still exits 0, so a missing
file is expected: it means *unknown*, never "does not bind".
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field

from ..errors import VctraceError
from ..traces.identity import normalise_text

_AMINO_ACIDS = re.compile(r"^[ACDEFGHIKLMNPQRSTVWYXBZUO]+$")
_GENE_NAME = re.compile(r"\bGN=(\S+)")
MAX_SMILES_CHARS = 1000  # far above any drug-like ligand; longer strings are refused


class FastaError(VctraceError, ValueError):
    """A malformed FASTA file (the message names the file and line)."""


def read_fasta(path: Path) -> dict[str, str]:
    """Protein sequences by lookup key. UniProt headers (``>sp|P15056|BRAF_HUMAN … GN=BRAF``)
    are indexed by gene name, accession and entry name; other headers by their first word.
    Keys are normalised (case-folded); the first record wins when two share a key."""
    out: dict[str, str] = {}
    header, chunks, header_line = None, [], 0

    def flush() -> None:
        if header is None:
            return
        sequence = "".join(chunks).upper()
        if not sequence:
            raise FastaError(f"{path}:{header_line}: record {header!r} has no sequence")
        for key in _fasta_keys(header):
            out.setdefault(key, sequence)

    with open(path, encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, 1):
            line = line.strip()
            if not line or line.startswith(";"):
                continue
            if line.startswith(">"):
                flush()
                header, chunks, header_line = line[1:].strip(), [], number
            elif header is None:
                raise FastaError(f"{path}:{number}: sequence line before any '>' header")
            else:
                residues = line.replace(" ", "").rstrip("*").upper()
                if not _AMINO_ACIDS.match(residues):
                    bad = sorted(set(residues) - set("ACDEFGHIKLMNPQRSTVWYXBZUO"))
                    raise FastaError(f"{path}:{number}: not an amino-acid sequence "
                                     f"(characters {''.join(bad)!r})")
                chunks.append(residues)
        flush()
    if not out:
        raise FastaError(f"{path}: no FASTA records")
    return out


def _fasta_keys(header: str) -> list[str]:
    first = header.split()[0] if header.split() else header
    keys = []
    gene = _GENE_NAME.search(header)
    if gene:
        keys.append(gene.group(1))
    parts = first.split("|")
    if len(parts) >= 3 and parts[0] in ("sp", "tr"):
        keys += [parts[1], parts[2]]
    else:
        keys.append(first)
    return [normalise_text(k) for k in keys]


def pair_id(sequence: str, smiles: str, variant: str = "") -> str:
    """The content-hashed id of a (protein, ligand) complex predicted a given way (``variant``:
    what else changes the prediction, see ``BoltzSettings.variant``): 16 hex digits of
    SHA-256. It names the YAML and keys the score cache."""
    payload = f"{sequence.upper()}|{smiles.strip()}|{variant}"
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def ligand_problem(smiles: str) -> str | None:
    """Why a SMILES cannot be sent to Boltz (``None`` when it can). Chemistry checks (RDKit
    parsing, atom limits, metals) are Boltz's own; a ligand it rejects simply has no output."""
    if not smiles or not smiles.strip():
        return "no SMILES"
    if len(smiles) > MAX_SMILES_CHARS:
        return f"SMILES longer than {MAX_SMILES_CHARS} characters"
    if any(c.isspace() for c in smiles.strip()):
        return "SMILES contains whitespace"
    return None


def build_yaml(sequence: str, smiles: str, msa: str = "empty") -> str:
    """The Boltz-2 input of one complex with an affinity property on the ligand. ``msa`` is a
    path to an ``.a3m`` file or ``"empty"`` (single-sequence mode: no network needed)."""
    document = {"version": 1, "sequences": [
        {"protein": {"id": "A", "sequence": sequence.upper(), "msa": msa}},
        {"ligand": {"id": "L", "smiles": smiles.strip()}}],
        "properties": [{"affinity": {"binder": "L"}}]}
    return yaml.safe_dump(document, sort_keys=False)


class BoltzSettings(BaseModel):
    """How to call Boltz; the one place its defaults live (the ``dti-boltz`` verifier's
    options extend this model, settings and CLI flags only override)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    executable: str = Field("boltz", description="the boltz program (its own venv)")
    cache: str | None = Field(None, description="Boltz weights folder")
    devices: int = Field(1, ge=1, description="GPUs per boltz call")
    accelerator: str = Field("gpu", description="gpu or cpu")
    msa: str = Field("empty", description="'empty' or a folder of <gene>.a3m files")
    timeout_s: int = Field(6 * 3600, ge=1, description="time limit of one boltz call")
    extra_args: tuple[str, ...] = Field((), description="more `boltz predict` options")

    def command(self, input_dir: Path, out_dir: Path) -> list[str]:
        cmd = [self.executable, "predict", str(input_dir), "--out_dir", str(out_dir),
               "--devices", str(self.devices), "--accelerator", self.accelerator,
               "--output_format", "mmcif", "--seed", "0"]
        if self.cache:
            cmd += ["--cache", str(Path(self.cache).resolve())]
        return cmd + list(self.extra_args)

    def msa_for(self, gene: str) -> str:
        if self.msa == "empty":
            return "empty"
        path = Path(self.msa) / f"{gene}.a3m"
        return str(path.resolve()) if path.is_file() else "empty"

    def variant(self, msa: str) -> str:
        """What besides sequence and SMILES changes a prediction: the MSA (by content) and any
        extra ``boltz predict`` options. Part of the pair id, so a cached score is only reused
        for a prediction made the same way."""
        if msa == "empty":
            out = "msa=empty"
        else:
            out = "msa=" + hashlib.sha256(Path(msa).read_bytes()).hexdigest()[:16]
        return out + (f";args={' '.join(self.extra_args)}" if self.extra_args else "")


@dataclass
class BoltzResult:
    """The parsed outputs of one complex."""

    pair: str
    probability: float
    pred_value: float
    affinity: dict[str, Any]
    confidence: dict[str, Any]


class BoltzRunError(VctraceError):
    """``boltz predict`` could not be run or failed as a whole (not: skipped some inputs)."""


def run_boltz(settings: BoltzSettings, inputs: dict[str, str], work_dir: Path,
              keep_files: bool = True) -> tuple[dict[str, BoltzResult], Path]:
    """Write one YAML per pair (``inputs``: pair id -> YAML text) into a fresh folder, run
    ``boltz predict`` on it and parse what came out. Returns the results found (pairs without
    output are absent) and the log file. Without ``keep_files`` the inputs and outputs
    (structures) are deleted once read; the log stays."""
    if shutil.which(settings.executable) is None and not Path(settings.executable).is_file():
        raise BoltzRunError(f"Boltz executable {settings.executable!r} not found "
                            "(set --boltz-executable or VCTRACE_BOLTZ_EXECUTABLE)")
    batch = hashlib.sha256("".join(sorted(inputs)).encode()).hexdigest()[:12]
    input_dir = work_dir / f"batch_{batch}"
    out_dir = work_dir / f"out_{batch}"
    shutil.rmtree(input_dir, ignore_errors=True)
    shutil.rmtree(out_dir, ignore_errors=True)  # stale predictions are reused by id otherwise
    input_dir.mkdir(parents=True)
    for pid, text in inputs.items():
        (input_dir / f"{pid}.yaml").write_text(text, encoding="utf-8")
    log = work_dir / f"boltz_{batch}.log"
    with open(log, "w", encoding="utf-8") as handle:
        try:
            done = subprocess.run(settings.command(input_dir, out_dir), stdout=handle,
                                  stderr=subprocess.STDOUT, timeout=settings.timeout_s,
                                  check=False)
        except subprocess.TimeoutExpired:
            raise BoltzRunError(f"boltz predict ran past {settings.timeout_s} s; log: {log}")
        except OSError as exc:
            raise BoltzRunError(f"cannot run {settings.executable!r}: {exc}") from exc
    if done.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace")[-2000:]
        raise BoltzRunError(f"boltz predict exited {done.returncode}; log {log}:\n{tail}")
    results = parse_outputs(out_dir / f"boltz_results_{input_dir.name}", list(inputs))
    if not keep_files:
        shutil.rmtree(input_dir, ignore_errors=True)
        shutil.rmtree(out_dir, ignore_errors=True)
    return results, log


def parse_outputs(results_dir: Path, ids: list[str]) -> dict[str, BoltzResult]:
    """Results of the ids that have a readable ``affinity_<id>.json`` (confidence optional)."""
    out = {}
    for pid in ids:
        folder = results_dir / "predictions" / pid
        affinity = _read_json(folder / f"affinity_{pid}.json")
        if not affinity:
            continue
        probability = affinity.get("affinity_probability_binary")
        value = affinity.get("affinity_pred_value")
        if not isinstance(probability, (int, float)) or not isinstance(value, (int, float)):
            continue
        confidence = _read_json(folder / f"confidence_{pid}_model_0.json") or {}
        out[pid] = BoltzResult(pid, float(probability), float(value), affinity, confidence)
    return out


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None
