"""How entity names are normalised for keys and grounding (no database)."""

import pytest

from vctrace.kg.grounding import compact
from vctrace.loaders.tahoe_de import condition_key
from vctrace.loaders.tahoe_metadata import base_drug_name


def test_compact_form():
    assert compact("BCL-2") == compact("bcl2") == "bcl2"
    assert compact(" VEGF-A ") == "vegfa" and compact("caspase-3/7") == "caspase37"


@pytest.mark.parametrize("name, base", [
    ("Ixazomib citrate", "ixazomib"), ("L-Thyroxine (sodium salt pentahydrate)", "l-thyroxine"),
    ("Dapagliflozin ((2S)-1,2-propanediol, hydrate)", "dapagliflozin"),
    ("Ralimetinib dimesylate", "ralimetinib"), (" Trametinib ", "trametinib"),
    ("Dimethyl fumarate", "dimethyl fumarate"), ("Abiraterone acetate", "abiraterone acetate"),
    ("Estrone sulfate (potassium)", "estrone sulfate"), ("Sodium Salicylate", "sodium salicylate"),
])
def test_base_drug_names(name, base):
    assert base_drug_name(name) == base


def test_condition_keys_ignore_case_and_spacing_of_names():
    assert condition_key("Trametinib ", "C32", 0.5) == condition_key("trametinib", "c32", 0.5)
    assert condition_key("Trametinib", "C32", 0.5) != condition_key("Trametinib", "C32", 5.0)
