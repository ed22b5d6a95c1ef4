"""``structure``: the validity of each trace, from the findings the formalism recorded when
the trace was read (validation runs at ingest; a stored trace keeps its findings)."""

from __future__ import annotations

from collections import Counter

from ..traces.findings import Severity
from .base import Reason, Status, TraceRow, Verdict, Verifier


class StructureVerifier(Verifier):
    name = "structure"
    version = "1"
    description = "trace validity: no error finding (known primitives, required arguments, " \
                  "unique ids, resolving edges, acyclic)"
    subject = "trace"
    checks_truth = False

    def judge(self, subjects: list[TraceRow]) -> list[Verdict]:
        verdicts = []
        for trace in subjects:
            by_severity = Counter(f.get("severity") for f in trace.findings)
            errors = [f for f in trace.findings if f.get("severity") == Severity.ERROR.value]
            evidence = {"findings": dict(by_severity),
                        "codes": sorted({f.get("code") for f in trace.findings
                                         if f.get("severity") != Severity.INFO.value}),
                        "errors": errors[:20]}
            if errors:
                verdicts.append(Verdict(trace.key, Status.REFUTED, Reason.INVALID, 0.0,
                                        evidence=evidence))
            else:
                reason = Reason.VALID_WITH_WARNINGS if by_severity.get("warning") else "valid"
                verdicts.append(Verdict(trace.key, Status.SUPPORTED, reason, 1.0,
                                        evidence=evidence))
        return verdicts
