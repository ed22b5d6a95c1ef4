"""Loader readers without a database (issue 9): paths that are not regular files, empty files,
CSV lines with bad quoting or extra cells, parquet read row group by row group."""

from __future__ import annotations

import os

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from vctrace.loaders.base import SourceFileError, SourceRelease, check_file, read_row_groups
from vctrace.loaders.primekg import NODE_COLUMNS, _open_csv


def _release() -> SourceRelease:
    return SourceRelease(source="s", version="v", loader="l", loader_version="1")


def test_check_file_names_what_the_path_is(tmp_path):
    (tmp_path / "folder").mkdir()
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "empty").write_text("")
    (tmp_path / "zero").symlink_to("/dev/zero")
    (tmp_path / "ok").write_text("x\n")
    for name, message in [("missing", "no such file"), ("folder", "not a regular file (a folder)"),
                          ("fifo", "not a regular file (a device, FIFO or socket)"),
                          ("zero", "not a regular file (a device, FIFO or socket)"),
                          ("empty", "empty file")]:
        with pytest.raises(SourceFileError) as caught:
            check_file(tmp_path / name)
        assert str(caught.value) == f"{tmp_path / name}: {message}"
    check_file(tmp_path / "ok")


def test_csv_lines_are_parsed_one_at_a_time(tmp_path):
    path = tmp_path / "nodes.csv"
    path.write_text(",".join(NODE_COLUMNS) + "\n"
                    "0,DB1,drug,trametinib,DrugBank\n"
                    '1,DB2,drug,"cobi,metinib,DrugBank\n'      # quote never closed
                    '2,DB3,drug,"selumetinib, (AZD6244)",DrugBank\n'
                    '3,DB4,drug,"bini"x,DrugBank\n'             # text after a closing quote
                    "4,DB5,drug,mirdametinib,DrugBank,extra\n"
                    "\n")
    release = _release()
    rows = list(_open_csv(path, (NODE_COLUMNS,)).rows(release))
    assert rows == [(2, ["0", "DB1", "drug", "trametinib", "DrugBank"]),
                    (4, ["2", "DB3", "drug", "selumetinib, (AZD6244)", "DrugBank"]),
                    (6, ["4", "DB5", "drug", "mirdametinib", "DrugBank", "extra"]),
                    (7, [])]
    assert [str(p) for p in release.problems] == [
        "nodes.csv:3: rejected: bad quoting (unexpected end of data)",
        "nodes.csv:5: rejected: bad quoting (',' expected after '\"')"]
    assert (release.rows_read, release.rows_rejected) == (2, 2)


def test_a_corrupt_row_group_is_reported_and_the_others_read(tmp_path):
    path = tmp_path / "t.parquet"
    n = 1000
    pq.write_table(pa.table({"name": [f"name-{i}" for i in range(3 * n)]}), path,
                   row_group_size=n, compression="snappy")
    column = pq.ParquetFile(path).metadata.row_group(1).column(0)
    data = bytearray(path.read_bytes())
    start = column.dictionary_page_offset or column.data_page_offset
    middle = start + column.total_compressed_size // 2
    data[middle:middle + 16] = b"\xff" * 16
    path.write_bytes(bytes(data))
    release = _release()
    groups = list(read_row_groups(pq.ParquetFile(path), path, ["name"], release))
    assert [(line, table.num_rows) for line, table in groups] == [(2, n), (2 * n + 2, n)]
    assert groups[1][1]["name"][0].as_py() == f"name-{2 * n}"
    problem, = release.problems
    assert str(problem).startswith(f"t.parquet:{n + 2}: rejected: row group 1 (lines "
                                   f"{n + 2}–{2 * n + 1}, 1,000 rows) cannot be read: ")
    assert (release.rows_read, release.rows_rejected) == (n, n)
