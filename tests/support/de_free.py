"""The check that generation never reads the Tahoe DE calls (they are what DE claims are
verified against): a statement's text and its EXPLAIN plan name no DE label or relationship
type."""

from __future__ import annotations

import json
import re

DE_LABELS = ("DEExperiment", "GeneUniverse")
DE_TYPES = ("DE", "OF_DRUG")
_DE_NAMES = re.compile(r"\b(" + "|".join(DE_LABELS + DE_TYPES) + r")\b")


def _plan_text(plan) -> str:
    parts = [plan["operatorType"], json.dumps(plan.get("args", {}), default=str),
             " ".join(plan.get("identifiers", []))]
    return " ".join(parts + [_plan_text(child) for child in plan.get("children", [])])


def assert_never_reads_de(driver, name: str, text: str) -> None:
    """Statement ``name`` (``text``) names no DE label or type (nor ``IN_CELL_LINE``, which
    links DE experiments to cell lines) in its code, and none in any operator of its plan."""
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//"))
    used = set(re.findall(r":\s*([A-Z][A-Za-z_|]*)", code))
    used = {part for names in used for part in names.split("|")}
    assert not used & set(DE_LABELS + DE_TYPES), (name, used)
    assert "IN_CELL_LINE" not in used, name
    with driver.session() as session:
        plan = session.run("EXPLAIN " + text).consume().plan
    rendered = _plan_text(plan)
    assert rendered and not _DE_NAMES.search(rendered), (name, _DE_NAMES.search(rendered))
