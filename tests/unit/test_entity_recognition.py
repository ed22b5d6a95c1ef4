"""Dictionary entity recognition (vctrace.traces.entity_recognition): word boundaries, the
stoplist rule for short and ambiguous names, compact forms, overlaps and ambiguity."""

from __future__ import annotations

from vctrace.traces.entity_recognition import EntityRef, Recognizer, compact, is_guarded

BRAF = EntityRef("Gene", "braf", "BRAF")
MET = EntityRef("Gene", "met", "MET")
CAT = EntityRef("Gene", "cat", "CAT")
BCL2 = EntityRef("Gene", "bcl2", "BCL2")
VEGFA = EntityRef("Gene", "vegfa", "VEGFA")
TRAMETINIB = EntityRef("Drug", "trametinib", "Trametinib")
RAF_MAP = EntityRef("Pathway", "R-HSA-5673001", "RAF/MAP kinase cascade")
MAPK = EntityRef("Pathway", "mapk", "MAP kinase")
SKIN = EntityRef("Anatomy", "skin", "skin")
CELL = EntityRef("CellularComponent", "GO:0005623", "cell")


def _recognizer() -> Recognizer:
    return Recognizer([
        ("braf", BRAF), ("BRAF", BRAF), ("673", BRAF), ("met", MET), ("MET", MET),
        ("cat", CAT), ("bcl2", BCL2), ("BCL2", BCL2), ("VEGFA", VEGFA),
        ("trametinib", TRAMETINIB), ("Trametinib", TRAMETINIB), ("DB08911", TRAMETINIB),
        ("raf/map kinase cascade", RAF_MAP), ("map kinase", MAPK), ("Skin", SKIN),
        ("cell", CELL), ("x", BRAF), ("ab", BRAF)])


def _found(text: str) -> list[tuple[str, tuple]]:
    return [(m.text, tuple(e.key for e in m.entities)) for m in _recognizer().find(text)]


def test_word_boundaries():
    assert _found("BRAF-mutant melanoma (BRAF) and braf") == [
        ("BRAF", ("braf",)), ("BRAF", ("braf",)), ("braf", ("braf",))]
    assert _found("BRAFV600E ABRAF xbraf braf2") == []
    assert _found("Trametinib, trametinib.") == [("Trametinib", ("trametinib",)),
                                                 ("trametinib", ("trametinib",))]
    assert _found("pretrametinibs") == []


def test_offsets_point_into_the_original_text():
    text = "The  source organ is Skin; TRAMETINIB\tbinds"
    for mention in _recognizer().find(text):
        assert text[mention.start:mention.end] == mention.text
    assert [m.text for m in _recognizer().find(text)] == ["Skin", "TRAMETINIB"]


def test_stoplist_short_symbols_match_case_exact_only():
    assert is_guarded("MET") and is_guarded("impact") and not is_guarded("BRAF")
    assert _found("MET amplification and CAT activity") == [("MET", ("met",)),
                                                           ("CAT", ("cat",))]
    assert _found("it met the criteria; Met was high; the cat sat") == []
    # numbers and one- or two-letter aliases never match, nor generic words
    assert _found("673 cells x ab in the cell") == []


def test_compact_forms_find_spelling_variants():
    found = _recognizer().find("BCL-2 and VEGF-A, (Bcl-2) but not BCL-2x")
    assert [(m.text, m.form, m.entities[0].key) for m in found] == [
        ("BCL-2", "compact", "bcl2"), ("VEGF-A", "compact", "vegfa"),
        ("Bcl-2", "compact", "bcl2")]
    assert compact("VEGF-A") == "vegfa"


def test_longest_match_wins_and_ambiguity_is_kept():
    assert _found("the RAF/MAP kinase cascade and MAP kinase") == [
        ("RAF/MAP kinase cascade", ("R-HSA-5673001",)), ("MAP kinase", ("mapk",))]
    shared = Recognizer([("abc1", BRAF), ("ABC1", MET)])
    mention, = shared.find("ABC1 is here")
    assert set(mention.entities) == {BRAF, MET}
    assert shared.entities("ABC1 and abc1") == [BRAF, MET]


def test_perturbation_description():
    text = ("The source organ of cell line C32 is Skin. The key driver mutations of this cell "
            "line are listed as follow. Oncogene on gene BRAF which causes GoF")
    assert _recognizer().entities(text) == [SKIN, BRAF]


def test_a_given_mixed_case_spelling_licenses_a_guarded_alias():
    akt = EntityRef("Gene", "akt1", "Akt")
    recognizer = Recognizer([("akt", akt), ("Akt", akt)])
    assert [m.text for m in recognizer.find("Akt and AKT, not akt")] == ["Akt", "AKT"]


def test_compact_form_of_a_multi_word_alias_matches_one_token():
    citrate = EntityRef("Drug", "ixazomib citrate", "Ixazomib citrate")
    recognizer = Recognizer([("Ixazomib citrate", citrate)])
    assert [(m.text, m.form) for m in recognizer.find("Ixazomib citrate; Ixazomib-citrate.")] \
        == [("Ixazomib citrate", "normalised"), ("Ixazomib-citrate", "compact")]
