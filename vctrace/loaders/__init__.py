"""Knowledge loaders: one module per source, each streaming its real files into Neo4j with a
provenance record (:mod:`vctrace.loaders.base`). Importing this package discovers and imports
every loader module, so they all register. Trace files are read by
:mod:`vctrace.traces.records`, not here.
"""

import sys

from ..plugins import discover
from .base import REGISTRY, Loader, SourceFileError, SourceRelease, list_releases

discover(sys.modules[__name__])

__all__ = ["REGISTRY", "Loader", "SourceFileError", "SourceRelease", "list_releases"]
