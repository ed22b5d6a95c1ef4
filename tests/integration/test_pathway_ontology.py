"""The pathway verifier's set-wise membership check through a loaded ontology: an annotation to
a descendant term (IS_A) supports a claim that names its ancestor, genes and terms shared by
several claims are judged from one read, and a gene annotated only elsewhere is refuted.
The same verdicts as the one-walk-per-pair statement this replaced."""

import json

from vctrace.kg.grounding import ground
from vctrace.kg.trace_store import write_traces
from vctrace.loaders.ontology import OntologyLoader
from vctrace.loaders.primekg import PrimeKGLoader
from vctrace.runs.engine import claim_rows
from vctrace.traces.models import Perturbation
from vctrace.traces.text import parse_trace_text
from vctrace.traces.validation import check
from vctrace.verifiers.pathway import PathwayVerifier

GO = """format-version: 1.2
ontology: go

[Term]
id: GO:0008150
name: biological_process
namespace: biological_process

[Term]
id: GO:0012501
name: programmed cell death
namespace: biological_process
is_a: GO:0008150 ! biological_process

[Term]
id: GO:0006915
name: apoptotic process
namespace: biological_process
is_a: GO:0012501 ! programmed cell death

[Term]
id: GO:0007049
name: cell cycle
namespace: biological_process
is_a: GO:0008150 ! biological_process
"""

KG = ("relation,display_relation,x_index,x_id,x_type,x_name,x_source,y_index,y_id,y_type,"
      "y_name,y_source\n"
      "bioprocess_protein,interacts with,1,6915,biological_process,apoptotic process,GO,"
      "2,581,gene/protein,BAX,NCBI\n"
      "bioprocess_protein,interacts with,3,7049,biological_process,cell cycle,GO,"
      "4,596,gene/protein,BCL2,NCBI\n")

TRACE = ('set_context(cell_type="HOP62")\n'
         'participates_in(id="n1", entity="BAX", ontology_id="GO:0008150")\n'
         'participates_in(id="n2", entity="BAX", ontology_id="GO:0012501")\n'
         'participates_in(id="n3", entity="BAX", ontology_id="GO:0006915")\n'
         'participates_in(id="n4", entity="BCL2", ontology_id="GO:0006915")\n'
         'participates_in(id="n5", entity="BCL2", ontology_id="GO:0008150")\n'
         'induces_phenotype(id="n6", source="BCL2", phenotype="apoptosis")',
         'edge("n1", "n2", relation="causal")\nedge("n2", "n3", relation="causal")\n'
         'edge("n3", "n4", relation="causal")\nedge("n4", "n5", relation="causal")\n'
         'edge("n5", "n6", relation="causal")')


def test_annotations_reach_ancestor_terms_through_is_a(neo4j, tmp_path):
    (tmp_path / "kg.csv").write_text(KG)
    (tmp_path / "go.obo").write_text(GO)
    PrimeKGLoader(neo4j.graph).load([tmp_path / "kg.csv"])
    OntologyLoader(neo4j.graph).load([tmp_path / "go.obo"])
    trace = check(parse_trace_text(*TRACE, perturbation=Perturbation(raw={
        "context": [{"cell type": "HOP62"}], "perturbations": [{"name": "Venetoclax"}]})))
    list(write_traces(neo4j.graph, [trace]))
    ground(neo4j.graph, rebuild=True)
    records, _, _ = neo4j.driver.execute_query(
        "MATCH (c:Claim {primitive: 'participates_in'}) RETURN c.key AS key")
    rows = claim_rows(neo4j.graph, [r["key"] for r in records])
    verifier = PathwayVerifier(neo4j.graph)
    got = {}
    for verdict in verifier.judge(rows):
        claim = next(r for r in rows if r.key == verdict.subject)
        args = (claim.args["entity"].upper(), claim.args["ontology_id"].upper())
        got[args] = (verdict.status.value, verdict.reason.value,
                     sorted(h["term"] for h in verdict.evidence["annotations"]))
    assert got == {
        ("BAX", "GO:0008150"): ("supported", "annotated", ["GO:0006915"]),  # two IS_A steps
        ("BAX", "GO:0012501"): ("supported", "annotated", ["GO:0006915"]),
        ("BAX", "GO:0006915"): ("supported", "annotated", ["GO:0006915"]),
        ("BCL2", "GO:0006915"): ("refuted", "not_annotated", []),  # cell cycle only
        ("BCL2", "GO:0008150"): ("supported", "annotated", ["GO:0007049"]),
    }, json.dumps({" ".join(k): v for k, v in got.items()})
