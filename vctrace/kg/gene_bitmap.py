"""The bitmap of genes a DE experiment tested, over its load's gene universe (one bit per gene,
in universe order). Encoded by the DE loader, decoded by the DE verifier, here only: a gene
that was tested and is not significant ("not DE") stays apart from one never measured."""

from __future__ import annotations

import math
from typing import Iterable


def encode(indices: Iterable[int], size: int) -> bytes:
    """The bitmap of ``size`` genes with the genes at ``indices`` set."""
    bitmap = bytearray(math.ceil(size / 8))
    for index in indices:
        bitmap[index // 8] |= 1 << (index % 8)
    return bytes(bitmap)


def is_set(bitmap: bytes, index: int) -> bool:
    """Whether gene ``index`` of the universe is set in ``bitmap``."""
    return 0 <= index and index // 8 < len(bitmap) and bool(bitmap[index // 8] >> (index % 8) & 1)
