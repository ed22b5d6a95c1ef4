"""Benchmark: dti-boltz's Ray fan-out (vctrace[ray]) with 1, 2 and 4 workers, against the local
subprocess path, on this machine, with the `boltz` stand-in (tests/support/fake_boltz.py)
costing a fixed ``--cost`` seconds per pair (a sleep: the pairs are bound by the model, not by
this machine's cores, as they are on GPUs).

    python bench/boltz_fanout.py [--n 64] [--cost 1.0] [--pairs-per-task 4] [--repeat 2]

One local Ray is started with 4 logical CPUs; "w workers" = tasks reserving 4/w CPUs each, so
at most w run at once. Each configuration scores the same ``--n`` distinct pairs (fresh
folders, nothing cached), in tasks of ``--pairs-per-task`` pairs; the results are handed back
per finished task exactly as dti-boltz stores them (here into a dict: the Neo4j write is the
same on both paths and not what is measured). The order of the configurations is interleaved
over ``--repeat`` rounds and the best time of each is kept.

Prints per configuration: seconds, pairs/s, the speed-up over 1 worker and its goal
(>= 0.8 x workers). Baselines measured in the same run:
- ``local, one call``: today's local path, every pair in one ``boltz predict`` call;
- ``local, per task``: the same batches as the Ray tasks, one call each, one after another.
The overhead per Ray task = (1 worker - local per task) / tasks: what Ray adds to a batch
(scheduling, shipping inputs and results, the worker), next to the ~20 s a real pair costs.
Asserts nothing about time (the results are checked: every pair scored, the same scores).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from support.boltz import FASTA, write_fake_boltz  # noqa: E402

from vctrace.verifiers._boltz import BoltzSettings, build_yaml, pair_id, run_boltz  # noqa: E402
from vctrace.verifiers._boltz_ray import connect, fan_out  # noqa: E402

LOGICAL_CPUS = 4
WORKERS = (1, 2, 4)


def _inputs(n: int) -> tuple[dict[str, str], dict[str, float]]:
    """``n`` distinct pairs (one protein, ``n`` ligands) and the stand-in's score of each."""
    sequence = FASTA.split("\n")[1]
    smiles = ["C" * (i + 1) + "O" for i in range(n)]
    return ({pair_id(sequence, s): build_yaml(sequence, s) for s in smiles},
            {s: round((i % 10) / 10 + 0.05, 2) for i, s in enumerate(smiles)})


def _local(settings: BoltzSettings, batches: list[dict[str, str]], work: Path) -> dict:
    found = {}
    for batch in batches:
        results, _ = run_boltz(settings, batch, work, keep_files=False)
        found.update(results)
    return found


def _on_ray(settings: BoltzSettings, inputs: dict[str, str], workers: int, size: int) -> dict:
    found = {}
    fan_out(settings, inputs, lambda ids, results, log: found.update(results),
            pairs_per_task=size, num_gpus=0, num_cpus=LOGICAL_CPUS / workers, retries=0)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=64, help="distinct pairs")
    parser.add_argument("--cost", type=float, default=1.0, help="seconds per pair")
    parser.add_argument("--pairs-per-task", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="vctrace-bench-boltz-"))
    try:
        inputs, scores = _inputs(args.n)
        settings = BoltzSettings(accelerator="cpu", executable=write_fake_boltz(tmp, {
            "FAKE_BOLTZ_SCORES": json.dumps(scores), "FAKE_BOLTZ_SLEEP": str(args.cost)}))
        ids = sorted(inputs)
        size = args.pairs_per_task
        batches = [{p: inputs[p] for p in ids[i:i + size]} for i in range(0, len(ids), size)]
        started = time.perf_counter()
        ray = connect_local()
        print(f"local Ray started in {time.perf_counter() - started:.1f} s "
              f"({LOGICAL_CPUS} logical CPUs; this machine: {ray.available_resources()})")
        started = time.perf_counter()
        warm_workers(ray, LOGICAL_CPUS)
        print(f"{LOGICAL_CPUS} Ray worker processes up in {time.perf_counter() - started:.1f} s "
              "(paid once per worker, not counted below)")
        configs = {"local, one call": lambda: _local(settings, [inputs], tmp / "one"),
                   "local, per task": lambda: _local(settings, batches, tmp / "per-task")}
        configs.update({f"ray, {w} worker{'s' * (w > 1)}":
                        (lambda w=w: _on_ray(settings, inputs, w, size)) for w in WORKERS})
        best: dict[str, float] = {}
        reference = None
        for round_ in range(args.repeat):
            order = list(configs) if round_ % 2 == 0 else list(reversed(configs))
            for name in order:
                t0 = time.perf_counter()
                found = configs[name]()
                elapsed = time.perf_counter() - t0
                got = {k: r.probability for k, r in found.items()}
                assert len(got) == args.n, f"{name}: {len(got)} of {args.n} pairs scored"
                reference = reference or got
                assert got == reference, f"{name}: other scores than the first configuration"
                best[name] = min(best.get(name, elapsed), elapsed)
        tasks = len(batches)
        print(f"\n{args.n} pairs x {args.cost:g} s (stand-in), {tasks} tasks of {size} pairs, "
              f"best of {args.repeat}")
        print(f"{'configuration':<18}{'seconds':>9}{'pairs/s':>9}{'speed-up':>10}{'goal':>7}")
        one = best["ray, 1 worker"]
        for name, seconds in best.items():
            workers = int(name.split(", ")[1].split()[0]) if name.startswith("ray") else None
            speed = f"{one / seconds:.2f}x" if workers else ""
            goal = f">={0.8 * workers:.1f}x" if workers else ""
            print(f"{name:<18}{seconds:>9.2f}{args.n / seconds:>9.2f}{speed:>10}{goal:>7}")
        per_task = (one - best["local, per task"]) / tasks
        print(f"\noverhead per Ray task: {per_task * 1000:.0f} ms "
              f"(1 worker {one:.2f} s - local per task {best['local, per task']:.2f} s, over "
              f"{tasks} tasks); per pair: {per_task / size * 1000:.0f} ms")
        print(f"floor of the stand-in: {args.n * args.cost:.1f} s of pair cost; local, one "
              f"call adds {best['local, one call'] - args.n * args.cost:.2f} s (one process)")
    finally:
        if "ray" in sys.modules:
            sys.modules["ray"].shutdown()
        shutil.rmtree(tmp, ignore_errors=True)


def warm_workers(ray, count: int, limit_s: float = 300) -> None:
    """Have ``count`` worker processes running with vctrace imported (Ray starts them lazily,
    the first time that many tasks run at once), so that no configuration pays their
    start-up."""
    @ray.remote(num_cpus=1)
    def pid(hold: float) -> int:
        import os

        import vctrace.verifiers._boltz_ray  # noqa: F401  (what a task imports first)
        time.sleep(hold)
        return os.getpid()
    seen: set[int] = set()
    deadline = time.perf_counter() + limit_s
    while len(seen) < count and time.perf_counter() < deadline:
        seen = set(ray.get([pid.remote(2.0) for _ in range(count)]))


def connect_local():
    """A local Ray with ``LOGICAL_CPUS`` logical CPUs (whatever the cores: the stand-in
    sleeps), quiet, with a small object store and without Ray's memory monitor (on a machine
    shared with other servers it kills workers for memory the stand-in does not use)."""
    import ray
    os.environ.setdefault("RAY_memory_monitor_refresh_ms", "0")  # see the docstring
    ray.init(num_cpus=LOGICAL_CPUS, object_store_memory=100 * 2**20, include_dashboard=False,
             log_to_driver=False, logging_level="warning")
    return connect()


if __name__ == "__main__":
    main()
