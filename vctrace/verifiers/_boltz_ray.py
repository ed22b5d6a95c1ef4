"""Boltz-2 fanned out over Ray (the optional extra ``vctrace[ray]``).

The distinct (protein, ligand) pairs still to score are cut into batches; each batch is one Ray
task that runs the same ``boltz predict`` call as the local path (:func:`run_boltz`) on the
node Ray places it on, with ``num_gpus`` GPUs reserved for it (Ray sets
``CUDA_VISIBLE_DEVICES``, which the ``boltz`` subprocess inherits). Results come back as the
tasks finish (``ray.wait``) and are handed to a ``store`` callback at once, so the caller
caches each finished batch before the next one ends: a run killed midway loses at most the
batches in flight.

Ray retries a task whose worker died (``max_retries``); a task whose ``boltz predict`` failed
as a whole is not retried (the same inputs would fail the same way). The other tasks are
drained and stored before :class:`BoltzRunError` reports the failures, so the next run
only scores what is missing.

Where Ray runs: ``address`` (``"auto"``, ``"HOST:PORT"`` of a cluster's head, or
``"ray://HOST:10001"`` with ``ray[client]``), else the ``RAY_ADDRESS`` environment, else a
local Ray started on demand with every core and GPU of this machine. An already initialised
Ray (``ray.init`` called by the program) is used as it is. Each node needs the ``boltz``
program at the path given, and vctrace importable (the task function lives here).
"""

from __future__ import annotations

import math
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ..errors import VctraceError
from ._boltz import BoltzResult, BoltzRunError, BoltzSettings, run_boltz

RAY_EXTRA = "pip install 'vctrace[ray]'"
MAX_PAIRS_PER_TASK = 16
"""Largest automatic batch: a killed task loses at most this many pairs (~5 GPU-minutes at
~20 s a pair), while one model load (~25 s) is still shared by many pairs."""

Store = Callable[[list[str], dict[str, BoltzResult], str], None]
"""Called with a finished task's pair ids, the results found and the boltz log's path."""


class RayMissing(VctraceError, ValueError):
    """The Ray backend was asked for without Ray installed."""


def require_ray() -> Any:
    """The ``ray`` module, or :class:`RayMissing` naming the extra that installs it."""
    try:
        import ray
    except ImportError:
        raise RayMissing(f"the Ray backend of dti-boltz needs Ray: {RAY_EXTRA} "
                         "(or use the local backend)") from None
    return ray


def connect(address: str | None = None) -> Any:
    """Ray, initialised: the running one if this process already initialised it, else the
    cluster at ``address`` (or ``RAY_ADDRESS``), else a new local one."""
    ray = require_ray()
    if not ray.is_initialized():
        local = not address and not os.environ.get("RAY_ADDRESS")
        ray.init(address=address or None, include_dashboard=False, log_to_driver=False,
                 logging_level="warning")
        _STARTED_HERE[:] = [local]
    return ray


_STARTED_HERE: list[bool] = []  # [True] once connect() started a local Ray


def _check_fits(ray: Any, num_gpus: float) -> None:
    """Refuse GPU tasks on a local Ray this process started on a machine without GPUs: no
    node could ever run them and they would wait forever. (A cluster may add GPU nodes by
    autoscaling, so there Ray decides.)"""
    if num_gpus > 0 and _STARTED_HERE == [True] and not ray.cluster_resources().get("GPU"):
        raise BoltzRunError(
            f"this machine has no GPU for Ray tasks reserving {num_gpus:g} GPU(s): use "
            "--boltz-accelerator cpu or --boltz-ray-gpus 0, or --ray-address of a cluster "
            "with GPUs")


def batch_sizes(pairs: int, slots: int, largest: int = MAX_PAIRS_PER_TASK) -> int:
    """Pairs per task when not given: an even share per slot (task running at once), in a
    number of tasks that is a multiple of the slots so the last round is full, at most
    ``largest`` pairs a task."""
    slots = max(1, slots)
    tasks = max(slots, math.ceil(pairs / largest))
    tasks = math.ceil(tasks / slots) * slots
    return max(1, math.ceil(pairs / tasks))


def slots(ray: Any, num_gpus: float, num_cpus: float) -> int:
    """How many tasks of this shape the cluster can run at once."""
    resources = ray.cluster_resources()
    if num_gpus > 0:
        return max(1, int(resources.get("GPU", 0) // num_gpus))
    return max(1, int(resources.get("CPU", 1) // max(num_cpus, 1e-3)))


def _score_batch(settings: BoltzSettings, inputs: dict[str, str],
                 work_dir: str | None) -> tuple[dict[str, BoltzResult], str]:
    """The Ray task: one ``boltz predict`` call on one batch, on whichever node runs it."""
    folder = Path(work_dir) if work_dir else Path(tempfile.mkdtemp(prefix="vctrace-boltz-"))
    results, log = run_boltz(settings, inputs, folder, keep_files=work_dir is not None)
    return results, str(log)


_REMOTE: list[Any] = []  # the remote function, made once (Ray exports it to each session)


@dataclass
class FanOutStats:
    """What one fan-out did."""

    tasks: int = 0
    pairs: int = 0
    scored: int = 0                 # pairs with an output (stored)
    failed_tasks: int = 0
    seconds: float = 0.0
    pairs_per_task: int = 0
    failures: list[str] = field(default_factory=list)


def fan_out(settings: BoltzSettings, inputs: dict[str, str], store: Store, *,
            address: str | None = None, pairs_per_task: int | None = None,
            num_gpus: float = 1.0, num_cpus: float = 1.0, retries: int = 3,
            work_dir: str | None = None) -> FanOutStats:
    """Score ``inputs`` (pair id -> YAML) as Ray tasks of ``pairs_per_task`` pairs (default:
    :func:`batch_sizes` over the cluster's slots), calling ``store(ids, results, log)`` in
    this process as each task finishes. ``work_dir`` (a folder every node can write, e.g. a
    shared file system) keeps inputs and structures; without it each task uses a temporary
    folder on its node and keeps only the log. Raises :class:`BoltzRunError` after every task
    has ended when any failed (the finished ones are stored)."""
    started = time.perf_counter()
    ray = connect(address)
    _check_fits(ray, num_gpus)
    ids = sorted(inputs)
    size = pairs_per_task or batch_sizes(len(ids), slots(ray, num_gpus, num_cpus))
    stats = FanOutStats(pairs=len(ids), pairs_per_task=size)
    if not _REMOTE:
        _REMOTE.append(ray.remote(_score_batch))
    task = _REMOTE[0].options(num_gpus=num_gpus, num_cpus=num_cpus, max_retries=retries,
                          retry_exceptions=False)
    pending = {}
    for start in range(0, len(ids), size):
        chunk = ids[start:start + size]
        pending[task.remote(settings, {pid: inputs[pid] for pid in chunk}, work_dir)] = chunk
    stats.tasks = len(pending)
    while pending:
        ready, _ = ray.wait(list(pending), num_returns=1)
        chunk = pending.pop(ready[0])
        try:
            results, log = ray.get(ready[0])
        except (BoltzRunError, ray.exceptions.RayError) as exc:
            stats.failed_tasks += 1
            stats.failures.append(f"{len(chunk)} pair(s) starting {chunk[0]}: {_reason(exc)}")
            continue
        store(chunk, results, log)
        stats.scored += len(results)
    stats.seconds = time.perf_counter() - started
    if stats.failures:
        raise BoltzRunError(
            f"{stats.failed_tasks} of {stats.tasks} Boltz task(s) on Ray failed; the "
            f"{stats.scored} pair(s) of the finished tasks are cached. First failure: "
            f"{stats.failures[0]}")
    return stats


def _reason(exc: BaseException) -> str:
    """The cause of a failed task in a line or a few (a task's own error without Ray's
    traceback wrapping; a dead worker as Ray words it)."""
    cause = getattr(exc, "cause", None)
    if isinstance(cause, BaseException):
        return f"{type(cause).__name__}: {cause}"
    text = str(exc).strip()
    return text if len(text) <= 2000 else text[:2000] + "…"
