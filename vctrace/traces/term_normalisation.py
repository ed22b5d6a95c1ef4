"""Lexical normalisation of pathway, process and phenotype names (pure: no database).

Both sides of grounding go through the same functions: the names and synonyms of entities when
the alias index is built, and the mentions of traces when they are grounded. Two strings that
name the same term in different words end with a shared *variant key*:

- **Greek letters**: ``NF-κB`` = ``NF-kappaB`` (spelled) and = ``NF-kB`` (initial letters);
- **slash and hyphen shorthand**: ``PI3K/Akt`` = ``PI3K-Akt`` = ``PI3K Akt`` (tokens);
- **generic words**: ``signaling`` / ``signalling`` / ``signal`` / ``pathway`` / ``cascade`` /
  ``process`` and a few function words are dropped, so ``PI3K/Akt`` = ``PI3K-Akt signaling
  pathway`` and ``Signaling by EGFR`` = ``EGFR signalling``;
- **word forms**: adjectives of processes become their nouns (``apoptotic`` → ``apoptosis``,
  so ``apoptotic process`` = ``apoptosis``), British spellings the American ones
  (``tumour`` → ``tumor``), a few spelled-out kinases their symbols (``MAP kinase`` → ``MAPK``,
  ``phosphatidylinositol 3-kinase`` → ``PI3K``, ``protein kinase B`` → ``AKT``), directions
  one word each (``reduced`` → ``decreased``), plurals their singular (``kinases`` →
  ``kinase``, ``abnormalities`` → ``abnormality``);
- **parenthesised parts** (``Unfolded Protein Response (UPR)``) give keys without them too;
- **word order**: the *bag* key sorts the tokens (``regulation of apoptosis`` =
  ``apoptosis regulation``); the *compact* key keeps their order, without separators
  (``NFkB`` = ``NF-kB``).

:func:`variant_keys` gives the keys of a name (none when nothing is left after dropping the
generic words); :func:`head_keys` the keys of a mention without its leading qualifiers
(``reduced endothelial cell proliferation`` → the keys of ``endothelial cell proliferation``),
a weaker match used only when the full keys find nothing; :func:`fuzzy_form` the text fuzzy
matching compares (the bag key, or the normalised text when the bag is empty).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from .entity_recognition import compact
from .identity import normalise_text

__all__ = ["compact", "fuzzy_form", "head_keys", "tokens", "variant_keys"]

_GREEK = {"α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon", "ζ": "zeta",
          "η": "eta", "θ": "theta", "ι": "iota", "κ": "kappa", "λ": "lambda", "μ": "mu",
          "ν": "nu", "ξ": "xi", "π": "pi", "ρ": "rho", "σ": "sigma", "ς": "sigma",
          "τ": "tau",
          "υ": "upsilon", "φ": "phi", "χ": "chi", "ψ": "psi", "ω": "omega"}
_LETTER = {name: "ps" if name == "psi" else name[0] for name in _GREEK.values()}
_LETTER.update({"epsilon": "e", "upsilon": "u", "omega": "o", "theta": "th", "chi": "ch",
                "phi": "ph"})
# a spelled Greek letter standing alone or glued to a symbol (TNF-alpha, NF-kappaB, TGFbeta1
# is not: "beta" after letters) but not inside a word (betaine, alphabet)
# (only the letters common in gene and pathway names: "pi", "mu", "eta"… are too often parts of
# symbols such as PI3K)
_SPELLED = re.compile(r"(?<![a-z])(alpha|beta|gamma|delta|epsilon|kappa|lambda|sigma|omega|"
                      r"theta|zeta)(?=[^a-z]|$|[a-z](?:[^a-z]|$))")
_PARENTHESES = re.compile(r"\s*\([^()]*\)")
_PHRASES = ((re.compile(r"\bmap kinase\b"), "mapk"),
            (re.compile(r"\bmitogen[- ]activated protein kinase\b"), "mapk"),
            (re.compile(r"\bphosphatidylinositol[- ]3[- ]kinase\b"), "pi3k"),
            (re.compile(r"\bprotein kinase b\b"), "akt"),
            (re.compile(r"\bextracellular signal[- ]regulated kinase\b"), "erk"))
_SPLIT = re.compile(r"[\W_]+", re.UNICODE)

_GENERIC = frozenset({
    "signaling", "signalling", "signal", "signals", "transduction", "pathway", "pathways",
    "cascade",
    "cascades", "process", "processes", "the", "of", "by", "and", "via", "in"})
_WORD_FORMS = {
    # adjectives of processes -> their nouns
    "apoptotic": "apoptosis", "necrotic": "necrosis", "mitotic": "mitosis",
    "autophagic": "autophagy", "angiogenic": "angiogenesis", "fibrotic": "fibrosis",
    "ferroptotic": "ferroptosis", "pyroptotic": "pyroptosis", "metastatic": "metastasis",
    "proliferative": "proliferation", "migratory": "migration", "inflammatory": "inflammation",
    "senescent": "senescence", "glycolytic": "glycolysis",
    # British -> American spelling
    "tumour": "tumor", "tumours": "tumor", "haemorrhage": "hemorrhage", "oedema": "edema",
    "anaemia": "anemia", "leukaemia": "leukemia", "haematopoiesis": "hematopoiesis",
    "oesophageal": "esophageal", "behaviour": "behavior", "localisation": "localization",
    "haem": "heme",
    # one word per direction
    "reduced": "decreased", "diminished": "decreased", "lowered": "decreased",
    "decrease": "decreased", "reduction": "decreased", "elevated": "increased",
    "raised": "increased", "enhanced": "increased", "increase": "increased",
}
# a qualifier in front of what a phenotype mention is about ("reduced tumor growth")
_QUALIFIERS = frozenset({"decreased", "increased", "impaired", "inhibited", "inhibition",
                         "abnormal", "loss", "suppressed", "suppression", "induced",
                         "limited", "promoted", "blocked", "altered"})
# "VEGF-mediated angiogenesis": what the mention is about follows the last of these
_CAUSED = frozenset({"mediated", "induced", "dependent", "associated", "driven", "related"})
_KEEP_S = ("ss", "us", "is", "ys", "os")


def _singular(token: str) -> str:
    """The singular of an English plural; tokens with digits or of four letters or fewer are
    left alone (gene-like symbols: ``ros``, ``mets``)."""
    if len(token) <= 4 or not token.isalpha() or not token.endswith("s") or \
            token.endswith(_KEEP_S):
        return token
    if token.endswith("ies"):
        return token[:-3] + "y"
    if token.endswith(("sses", "xes", "ches", "shes")):
        return token[:-2]
    return token[:-1]


def _greek(text: str, spelled: bool) -> str:
    if spelled:
        return "".join(_GREEK.get(ch, ch) for ch in text)
    text = "".join(_LETTER[_GREEK[ch]] if ch in _GREEK else ch for ch in text)
    return _SPELLED.sub(lambda m: _LETTER[m.group(1)], text)


def _prepared(text: str) -> str:
    # NFKC maps the micro sign to mu; case-folding maps capital Greek letters to small ones
    text = unicodedata.normalize("NFKC", normalise_text(text))
    for phrase, short in _PHRASES:
        text = phrase.sub(short, text)
    return text


def tokens(text: str, spelled: bool = True) -> list[str]:
    """The content words of ``text`` in order: Greek letters spelled out (or as initials),
    split at anything not a letter or digit, word forms mapped, plurals made singular,
    generic words dropped."""
    words = (_WORD_FORMS.get(w, w) for w in _SPLIT.split(_greek(_prepared(text), spelled)) if w)
    return [w for w in (_singular(_WORD_FORMS.get(w, w)) for w in words) if w not in _GENERIC]


def _keys(words: list[str]) -> list[str]:
    if not words:
        return []
    return list(dict.fromkeys([" ".join(sorted(set(words))), "".join(words)]))


@lru_cache(maxsize=1 << 16)
def variant_keys(text: str) -> tuple[str, ...]:
    """The normalised variant keys of a name: for Greek letters spelled out and as initials,
    the sorted bag of its content words and their compact (ordered, unseparated) form, and
    the compact form of the whole text (punctuation and spaces removed; generic words kept).
    Deduplicated, most specific first; empty for a name with no letter or digit."""
    keys = _keys(tokens(text, True)) + _keys(tokens(text, False)) + [compact(text)]
    bare = _PARENTHESES.sub("", text)  # "Unfolded Protein Response (UPR)"
    if bare != text and bare.strip():
        keys += _keys(tokens(bare, True)) + _keys(tokens(bare, False))
    return tuple(k for k in dict.fromkeys(keys) if k)


@lru_cache(maxsize=1 << 16)
def head_keys(text: str) -> tuple[str, ...]:
    """The variant keys of a mention without its leading qualifiers (directions, ``impaired``,
    ``loss``…) and causes (``VEGF-mediated``, ``tumor-associated``): ``reduced tumour growth``
    → the keys of ``tumor growth``. Empty when the mention has none or nothing is left
    without them."""
    found = []
    for spelled in (True, False):
        words = tokens(text, spelled)
        start = max((i + 1 for i, w in enumerate(words) if w in _CAUSED), default=0)
        while start < len(words) and words[start] in _QUALIFIERS:
            start += 1
        if 0 < start < len(words):
            found += _keys(words[start:])
    return tuple(k for k in dict.fromkeys(found) if k not in variant_keys(text))


@lru_cache(maxsize=1 << 16)
def fuzzy_form(text: str) -> str:
    """What fuzzy matching compares: the sorted content words (Greek letters spelled out), or
    the normalised text where no content word is left."""
    words = tokens(text, True)
    return " ".join(sorted(set(words))) if words else normalise_text(text)
