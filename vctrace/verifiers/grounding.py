"""``grounding``: which entity arguments of each claim resolve to knowledge-graph entities
(``vctrace ground`` links them). A quality check, not a truth check: it tells which claims a
truth verifier could look up at all."""

from __future__ import annotations

from ..traces import primitives
from .base import ClaimRow, Reason, Status, Verdict, Verifier


class GroundingVerifier(Verifier):
    name = "grounding"
    version = "1"
    description = "entity arguments grounded to KG entities (score: share grounded)"
    primitives = tuple(primitives.REGISTRY)
    checks_truth = False

    def judge(self, subjects: list[ClaimRow]) -> list[Verdict]:
        verdicts = []
        for claim in subjects:
            if not claim.mentions:
                verdicts.append(Verdict(claim.key, Status.SUPPORTED, Reason.NO_ENTITY_ARGUMENTS))
                continue
            # the links themselves are in the graph (Mention -REFERS_TO-> Entity, shown by
            # `vctrace audit`); the verdict keeps what it decided on
            ungrounded = sorted(f"{m.role}={m.text}" for m in claim.mentions if not m.entities)
            score = 1 - len(ungrounded) / len(claim.mentions)
            evidence = {"mentions": len(claim.mentions), "ungrounded": ungrounded}
            if ungrounded:
                verdicts.append(Verdict(claim.key, Status.UNVERIFIABLE, Reason.UNGROUNDED_ENTITIES,
                                        score, evidence=evidence))
            else:
                verdicts.append(Verdict(claim.key, Status.SUPPORTED, Reason.ALL_GROUNDED, score,
                                        evidence=evidence))
        return verdicts
