"""The ``vctrace`` command line: one module per command group, each parsing its arguments,
calling :mod:`vctrace.app` and rendering the result; nothing else lives here.

Exit status, for every command: 0 success; 1 the input was read but some of it is invalid (or
what it names was not found, or a query was refused); 2 a file, an option or the database could
not be used at all; 130 interrupted. Messages go to stderr, results to stdout, so
``vctrace show KEY --format json | jq`` works.
"""

from .root import cli, main, run

__all__ = ["cli", "main", "run"]
