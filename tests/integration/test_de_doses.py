"""Dose-aware DE verdicts on a Tahoe-DE shard (real 16-column format, loaded by the real
loader) where the three concentrations of (Trametinib, C32) disagree:

| gene  | 0.05 µM         | 0.5 µM        | 5 µM           |
|-------|-----------------|---------------|----------------|
| DUSP6 | −0.2 / 0.6      | −2.0 / 1e-4   | −3.0 / 1e-8    |  agree: down
| SPRY4 | +2.0 / 1e-5     | +0.1 / 0.9    | −2.5 / 1e-6    |  conflict: up at low, down at high
| ETV5  | −0.3 / 0.4      | +0.2 / 0.7    | −0.1 / 0.8     |  never DE
| XIST  | not tested      | not tested    | not tested     |

Invariant: whatever the ``dose`` option (except ``any``, version 1's rule kept for comparison),
a gene is never supported both up and down for the same (drug, cell line).
"""

from __future__ import annotations

import json
import re

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from vctrace.cli import main
from vctrace.kg.grounding import ground
from vctrace.kg.trace_store import write_traces
from vctrace.loaders.tahoe_de import TahoeDELoader
from vctrace.runs.engine import build_verifiers, verify
from vctrace.runs.metrics import run_metrics, trace_metrics
from vctrace.traces.records import read_traces

from support.de_rows import de_row
from support.verdicts import verdicts

GENES = ["DUSP6", "SPRY4", "ETV5", "XIST"]
STATS = {  # gene -> per concentration (log2FC, padj); None = not tested
    "DUSP6": {0.05: (-0.2, 0.6), 0.5: (-2.0, 1e-4), 5.0: (-3.0, 1e-8)},
    "SPRY4": {0.05: (2.0, 1e-5), 0.5: (0.1, 0.9), 5.0: (-2.5, 1e-6)},
    "ETV5": {0.05: (-0.3, 0.4), 0.5: (0.2, 0.7), 5.0: (-0.1, 0.8)},
    "XIST": {0.05: None, 0.5: None, 5.0: None},
}


def _row(gene, concentration, stats):
    return de_row(gene, stats, drug="Trametinib", cell_line="C32",
                  concentration=concentration, base_mean=400.0, plate="plate2",
                  depmap="ACH-000580")


def _perturbation(**dose):
    return {"context": [{"cell type": "C32", "subtype": "disease cell",
                         "description": "melanoma"}],
            "perturbations": [{"name": "Trametinib", "perturbation type": "chemical", **dose}]}


def _trace(trace_id, genes, direction, **dose):
    listed = ", ".join(f'"{g}"' for g in genes)
    return {"trace_id": trace_id, "perturbation": _perturbation(**dose),
            "explain": "\n".join([
                'set_context(cell_type="C32", disease="melanoma")',
                f'regulates_expression(id="n1", regulator="ERK", gene_list=[{listed}], '
                f'direction="{direction}")']),
            "dag": ""}


TRACES = [
    _trace("up", GENES, "up"),
    _trace("down", GENES, "down"),
    # a stated dose: only that experiment counts (different gene lists: distinct claims)
    _trace("low-dose-up", ["SPRY4"], "up", dose="0.05 uM"),
    _trace("high-dose-down", ["SPRY4", "DUSP6"], "down", concentration=5000,
           **{"concentration unit": "nM"}),
    _trace("untested-dose", ["DUSP6", "ETV5"], "down", dose=1),
    # the same claim stated at two doses by two traces: the verdict is shared, so the
    # option applies (consensus: conflicting)
    _trace("shared-low", ["SPRY4", "ETV5"], "up", dose=0.05),
    _trace("shared-high", ["SPRY4", "ETV5"], "up", dose=5),
]


@pytest.fixture
def doses(neo4j, tmp_path):
    shard = tmp_path / "de.parquet"
    pq.write_table(pa.Table.from_pylist([_row(g, c, s) for g, by in STATS.items()
                                         for c, s in by.items()]), shard)
    TahoeDELoader(neo4j.graph).load([shard], {"source_version": "doses"})
    path = tmp_path / "traces.jsonl"
    path.write_text("".join(json.dumps(t) + "\n" for t in TRACES))
    list(write_traces(neo4j.graph, list(read_traces(path))))
    ground(neo4j.graph, rebuild=True)
    return neo4j


def _run(server, name, **options):
    verify(server.graph, build_verifiers(server.graph, ["de"], options={"de": options}),
           run_name=name)
    out = {}
    for (_, _, args, gene), (status, reason, score, evidence) in \
            verdicts(server.driver, name, "de").items():
        claim = json.loads(args)
        out[(tuple(claim["gene_list"]), claim["direction"], gene)] = \
            (status, reason, score, evidence)
    return out


def _key(genes):
    """A claim's gene list as its arguments hold it (normalised, sorted)."""
    return tuple(sorted(g.lower() for g in genes))


def _genes(run, direction, genes=GENES):
    return {g: run[(_key(genes), direction, g)][:2] for g in genes}


def _never_both_supported(run):
    supported = {(genes, gene): set() for genes, _, gene in run}
    for (genes, direction, gene), (status, *_rest) in run.items():
        if status == "supported":
            supported[(genes, gene)].add(direction)
    return not any(s == {"up", "down"} for s in supported.values())


def test_consensus_is_the_default_and_conflicting_doses_are_undecided(doses):
    run = _run(doses, "consensus")
    assert _genes(run, "down") == {
        "DUSP6": ("supported", "observed"), "SPRY4": ("unverifiable", "conflicting_doses"),
        "ETV5": ("refuted", "not_de"), "XIST": ("unverifiable", "not_measured")}
    assert _genes(run, "up") == {
        "DUSP6": ("refuted", "opposite_direction"),
        "SPRY4": ("unverifiable", "conflicting_doses"),
        "ETV5": ("refuted", "not_de"), "XIST": ("unverifiable", "not_measured")}
    status, reason, score, evidence = run[(_key(GENES), "down", "SPRY4")]
    assert score is None and evidence["dose_mode"] == "consensus"
    # every dose's call is in the evidence
    assert [(d["concentration"], d["call"]) for d in
            sorted(evidence["doses"], key=lambda d: d["concentration"])] == \
        [(0.05, "up"), (0.5, "not_de"), (5.0, "down")]
    assert {c["concentration"] for c in evidence["calls"]} == {0.05, 5.0}
    assert _never_both_supported(run)
    # the run's metrics count the conflicting genes apart, per trace (a shared claim counts
    # in each trace asserting it)
    tally = {"supported": 0, "refuted": 0, "conflicting": 0}
    for trace in TRACES:
        genes = re.search(r"gene_list=\[(.*?)\]", trace["explain"]).group(1)
        direction = re.search(r'direction="(\w+)"', trace["explain"]).group(1)
        listed = _key(json.loads(f"[{genes}]"))
        for (claim_genes, claim_direction, _gene), (status, reason, *_rest) in run.items():
            if (claim_genes, claim_direction) == (listed, direction):
                kind = "conflicting" if reason == "conflicting_doses" else status
                if kind in tally:
                    tally[kind] += 1
    figures = run_metrics(trace_metrics(doses.graph, "consensus"))
    assert tally["conflicting"] > 0
    assert figures["de_conflicting"] == pytest.approx(tally["conflicting"] / sum(tally.values()))


def test_a_stated_dose_counts_alone(doses):
    run = _run(doses, "stated")
    assert run[(("spry4",), "up", "SPRY4")][:2] == ("supported", "observed")
    low = run[(("spry4",), "up", "SPRY4")][3]
    assert low["dose_mode"] == "stated" and low["stated_dose"] == \
        {"concentration": 0.05, "unit": "um"}
    assert [d["concentration"] for d in low["doses"]] == [0.05]
    high = _genes(run, "down", ["SPRY4", "DUSP6"])  # 5000 nM = 5 µM
    assert high == {"SPRY4": ("supported", "observed"), "DUSP6": ("supported", "observed")}
    assert run[(_key(["SPRY4", "DUSP6"]), "down", "SPRY4")][2] == -2.5
    assert set(_genes(run, "down", ["DUSP6", "ETV5"]).values()) == \
        {("unverifiable", "no_experiment_at_dose")}
    # two traces stating different doses share one claim: the option decides
    shared = _genes(run, "up", ["SPRY4", "ETV5"])
    assert shared == {"SPRY4": ("unverifiable", "conflicting_doses"),
                      "ETV5": ("refuted", "not_de")}


@pytest.mark.parametrize("dose, spry4_down, spry4_up", [
    ("highest", ("supported", "observed"), ("refuted", "opposite_direction")),
    ("5", ("supported", "observed"), ("refuted", "opposite_direction")),
    ("50nM", ("refuted", "opposite_direction"), ("supported", "observed")),
    ("0.5uM", ("refuted", "not_de"), ("refuted", "not_de")),
])
def test_one_dose_options(doses, dose, spry4_down, spry4_up):
    run = _run(doses, "one", dose=dose)
    assert _genes(run, "down")["SPRY4"] == spry4_down
    assert _genes(run, "up")["SPRY4"] == spry4_up
    assert len(run[(_key(GENES), "down", "SPRY4")][3]["doses"]) == 1
    assert _never_both_supported(run)


def test_any_is_version_one_and_breaks_the_invariant(doses):
    """Kept only for comparison: with ``any`` one dose in the claimed direction suffices, so
    SPRY4 is "supported" up and down at once — why it is not the default."""
    run = _run(doses, "any", dose="any")
    assert _genes(run, "down")["SPRY4"] == ("supported", "observed")
    assert _genes(run, "up")["SPRY4"] == ("supported", "observed")
    assert not _never_both_supported(run)


def test_the_dose_option_is_a_flag_and_recorded_on_the_run(doses, capsys, monkeypatch):
    monkeypatch.setenv("VCTRACE_NEO4J_PASSWORD", doses.password)
    assert main([*doses.cli, "verify", "--verifiers", "de", "--dose", "lots"]) == 2
    assert "dose" in capsys.readouterr().err
    assert main([*doses.cli, "verify", "--verifiers", "de", "--dose", "highest",
                 "--run-name", "cli", "--no-progress"]) == 0
    records, _, _ = doses.driver.execute_query(
        "MATCH (r:VerificationRun {key: 'cli'}) RETURN r.verifiers_json AS v")
    recorded, = json.loads(records[0]["v"])
    assert (recorded["name"], recorded["version"]) == ("de", "2")
    assert recorded["parameters"]["dose"] == "highest"
