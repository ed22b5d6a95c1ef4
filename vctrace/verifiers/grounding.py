"""``grounding``: which entity arguments of each claim resolve to knowledge-graph entities
(``vctrace ground`` links them). A quality check, not a truth check: it tells which claims a
truth verifier could look up at all.

Grounding links are of four match kinds (:class:`vctrace.kg.grounding.MatchKind`: exact,
synonym, normalised, fuzzy; fuzzy ones only at or above the grounding threshold). A verifier
that looks entities up says which kinds it accepts with the ``match_kinds`` option
(:class:`MatchOptions`; default: every kind) and reads its claims through
:func:`accepted_links`, which drops the links of other kinds: a mention linked only by a kind
it does not accept counts as ungrounded for it.

The engine judges grounding inside the graph (:meth:`GroundingVerifier.store_in_graph`,
``verifiers/grounding_verdicts.cypher``): the statement that reads a batch's mentions writes
its verdicts, the same ones :meth:`GroundingVerifier.judge` gives. ``judge`` stays the
reference, the path for claims whose mention texts the statement cannot spell exactly in
JSON (anything but printable ASCII without quotes and backslashes), and what in-memory callers
(robustness) use.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ..kg.grounding import MatchKind
from ..traces import primitives
from ..traces.identity import normalise_text
from .base import ClaimRow, Reason, Status, Verdict, Verifier

MATCH_KINDS = tuple(kind.value for kind in MatchKind)
# text that json.dumps writes as it is and that sorts the same in Cypher and Python (a Java
# regex, matched against the whole string): printable ASCII except '"' and '\'
JSON_PLAIN = r'[ !#-\[\]-~]*'
MatchKindName = Literal["exact", "synonym", "normalised", "fuzzy"]


class MatchOptions(BaseModel):
    """The grounding match kinds a verifier accepts (a shared ``--match-kinds`` flag)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    match_kinds: tuple[MatchKindName, ...] = Field(
        MATCH_KINDS, description="grounding match kinds accepted (exact, synonym, normalised, "
        "fuzzy at or above the grounding threshold)")


def accepted_links(verifier: Verifier, claims: list[ClaimRow]) -> list[ClaimRow]:
    """``claims`` with only the entity links of the match kinds ``verifier`` accepts (its
    ``match_kinds`` option). Every kind accepted (the default): the claims as they are."""
    kinds = set(getattr(verifier.options, "match_kinds", MATCH_KINDS))
    if kinds >= set(MATCH_KINDS):
        return claims
    how = {}
    # claim rows read from the graph carry each link's match kind; only rows built elsewhere
    # (without it) need the lookup
    keys = sorted({normalise_text(m.text) for c in claims for m in c.mentions
                   if any("match" not in e for e in m.entities)})
    if keys:
        for record in verifier.query("grounding/mention_links", keys=keys):
            how.update({(r["mention"], r["key"]): r["match"] for r in record["rows"]})

    def kept(mention):
        key = normalise_text(mention.text)
        return replace(mention, entities=[
            e for e in mention.entities if e.get("match", how.get((key, e["key"]))) in kinds])

    return [replace(c, mentions=[kept(m) for m in c.mentions]) for c in claims]


class GroundingVerifier(Verifier):
    name = "grounding"
    version = "2"
    description = "entity arguments grounded to KG entities (score: share grounded)"
    primitives = tuple(primitives.REGISTRY)
    checks_truth = False
    Options = MatchOptions
    judges_in_graph = True

    def store_in_graph(self, run: str, rows: list[dict[str, str]]) -> tuple[int, list[str]]:
        """See :meth:`Verifier.store_in_graph`: one statement for the batch."""
        kinds = list(getattr(self.options, "match_kinds", MATCH_KINDS))
        codes = {"supported": Status.SUPPORTED.value, "unverifiable": Status.UNVERIFIABLE.value,
                 "no_entity_arguments": Reason.NO_ENTITY_ARGUMENTS.value,
                 "all_grounded": Reason.ALL_GROUNDED.value,
                 "ungrounded_entities": Reason.UNGROUNDED_ENTITIES.value}
        record = self.graph.write(
            "verifiers/grounding_verdicts", rows=rows, run=run, verifier=self.name,
            version=self.version, kinds=kinds, all_kinds=set(kinds) >= set(MATCH_KINDS),
            codes=codes, safe=JSON_PLAIN)[0]
        return record["created"], record["left"]

    def judge(self, subjects: list[ClaimRow]) -> list[Verdict]:
        verdicts = []
        for claim in accepted_links(self, subjects):
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
