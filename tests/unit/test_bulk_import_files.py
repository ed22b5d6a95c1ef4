"""The CSV files of the offline bulk path (`vctrace ingest --bulk`), without running
neo4j-admin (that is integration/test_bulk_import.py)."""

from vctrace.kg.bulk_import import write_import_files
from vctrace.traces.records import read_traces

from support.paths import DEMO_TRACES


def test_import_files_have_typed_headers(tmp_path):
    traces = list(read_traces(DEMO_TRACES))
    result, nodes, rels = write_import_files(traces, tmp_path)
    assert (result.traces, result.actions) == (5, sum(len(t.actions) for t in traces))
    assert all(p.parent == tmp_path for p in nodes + rels)
    header = (tmp_path / "nodes_actions_RegulatesExpression.csv").read_text().splitlines()[0]
    assert header.startswith(":ID(Action),idx:long,") and "gene_list:string[]" in header
    assert (tmp_path / "rel_leads_to.csv").read_text().startswith(
        ":START_ID(Action),:END_ID(Action),:TYPE,relation,idx:long")
