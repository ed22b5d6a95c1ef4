"""Evidence items (vctrace.app.evidence): their rendering and the check of a report's
citations against the items it was given (the re-ask rule)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from vctrace.app.evidence import (EvidenceItem, cited_ids, render_evidence,
                                  unknown_citations)

ITEMS = [EvidenceItem(id="E1", source="tahoe", source_id="TARGETS:trametinib->map2k1",
                      text="Trametinib targets MAP2K1"),
         EvidenceItem(id="E2", source="pubmed", source_id="PMID:22663011",
                      text="Improved survival with MEK inhibition."),
         EvidenceItem(id="E12", source="cell_line", source_id="HAS_DRIVER:c32->BRAF",
                      text="C32 carries BRAF V600E")]


def test_rendering():
    assert ITEMS[0].render() == "[E1] tahoe, TARGETS:trametinib->map2k1, Trametinib targets MAP2K1"
    assert render_evidence(ITEMS).splitlines()[2] == \
        "[E12] cell_line, HAS_DRIVER:c32->BRAF, C32 carries BRAF V600E"


def test_item_fields_are_checked():
    with pytest.raises(ValidationError):
        EvidenceItem(id="12", source="tahoe", source_id="x", text="y")
    with pytest.raises(ValidationError):
        EvidenceItem(id="E1", source="the internet", source_id="x", text="y")
    with pytest.raises(ValidationError):
        EvidenceItem(id="E0", source="tahoe", source_id="x", text="y")


def test_cited_ids_in_all_forms_in_order():
    report = ("MEK is inhibited [E2]. BRAF drives growth [^E12][E1]; both [E1, E2] and "
              "[E2; ^E12]. Not citations: E5, [5], [^3], [Eleven].")
    assert cited_ids(report) == ["E2", "E12", "E1"]


def test_unknown_citations():
    assert unknown_citations("All known [E1] [^E12] [E2].", ITEMS) == []
    assert unknown_citations("Known [E1], unknown [E13] and [E3, E1] [^E13].", ITEMS) == \
        ["E13", "E3"]
    assert unknown_citations("[E1]", ["E1"]) == []  # ids alone
    assert unknown_citations("No citations at all.", []) == []
    assert unknown_citations("[E1]", []) == ["E1"]
