"""The knowledge use cases (vctrace.app.knowledge) against the session's real Neo4j, on the
bundled demo knowledge set: load (options, refusals, bad rows, the re-grounding after every
load), ground with its per-role table, the list of loads, and the loader catalogue."""

import pytest

from vctrace.app import knowledge, traces
from vctrace.errors import VctraceError
from vctrace.loaders import SourceFileError

from support.paths import DEMO_TRACES, EXAMPLES

KNOWLEDGE = EXAMPLES / "knowledge"
DEMO_METADATA = [KNOWLEDGE / "tahoe" / "drug_metadata.demo.parquet",
                 KNOWLEDGE / "tahoe" / "cell_line_metadata.demo.parquet"]
DEMO_KG = KNOWLEDGE / "primekg" / "kg.csv"
DEMO_DE = KNOWLEDGE / "tahoe_de" / "demo_de_SYNTHETIC.parquet"


def _count(neo4j, query):
    records, _, _ = neo4j.driver.execute_query(query)
    return records[0][0]


def _grounded_mentions(neo4j):
    return _count(neo4j, "MATCH (m:Mention) WHERE EXISTS { (m)-[:REFERS_TO]->() } "
                  "RETURN count(m)")


def test_the_catalogue_lists_every_loader_with_its_options():
    catalog = {info.name: info for info in knowledge.loader_catalog()}
    assert set(catalog) == {"harmonizome", "hgnc", "ontology", "primekg", "tahoe-de",
                            "tahoe-metadata"}
    assert {"padj", "min_abs_lfc", "conditions", "source_version"} <= \
        set(catalog["tahoe-de"].options.model_fields)
    assert "dataset" in catalog["harmonizome"].options.model_fields
    assert [name for name, info in catalog.items() if info.bulk] == ["primekg"]
    assert all(info.description for info in catalog.values())


def test_a_load_records_its_release_and_regrounds_traces_ingested_before(neo4j):
    settings = neo4j.settings()
    traces.ingest(settings, [DEMO_TRACES])
    assert _grounded_mentions(neo4j) == 0  # nothing loaded yet

    result = knowledge.load(settings, "tahoe-metadata", DEMO_METADATA,
                            {"source_version": "demo"})
    release = result.release
    assert result.source == "tahoe-metadata" and release.source == "tahoe-100m"
    assert release.version == "demo" and release.rows_read == release.rows_loaded > 0
    assert release.rows_rejected == 0 and result.problems == []
    assert set(release.files) == {p.name for p in DEMO_METADATA}
    assert result.bulk_seconds == {} and result.seconds > 0
    grounding = result.grounding
    assert grounding.aliases > 0  # the entity index was rebuilt
    assert grounding.mentions == _count(neo4j, "MATCH (m:Mention) RETURN count(m)")
    assert 0 < grounding.grounded == _grounded_mentions(neo4j)

    listed, = knowledge.sources(settings)
    assert listed.key == release.key and listed.rows_loaded == release.rows_loaded
    assert listed.finished_at is not None


def test_options_are_recorded_and_checked(neo4j):
    settings = neo4j.settings()
    result = knowledge.load(settings, "tahoe-de", [DEMO_DE], {"min_abs_lfc": 1.5})
    assert result.release.options == {"padj": 0.05, "min_abs_lfc": 1.5, "conditions": "all"}
    with pytest.raises(knowledge.OptionError, match="padj: Input should be less than or equal "
                                                    "to 1"):
        knowledge.load(settings, "tahoe-de", [DEMO_DE], {"padj": 2})
    assert len(knowledge.sources(settings)) == 1


def test_an_option_of_another_source_is_refused_before_anything_is_written(neo4j):
    settings = neo4j.settings()
    with pytest.raises(knowledge.OptionError,
                       match="^--padj applies to tahoe-de, not primekg$") as caught:
        knowledge.load(settings, "primekg", [DEMO_KG], {"padj": 0.1})
    assert caught.value.kind == "unusable"
    with pytest.raises(knowledge.OptionError, match="^--dataset applies to harmonizome, not"):
        knowledge.load(settings, "hgnc", [DEMO_KG], {"dataset": "x"})
    with pytest.raises(knowledge.OptionError, match="^--bulk applies to primekg, not hgnc$"):
        knowledge.load(settings, "hgnc", [DEMO_KG], bulk=True)
    with pytest.raises(knowledge.UnknownSource, match="unknown source 'kegg'; one of: "):
        knowledge.load(settings, "kegg", [DEMO_KG])
    assert _count(neo4j, "MATCH (n) RETURN count(n)") == 0


def test_a_file_of_the_wrong_kind_is_refused(neo4j):
    with pytest.raises(SourceFileError) as caught:
        knowledge.load(neo4j.settings(), "primekg", [DEMO_METADATA[0]])
    assert isinstance(caught.value, VctraceError) and caught.value.kind == "unusable"
    assert _count(neo4j, "MATCH (n) RETURN count(n)") == 0


def test_bad_rows_are_reported_and_the_rest_loads(neo4j, tmp_path):
    path = tmp_path / "kg.csv"
    path.write_text(DEMO_KG.read_text() + "made_up_relation,x,0,DB1,drug,A,DrugBank,1,2,"
                    "gene/protein,B,NCBI\n")
    result = knowledge.load(neo4j.settings(), "primekg", [path])
    assert result.release.rows_rejected == 1
    assert result.release.rows_loaded == result.release.rows_read - 1
    problem, = result.problems
    assert problem.startswith("kg.csv:") and ": rejected: " in problem


def test_bulk_load_refuses_another_server(neo4j):
    with pytest.raises(VctraceError, match="local server only"):
        knowledge.load(neo4j.settings(), "primekg", [DEMO_KG], bulk=True)


def test_ground_reports_per_primitive_and_role(neo4j):
    settings = neo4j.settings()
    traces.ingest(settings, [DEMO_TRACES])
    knowledge.load(settings, "tahoe-metadata", DEMO_METADATA)
    mentions = _count(neo4j, "MATCH (m:Mention) RETURN count(m)")
    grounded = _grounded_mentions(neo4j)

    again = knowledge.ground(settings)  # only the mentions still ungrounded
    assert (again.mentions, again.grounded, again.aliases) == (mentions - grounded, 0, 0)
    rows = {(r.primitive, r.role): r for r in again.by_role}
    binds = rows[("binds_to", "actor")]  # the demo traces' 8 bindings, each by a loaded drug
    assert binds.arguments == binds.grounded == 8 and binds.share == 1.0
    assert sum(r.arguments for r in again.by_role) == _count(
        neo4j, "MATCH (:Action)-[:ASSERTS]->(:Claim)-[:MENTIONS]->(:Mention) RETURN count(*)")

    rebuilt = knowledge.ground(settings, rebuild=True)
    assert rebuilt.mentions == mentions and rebuilt.grounded == grounded
    assert rebuilt.aliases > 0
