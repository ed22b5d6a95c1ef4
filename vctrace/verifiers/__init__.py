"""Verifiers: check stored claims against the knowledge and record verdicts with evidence.

``base`` defines ``Verifier``, ``Verdict`` and the registry; each verifier is a module of its
own, imported here so that it registers; ``engine`` runs batch verification jobs.
"""

from . import de, dti_boltz, dti_kg, grounding, pathway, structure
from .base import REGISTRY, Status, Verdict, Verifier, get

__all__ = ["REGISTRY", "Status", "Verdict", "Verifier", "get", "de", "dti_boltz", "dti_kg",
           "grounding", "pathway", "structure"]
