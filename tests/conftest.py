"""The test tiers (``tests/unit``: no server, no shared data, no Java, seconds;
``tests/integration``: the real Neo4j the session starts, Java, the shared real data) and what
both share: the ``support`` helpers (``tests/`` is on pytest's ``pythonpath``) and the skipping of
tests marked ``shared_data`` when the shared folder is absent.

Test modules never import each other or a conftest: helpers live in ``tests/support``,
fixtures in the conftest of their tier.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.register_assert_rewrite("support")

from support.boltz import FASTA, write_fake_boltz  # noqa: E402  (after the rewrite hook)
from support.paths import SHARED, SHARED_MISSING  # noqa: E402

UNIT = Path(__file__).resolve().parent / "unit"


def pytest_collection_modifyitems(config, items):
    skip_shared = pytest.mark.skip(reason=SHARED_MISSING)
    for item in items:
        if item.get_closest_marker("shared_data") is None:
            continue
        if UNIT in Path(item.path).resolve().parents:
            raise pytest.UsageError(f"{item.nodeid}: a unit test must not need the shared data")
        if SHARED is None:
            item.add_marker(skip_shared)


# the dti-boltz inputs, used by both tiers' Boltz tests
@pytest.fixture
def fake(tmp_path) -> str:
    """An executable `boltz` stand-in in the test's folder; its path."""
    return write_fake_boltz(tmp_path)


@pytest.fixture
def fasta(tmp_path):
    """The test targets as a UniProt FASTA file."""
    path = tmp_path / "targets.fasta"
    path.write_text(FASTA)
    return path
