"""The Ray backend's options of dti-boltz, without Ray running: when Ray is used, the message
naming the extra when it is not installed, what the run record keeps, and the automatic
batch size."""

from __future__ import annotations

import sys

import pytest

from vctrace.plugins import parse_options
from vctrace.verifiers._boltz_ray import RAY_EXTRA, batch_sizes
from vctrace.verifiers.dti_boltz import EXECUTION_OPTIONS, DtiBoltzVerifier

Options = DtiBoltzVerifier.Options


def test_the_local_backend_is_the_default_and_an_address_means_ray(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # not needed for the local backend
    assert not Options().uses_ray and not Options(backend="local").uses_ray
    unchecked = Options.model_construct  # (checking would import Ray)
    assert unchecked(backend="ray").uses_ray and unchecked(ray_address="auto").uses_ray
    with pytest.raises(ValueError, match="--ray-address is for the ray backend"):
        Options(backend="local", ray_address="auto")


def test_without_ray_installed_the_ray_backend_is_refused_naming_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError
    for given in ({"backend": "ray"}, {"ray_address": "10.0.0.1:6379"}):
        with pytest.raises(ValueError, match=r"needs Ray: pip install 'vctrace\[ray\]'"):
            parse_options(Options, given, "verifier 'dti-boltz'")
    assert "vctrace[ray]" in RAY_EXTRA


def test_where_boltz_runs_is_not_part_of_the_run_record(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)
    options = Options(backend="local", ray_cpus=2, pairs_per_task=4, ray_retries=0)
    params = DtiBoltzVerifier(None, options).params
    assert not EXECUTION_OPTIONS & set(params)
    assert params["devices"] == 1 and params["tau"] == 0.5  # what predicts stays recorded
    assert params == DtiBoltzVerifier(None, Options()).params


@pytest.mark.parametrize("pairs, slots, size", [
    (6, 4, 2),      # 4 tasks of <= 2 on 4 slots
    (100, 4, 13),   # 8 tasks (two full rounds) rather than 7 of 16
    (1, 8, 1),
    (1000, 1, 16),  # the cap: a killed task loses at most 16 pairs
    (10, 0, 10),    # a cluster reporting no slot still gets one
])
def test_automatic_pairs_per_task(pairs, slots, size):
    assert batch_sizes(pairs, slots) == size
