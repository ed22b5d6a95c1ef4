"""Knowledge loaders: one module per source, each streaming its real files into Neo4j with a
provenance record (:mod:`vctrace.loaders.base`). Importing this package registers them all.

Built so far: Tahoe-100M metadata and PrimeKG (transactional). Tahoe differential
expression, Harmonizome, ontologies, grounding and the full-scale PrimeKG path are issue 3's
remaining parts. Trace files are read by
:mod:`vctrace.traces.records`, not here.
"""

from . import (harmonizome, hgnc, ontology, primekg, tahoe_de,  # noqa: F401 (registers)
               tahoe_metadata)
from .base import REGISTRY, Loader, SourceFileError, SourceRelease, list_releases

__all__ = ["REGISTRY", "Loader", "SourceFileError", "SourceRelease", "list_releases"]
