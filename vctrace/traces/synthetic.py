"""Synthetic traces with the shape of VC-TRACES, for benchmarks (never for tests of meaning).

Shape, from ``shared/spec/primitives.md``: 12–25 actions per trace, ``set_context`` first, a
measurable final action, each primitive present in the share of traces the released dataset
shows, a DAG whose actions each follow one or two earlier ones (fan-out and fan-in as in real
traces), one (drug, cell line) pair per trace with 379 drugs × 50 cell lines as in Tahoe-100M.
Drug targets are fixed per drug, so ``binds_to`` claims recur across cell lines as they do in
the real set. Entity names are synthetic (``GENE00042``); draws are seeded and reproducible.
"""

from __future__ import annotations

import random
from typing import Iterator

from .models import Action, Edge, Perturbation, Trace

SHARES = {  # share of traces containing the primitive (VC-TRACES)
    "induces_phenotype": 0.979, "modulates_molecule_activity": 0.946,
    "regulates_expression": 0.943, "modulates_pathway_activity": 0.909, "binds_to": 0.901,
    "post_translational_modification": 0.373, "localises_to": 0.228,
    "converts_substrate": 0.223, "modulates_complex": 0.095, "degrades_or_stabilises": 0.069,
    "correlates_with": 0.061, "chromatin_modification": 0.037, "loss_of_function": 0.035,
    "regulates_translation": 0.023, "alleviates_phenotype": 0.014, "gain_of_function": 0.012,
    "participates_in": 0.0015,
}
ORDER = ["gain_of_function", "loss_of_function", "binds_to", "modulates_complex",
         "modulates_molecule_activity", "post_translational_modification",
         "degrades_or_stabilises", "modulates_pathway_activity", "localises_to",
         "participates_in", "converts_substrate", "chromatin_modification",
         "regulates_translation", "correlates_with", "regulates_expression",
         "alleviates_phenotype", "induces_phenotype"]
REPEATABLE = ["modulates_molecule_activity", "modulates_pathway_activity", "binds_to",
              "regulates_expression", "post_translational_modification", "induces_phenotype"]
N_DRUGS, N_CELL_LINES, N_GENES = 379, 50, 12_000


class _Names:
    def __init__(self, rng: random.Random):
        self.rng = rng

    def gene(self) -> str:
        # Zipf-like: a few genes (MYC, TP53…) recur in many traces
        return f"GENE{int(self.rng.paretovariate(1.1)) % N_GENES:05d}"

    def pick(self, prefix: str, n: int) -> str:
        return f"{prefix} {int(self.rng.paretovariate(1.2)) % n:03d}"


def _args(primitive: str, drug: str, targets: list[str], names: _Names,
          rng: random.Random) -> dict:
    d = rng.choice(("up", "down"))
    g = names.gene
    table = {
        "gain_of_function": lambda: {"variant": "G12D", "protein": g()},
        "loss_of_function": lambda: {"variant": "deletion", "protein": g()},
        "binds_to": lambda: {"actor": drug, "target": rng.choice(targets),
                             "affinity": f"{rng.randint(1, 900)} nM"},
        "modulates_complex": lambda: {"members": [g(), g()], "complex": names.pick("complex", 80),
                                      "direction": d},
        "modulates_molecule_activity": lambda: {"target": g(), "direction": d,
                                                "via": "signalling"},
        "post_translational_modification": lambda: {"protein": g(), "mod_type": "phosphorylation",
                                                    "site": f"S{rng.randint(1, 900)}",
                                                    "direction": d},
        "degrades_or_stabilises": lambda: {"regulator": g(), "target": g(), "direction": d},
        "modulates_pathway_activity": lambda: {"pathway": names.pick("pathway", 300),
                                               "direction": d},
        "localises_to": lambda: {"entity": g(), "from_loc": "cytosol", "to_loc": "nucleus"},
        "participates_in": lambda: {"entity": g(), "ontology_id": f"GO:{rng.randint(1, 99999):07d}"},
        "converts_substrate": lambda: {"enzyme": g(), "substrate": names.pick("metabolite", 200),
                                       "product": names.pick("metabolite", 200)},
        "chromatin_modification": lambda: {"mark": "H3K27ac", "locus": g(), "direction": d},
        "regulates_translation": lambda: {"regulator": g(), "rna_id": g(), "direction": d},
        "correlates_with": lambda: {"entity_a": g(), "entity_b": g(),
                                    "evidence_type": "co-expression"},
        "regulates_expression": lambda: {"regulator": g(),
                                         "gene_list": sorted({g() for _ in range(rng.randint(2, 8))}),
                                         "direction": d},
        "alleviates_phenotype": lambda: {"actor": drug, "phenotype": names.pick("phenotype", 100)},
        "induces_phenotype": lambda: {"source": drug, "phenotype": names.pick("phenotype", 100)},
    }
    return table[primitive]()


def synthetic_trace(index: int, seed: int = 0) -> Trace:
    """Trace number ``index`` of the synthetic set (deterministic for a given seed)."""
    rng = random.Random(seed * 1_000_003 + index)
    drug_no, cell_no = index % N_DRUGS, (index // N_DRUGS) % N_CELL_LINES
    drug, cell = f"drug-{drug_no:03d}", f"CELL-{cell_no:02d}"
    targets = [f"GENE{(drug_no * 7 + k) % N_GENES:05d}" for k in range(1 + drug_no % 3)]
    names = _Names(rng)
    n_actions = rng.randint(12, 25) - 1
    present = [p for p, share in SHARES.items() if rng.random() < share]
    present = present or ["induces_phenotype"]
    counts = {p: 1 for p in present}
    while sum(counts.values()) < n_actions:
        p = rng.choice([r for r in REPEATABLE if r in counts] or present)
        counts[p] += 1
    sequence = [p for p in ORDER for _ in range(counts.get(p, 0))]
    if sequence[-1] not in ("induces_phenotype", "alleviates_phenotype", "regulates_expression"):
        sequence.append("induces_phenotype")
    actions = [Action(primitive="set_context", args={"cell_type": cell, "disease": "cancer"})]
    edges: list[Edge] = []
    for i, primitive in enumerate(sequence, start=1):
        actions.append(Action(id=f"n{i}", primitive=primitive,
                              args=_args(primitive, drug, targets, names, rng)))
        if i > 1:
            parents = {rng.randint(max(1, i - 4), i - 1) for _ in range(rng.choice((1, 1, 2)))}
            edges += [Edge(source=f"n{p}", target=f"n{i}",
                           relation="correlative" if rng.random() < 0.1 else "causal")
                      for p in sorted(parents)]
    perturbation = Perturbation(raw={
        "context": [{"cell type": cell, "subtype": "disease cell"}],
        "perturbations": [{"name": drug, "perturbation type": "chemical",
                           "known targets": ", ".join(targets)}]})
    return Trace(trace_id=f"synthetic-{seed}-{index}", perturbation=perturbation,
                 actions=actions, edges=edges)


def synthetic_traces(n: int, seed: int = 0) -> Iterator[Trace]:
    for index in range(n):
        yield synthetic_trace(index, seed)
