"""Storage limits, enforced by validation so that whatever validates, stores.

Neo4j 5's RANGE indexes (and the uniqueness constraints built on them) refuse a string
property whose key exceeds about 8 kB: measured on Neo4j 5.26, an ASCII string of 8,164
characters indexes and one of 8,165 fails with "Property value is too large to index"
(the server reports the key as the string's UTF-8 bytes plus 11). Every string that becomes
an indexed or keyed property is therefore limited to :data:`MAX_KEY_BYTES` UTF-8 bytes, in
its raw form and in its normalised matching form (NFKC can expand a character up to 18 times):
the ``trace_id``, the drug and cell line names, every argument value and list item (entity
arguments become ``Mention`` keys and texts), and action ids. A trace is limited to
:data:`MAX_ACTIONS` actions and :data:`MAX_EDGES` edges and a list argument to
:data:`MAX_LIST_ITEMS` items, so one trace stays a modest transaction. A record as read from a
file (a JSON line, a CSV or parquet row, a text file) is limited to :data:`MAX_RECORD_BYTES`.
"""

from __future__ import annotations

MAX_KEY_BYTES = 4_000
"""UTF-8 bytes of any indexed or keyed string (half of Neo4j's ~8,164-byte index key limit)."""

MAX_ACTIONS = 2_000
"""Actions of one trace (real traces have tens)."""

MAX_EDGES = 4_000
"""Edges of one trace."""

MAX_LIST_ITEMS = 1_000
"""Items of one list argument (``gene_list``, ``members``)."""

MAX_RECORD_BYTES = 10 * 1024 * 1024
"""Bytes of one record as read: a JSON line, a CSV or parquet row (its values), a text file."""

MAX_JSON_FILE_BYTES = 256 * 1024 * 1024
"""A ``.json`` file is parsed whole; a larger one is refused (write JSONL instead)."""

MAX_NESTING = 32
"""Nesting depth of the values of one record (a perturbation, extra fields)."""
