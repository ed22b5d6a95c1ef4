"""Reading a pairs file for `vctrace generate --pairs FILE` (vctrace.app.generation), no
database: the rows `vctrace pairs` writes, rows naming the pair, VC-TRACES rows, and refusals."""

from __future__ import annotations

import json

import pytest

from vctrace.app.generation import GenerationError, read_pairs_file


def test_each_row_shape_gives_its_pair(tmp_path):
    path = tmp_path / "pairs.jsonl"
    rows = [{"drug": "Trametinib", "cell_line": "C32", "drug_key": "trametinib",
             "cell_line_key": "c32"},
            {"drug": "Ixazomib  Citrate", "cell_line": "HOP62"},
            {"perturbation": {"context": [{"cell type": "A549"}],
                              "perturbations": [{"name": "venetoclax"}]}, "explain": ""}]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n")
    assert read_pairs_file(path) == [("trametinib", "c32"), ("ixazomib citrate", "hop62"),
                                     ("venetoclax", "a549")]


@pytest.mark.parametrize("text, message", [
    ("", "no pairs in the file"),
    ("{not json}\n", ":1: not JSON"),
    ("[1, 2]\n", ":1: not a JSON object"),
    ('{"drug": "x"}\n', ":1: no drug and cell line in the row"),
])
def test_bad_files_are_refused_with_their_line(tmp_path, text, message):
    path = tmp_path / "pairs.jsonl"
    path.write_text(text)
    with pytest.raises(GenerationError, match=message):
        read_pairs_file(path)
    with pytest.raises(GenerationError, match="cannot read .*absent.jsonl"):
        read_pairs_file(tmp_path / "absent.jsonl")
    binary = tmp_path / "binary.jsonl"
    binary.write_bytes(b"\xff\xfe{}\n")
    with pytest.raises(GenerationError, match="not UTF-8 text"):
        read_pairs_file(binary)
