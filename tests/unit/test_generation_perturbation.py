"""The VC-TRACES perturbation record and question text (vctrace.traces.perturbation), pure."""

from __future__ import annotations

import json

from vctrace.traces.perturbation import (QUESTION_LINE, cell_description, driver_phrase,
                                         known_targets, moa_type, pair_names,
                                         perturbation_record, question_text)

# the HOP62 rows of the real cell line table (order shuffled: the record sorts them)
HOP62 = [
    {"symbol": "TP53", "gene_type": "Suppressor", "mechanism": "LoF", "effect": ""},
    {"symbol": "B2M", "gene_type": "Suppressor", "mechanism": None, "effect": "p.E70Q"},
    {"symbol": "KRAS", "gene_type": "Oncogene", "mechanism": "GoF", "effect": "p.G12C"},
    {"symbol": "MSH6", "gene_type": "Suppressor", "mechanism": None, "effect": "p.E221D"},
    {"symbol": "POLE", "gene_type": "Suppressor", "mechanism": None, "effect": "p.K604N"},
    {"symbol": "RAF1", "gene_type": "Oncogene", "mechanism": None, "effect": "p.R143Q"},
    {"symbol": "TERT", "gene_type": "Oncogene", "mechanism": "GoF", "effect": "1-124C>T"},
]
RELEASED_DESCRIPTION = (  # from the released VC-TRACES row 12563
    "The source organ of cell line HOP62 is Lung. The key driver mutations of this cell line "
    "are listed as follow. Suppressor on gene B2M which causes None; Oncogene on gene KRAS "
    "which causes GoF; Suppressor on gene MSH6 which causes None; Suppressor on gene POLE which "
    "causes None; Oncogene on gene RAF1 which causes None; Oncogene on gene TERT which causes "
    "GoF; Suppressor on gene TP53 which causes LoF")


def test_the_description_is_the_released_one():
    assert cell_description("HOP62", "Lung", HOP62) == RELEASED_DESCRIPTION
    assert cell_description("X", None, []) == "The source organ of cell line X is None."
    assert driver_phrase({"symbol": "KRAS"}) == "None on gene KRAS which causes None"


def test_targets_and_mechanism_of_action():
    assert known_targets(["HDAC10", "HDAC2", "HDAC1", " HDAC11", "HDAC2", ""]) == \
        "HDAC1, HDAC2, HDAC10, HDAC11"
    assert moa_type("unclear", "inhibitor/antagonist") == "unclear; inhibitor/antagonist"
    assert moa_type(None, "inhibitor/antagonist") == "inhibitor/antagonist"
    assert moa_type(" ", None) is None


def test_record_keys_order_and_missing_values():
    record = perturbation_record(cell_line="HOP62", organ="Lung", drivers=HOP62,
                                 drug="venetoclax", targets=["BCL2"], moa_fine="unclear",
                                 moa_broad="inhibitor/antagonist", smiles="CC")
    assert record == {
        "context": [{"cell type": "HOP62", "subtype": "disease cell",
                     "description": RELEASED_DESCRIPTION}],
        "perturbations": [{"name": "venetoclax", "perturbation type": "chemical",
                           "known targets": "BCL2", "moa_type": "unclear; inhibitor/antagonist",
                           "smiles": "CC"}]}
    bare = perturbation_record(cell_line="C", organ=None, drivers=[], drug="d")
    assert list(bare["perturbations"][0]) == ["name", "perturbation type"]
    assert pair_names(record) == ("venetoclax", "HOP62")
    assert pair_names({}) == (None, None)


def test_question_is_the_bold_line_a_blank_line_and_the_record_indented_by_four():
    record = perturbation_record(cell_line="C32", organ="Skin", drivers=[], drug="Dabrafenib",
                                 targets=["BRAF"], smiles="C\u00b5")
    text = question_text(record)
    head, blank, *body = text.split("\n")
    assert head == QUESTION_LINE and blank == ""
    assert QUESTION_LINE == ("**Q: How does the following perturbation influence the cell in "
                             "the described context, mechanistically and functionally?**")
    assert "\n".join(body) == json.dumps(record, indent=4)
    assert body[1] == '    "context": [' and "\\u00b5" in text
