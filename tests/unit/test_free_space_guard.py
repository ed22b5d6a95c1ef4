"""The write use cases refuse, before connecting, to write into a local store whose filesystem
is short of space (a disk that fills mid-write can leave a store that does not start)."""

from __future__ import annotations

import pytest

from vctrace.app import knowledge, traces, verification
from vctrace.errors import VctraceError
from vctrace.settings import Settings

from support.paths import DEMO_TRACES


@pytest.mark.parametrize("write", [
    lambda s: traces.ingest(s, [DEMO_TRACES]),
    lambda s: knowledge.load(s, "hgnc", [DEMO_TRACES]),
    lambda s: knowledge.ground(s),
    lambda s: verification.verify(s),
], ids=["ingest", "load", "ground", "verify"])
def test_writes_refuse_a_nearly_full_disk(tmp_path, write):
    settings = Settings(home=tmp_path, min_free_mb=10**12)  # more than any disk has
    with pytest.raises(VctraceError, match="MB free on the filesystem") as caught:
        write(settings)
    assert caught.value.kind == "unusable"
    assert "VCTRACE_MIN_FREE_MB" in str(caught.value)
