"""Counterfactual robustness: would the verifiers catch a wrong claim?

From the claims a run's truth verifiers *supported*, counterfactuals are derived — claims
made wrong on purpose — and judged by the same verifiers (with the run's recorded options)
in memory, through :meth:`Verifier.judge` on ``ClaimRow`` objects built here: nothing is
written, neither claims nor verdicts. The kinds:

- ``target_swap`` (``dti-kg``): a drug → protein ``binds_to`` with the target replaced by a
  gene that is on none of the drug's curated lists;
- ``direction_flip`` (``de``): one supported gene of a ``regulates_expression`` with the
  direction flipped;
- ``unmeasured_gene`` (``de``): the gene replaced by one not measured in any DE experiment of
  the claim's (drug, cell line);
- ``term_swap`` (``pathway``): the pathway / GO term of ``participates_in``, ``localises_to``
  or ``modulates_pathway_activity`` replaced by a term of the same kind with members, none of
  them the claim's genes (or, for pathway activity, the drug's curated targets);
- ``hidden_target`` (``dti-kg``, specificity): the leave-one-target-out claims of
  :mod:`vctrace.runs.leave_one_out` — *true* bindings whose target is hidden from the lists;
  a refutation here is a false refutation.

Per kind the shares refuted, unverifiable and still supported are counted, and every
counterfactual supported while its original is supported too (a verifier supporting a claim
and its negation) is listed: that number must be 0. Draws are deterministic for a seed:
originals are sorted by key before sampling, and replacement candidates come from a seeded
window over the graph's genes or terms in key order.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterable

import jinja2

from ..kg import gene_bitmap
from ..kg.graph import Graph, statement
from ..kg.grounding import compact
from ..traces.identity import normalise_text
from ..verifiers.base import ClaimRow, Mention, Verdict, Verifier, get
from ..verifiers.dti_kg import DtiKgVerifier, binding_verdict
from ..verifiers.pathway import TERM_RELATIONS
from . import engine
from .leave_one_out import hidden_target_claims
from .report_html import STATUS_COLOURS, fmt, stacked_bars, thousands

KINDS = {"target_swap": "dti-kg", "direction_flip": "de", "unmeasured_gene": "de",
         "term_swap": "pathway", "hidden_target": "dti-kg"}
"""Each counterfactual kind and the verifier that judges it."""
VERIFIERS = ("dti-kg", "de", "pathway")
STATUSES = ("refuted", "unverifiable", "supported", "error")
_TERM_ROLES = {"participates_in": "ontology_id", "localises_to": "to_loc",
               "modulates_pathway_activity": "pathway"}
_POOL = 400  # candidates read per draw


@dataclass
class Counterfactual:
    kind: str
    claim: ClaimRow
    original: str | None          # the original claim's key (None: hidden_target)
    original_part: str | None = None
    swapped: str = ""             # what replaced what, for the listing
    records: dict[str, list[dict[str, Any]]] | None = None  # hidden_target: lists left


@dataclass
class KindFigures:
    kind: str
    verifier: str
    counterfactuals: int = 0
    statuses: Counter = field(default_factory=Counter)
    reasons: Counter = field(default_factory=Counter)
    supported_with_original: list[dict[str, Any]] = field(default_factory=list)

    def share(self, status: str) -> float | None:
        return self.statuses[status] / self.counterfactuals if self.counterfactuals else None

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "verifier": self.verifier,
                "counterfactuals": self.counterfactuals,
                "statuses": {s: self.statuses[s] for s in STATUSES},
                "reasons": dict(sorted(self.reasons.items())),
                "refuted_share": self.share("refuted"),
                "unverifiable_share": self.share("unverifiable"),
                "supported_share": self.share("supported"),
                "supported_with_original": len(self.supported_with_original),
                "supported_pairs": self.supported_with_original}


def run_verifiers(graph: Graph, run: str, dti_world: str | None = None
                  ) -> dict[str, Verifier]:
    """The truth verifiers of ``run`` (of :data:`VERIFIERS`) with the options recorded on
    it; ``dti_world`` overrides ``dti-kg``'s world."""
    record = engine.get_run(graph, run)
    out: dict[str, Verifier] = {}
    for v in json.loads(record.get("verifiers_json") or "[]"):
        if v["name"] in VERIFIERS:
            params = dict(v.get("parameters") or {})
            if v["name"] == "dti-kg" and dti_world:
                params["world"] = dti_world
            out[v["name"]] = get(v["name"])(graph, params)
    return out


def _supported(graph: Graph, run: str, verifiers: Iterable[str]
               ) -> dict[str, dict[str, set[str | None]]]:
    """verifier -> claim key -> the parts supported (None: the whole claim)."""
    out: dict[str, dict[str, set[str | None]]] = {}
    for r in graph.read("runs/robustness_verdicts", run=run, verifiers=sorted(verifiers)):
        if r["status"] == "supported":
            out.setdefault(r["verifier"], {}).setdefault(r["subject"], set()).add(r["part"])
    return out


def _gene_mention(role: str, key: str, symbol: str) -> Mention:
    return Mention(role, symbol, [{"key": key, "label": "Gene", "match": "exact"}])


class _Draw:
    """Seeded draws of replacement genes and terms from the graph."""

    def __init__(self, graph: Graph, rng: random.Random):
        self.graph, self.rng = graph, rng
        self._genes = graph.read("runs/robustness_gene_count")[0]["genes"]

    def genes(self, ok: Callable[[str], bool]) -> tuple[str, str] | None:
        """A gene (key, symbol) for which ``ok(key)`` holds, from a seeded window."""
        if not self._genes:
            return None
        skip = self.rng.randrange(self._genes)
        for start in (skip, 0):
            pool = self.graph.read("runs/robustness_genes", skip=start, limit=_POOL)
            self.rng.shuffle(pool)
            for g in pool:
                if ok(g["key"]):
                    return g["key"], g["symbol"]
        return None

    def term(self, label: str, genes: list[str], exclude: list[str]) -> dict[str, Any] | None:
        rel = TERM_RELATIONS[label]
        count = self.graph.read(statement("runs/robustness_term_count", LABEL=label,
                                          REL=rel))[0]["terms"]
        if not count:
            return None
        skip = self.rng.randrange(count)
        for start in (skip, 0):
            pool = self.graph.read(statement("runs/robustness_terms", LABEL=label, REL=rel),
                                   genes=genes, exclude=exclude, skip=start, limit=_POOL)
            if pool:
                return self.rng.choice(pool)
        return None


def _sample(items: list[Any], n: int | None, rng: random.Random) -> list[Any]:
    return items if n is None or len(items) <= n else rng.sample(items, n)


def derive(graph: Graph, run: str, verifiers: dict[str, Verifier], *,
           per_kind: int | None = 50, seed: int = 0, hidden_targets: bool = True
           ) -> list[Counterfactual]:
    """The counterfactuals of ``run``'s supported claims, at most ``per_kind`` of each kind
    (module docstring); deterministic for ``seed`` and the graph. Reads only."""
    rng = random.Random(seed)
    supported = _supported(graph, run, verifiers)
    keys = sorted({k for claims in supported.values() for k in claims})
    rows = {r.key: r for start in range(0, len(keys), 1000)
            for r in engine.claim_rows(graph, keys[start:start + 1000])}
    draw = _Draw(graph, rng)
    out: list[Counterfactual] = []
    dti = verifiers.get("dti-kg")
    if isinstance(dti, DtiKgVerifier):
        out += _target_swaps(dti, rows, supported.get("dti-kg", {}), draw, per_kind, rng)
    if "de" in verifiers:
        out += _de_counterfactuals(graph, rows, supported.get("de", {}), draw, per_kind, rng)
    if "pathway" in verifiers:
        out += _term_swaps(dti or DtiKgVerifier(graph), rows, supported.get("pathway", {}),
                           draw, per_kind, rng)
    if hidden_targets and isinstance(dti, DtiKgVerifier):
        hidden = hidden_target_claims(graph, options=dti.params)
        taken = [Counterfactual("hidden_target", claim, None, swapped=claim.args["target"],
                                records=records)
                 for claim, records, _ in hidden]
        out += _sample(taken, per_kind, rng)
    return out


def _target_swaps(dti: DtiKgVerifier, rows: dict[str, ClaimRow], supported: dict,
                  draw: _Draw, per_kind: int | None, rng: random.Random) -> list[Counterfactual]:
    claims = [rows[k] for k in sorted(supported) if k in rows
              and rows[k].primitive == "binds_to" and rows[k].entity_keys("actor", "Drug")
              and rows[k].entity_keys("target", "Gene")]
    claims = _sample(claims, per_kind, rng)
    records = dti.curated_records(claims) if claims else {}
    out = []
    for claim in claims:
        curated = {t["gene"] for d in claim.entity_keys("actor", "Drug")
                   for t in records.get(d, []) if not t.get("negative")}
        curated |= set(claim.entity_keys("target", "Gene"))
        gene = draw.genes(lambda key: key not in curated)
        if gene is None:
            continue
        mentions = [m for m in claim.mentions if m.role != "target"] + \
            [_gene_mention("target", *gene)]
        out.append(Counterfactual(
            "target_swap", replace(claim, key=f"cf:target_swap:{claim.key}:{gene[0]}",
                                   args=dict(claim.args, target=gene[1]), mentions=mentions),
            claim.key, swapped=f"{claim.args.get('target')} -> {gene[1]}"))
    return out


def _universes(graph: Graph, contexts: set[tuple[str, str]]
               ) -> dict[tuple[str, str], list[tuple[dict[str, int], bytes]]]:
    """(drug, cell line) -> per DE experiment: (gene index of its universe, tested bitmap)."""
    ordered = sorted(contexts)
    found = graph.read("verifiers/de_experiments", contexts=[
        {"id": i, "drug_forms": sorted({d, compact(d)}), "cell_forms": sorted({c, compact(c)})}
        for i, (d, c) in enumerate(ordered)]) if ordered else []
    experiments = {ordered[r["id"]]: r["experiments"] for r in found}
    keys = sorted({e["universe"] for exps in experiments.values() for e in exps})
    index = {r["key"]: {normalise_text(g): i for i, g in enumerate(r["genes"])}
             for r in (graph.read("verifiers/gene_universes", keys=keys) if keys else [])}
    return {ctx: [(index.get(e["universe"], {}), e["tested_bitmap"]) for e in exps]
            for ctx, exps in experiments.items()}


def _measured(key: str, experiments: list[tuple[dict[str, int], bytes]]) -> bool:
    for universe, bitmap in experiments:
        i = universe.get(key)
        if i is not None and gene_bitmap.is_set(bitmap, i):
            return True
    return False


def _de_counterfactuals(graph: Graph, rows: dict[str, ClaimRow], supported: dict,
                        draw: _Draw, per_kind: int | None, rng: random.Random
                        ) -> list[Counterfactual]:
    genes = []  # (claim, mention of the supported gene)
    for key in sorted(supported):
        claim = rows.get(key)
        if claim is None or claim.primitive != "regulates_expression":
            continue
        for m in claim.role("gene_list"):
            if m.text in supported[key]:
                genes.append((claim, m))
    flips = _sample(genes, per_kind, rng)
    swaps = _sample(genes, per_kind, rng)
    out = []
    flip = {"up": "down", "down": "up"}
    for claim, m in flips:
        direction = str(claim.args.get("direction", "")).lower()
        if direction not in flip:
            continue
        out.append(Counterfactual(
            "direction_flip", replace(claim, key=f"cf:direction_flip:{claim.key}:{m.text}",
                                      args=dict(claim.args, direction=flip[direction],
                                                gene_list=[m.text]),
                                      mentions=[m]),
            claim.key, m.text, swapped=f"{m.text} {direction} -> {flip[direction]}"))
    contexts = _universes(graph, {(c.drug or "", c.cell_line or "") for c, _ in swaps
                                  if c.drug and c.cell_line})
    for claim, m in swaps:
        experiments = contexts.get((claim.drug or "", claim.cell_line or ""))
        if not experiments:
            continue
        gene = draw.genes(lambda key: not _measured(key, experiments))
        if gene is None:
            continue
        out.append(Counterfactual(
            "unmeasured_gene", replace(claim, key=f"cf:unmeasured_gene:{claim.key}:{m.text}",
                                       args=dict(claim.args, gene_list=[gene[1]]),
                                       mentions=[_gene_mention("gene_list", *gene)]),
            claim.key, m.text, swapped=f"{m.text} -> {gene[1]}"))
    return out


def _term_swaps(dti: DtiKgVerifier, rows: dict[str, ClaimRow], supported: dict, draw: _Draw,
                per_kind: int | None, rng: random.Random) -> list[Counterfactual]:
    claims = [rows[k] for k in sorted(supported) if k in rows
              and rows[k].primitive in _TERM_ROLES]
    claims = _sample(claims, per_kind, rng)
    out = []
    for claim in claims:
        role = _TERM_ROLES[claim.primitive]
        terms = [e for m in claim.role(role) for e in m.entities if e["label"] in TERM_RELATIONS]
        if not terms:
            continue
        label = terms[0]["label"]
        if claim.primitive == "modulates_pathway_activity":
            records = dti.records_of({claim.drug: set()}) if claim.drug else {}
            genes = sorted({t["gene"] for t in records.get(claim.drug or "", [])})
        else:
            genes = claim.entity_keys("entity", "Gene")
        term = draw.term(label, genes, [t["key"] for t in terms])
        if term is None:
            continue
        name = term["name"] or term["key"]
        mentions = [m for m in claim.mentions if m.role != role] + \
            [Mention(role, name, [{"key": term["key"], "label": label, "match": "exact"}])]
        out.append(Counterfactual(
            "term_swap", replace(claim, key=f"cf:term_swap:{claim.key}:{term['key']}",
                                 args=dict(claim.args, **{role: name}), mentions=mentions),
            claim.key, swapped=f"{claim.args.get(role)} -> {name}"))
    return out


def judge(verifiers: dict[str, Verifier], counterfactuals: list[Counterfactual],
          batch_size: int = 500, progress: Callable[[int], Any] | None = None
          ) -> dict[str, Verdict]:
    """Counterfactual key -> its verdict, judged by each kind's verifier in memory (no
    writes); ``hidden_target`` claims by ``dti-kg``'s decision on the lists left."""
    out: dict[str, Verdict] = {}
    by_verifier: dict[str, list[Counterfactual]] = {}
    for cf in counterfactuals:
        if cf.kind == "hidden_target":
            world = getattr(verifiers["dti-kg"].options, "world", "open")
            out[cf.claim.key] = binding_verdict(cf.claim, cf.records or {}, world)
            if progress:
                progress(1)
        else:
            by_verifier.setdefault(KINDS[cf.kind], []).append(cf)
    for name, items in sorted(by_verifier.items()):
        for start in range(0, len(items), batch_size):
            chunk = [cf.claim for cf in items[start:start + batch_size]]
            verdicts = engine.complete_verdicts(chunk, verifiers[name].judge(chunk), verifiers[name])
            for v in verdicts:
                out.setdefault(v.subject, v)
            if progress:
                progress(len(chunk))
    return out


def tally(counterfactuals: list[Counterfactual], verdicts: dict[str, Verdict]
          ) -> list[KindFigures]:
    """The figures per kind (in :data:`KINDS` order; kinds without counterfactuals too). A
    counterfactual supported while its original is supported (the run's verdict) is listed in
    ``supported_with_original``."""
    figures = {k: KindFigures(k, v) for k, v in KINDS.items()}
    for cf in counterfactuals:
        f, v = figures[cf.kind], verdicts[cf.claim.key]
        f.counterfactuals += 1
        f.statuses[v.status.value] += 1
        f.reasons[v.reason.value] += 1
        if v.status.value == "supported" and cf.original is not None:
            f.supported_with_original.append({"original": cf.original, "part": cf.original_part,
                                              "counterfactual": cf.claim.key,
                                              "swapped": cf.swapped})
    return list(figures.values())


def render_svg(figures: list[dict[str, Any]], title: str) -> str:
    """A bar per kind (and its verifier): the shares refuted / unverifiable / still supported
    (/ error), drawn with the run report's stacked-bar geometry and template."""
    colours = {s: STATUS_COLOURS[s] for s in STATUSES}
    plot = stacked_bars([(f"{f['kind']} ({f['verifier']})", f["statuses"]) for f in figures],
                        title, colours)
    env = jinja2.Environment(loader=jinja2.PackageLoader("vctrace.runs", "templates"),
                             autoescape=True, trim_blocks=True, lstrip_blocks=True,
                             undefined=jinja2.StrictUndefined)
    env.filters["thousands"], env.filters["fmt"] = thousands, fmt
    macro = env.get_template("plots.html.j2").module.stacked_bars  # type: ignore[attr-defined]
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + str(macro(plot)).strip() + "\n"
