"""dti-kg on ``modulates_complex`` claims whose members do not ground: the verdict is
unverifiable with its own reason code (a code outside the Reason vocabulary once crashed a run
on the writer thread)."""

from __future__ import annotations

from vctrace.verifiers.base import ClaimRow, Mention, Reason, Status
from vctrace.verifiers.dti_kg import DtiKgVerifier


def _complex(key: str, grounded: list[str], ungrounded: list[str]) -> ClaimRow:
    mentions = [Mention("members", g, [{"key": g.lower(), "label": "Gene"}]) for g in grounded]
    mentions += [Mention("members", u, []) for u in ungrounded]
    return ClaimRow(key=key, primitive="modulates_complex", args={}, drug=None,
                    cell_line=None, mentions=mentions)


def test_complex_with_fewer_than_two_grounded_members_is_unverifiable(graph):
    verdicts = DtiKgVerifier(graph).judge([_complex("c-one", ["BRAF"], ["NOTAGENE"]),
                                           _complex("c-none", [], ["X1", "X2"])])
    assert {v.subject: (v.status, v.reason) for v in verdicts} == {
        "c-one": (Status.UNVERIFIABLE, Reason.TOO_FEW_GROUNDED_PROTEINS),
        "c-none": (Status.UNVERIFIABLE, Reason.TOO_FEW_GROUNDED_PROTEINS)}
    assert verdicts[0].evidence == {"grounded": [["braf"]]}
    assert all(v.row()["reason"] == "too_few_grounded_proteins" for v in verdicts)
