"""Helpers shared by the test modules (not tests themselves; importable as ``support`` because
``tests/`` is on pytest's ``pythonpath``, and assertion-rewritten by the root conftest).

- :mod:`support.paths`: where the repository, its bundled examples and the optional shared
  real data are;
- :mod:`support.neo4j`: the test server handle and the knowledge-set cache of the integration
  fixtures;
- :mod:`support.knowledge`: a small knowledge set and two traces with known right and wrong
  claims, loaded through the real loaders;
- :mod:`support.verdicts`: running the default verifiers and reading verdicts back;
- :mod:`support.traces`: content comparisons of parsed traces;
- ``fake_boltz.py``: a stand-in ``boltz`` program, run as a subprocess (not imported).
"""
