"""Benchmark: how the cost of ingest and verify grows with the number of traces (1×, 3×, 10×).

    python bench/scale.py [--sizes 1,3,10] [--base 18950] [--de-genes 1000]
                          [--heap 4g] [--pagecache 4g] [--out scale.json] [--plot scale.png]

One local Neo4j holds the verify bench's knowledge (bench/verify.py: a PrimeKG-shaped kg.csv and
a Tahoe-shaped DE set with one condition per (drug, cell line)). The knowledge stays the same at
every size, as Tahoe-100M's conditions are fixed: more traces means more traces per condition
(other models, other seeds), which is how a lab's store grows. The synthetic traces grow by
increments: traces ``[0, s1·base)`` are ingested (`vctrace ingest`, transactional, grounding of
new mentions included) and verified by a new run; then ``[s1·base, s2·base)`` are ingested into
the same graph and all traces are verified again by a new run; and so on.

Per size: ingest seconds for the increment (and per trace), verify seconds for all traces, the
distinct claims judged, verdicts, the store's size on disk, and the peak resident memory of this
Python process and of the Neo4j JVM during the step (Linux: ``VmHWM`` reset through
``/proc/PID/clear_refs`` before each step). Per-trace cost at each size is divided by the 1×
step's: 1.0 means linear. Prints figures; asserts nothing about time. ``--plot`` draws the curve
(needs matplotlib: ``pip install -e '.[bench]'``).
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path


sys.path.insert(0, str(Path(__file__).resolve().parent))
from verify import bench_graph  # noqa: E402  (the verify bench's knowledge)

from vctrace.app.traces import ingest  # noqa: E402
from vctrace.app.verification import VerifyRequest, verify  # noqa: E402
from vctrace.kg.server import LocalNeo4j, free_port  # noqa: E402
from vctrace.settings import Settings  # noqa: E402
from vctrace.traces.records import write_traces_file  # noqa: E402
from vctrace.traces.synthetic import synthetic_trace  # noqa: E402


def reset_peak(pid: int | str) -> None:
    """Start a new peak-RSS window for ``pid`` (Linux ≥ 4.0: writing 5 to clear_refs)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def peak_mb(pid: int | str) -> float:
    """The peak resident memory of ``pid`` since the last :func:`reset_peak`, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def store_mb(root: Path) -> float:
    """The size on disk of the server's data (store files and transaction logs), in MB."""
    return sum(p.stat().st_size for p in (root / "data").rglob("*") if p.is_file()) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,3,10", help="multiples of --base, ascending")
    parser.add_argument("--base", type=int, default=18_950)
    parser.add_argument("--de-genes", type=int, default=1000)
    parser.add_argument("--heap", default="4g")
    parser.add_argument("--pagecache", default="4g")
    parser.add_argument("--out", type=Path, help="write the figures as JSON here")
    parser.add_argument("--plot", type=Path, help="draw the curve into this PNG or SVG")
    args = parser.parse_args()
    # a kill (timeout, Ctrl-C) still stops the server and removes the work folder
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sizes = [int(s) for s in args.sizes.split(",")]
    if sizes != sorted(set(sizes)) or sizes[0] < 1:
        parser.error("--sizes must be distinct positive multiples in ascending order")

    work = Path(tempfile.mkdtemp(prefix="vctrace-bench-scale-"))
    defaults = Settings()
    server = LocalNeo4j(root=work / "neo4j", lib_dir=defaults.lib_dir, port=free_port(),
                        version=defaults.neo4j_version, heap=args.heap,
                        pagecache=args.pagecache)
    steps: list[dict] = []
    try:
        print("set-up (not timed as part of the curve)")
        t0 = time.perf_counter()
        settings = bench_graph(server, work, 0, args.de_genes)
        pid = server.pid()
        print(f"  knowledge loaded in {time.perf_counter() - t0:.0f} s; store "
              f"{store_mb(server.root):,.0f} MB; Neo4j heap {args.heap}, page cache "
              f"{args.pagecache}")

        done = 0
        for size in sizes:
            n = size * args.base
            path = work / f"traces-{n}.jsonl"
            write_traces_file((synthetic_trace(i) for i in range(done, n)), path)
            reset_peak("self")
            reset_peak(pid)
            ingested = ingest(settings, [path])
            ingest_py, ingest_neo = peak_mb("self"), peak_mb(pid)
            path.unlink()
            reset_peak("self")
            reset_peak(pid)
            verified = verify(settings, VerifyRequest(run_name=f"scale-{size}x"))
            step = {
                "size": size, "traces": n, "added": n - done,
                "ingest_s": round(ingested.seconds, 2),
                "ingest_grounding_s": round(ingested.grounding_seconds, 2),
                "written": ingested.total.written,
                "verify_s": round(verified.seconds, 2),
                "claims": sum(v.judged_now for v in verified.verifiers
                              if v.name != "structure"),
                "verdicts": sum(v.verdicts for v in verified.verifiers),
                "verify_by_verifier_s": {v.name: round(v.seconds, 2)
                                         for v in verified.verifiers},
                "store_mb": round(store_mb(server.root), 1),
                "peak_mb": {"ingest_python": round(ingest_py), "ingest_neo4j": round(ingest_neo),
                            "verify_python": round(peak_mb("self")),
                            "verify_neo4j": round(peak_mb(pid))},
            }
            steps.append(step)
            done = n
            print(f"{size:>3}x {n:>9,} traces: ingest +{step['added']:,} in "
                  f"{step['ingest_s']:.1f} s (grounding {step['ingest_grounding_s']:.1f} s); "
                  f"verify {step['claims']:,} claims, {step['verdicts']:,} verdicts in "
                  f"{step['verify_s']:.1f} s; store {step['store_mb']:,.0f} MB; peak MB "
                  f"{step['peak_mb']}", flush=True)
        print_curve(steps)
        if args.out:
            args.out.write_text(json.dumps({"base": args.base, "heap": args.heap,
                                            "pagecache": args.pagecache, "steps": steps},
                                           indent=1))
        if args.plot:
            plot(steps, args.plot)
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


def print_curve(steps: list[dict]) -> None:
    """Per-trace costs at each size and their ratio to the first size's (1.0 = linear)."""
    first = steps[0]
    ingest_unit = first["ingest_s"] / first["added"]
    verify_unit = first["verify_s"] / first["traces"]
    claim_unit = first["verify_s"] / max(first["claims"], 1)
    print("\nsize   traces  ingest ms/trace (×1x)  verify ms/trace (×1x)  "
          "verify µs/claim (×1x)  claims/trace  store KB/trace")
    for s in steps:
        i = s["ingest_s"] / s["added"]
        v = s["verify_s"] / s["traces"]
        c = s["verify_s"] / max(s["claims"], 1)
        print(f"{s['size']:>3}x {s['traces']:>9,}  {i * 1e3:8.2f} ({i / ingest_unit:4.2f})"
              f"          {v * 1e3:8.2f} ({v / verify_unit:4.2f})          "
              f"{c * 1e6:8.1f} ({c / claim_unit:4.2f})        "
              f"{s['claims'] / s['traces']:6.2f}       {s['store_mb'] * 1e3 / s['traces']:7.1f}")


def plot(steps: list[dict], out: Path) -> None:
    """Cost per trace and peak memory against the number of traces, on one figure of two
    panels."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    traces = [s["traces"] for s in steps]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.plot(traces, [s["ingest_s"] / s["added"] * 1e3 for s in steps], "o-",
              label="ingest (per trace added)")
    left.plot(traces, [s["verify_s"] / s["traces"] * 1e3 for s in steps], "s-",
              label="verify (per trace in the store)")
    left.axhline(steps[0]["verify_s"] / steps[0]["traces"] * 1e3, ls=":", color="grey",
                 label="linear: the 1x cost")
    left.set(xlabel="traces in the store", ylabel="ms per trace", ylim=(0, None),
             title="cost per trace (2 cores)")
    left.legend()
    for key, label in (("ingest_neo4j", "Neo4j, ingest"), ("verify_neo4j", "Neo4j, verify"),
                       ("ingest_python", "Python, ingest"), ("verify_python", "Python, verify")):
        right.plot(traces, [s["peak_mb"][key] / 1024 for s in steps], "o-", label=label)
    right.plot(traces, [s["store_mb"] / 1024 for s in steps], "k--", label="store on disk")
    right.set(xlabel="traces in the store", ylabel="GB", title="peak memory and disk")
    right.legend()
    for axis in (left, right):
        axis.ticklabel_format(axis="x", style="plain")
        axis.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    print(f"plot: {out}")


if __name__ == "__main__":
    main()
