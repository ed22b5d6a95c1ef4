"""Perturbation records and question texts in the VC-TRACES shape, from Tahoe-100M metadata.

VC-TRACES (``shared/spec/trace-format.md`` §1 and §3) gives every (drug, cell line) pair a
``perturbation`` record in the Tahoe form and a ``question``: the bold question line, a blank
line, then the record as JSON with an indent of 4. The released row of venetoclax in HOP62
shows how each field is made from the metadata tables, and :func:`perturbation_record`
reproduces it exactly:

- ``context[0].description``: ``The source organ of cell line HOP62 is Lung. The key driver
  mutations of this cell line are listed as follow.`` then, per driver alteration in gene
  order, ``Suppressor on gene B2M which causes None`` (``Driver_GeneType_DM``, the gene,
  ``Driver_Mech_InferDM``; a missing value is written ``None``), joined by ``; ``;
- ``moa_type``: ``moa-fine; moa-broad`` (``unclear; inhibitor/antagonist``), or the one given;
- ``known targets``: the listed targets joined by ``, `` (the graph keeps them as a set: they
  come back in natural order, ``HDAC1, HDAC2, …, HDAC10``, not always the table's order).

Pure functions over plain values: the application layer reads the metadata from the graph.
"""

from __future__ import annotations

import json
import re
from typing import Any, Iterable, Mapping

QUESTION_LINE = ("**Q: How does the following perturbation influence the cell in the described "
                 "context, mechanistically and functionally?**")
#: The keys of a VC-TRACES perturbation record, in the released order.
CONTEXT_KEYS = ("cell type", "subtype", "description")
PERTURBATION_KEYS = ("name", "perturbation type", "known targets", "moa_type", "smiles")


def _natural(text: str) -> list[Any]:
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", text)]


def known_targets(symbols: Iterable[str]) -> str:
    """The ``known targets`` string: distinct symbols in natural order joined by ``, ``."""
    return ", ".join(sorted({s.strip() for s in symbols if s and s.strip()}, key=_natural))


def moa_type(moa_fine: str | None, moa_broad: str | None) -> str | None:
    """``moa-fine; moa-broad`` as in VC-TRACES, the one present, or ``None``."""
    parts = [p.strip() for p in (moa_fine, moa_broad) if p and p.strip()]
    return "; ".join(parts) or None


def driver_phrase(driver: Mapping[str, Any]) -> str:
    """``Oncogene on gene KRAS which causes GoF`` (missing values written ``None``)."""
    return (f"{driver.get('gene_type') or None} on gene {driver.get('symbol')} which causes "
            f"{driver.get('mechanism') or None}")


def _driver_order(driver: Mapping[str, Any]) -> tuple:
    return (_natural(str(driver.get("symbol") or "")), str(driver.get("effect") or ""))


def cell_description(cell_line: str, organ: str | None,
                     drivers: Iterable[Mapping[str, Any]]) -> str:
    """The context description of VC-TRACES: the source organ, then the driver alterations
    (gene order, then the alteration) or nothing more when none is listed."""
    text = f"The source organ of cell line {cell_line} is {organ or None}."
    phrases = [driver_phrase(d) for d in sorted(drivers, key=_driver_order) if d.get("symbol")]
    if phrases:
        text += (" The key driver mutations of this cell line are listed as follow. "
                 + "; ".join(phrases))
    return text


def perturbation_record(*, cell_line: str, organ: str | None,
                        drivers: Iterable[Mapping[str, Any]], drug: str,
                        targets: Iterable[str] = (), moa_fine: str | None = None,
                        moa_broad: str | None = None, smiles: str | None = None
                        ) -> dict[str, Any]:
    """The VC-TRACES ``perturbation`` of ``drug`` in ``cell_line`` (Tahoe form; keys without
    a value are left out, as in the released records)."""
    context = {"cell type": cell_line, "subtype": "disease cell",
               "description": cell_description(cell_line, organ, drivers)}
    entry: dict[str, Any] = {"name": drug, "perturbation type": "chemical"}
    targets_text = known_targets(targets)
    if targets_text:
        entry["known targets"] = targets_text
    moa = moa_type(moa_fine, moa_broad)
    if moa:
        entry["moa_type"] = moa
    if smiles:
        entry["smiles"] = smiles
    return {"context": [context], "perturbations": [entry]}


def question_text(perturbation: Mapping[str, Any]) -> str:
    """The VC-TRACES question: the bold question line, a blank line, the record as JSON
    (indent 4, ASCII escapes as Python's ``json.dumps`` writes them)."""
    return f"{QUESTION_LINE}\n\n{json.dumps(perturbation, indent=4)}"


def pair_names(perturbation: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(drug, cell line) named by a Tahoe-form record (``None`` where absent)."""
    entries = perturbation.get("perturbations") or [{}]
    contexts = perturbation.get("context") or [{}]
    entry = entries[0] if isinstance(entries, list) and entries else {}
    context = contexts[0] if isinstance(contexts, list) and contexts else contexts
    drug = entry.get("name") if isinstance(entry, dict) else None
    cell = context.get("cell type") if isinstance(context, dict) else None
    return (str(drug).strip() or None) if drug else None, \
        (str(cell).strip() or None) if cell else None
