"""The demo: a local Neo4j, the bundled knowledge set, the example traces, traces generated
for every demo pair by the knowledge-graph-only constructor (the baseline every language-model
run is compared with), grounding and one verification run over both with its report, all
through the same use cases as the commands."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from pydantic import BaseModel

from ..kg.trace_store import graph_summary, primitive_counts
from ..progress import Progress, no_progress
from ..settings import Settings
from . import database, generation, knowledge, traces, verification
from .graph_session import open_graph

# (loader, files under vctrace/examples/knowledge), loaded in this order
DEMO_KNOWLEDGE = (
    ("tahoe-metadata", ("tahoe/drug_metadata.demo.parquet",
                        "tahoe/cell_line_metadata.demo.parquet")),
    ("primekg", ("primekg/kg.csv",)),
    ("hgnc", ("hgnc/hgnc_complete_set.txt",)),
    ("tahoe-de", ("tahoe_de/demo_de_SYNTHETIC.parquet",)),
)
DEMO_VERSION = "vctrace-demo"


class PrimitiveCount(BaseModel):
    primitive: str
    actions: int
    traces: int


class DemoResult(BaseModel):
    """What each step of the demo did."""

    server: database.DbStatus
    knowledge: list[knowledge.LoadResult]
    trace_files: list[str]
    ingest: traces.IngestResult
    generation: generation.GenerateResult
    summary: dict[str, int]
    primitives: list[PrimitiveCount]
    grounding: list[knowledge.RoleGrounding]
    verification: verification.VerifyResult
    report: verification.ReportResult


def example_files() -> list[str]:
    """The bundled example trace files: valid traces, then deliberately broken ones."""
    examples = resources.files("vctrace.examples")
    return [str(examples / "demo_traces.jsonl"), str(examples / "broken_traces.jsonl")]


def demo(settings: Settings, *, progress: Progress = no_progress) -> DemoResult:
    """Start the local Neo4j (or use ``VCTRACE_NEO4J_URI``), load the demo knowledge set
    (real Tahoe-100M metadata of 20 drugs and 5 cell lines, PrimeKG-format targets and
    pathways, HGNC aliases, a SYNTHETIC DE table), ingest the example traces, generate and
    ingest a trace for each of the 100 demo pairs with the knowledge-graph-only constructor
    (rows in ``$VCTRACE_HOME/generated/demo-kg.jsonl``), verify every claim of both with the
    default verifiers in one run and write its report into ``$VCTRACE_HOME/reports``."""
    steps = progress("demo", 6, "steps")
    try:
        server = database.start(settings)
        steps.update()
        folder = resources.files("vctrace.examples") / "knowledge"
        loads = [knowledge.load(settings, source, [Path(str(folder / name)) for name in names],
                                {"source_version": DEMO_VERSION})
                 for source, names in DEMO_KNOWLEDGE]
        steps.update()
        files = example_files()
        ingested = traces.ingest(settings, files)
        steps.update()
        generated = generation.generate(settings, generation.GenerateRequest(
            output=settings.home / "generated" / "demo-kg.jsonl"), progress=progress)
        with open_graph(settings) as graph:
            summary = graph_summary(graph)
            primitives = [PrimitiveCount.model_validate(r) for r in primitive_counts(graph)]
            by_role = knowledge.grounding_by_role(graph)
        steps.update()
        run = verification.verify(settings, verification.VerifyRequest(), progress=progress)
        steps.update()
        report = verification.report(settings, run.run, settings.home / "reports")
        steps.update()
    finally:
        steps.close()
    return DemoResult(server=server, knowledge=loads, trace_files=files, ingest=ingested,
                      generation=generated, summary=summary, primitives=primitives,
                      grounding=by_role, verification=run, report=report)
