"""Grounding trace mentions to loaded entities, per primitive role, before and after loads.
(The compact form itself: unit/test_entity_names.py; pathway, process and phenotype terms:
test_grounding_terms.py.)"""

import pytest

from vctrace.cli import main
from vctrace.kg.grounding import ground, grounding_report
from vctrace.kg.trace_store import write_traces
from vctrace.loaders.tahoe_metadata import TahoeMetadataLoader
from vctrace.traces.records import read_traces

from support.paths import EXAMPLES, SAMPLES, TAHOE

METADATA = [TAHOE / "drug_metadata.parquet", TAHOE / "cell_line_metadata.parquet"]
DEMO_METADATA = [EXAMPLES / "knowledge" / "tahoe" / "drug_metadata.demo.parquet",
                 EXAMPLES / "knowledge" / "tahoe" / "cell_line_metadata.demo.parquet"]


def _entity(neo4j, text):
    records, _, _ = neo4j.driver.execute_query(
        "MATCH (m:Mention {text: $t}) OPTIONAL MATCH (m)-[g:REFERS_TO]->(e) "
        "RETURN collect([labels(e), e.key, g.match]) AS links", t=text)
    return sorted((sorted(set(l) - {"Entity"})[0], k, how)
                  for l, k, how in records[0]["links"] if k)


@pytest.mark.shared_data
def test_mentions_ground_exactly_or_by_compact_form(neo4j):
    list(write_traces(neo4j.graph, read_traces(SAMPLES / "vc_traces_row_12563.jsonl")))
    TahoeMetadataLoader(neo4j.graph).load(METADATA + [TAHOE / "gene_metadata.parquet"])
    result = ground(neo4j.graph, rebuild=True)
    assert result.aliases > 100_000 and result.grounded >= 6
    assert _entity(neo4j, "venetoclax") == [("Drug", "venetoclax", "exact")]
    assert _entity(neo4j, "BCL-2") == [("Gene", "bcl2", "normalised")]  # the compact form
    assert _entity(neo4j, "BAX") == [("Gene", "bax", "exact")]
    assert _entity(neo4j, "BH3-only proteins") == []  # a protein family: not an entity here
    again = ground(neo4j.graph)  # only ungrounded mentions are looked at again
    assert again.grounded == 0 and again.mentions == result.mentions - result.grounded
    report = {(r["primitive"], r["role"]): (r["arguments"], r["grounded"])
              for r in grounding_report(neo4j.graph)}
    assert report[("binds_to", "actor")] == (1, 1)
    assert report[("binds_to", "target")] == (1, 1)
    # BBC3, BAX, APAF1, GADD45A, DDIT3 are all genes of the Tahoe gene table
    assert report[("regulates_expression", "gene_list")] == (5, 5)


def test_rebuild_is_idempotent(neo4j):
    list(write_traces(neo4j.graph, read_traces(EXAMPLES / "demo_traces.jsonl")))
    TahoeMetadataLoader(neo4j.graph).load(DEMO_METADATA)
    first = ground(neo4j.graph, rebuild=True)
    count = "MATCH ()-[r:REFERS_TO]->() RETURN count(r) AS c"
    links = neo4j.driver.execute_query(count).records[0]["c"]
    assert first.grounded > 0 and links > 0
    second = ground(neo4j.graph, rebuild=True)
    assert (second.grounded, second.aliases) == (first.grounded, first.aliases)
    assert neo4j.driver.execute_query(count).records[0]["c"] == links


@pytest.mark.shared_data
def test_cli_grounds_after_load_and_after_ingest(neo4j, monkeypatch, capsys):
    monkeypatch.setenv("VCTRACE_NEO4J_PASSWORD", neo4j.password)
    cli = ["--neo4j-uri", neo4j.uri, "--neo4j-user", neo4j.user]
    # traces first, knowledge later: the load grounds the traces already there
    assert main([*cli, "ingest", "--no-progress", str(EXAMPLES / "demo_traces.jsonl")]) == 0
    assert _entity(neo4j, "MAP2K1") == []
    assert main([*cli, "load", "tahoe-metadata", *map(str, METADATA)]) == 0
    assert "re-grounded all traces" in capsys.readouterr().out
    assert _entity(neo4j, "MAP2K1") == [("Gene", "map2k1", "exact")]
    # knowledge first, traces later: ingest grounds the new mentions
    assert main([*cli, "ingest", "--no-progress", str(SAMPLES / "vc_traces_row_12563.jsonl")]) == 0
    assert "ungrounded mentions now link to knowledge-graph" in capsys.readouterr().out
    assert _entity(neo4j, "venetoclax") == [("Drug", "venetoclax", "exact")]
    assert main([*cli, "ground"]) == 0
    out = capsys.readouterr().out
    assert "binds_to" in out and "share" in out


HGNC_HEADER = ("hgnc_id\tsymbol\tname\tlocus_group\tlocus_type\tstatus\tlocation\t"
               "location_sortable\talias_symbol\talias_name\tprev_symbol\tprev_name\t"
               "gene_group\tgene_group_id\tdate_approved_reserved\tdate_symbol_changed\t"
               "date_name_changed\tdate_modified\tentrez_id\tensembl_gene_id")


def _hgnc_row(hgnc_id, symbol, name, aliases, prev, entrez, ensembl):
    return "\t".join([hgnc_id, symbol, name, "protein-coding gene", "gene with protein product",
                      "Approved", "15q22.31", "15q22.31", aliases, "", prev, "", "", "",
                      "1991-07-31", "", "", "2023-01-20", entrez, ensembl])


def test_hgnc_aliases_ground_protein_names(neo4j, tmp_path):
    from vctrace.loaders import SourceFileError
    from vctrace.loaders.hgnc import HGNCLoader
    path = tmp_path / "hgnc_complete_set.txt"
    path.write_text("\n".join([
        HGNC_HEADER,
        _hgnc_row("HGNC:6840", "MAP2K1", "mitogen-activated protein kinase kinase 1",
                  '"MEK1|MKK1"', "PRKMK1", "5604", "ENSG00000169032"),
        _hgnc_row("HGNC:990", "BCL2", "BCL2 apoptosis regulator", "Bcl-2", "", "596",
                  "ENSG00000171791"),
        "HGNC:1\tbroken row"]) + "\n")
    list(write_traces(neo4j.graph, read_traces(EXAMPLES / "demo_traces.jsonl")))
    text = ('set_context(cell_type="C32")\n'
            'binds_to(id="n1", actor="trametinib", target="MEK1")\n'
            'induces_phenotype(id="n2", source="trametinib", phenotype="arrest")')
    from vctrace.traces.text import parse_trace_text
    from vctrace.traces.validation import check
    list(write_traces(neo4j.graph, [check(parse_trace_text(
        text, 'edge("n1", "n2", relation="causal")'))]))
    release = HGNCLoader(neo4j.graph).load([path])
    assert (release.rows_loaded, release.rows_rejected) == (2, 1)
    ground(neo4j.graph, rebuild=True)
    assert _entity(neo4j, "MEK1") == [("Gene", "map2k1", "synonym")]  # an HGNC alias symbol
    assert _entity(neo4j, "MAP2K1") == [("Gene", "map2k1", "exact")]
    with pytest.raises(SourceFileError, match="not an HGNC complete set"):
        HGNCLoader(neo4j.graph).load([DEMO_METADATA[0]])


def test_an_ingest_grounds_only_the_mentions_it_created(neo4j, tmp_path):
    """A later ingest does not look at the graph's old ungrounded mentions again (its cost must
    not grow with the graph): only at the mentions of the claims it stored."""
    from vctrace.app import traces as use_cases

    settings = neo4j.settings()
    TahoeMetadataLoader(neo4j.graph).load(DEMO_METADATA)
    ground(neo4j.graph, rebuild=True)
    lines = (EXAMPLES / "demo_traces.jsonl").read_text().splitlines(keepends=True)
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    first.write_text("".join(lines[1:]))
    second.write_text(lines[0])
    use_cases.ingest(settings, [first])
    old_ungrounded = ground(neo4j.graph).mentions  # every one looked at: none grounds now
    result = use_cases.ingest(settings, [second])
    own = neo4j.driver.execute_query(  # the mentions of the second file's one trace
        "MATCH (t:Trace {trace_id: 'demo-trametinib-c32'})-[:HAS_ACTION]->()-[:ASSERTS]->()"
        "-[:MENTIONS]->(m) RETURN count(DISTINCT m) AS c").records[0]["c"]
    assert result.grounding.grounded > 0
    assert result.grounding.mentions <= own < old_ungrounded
    again = use_cases.ingest(settings, [second])  # nothing new: nothing to ground
    assert again.grounding.mentions == 0
