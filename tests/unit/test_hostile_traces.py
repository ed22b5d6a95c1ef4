"""A hostile corpus of trace files (issue 9), written into tmp_path by the tests: each case
checks the message names the file and record/line, the exit status of `vctrace validate`, and
that the valid neighbours of the bad record are still read and valid. No database."""

from __future__ import annotations

import codecs
import itertools
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from vctrace.cli import main
from vctrace.traces.findings import Code, Severity
from vctrace.traces.limits import (MAX_ACTIONS, MAX_EDGES, MAX_KEY_BYTES, MAX_LIST_ITEMS,
                                   MAX_NESTING, MAX_RECORD_BYTES)
from vctrace.traces.records import FileReadError, read_traces, write_traces_file
from vctrace.traces.text import parse_trace_text
from vctrace.traces.validation import check, is_valid

EXPLAIN = ('set_context(cell_type="A549")\n'
           'binds_to(id="n1", actor="{drug}", target="EGFR")\n'
           'modulates_molecule_activity(id="n2", target="EGFR", direction="down")\n'
           'induces_phenotype(id="n3", source="{drug}", phenotype="apoptosis")')
DAG = 'edge("n1", "n2", relation="causal")\nedge("n2", "n3", relation="causal")'


def row(drug: str = "gefitinib", **changes) -> dict:
    record = {"perturbation": {"perturbations": [{"name": drug}],
                               "context": [{"cell type": "A549"}]},
              "question": "why?", "explain": EXPLAIN.format(drug=drug), "dag": DAG}
    return record | changes


def write_jsonl(path: Path, lines: list) -> Path:
    path.write_text("".join((x if isinstance(x, str) else json.dumps(x)) + "\n"
                            for x in lines), encoding="utf-8")
    return path


def errors(trace):
    return [f for f in trace.findings if f.severity is Severity.ERROR]


def codes(trace):
    return [f.code for f in errors(trace)]


def validate(capsys, *paths) -> tuple[int, str, str]:
    status = main(["validate", "--no-progress", *map(str, paths)])
    out = capsys.readouterr()
    return status, out.out, out.err


def assert_neighbours_valid(traces, bad: set[int]):
    for trace in traces:
        if trace.provenance.record not in bad:
            assert is_valid(trace), (trace.provenance.record, errors(trace))


# ---------------------------------------------------------------- JSON and JSONL records


def test_deeply_nested_json_line_is_a_finding_not_a_recursion_error(tmp_path, capsys):
    deep = '{"explain": ' + "[" * 200_000 + "]" * 200_000 + "}"
    path = write_jsonl(tmp_path / "deep.jsonl", [row(), deep, row()])
    traces = list(read_traces(path))
    assert [t.provenance.record for t in traces] == [1, 2, 3]
    assert codes(traces[1]) == [Code.NESTING_TOO_DEEP]
    assert_neighbours_valid(traces, {2})
    status, out, _ = validate(capsys, path)
    assert status == 1 and f"{path}:record 2: error nesting_too_deep" in out


def test_nesting_just_over_the_limit_in_a_perturbation(tmp_path):
    value: dict = {}
    for _ in range(MAX_NESTING + 1):
        value = {"x": value}
    path = write_jsonl(tmp_path / "nested.jsonl", [row(), row(perturbation=value), row()])
    traces = list(read_traces(path))
    assert codes(traces[1]) == [Code.NESTING_TOO_DEEP]
    assert_neighbours_valid(traces, {2})


def test_json_form_action_id_that_is_an_object(tmp_path, capsys):
    form = {"perturbation": row()["perturbation"],
            "actions": [{"id": None, "primitive": "set_context", "args": {"cell_type": "A549"}},
                        {"id": {"x": 1}, "primitive": "induces_phenotype",
                         "args": {"source": "gefitinib", "phenotype": "death"}}],
            "edges": []}
    path = write_jsonl(tmp_path / "form.jsonl", [row(), form, row()])
    traces = list(read_traces(path))
    assert Code.BAD_ID in codes(traces[1])
    assert_neighbours_valid(traces, {2})
    status, out, _ = validate(capsys, path)
    assert status == 1 and f"{path}:record 2:actions:line 2: error bad_id" in out


def test_record_over_the_byte_limit(tmp_path, capsys):
    huge = json.dumps(row(question="x" * (MAX_RECORD_BYTES + 10)))
    path = write_jsonl(tmp_path / "huge.jsonl", [row(), huge, row()])
    traces = list(read_traces(path))
    assert [t.provenance.record for t in traces] == [1, 2, 3]
    assert codes(traces[1]) == [Code.RECORD_TOO_LARGE]
    assert_neighbours_valid(traces, {2})
    status, out, _ = validate(capsys, path)
    assert status == 1 and f"{path}:record 2: error record_too_large: line 2" in out


def test_nul_and_non_finite_numbers_are_refused(tmp_path, capsys):
    nul = row(question="a\u0000b")
    nan = row(perturbation={"perturbations": [{"name": "x", "dose": float("nan")}],
                            "context": [{"cell type": "A549"}]})
    inf = 'set_context(cell_type="A549")\ninduces_phenotype(id="n1", source="x", ' \
          'phenotype="death", score=1e999)'
    path = write_jsonl(tmp_path / "nul.jsonl",
                       [row(), nul, nan, row(explain=inf, dag=""), row()])
    assert "NaN" in path.read_text()  # json.dumps writes it: Python's json accepts it
    traces = list(read_traces(path))
    assert codes(traces[1]) == [Code.NUL_CHARACTER]
    assert errors(traces[1])[0].field == "question"
    assert codes(traces[2]) == [Code.NON_FINITE_NUMBER]
    assert errors(traces[2])[0].field == "perturbation"
    assert codes(traces[3]) == [Code.NON_FINITE_NUMBER]
    assert (errors(traces[3])[0].field, errors(traces[3])[0].line) == ("explain", 2)
    assert_neighbours_valid(traces, {2, 3, 4})
    status, out, _ = validate(capsys, path)
    assert status == 1 and f"{path}:record 2:question: error nul_character" in out


def test_nul_in_an_argument(tmp_path):
    path = write_jsonl(tmp_path / "nul_arg.jsonl", [row(drug="gefi\u0000tinib")])
    (trace,) = read_traces(path)
    assert Code.NUL_CHARACTER in codes(trace)


# ---------------------------------------------------------------- empty and unusual files


@pytest.mark.parametrize("name,content,message", [
    ("empty.jsonl", b"", "empty file"),
    ("blank.jsonl", b"\n  \n\n", "no records"),
    ("empty.json", b"[]", "no records"),
    ("header.csv", b"perturbation,explain,dag\n", "no records"),
    ("empty.txt", b"", "empty file"),
])
def test_empty_files_are_unreadable(tmp_path, capsys, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(FileReadError, match=message):
        list(read_traces(path))
    status, _, err = validate(capsys, path)
    assert status == 2 and str(path) in err and message in err


def _validate_in_subprocess(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from vctrace.cli import run; run()", "validate", "--no-progress",
                           str(path)], capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_symlink_to_a_device_is_refused_without_hanging(tmp_path, capsys, device):
    if not Path(device).exists():
        pytest.skip(f"no {device}")
    link = tmp_path / "traces.jsonl"
    link.symlink_to(device)
    # in-process, guarded by an alarm: a regression fails instead of hanging the suite
    previous = signal.signal(signal.SIGALRM, lambda *_: pytest.fail("validate hung"))
    signal.alarm(20)
    try:
        status, _, err = validate(capsys, link)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert status == 2
    assert f"{link}: not a regular file: a character device ({device})" in err


def test_symlink_to_a_device_in_a_subprocess(tmp_path):
    link = tmp_path / "traces.csv"
    link.symlink_to("/dev/zero")
    done = _validate_in_subprocess(link)
    assert done.returncode == 2 and "not a regular file" in done.stderr


def test_fifo_and_directory_are_refused(tmp_path, capsys):
    fifo = tmp_path / "pipe.jsonl"
    os.mkfifo(fifo)
    folder = tmp_path / "folder.jsonl"
    folder.mkdir()
    status, _, err = validate(capsys, fifo, folder)
    assert status == 2
    assert f"{fifo}: not a regular file: a FIFO (named pipe)" in err
    assert f"{folder}: is a directory" in err


def test_dangling_symlink(tmp_path, capsys):
    link = tmp_path / "gone.jsonl"
    link.symlink_to(tmp_path / "nothing")
    status, _, err = validate(capsys, link)
    assert status == 2 and "no such file (a symlink whose target does not exist)" in err


# ---------------------------------------------------------------- encodings


@pytest.mark.parametrize("encoding,bom", [("utf-8", codecs.BOM_UTF8),
                                          ("utf-16-le", codecs.BOM_UTF16_LE),
                                          ("utf-16-be", codecs.BOM_UTF16_BE),
                                          ("utf-16-le", b"")])
@pytest.mark.parametrize("suffix", ["jsonl", "json", "csv", "txt"])
def test_boms_and_utf16_are_read(tmp_path, capsys, encoding, bom, suffix):
    plain = tmp_path / f"plain.{suffix}"
    if suffix == "txt":
        plain.write_text(EXPLAIN.format(drug="gefitinib") + "\n" + DAG + "\n")
    else:
        traces = [check(parse_trace_text(r["explain"], r["dag"])) for r in (row(), row("x"))]
        write_traces_file(traces, plain)
    path = tmp_path / f"encoded.{suffix}"
    path.write_bytes(bom + plain.read_text(encoding="utf-8").encode(encoding))
    traces = list(read_traces(path))
    assert traces and all(is_valid(t) for t in traces), [errors(t) for t in traces]
    assert [t.actions for t in traces] == [t.actions for t in read_traces(plain)]
    status, out, _ = validate(capsys, path)
    assert status == 0, out


def test_bad_utf16_spoils_only_its_record(tmp_path, capsys):
    lines = [json.dumps(row(drug)) for drug in ("gefitinib", "erlotinib", "afatinib")]
    wide = [line.encode("utf-16-le") for line in lines]
    wide[1] = wide[1][:20] + b"\x00\xd8A\x00" + wide[1][20:]  # an unpaired high surrogate
    path = tmp_path / "wide.jsonl"
    path.write_bytes(codecs.BOM_UTF16_LE + "\n".encode("utf-16-le").join(wide))
    traces = list(read_traces(path))
    assert codes(traces[1]) == [Code.ENCODING_ERROR]
    assert "not valid UTF-16" in traces[1].findings[0].message
    assert_neighbours_valid(traces, {2})
    status, out, _ = validate(capsys, path)
    assert status == 1 and f"{path}: 3 records, 2 valid, 1 invalid" in out


def test_a_genuine_replacement_character_is_data_not_an_encoding_error(tmp_path):
    path = tmp_path / "fffd.csv"
    traces = [check(parse_trace_text(EXPLAIN.format(drug="gefitinib \ufffd"), DAG))]
    write_traces_file(traces, path)
    [trace] = read_traces(path)
    assert is_valid(trace), errors(trace)


def test_utf32_is_refused_with_its_reason(tmp_path, capsys):
    path = tmp_path / "wide.jsonl"
    path.write_bytes(codecs.BOM_UTF32_LE + json.dumps(row()).encode("utf-32-le"))
    status, _, err = validate(capsys, path)
    assert status == 2 and "UTF-32" in err


def test_invalid_utf8_spoils_only_its_record(tmp_path, capsys):
    path = tmp_path / "latin.jsonl"
    path.write_bytes(json.dumps(row()).encode() + b"\n" +
                     json.dumps(row("caf\u00e9")).encode().replace(b"\\u00e9", b"\xe9") +
                     b"\n" + json.dumps(row()).encode() + b"\n")
    traces = list(read_traces(path))
    assert codes(traces[1]) == [Code.ENCODING_ERROR]
    assert_neighbours_valid(traces, {2})


# ---------------------------------------------------------------- CSV


def _csv_rows(tmp_path, n=3) -> list[str]:
    traces = [check(parse_trace_text(EXPLAIN.format(drug=f"d{i}"), DAG, question=f"q{i}"))
              for i in range(n)]
    path = tmp_path / "rows.csv"
    write_traces_file(traces, path)
    return path.read_text().splitlines(keepends=True)


def test_csv_unterminated_quote_does_not_swallow_the_next_row(tmp_path, capsys):
    lines = _csv_rows(tmp_path)
    header, body = lines[0], lines[1:]
    bad = ',"never closed,\n'
    path = tmp_path / "quote.csv"
    path.write_text(header + "".join(body[:len(body) // 3]) + bad
                    + "".join(body[len(body) // 3:]))
    bad_line = 1 + len(body) // 3 + 1
    traces = list(read_traces(path))
    flagged = [t for t in traces if Code.BAD_CSV_ROW in codes(t)]
    # the quote opened on bad_line runs into the next row's quotes: a quoting error there
    assert flagged and errors(flagged[0])[0].message.startswith(f"CSV line {bad_line}: ")
    valid = [t for t in traces if is_valid(t)]
    assert sorted(t.question for t in valid) == ["q0", "q1", "q2"]  # no row swallowed
    status, out, _ = validate(capsys, path)
    assert status == 1 and f"line {bad_line}" in out and str(path) in out


def test_csv_quote_run_to_the_end_of_the_file(tmp_path):
    lines = _csv_rows(tmp_path, n=2)
    path = tmp_path / "tail.csv"
    path.write_text("".join(lines) + '"{""a"": 1}",q,"oops\n')
    traces = list(read_traces(path))
    assert codes(traces[-1]) == [Code.BAD_CSV_ROW]
    assert "never closed" in errors(traces[-1])[0].message
    assert sum(is_valid(t) for t in traces) == 2


def test_csv_row_with_extra_cells_is_invalid_and_named(tmp_path, capsys):
    lines = _csv_rows(tmp_path)
    header, body = lines[0], "".join(lines[1:])
    path = tmp_path / "extra.csv"
    # a one-line row with two cells more than the header
    path.write_text(header + body + "{},q,,,,,extra1,extra2\n")
    traces = list(read_traces(path))
    last = traces[-1]
    assert Code.BAD_CSV_ROW in codes(last)
    assert "cells, the header has 6" in errors(last)[0].message
    assert sum(is_valid(t) for t in traces) == 3
    status, out, _ = validate(capsys, path)
    assert status == 1 and f"{path}:record 4: error bad_csv_row" in out


# ---------------------------------------------------------------- parquet


def test_parquet_corrupt_row_group_keeps_the_good_groups(tmp_path, capsys):
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [row(f"drug{i}", question="q" + "x" * 200 + str(i)) for i in range(300)]
    for r in rows:
        r["perturbation"] = json.dumps(r["perturbation"])
    path = tmp_path / "corrupt.parquet"
    pq.write_table(pa.Table.from_pylist(rows), path, row_group_size=100, compression="snappy")
    meta = pq.ParquetFile(path).metadata
    column = meta.row_group(1).column(meta.schema.names.index("question"))
    start = column.data_page_offset
    data = bytearray(path.read_bytes())
    for i in range(start + 20, start + column.total_compressed_size - 4):
        data[i] = 0xA5
    path.write_bytes(bytes(data))
    traces = list(read_traces(path))
    bad = [t for t in traces if not is_valid(t)]
    assert len(bad) == 1 and codes(bad[0]) == [Code.UNREADABLE_ROWS]
    assert "row group 2 of 3 (rows 101-200)" in errors(bad[0])[0].message
    good = [t for t in traces if is_valid(t)]
    assert {t.drug for t in good} == {f"drug{i}" for i in (*range(100), *range(200, 300))}
    status, out, _ = validate(capsys, path)
    assert status == 1 and f"{path}:record 101: error unreadable_rows" in out


def test_not_a_parquet_file(tmp_path, capsys):
    path = tmp_path / "junk.parquet"
    path.write_bytes(b"PAR1 this is not parquet")
    status, _, err = validate(capsys, path)
    assert status == 2 and f"{path}: not a parquet file" in err


# ---------------------------------------------------------------- storage limits


def _limit_trace(**over):
    drug = over.get("drug", "gefitinib")
    explain = EXPLAIN.format(drug=drug)
    return row(drug=drug, explain=explain, **{k: v for k, v in over.items() if k != "drug"})


@pytest.mark.parametrize("case,code,field", [
    ("argument", Code.ARGUMENT_TOO_LONG, "explain"),
    ("emoji", Code.ARGUMENT_TOO_LONG, "explain"),
    ("nfkc", Code.ARGUMENT_TOO_LONG, "explain"),
    ("trace_id", Code.TRACE_ID_TOO_LONG, "trace_id"),
    ("drug", Code.NAME_TOO_LONG, "perturbation"),
    ("id", Code.ID_TOO_LONG, "explain"),
])
def test_storage_limits_are_validation_errors(tmp_path, capsys, case, code, field):
    over = MAX_KEY_BYTES + 1
    if case == "argument":
        record = row(explain=EXPLAIN.format(drug="gefitinib").replace('"EGFR")', f'"{"E" * over}")', 1))
    elif case == "emoji":
        record = row(explain=EXPLAIN.format(drug="gefitinib").replace(
            '"EGFR")', f'"{"😀" * (MAX_KEY_BYTES // 4 + 1)}")', 1))
    elif case == "nfkc":  # 3 bytes raw, 33 once normalised (NFKC): the key is what counts
        record = row(explain=EXPLAIN.format(drug="gefitinib").replace(
            '"EGFR")', f'"{"ﷺ" * (MAX_KEY_BYTES // 33 + 1)}")', 1))
    elif case == "trace_id":
        record = row(trace_id="t" * 1_000_000)
    elif case == "drug":
        record = row(drug="d" * 50_000)
    else:
        record = row(explain=EXPLAIN.format(drug="gefitinib").replace('"n1"', f'"{"n" * over}"'
                                                                      ).replace('"n1"', '"x"'),
                     dag=DAG.replace('"n1"', f'"{"n" * over}"'))
    path = write_jsonl(tmp_path / f"{case}.jsonl", [row(), record, row()])
    traces = list(read_traces(path))
    found = [f for f in errors(traces[1]) if f.code is code]
    assert found and found[0].field == field and f"{MAX_KEY_BYTES:,}" in found[0].message
    assert_neighbours_valid(traces, {2})
    status, out, _ = validate(capsys, path)
    assert status == 1 and f"{path}:record 2:{field}" in out and code.value in out


def test_at_the_key_limit_is_valid():
    at = "😀" * (MAX_KEY_BYTES // 4)
    trace = check(parse_trace_text(EXPLAIN.format(drug="g").replace('"EGFR"', f'"{at}"'), DAG))
    assert is_valid(trace), errors(trace)


def test_action_edge_and_list_limits():
    def many(n_actions, n_edges):
        lines = ['set_context(cell_type="A549")']
        lines += [f'binds_to(id="n{i}", actor="d", target="T{i}")' for i in range(1, n_actions - 1)]
        lines.append(f'induces_phenotype(id="n{n_actions - 1}", source="d", phenotype="death")')
        pairs = ((i, i + step) for step in range(1, n_actions) for i in range(1, n_actions - step))
        edges = [f'edge("n{a}", "n{b}", relation="causal")'
                 for a, b in itertools.islice(pairs, n_edges)]
        return check(parse_trace_text("\n".join(lines), "\n".join(edges)))

    assert is_valid(many(MAX_ACTIONS, MAX_ACTIONS - 2))
    assert Code.TOO_MANY_ACTIONS in codes(many(MAX_ACTIONS + 1, MAX_ACTIONS - 1))
    assert is_valid(many(MAX_ACTIONS, MAX_EDGES))
    assert Code.TOO_MANY_EDGES in codes(many(MAX_ACTIONS, MAX_EDGES + 1))
    genes = ", ".join(f'"G{i}"' for i in range(MAX_LIST_ITEMS + 1))
    trace = check(parse_trace_text(
        'set_context(cell_type="A549")\n'
        f'regulates_expression(id="n1", regulator="d", gene_list=[{genes}], direction="up")',
        ""))
    assert codes(trace) == [Code.TOO_MANY_ITEMS]


def test_deep_json_file_is_unreadable_with_its_reason(tmp_path, capsys):
    path = tmp_path / "deep.json"
    path.write_text("[" * 200_000 + "]" * 200_000)
    status, _, err = validate(capsys, path)
    assert status == 2 and f"{path}: JSON nested too deeply to read" in err


def test_csv_cell_with_a_nul_character(tmp_path, capsys):
    lines = _csv_rows(tmp_path, n=2)
    path = tmp_path / "nul.csv"
    path.write_text(lines[0] + '{},"q\x00",,"set_context(cell_type=""A549"")",,\n'
                    + "".join(lines[1:]))
    traces = list(read_traces(path))
    assert Code.NUL_CHARACTER in codes(traces[0])
    assert sum(is_valid(t) for t in traces) == 2
    status, out, _ = validate(capsys, path)
    assert status == 1 and f"{path}:record 1:question: error nul_character" in out


def test_a_file_that_stops_reading_part_way_keeps_its_records_report(tmp_path, monkeypatch):
    """An I/O error after some records: those records are reported, the file is listed as
    not read to its end, and the result is not valid."""
    from vctrace.app import traces as use_cases

    path = write_jsonl(tmp_path / "two.jsonl", [row(), row("erlotinib"), row("afatinib")])

    def failing(path_):
        for number, trace in enumerate(read_traces(path_), 1):
            if number == 3:
                raise FileReadError(f"{path_}: cannot read after record 2: I/O error")
            yield trace

    monkeypatch.setattr(use_cases, "read_traces", failing)
    result = use_cases.validate([path])
    [report] = result.files
    assert (report.records, report.valid) == (2, 2)
    assert report.error == f"{path}: cannot read after record 2: I/O error"
    assert result.unreadable == [report.error] and not result.valid
