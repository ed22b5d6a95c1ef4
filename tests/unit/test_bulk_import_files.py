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


def test_every_relationship_names_nodes_of_its_id_spaces(tmp_path):
    """Node ids are integers numbered per id space (``--id-type=integer``): each space's ids
    are distinct, keys stay properties, and every relationship line names ids that a node
    file of the right space holds (what neo4j-admin would otherwise reject or mis-link)."""
    import csv
    import re

    traces = list(read_traces(DEMO_TRACES)) * 2  # the same content twice: written once
    result, nodes, rels = write_import_files(traces, tmp_path)
    assert result.traces == 5
    ids: dict[str, set[int]] = {}
    for path in nodes:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader)
            space = re.fullmatch(r":ID\((\w+)\)", header[0]).group(1)
            rows = list(reader)
        found = [int(r[0]) for r in rows]
        assert len(set(found)) == len(found), path.name
        ids.setdefault(space, set())
        assert not ids[space] & set(found), f"{path.name} reuses ids of its space"
        ids[space] |= set(found)
        if "key" in header:
            keys = [r[header.index("key")] for r in rows]
            assert all(keys) and len(set(keys)) == len(keys)
    assert len(ids["Trace"]) == 5 and len(ids["Action"]) == result.actions
    links = 0
    for path in rels:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader)
            start, end = (re.fullmatch(r":(?:START|END)_ID\((\w+)\)", h).group(1)
                          for h in header[:2])
            for row in reader:
                assert int(row[0]) in ids[start] and int(row[1]) in ids[end], path.name
                links += 1
    assert links > result.actions * 2  # HAS_ACTION and ASSERTS of every action, and more


def test_list_cells_refuse_the_array_delimiter(tmp_path):
    import pytest
    from vctrace.kg.bulk_import import ARRAY_DELIMITER, BulkImportError, CsvFile

    file = CsvFile(tmp_path / "x.csv", [("xs", "string[]"), ("n", "long[]")])
    file.write({"xs": ["a", 'b"c'], "n": [1, 2]})
    file.write({"xs": [], "n": None})
    with pytest.raises(BulkImportError, match="U\\+001F"):
        file.write({"xs": ["ok", f"a{ARRAY_DELIMITER}b"]})
    file.close()
    assert (tmp_path / "x.csv").read_text().splitlines() == [
        "xs:string[],n:long[]", f'"a{ARRAY_DELIMITER}b""c",1{ARRAY_DELIMITER}2', ","]
    assert file.rows == 2
