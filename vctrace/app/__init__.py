"""The application layer: one function per use case, shared by every face (CLI, HTTP service,
agents). Use cases take :class:`~vctrace.settings.Settings` and typed options, return pydantic
result models (counts, keys, findings, timings, paths), report progress through
:mod:`vctrace.progress`, and raise :class:`~vctrace.errors.VctraceError` subclasses with a
message for the user. They never print, exit or choose exit codes: faces do that.

This is the only layer that combines loaders, the graph and runs; faces import nothing below
it (an import contract in the test suite checks this).

Modules: ``traces`` (validate, ingest, show), ``knowledge`` (load, ground, sources),
``database`` (local server lifecycle, schema, status), ``queries`` (library queries, ad-hoc
read-only Cypher), ``verification`` (verify, runs, report, refine, export), ``audit``,
``tokens`` (API tokens of the HTTP service), ``jobs`` (background verification runs),
``generation`` (perturbation pairs, the knowledge-graph constructor), ``generation_runs``
(generation runs stored with their cost), ``evidence`` and ``literature`` (what the report
generator may cite), ``llm_traces`` (the formalism for language-model faces),
``tahoeqa`` (the TahoeQA benchmark), ``sft`` (fine-tuning exports), ``graph_session``,
``demo``.
"""

from ..errors import (Busy, Conflict, DatabaseUnavailable, InvalidRequest, NotFound,
                      VctraceError)
from ..progress import Bar, Progress, no_progress
from ..settings import Settings

__all__ = ["Bar", "Busy", "Conflict", "DatabaseUnavailable", "InvalidRequest", "NotFound",
           "Progress", "Settings", "VctraceError", "no_progress"]
