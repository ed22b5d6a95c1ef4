"""The lexical normalisation of pathway, process and phenotype names (no database)."""

import pytest

from vctrace.traces.term_normalisation import fuzzy_form, head_keys, tokens, variant_keys


def shared(a: str, b: str) -> set[str]:
    return set(variant_keys(a)) & set(variant_keys(b))


@pytest.mark.parametrize("a, b", [
    ("PI3K/Akt", "PI3K-Akt signaling pathway"),          # slash and hyphen shorthand
    ("Akt/PI3K", "PI3K AKT signalling"),                 # word order, British spelling
    ("apoptosis", "apoptotic process"),                  # adjective -> noun, generic word
    ("endothelial cell apoptosis", "endothelial cell apoptotic process"),
    ("NF-κB", "NF-kappaB signaling"),                    # Greek letter spelled out
    ("NF-κB", "NFkB"),                                   # Greek letter as its initial
    ("TNF-α", "TNF-alpha"), ("HIF-1α", "HIF1A"),
    ("EGFR signalling", "Signaling by EGFR"),
    ("RAF/MAP kinase cascade", "RAF-MAPK signaling"),    # MAP kinase = MAPK
    ("tumour growth", "tumor growth"),
    ("Cell cycle abnormalities", "cell cycle abnormality"),   # plural
    ("unfolded protein response", "Unfolded Protein Response (UPR)"),  # parenthesised
    ("regulation of apoptosis", "apoptosis regulation"),
])
def test_names_of_one_term_share_a_key(a, b):
    assert shared(a, b)


@pytest.mark.parametrize("a, b", [
    ("PI3K/Akt", "MAPK/ERK"), ("apoptosis", "necrosis"), ("TNF-α", "TNF-β"),
    ("G1 cell cycle arrest", "G2 cell cycle arrest"),
    ("Increased tumor growth", "reduced tumor growth"),
    ("betaine metabolism", "b metabolism"),               # "beta" inside a word is no letter
])
def test_different_terms_share_no_key(a, b):
    assert not shared(a, b)


def test_generic_words_alone_leave_no_bag_but_keep_the_compact_form():
    assert variant_keys("signaling pathway") == ("signalingpathway",)
    assert variant_keys("---") == ()


def test_symbols_keep_their_letters():
    # gene-like tokens are not made singular; "pi" in PI3K is no Greek letter
    assert tokens("ROS and MAPKs") == ["ros", "mapk"]
    assert "akt pi3k" in variant_keys("PI3K/AKT")


def test_head_keys_drop_leading_qualifiers_only():
    assert "growth tumor" in head_keys("reduced tumour growth")
    assert "cell endothelial proliferation" in head_keys("impaired endothelial cell proliferation")
    assert head_keys("tumor growth") == () and head_keys("decreased") == ()
    assert not set(head_keys("reduced tumor growth")) & set(variant_keys("reduced tumor growth"))


def test_fuzzy_form_is_the_sorted_content_words():
    assert fuzzy_form("PI3K-Akt signaling pathway") == fuzzy_form("Akt/PI3K") == "akt pi3k"
    assert fuzzy_form("signaling") == "signaling"
