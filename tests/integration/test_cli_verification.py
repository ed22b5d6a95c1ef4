"""The verification commands (vctrace verify, report, audit, refine, export) run in-process on
the knowledge set with known right and wrong claims: their outputs and exit statuses."""

from __future__ import annotations

import json

import pytest

from vctrace.cli import main
from vctrace.traces.records import read_traces

from support.boltz import FASTA, TRAMETINIB, write_fake_boltz


@pytest.fixture
def cli(kb, monkeypatch) -> list[str]:
    """The global flags pointing the CLI at the test server (the password from the
    environment, as users give it)."""
    monkeypatch.setenv("VCTRACE_NEO4J_PASSWORD", kb.password)
    return ["--neo4j-uri", kb.uri, "--neo4j-user", kb.user]


def _row(out: str, first: str) -> list[str]:
    """The cells of the table row that starts with ``first``."""
    rows = [line.split() for line in out.splitlines() if line.split()[:1] == [first]]
    assert len(rows) == 1, out
    return rows[0]


def test_verify_prints_the_run_its_counts_and_what_next(cli, capsys):
    assert main([*cli, "verify", "--verifiers", "dti-kg,de", "--no-progress",
                 "--run-name", "cli"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("run cli (created): 2 traces, ")
    # verifier, judged now, supported, refuted, unverifiable, error, seconds
    # open world: trametinib -> EGFR (not on its curated lists) is unverifiable
    assert _row(out, "dti-kg")[1:6] == ["4", "2", "0", "2", "0"]
    assert _row(out, "de")[1:6] == ["3", "2", "4", "2", "0"]  # claims; verdicts per gene
    assert "next: vctrace report cli   vctrace export cli verified.jsonl" in out
    assert main([*cli, "verify", "--verifiers", "dti-kg,de", "--run-name", "cli",
                 "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["run"] == "cli" and data["resumed"] is True
    assert data["judged_now"] == {"dti-kg": 0, "de": 0}
    assert data["verdicts"]["dti-kg"] == {"supported": 2, "unverifiable": 2}
    assert main([*cli, "verify", "--verifiers", "de", "--run-name", "cli"]) == 2
    assert "other verifiers" in capsys.readouterr().err
    assert main([*cli, "verify", "--verifiers", "dti-kg", "--dti-world", "closed",
                 "--run-name", "closed", "--no-progress"]) == 0
    assert _row(capsys.readouterr().out, "dti-kg")[1:6] == ["4", "2", "1", "1", "0"]


def test_verify_list_shows_the_runs(cli, capsys):
    assert main([*cli, "verify", "--list"]) == 0
    assert "no verification runs yet" in capsys.readouterr().err
    assert main([*cli, "verify", "--verifiers", "structure", "--run-name", "s1",
                 "--no-progress"]) == 0
    capsys.readouterr()
    assert main([*cli, "verify", "--list"]) == 0
    assert _row(capsys.readouterr().out, "s1")[1:4] == ["complete", "2", "structure"]
    assert main([*cli, "verify", "--list", "--format", "json"]) == 0
    runs = json.loads(capsys.readouterr().out)
    assert [(r["key"], r["status"], r["counts"]) for r in runs] == \
        [("s1", "complete", {"structure": {"supported": 2}})]


def test_verifier_flags_reach_the_verifiers(cli, capsys):
    assert main([*cli, "verify", "--verifiers", "de", "--t", "0.5", "--run-name", "loose",
                 "--no-progress"]) == 0
    assert _row(capsys.readouterr().out, "de")[2:4] == ["3", "3"]  # CCND1 now supported
    assert main([*cli, "verify", "--verifiers", "de", "--padj", "1e-7",
                 "--run-name", "strict", "--no-progress"]) == 0
    assert _row(capsys.readouterr().out, "de")[2:4] == ["0", "6"]  # DUSP6's 1e-6 too weak


def test_a_failing_boltz_exits_1_and_the_same_command_resumes(cli, capsys, tmp_path,
                                                              monkeypatch):
    (tmp_path / "targets.fasta").write_text(FASTA)
    args = [*cli, "verify", "--verifiers", "dti-boltz", "--run-name", "gpu", "--no-progress",
            "--fasta", str(tmp_path / "targets.fasta"),
            "--boltz-executable", write_fake_boltz(tmp_path), "--boltz-devices", "2"]
    monkeypatch.setenv("FAKE_BOLTZ_EXIT", "3")
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "boltz predict exited 3" in err
    assert "nothing of the failed batch was stored; fix the cause and run the same command " \
        "again to resume" in err
    monkeypatch.delenv("FAKE_BOLTZ_EXIT")
    monkeypatch.setenv("FAKE_BOLTZ_SCORES", json.dumps({TRAMETINIB: 0.7}))
    assert main(args) == 0
    out = capsys.readouterr().out
    assert out.startswith("run gpu (resumed)")
    assert _row(out, "dti-boltz")[1:5] == ["4", "2", "0", "2"]


def test_report_prints_the_table_and_writes_the_files(cli, capsys, tmp_path):
    assert main([*cli, "report", "latest", "--out", str(tmp_path)]) == 2
    assert "no verification runs yet" in capsys.readouterr().err
    assert main([*cli, "verify", "--run-name", "r1", "--dti-world", "closed",
                 "--no-progress"]) == 0
    capsys.readouterr()
    assert main([*cli, "report", "latest", "--out", str(tmp_path / "out")]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("run r1: complete, 2 traces, verifiers structure v1, ")
    excluded, = [line for line in captured.out.splitlines() if "DTI claims excluded" in line]
    assert excluded.split()[-2:] == ["0.333", "0.282"]
    assert ["dti-kg", "refuted", "not_a_curated_target", "1"] in \
        [line.split() for line in captured.out.splitlines()]
    html, js = tmp_path / "out" / "r1.report.html", tmp_path / "out" / "r1.report.json"
    assert captured.err.strip() == f"wrote {js} and {html}"
    assert html.is_file() and json.loads(js.read_text())["run"]["key"] == "r1"
    assert main([*cli, "report", "r1", "--out", str(tmp_path), "--format", "json"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert metrics["traces"] == 2 and metrics["dti_excluded"] == pytest.approx(1 / 3)
    assert main([*cli, "report", "nope", "--out", str(tmp_path)]) == 2
    assert "no verification run named 'nope'" in capsys.readouterr().err


def test_audit_text_and_json(cli, capsys):
    assert main([*cli, "verify", "--run-name", "r1", "--no-progress"]) == 0
    capsys.readouterr()
    assert main([*cli, "audit", "wrong-trametinib-c32"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("trace t-")
    assert "wrong-trametinib-c32): Trametinib in C32, 6 actions" in text.splitlines()[0]
    assert "UNVERIFIABLE (not_in_curated_targets)" in text and "traces.jsonl" in text
    assert "action n2 (binds_to):" in text and "run r1: complete" in text
    assert "  source primekg test (" in text
    assert main([*cli, "audit", "wrong-trametinib-c32", "--format", "json"]) == 0
    trace = json.loads(capsys.readouterr().out)
    assert trace["kind"] == "trace" and len(trace["actions"]) == 6
    assert trace["verdicts"][0]["verifier"] == "structure"
    claim_key = trace["actions"][2]["claim_key"]
    assert main([*cli, "audit", claim_key, "--run", "latest"]) == 0
    text = capsys.readouterr().out
    assert text.startswith(f"claim {claim_key}: binds_to(")
    assert "asserted by 1 action(s):" in text
    assert main([*cli, "audit", "c-doesnotexist"]) == 1
    assert "no claim 'c-doesnotexist'" in capsys.readouterr().err


def test_refine_and_export(cli, capsys, tmp_path):
    assert main([*cli, "verify", "--run-name", "r1", "--dti-world", "closed",
                 "--no-progress"]) == 0
    capsys.readouterr()
    assert main([*cli, "refine", "latest"]) == 0
    assert capsys.readouterr().out.strip() == (
        "run r1: 2 traces: 0 unchanged, 1 refined (4 genes pruned, 1 actions dropped), "
        "1 discarded")
    out = tmp_path / "verified.parquet"
    assert main([*cli, "export", "r1", str(out), "--keep-refuted-bindings"]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.strip() == \
        f"wrote 2 VC-TRACES rows to {out} (1 refined, 0 discarded and left out)"
    assert len([t for t in read_traces(out) if t.explain_verified]) == 2
    assert main([*cli, "export", "r1", str(out), "--format", "json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["discarded"] == 1
    assert "(1 refined, 1 discarded and left out)" in captured.err
    assert main([*cli, "refine", "r1", "--keep-refuted-bindings", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["kept"] == 1
    assert main([*cli, "export", "no-such-run", str(out)]) == 2
    assert main([*cli, "refine", "no-such-run"]) == 2
