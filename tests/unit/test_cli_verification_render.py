"""The audit as text (vctrace.cli.verification.audit_lines), from result models built by hand:
what each line says, verdicts with part, score and threshold, evidence shortened, mentions
that ground to nothing, and the runs with their sources."""

from __future__ import annotations

from vctrace.app.audit import ClaimAudit, TraceAudit
from vctrace.cli.verification import EVIDENCE_WIDTH, audit_lines

VERDICT = {"run": "r1", "verifier": "de", "version": "1", "part": "DUSP6", "status": "supported",
           "reason": "observed", "score": -3.0, "threshold": 1.5,
           "evidence": {"gene": "DUSP6", "calls": ["x" * 400]}}
CLAIM = {"key": "c-1", "primitive": "regulates_expression", "drug": "trametinib",
         "cell_line": "c32", "args": {"gene_list": ["dusp6"], "direction": "down"}}
MENTIONS = [{"role": "gene_list", "text": "DUSP6",
             "entities": [{"key": "dusp6", "label": "Gene"}]},
            {"role": "regulator", "text": "ERK", "entities": []}]
RUN = {"key": "r1", "status": "complete", "created_at": "2026-01-01T00:00:00Z",
       "verifiers": [{"name": "de", "version": "1"}],
       "sources": [{"key": "sr-1", "source": "primekg", "version": "test", "loader": "primekg",
                    "loader_version": "1", "files": {"kg.csv": "abc"}, "options": {},
                    "finished_at": None}]}


def test_a_claim_audit_reads_from_claim_to_sources():
    result = ClaimAudit.model_validate({
        "claim": CLAIM, "mentions": MENTIONS, "verdicts": [VERDICT], "runs": {"r1": RUN},
        "asserted_by": [{"trace": "t-1", "trace_id": "right", "action": "n6",
                         "input": {"file": "traces.jsonl", "record": 1,
                                   "sha256": "0123456789abcdef"}}]})
    lines = audit_lines(result)
    assert lines[:4] == [
        "claim c-1: regulates_expression(gene_list=['dusp6'], direction='down') in "
        "(trametinib, c32)",
        "  mention gene_list='DUSP6' -> Gene:dusp6",
        "  mention regulator='ERK' -> NOT GROUNDED",
        "  verdict r1 · de v1 [DUSP6]: SUPPORTED (observed) score -3 (threshold 1.5)"]
    assert lines[4] == '      gene: "DUSP6"'
    calls = lines[5]
    assert calls.startswith("      calls: [\"xxx") and calls.endswith("...")
    assert len(calls) == len("      calls: ") + EVIDENCE_WIDTH
    assert lines[6:] == [
        "asserted by 1 action(s):",
        "  trace t-1 (right) action n6 <- traces.jsonl record 1 sha256 0123456789ab…",
        "run r1: complete, created 2026-01-01T00:00:00Z, verifiers de v1",
        "  source primekg test (sr-1, loader primekg v1, files kg.csv)"]


def test_a_trace_audit_lists_its_own_verdicts_versions_and_actions():
    result = TraceAudit.model_validate({
        "trace": {"key": "t-1", "trace_id": "right", "drug": "Trametinib", "cell_line": "C32",
                  "n_actions": 2},
        "input": None,
        "verdicts": [dict(VERDICT, verifier="structure", part=None, score=None,
                          threshold=None, evidence={})],
        "refines": [], "refined_into": [{"key": "t-2", "run": "r1"}],
        "actions": [{"action": None, "primitive": "set_context", "claim_key": "c-0",
                     "claim": {"key": "c-0", "primitive": "set_context", "args": {}},
                     "mentions": [], "verdicts": []},
                    {"action": "n6", "primitive": "regulates_expression", "claim_key": "c-1",
                     "claim": CLAIM, "mentions": [], "verdicts": []}],
        "runs": {}})
    assert audit_lines(result) == [
        "trace t-1 (right): Trametinib in C32, 2 actions",
        "  read from None record None (sha256 None)",
        "  refined into t-2 by run r1",
        "  verdict r1 · structure v1: SUPPORTED (observed)",
        "action (no id) (set_context):",
        "  claim c-0: set_context()",
        "    no verdicts",
        "action n6 (regulates_expression):",
        "  claim c-1: regulates_expression(gene_list=['dusp6'], direction='down') in "
        "(trametinib, c32)",
        "    no verdicts"]
