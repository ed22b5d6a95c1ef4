"""Benchmark: parse + validate N synthetic VC-TRACES-shaped traces (``read_traces`` + ``is_valid``).

    python bench/parse.py [--n 18950] [--repeat 3] [--against REV] [--profile]

Writes the traces (vctrace.traces.synthetic) as a VC-TRACES JSONL file, then times, interleaved
and repeated (the best of each is kept), in CPU seconds of the process doing the work (the
work is single-threaded: on an idle machine that is its wall time; on a busy one it is not
inflated by waiting for a core):

- **vctrace**: ``read_traces`` + ``is_valid`` over the file, as ``vctrace ingest`` reads it;
- **anchor**: a naive pass over the same file, one ``json.loads`` per record, per line a
  regular expression and one ``ast.literal_eval`` of its arguments, building plain dicts and
  checking nothing: the figure of a plain "regex + literal_eval" reader;
- with ``--against REV``: the same ``read_traces`` + ``is_valid`` of the code at git revision
  REV (checked out with ``git archive`` into a temporary folder, run in a subprocess), e.g. the
  revision before the scanner, to show the previous code path's figure in the same run.

Prints traces/s of each and the ratios. Checks that vctrace (and REV) read every trace as
valid; asserts nothing about time. ``--profile`` prints a cProfile of one vctrace pass.
"""

from __future__ import annotations

import argparse
import ast
import cProfile
import json
import pstats
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from vctrace.traces.records import read_traces, write_traces_file
from vctrace.traces.synthetic import synthetic_traces
from vctrace.traces.validation import is_valid

_LINE = re.compile(r"^\s*([A-Za-z_]\w*)\s*\((.*)\)\s*,?\s*$")
_KEYWORD = re.compile(r'(\w+)\s*=(?=\s*["\[])')


def vctrace_pass(path: Path) -> tuple[int, int]:
    """(traces, valid traces) read by vctrace."""
    traces = valid = 0
    for trace in read_traces(path):
        traces += 1
        valid += is_valid(trace)
    return traces, valid


def anchor_pass(path: Path) -> tuple[int, int]:
    """(records, actions) read by the naive reader: per line one regular expression to split
    the call, one to quote its keywords, one ``ast.literal_eval`` of the arguments as a dict
    (a list for an edge line)."""
    records = actions = 0
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            records += 1
            for text in record["explain"].splitlines():
                match = _LINE.match(text)
                if match:
                    args = ast.literal_eval("{" + _KEYWORD.sub(r'"\1":', match.group(2)) + "}")
                    actions += bool({"primitive": match.group(1), "args": args})
            for text in record["dag"].splitlines():
                match = _LINE.match(text)
                if match:
                    ends = ast.literal_eval("[" + match.group(2).replace("relation=", "") + "]")
                    assert len(ends) == 3
    return records, actions


_AGAINST = """
import sys, time
from vctrace.traces.records import read_traces
from vctrace.traces.validation import is_valid
t0 = time.process_time()
traces = valid = 0
for trace in read_traces(sys.argv[1]):
    traces += 1
    valid += is_valid(trace)
print(time.process_time() - t0, traces, valid)
"""


def against_pass(tree: Path, path: Path) -> tuple[float, int, int]:
    """(seconds, traces, valid) of the code in ``tree`` over ``path``, in a subprocess."""
    out = subprocess.run([sys.executable, "-c", _AGAINST, str(path)], cwd=tree, check=True,
                         capture_output=True, text=True, env={"PYTHONPATH": str(tree)})
    seconds, traces, valid = out.stdout.split()
    return float(seconds), int(traces), int(valid)


def export(rev: str, folder: Path) -> Path:
    tree = folder / "against"
    tree.mkdir()
    repo = Path(__file__).resolve().parent.parent
    archive = subprocess.run(["git", "-C", str(repo), "archive", rev, "vctrace"], check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    return tree


def timed(fn, *args) -> tuple[float, object]:
    """(CPU seconds of this process, result) of ``fn(*args)``: the parse is single-threaded,
    so on an idle machine this is its wall time, and on a busy one it is not inflated by
    waiting for a core."""
    t0 = time.process_time()
    result = fn(*args)
    return time.process_time() - t0, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=18_950)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--against", metavar="REV", help="also time the code of git REV")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="vctrace-parse-") as work:
        folder = Path(work)
        path = folder / "traces.jsonl"
        t0 = time.perf_counter()
        write_traces_file(synthetic_traces(args.n, args.seed), path)
        print(f"generated {args.n:,} traces -> {path.stat().st_size / 1e6:.1f} MB in "
              f"{time.perf_counter() - t0:.1f} s")
        tree = export(args.against, folder) if args.against else None
        best: dict[str, float] = {}
        for round_ in range(1, args.repeat + 1):
            seconds, (traces, valid) = timed(vctrace_pass, path)
            assert traces == valid == args.n, (traces, valid)
            best["vctrace"] = min(best.get("vctrace", seconds), seconds)
            seconds, (records, actions) = timed(anchor_pass, path)
            assert records == args.n
            best["anchor"] = min(best.get("anchor", seconds), seconds)
            line = (f"round {round_}: vctrace {best['vctrace']:.2f} s, anchor "
                    f"{best['anchor']:.2f} s")
            if tree is not None:
                seconds, traces, valid = against_pass(tree, path)
                assert traces == valid == args.n, (traces, valid)
                best["against"] = min(best.get("against", seconds), seconds)
                line += f", {args.against} {best['against']:.2f} s"
            print(line + " (best so far)")
        rate = {name: args.n / seconds for name, seconds in best.items()}
        print(f"PARSE + VALIDATE (read_traces + is_valid): {args.n:,} traces in "
              f"{best['vctrace']:.2f} s = {rate['vctrace']:,.0f} traces/s "
              f"({actions:,} actions)")
        print(f"anchor (json + regex + ast.literal_eval, no checks): {best['anchor']:.2f} s = "
              f"{rate['anchor']:,.0f} traces/s; vctrace takes "
              f"{best['vctrace'] / best['anchor']:.2f}x the anchor's time")
        if tree is not None:
            print(f"previous code path ({args.against}): {best['against']:.2f} s = "
                  f"{rate['against']:,.0f} traces/s; vctrace is "
                  f"{best['against'] / best['vctrace']:.2f}x faster")
        if args.profile:
            profile = cProfile.Profile()
            profile.runcall(vctrace_pass, path)
            pstats.Stats(profile).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
