"""Verifiers: check stored claims against the knowledge and record verdicts with evidence.

``base`` defines ``Verifier``, ``Verdict``, ``Reason`` and the registry; each verifier is a
module of its own, discovered and imported here so that it registers (helper modules start
with ``_``). The batch engine that runs them is :mod:`vctrace.runs.engine`.
"""

import sys

from ..plugins import discover
from .base import REGISTRY, Reason, Status, Verdict, Verifier, get

discover(sys.modules[__name__])

__all__ = ["REGISTRY", "Reason", "Status", "Verdict", "Verifier", "get"]
