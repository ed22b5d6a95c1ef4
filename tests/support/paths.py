"""Where the test inputs are. The repository and its bundled examples always exist; the shared
real data (``shared/data``: Tahoe-100M metadata, VC-TRACES samples) sits beside the repository
or wherever ``VCTRACE_SHARED`` points, and may be absent: then :data:`SHARED` is ``None`` and the
tests marked ``shared_data`` are skipped (the unit tier never needs it)."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "vctrace" / "examples"
DEMO_TRACES = EXAMPLES / "demo_traces.jsonl"
BROKEN_TRACES = EXAMPLES / "broken_traces.jsonl"
FAKE_BOLTZ = Path(__file__).with_name("fake_boltz.py")


def _shared() -> Path | None:
    """The shared folder: ``VCTRACE_SHARED`` if set, else ``<repo>/../shared``; ``None`` when it
    has no ``data`` folder."""
    candidate = Path(os.environ.get("VCTRACE_SHARED") or ROOT.parent / "shared")
    return candidate if (candidate / "data").is_dir() else None


SHARED = _shared()
SHARED_MISSING = ("needs the shared real data (shared/data: Tahoe-100M metadata, VC-TRACES "
                  "samples), not found beside the repository; set VCTRACE_SHARED")
# under a placeholder root when absent, so module-level constants still evaluate; every test
# that opens one of these files is marked `shared_data` and skipped then
_DATA = (SHARED or ROOT.parent / "shared-data-not-found") / "data"
SAMPLES = _DATA / "traces-sample"
TAHOE = _DATA / "tahoe"
SAMPLE_FILES = sorted(SAMPLES.glob("*.jsonl"))
