"""Dictionary entity recognition: the names of graph entities found in a text (the
perturbation record and question of a pair, a report), with an Aho-Corasick automaton
(pyahocorasick) built from ``(alias, entity)`` pairs given to it.

Pure: the caller supplies the dictionary (the application layer reads it from the graph's
alias index, ``(:Alias {key})-[:ALIAS_OF]->(:Entity)``); nothing here reads a graph.

Matching
    Text and aliases are compared in the grounding index's two forms
    (:mod:`vctrace.kg.grounding`): the *normalised* form (NFKC, case-folded, whitespace
    collapsed) and the *compact* form (the normalised form without punctuation, symbols or
    spaces), so ``BCL-2`` in a text finds the alias ``BCL2`` and ``VEGF-A`` finds ``VEGFA``.
    Normalised matches are found anywhere in the folded text; compact matches only over whole
    whitespace-delimited tokens (with their punctuation removed), since the compact form has
    no spaces left to anchor a boundary on.

Word boundaries
    A match counts only where the characters on both sides are not letters or digits
    (``BRAF-mutant`` and ``(BRAF)`` find ``BRAF``; ``BRAFV600E`` and ``ABRAF`` do not). Of
    overlapping matches the longest wins, then the leftmost, so ``RAF/MAP kinase cascade``
    is one pathway, not also ``MAP kinase``.

Stoplist rule (short and ambiguous names)
    1. An alias with no letter (Entrez ids, numbers) or shorter than 3 characters in its
       normalised form is never matched.
    2. An alias in :data:`NEVER_MATCH` (generic words of the records and reports that some
       ontology also uses as a name: ``cell``, ``gene``, ``none``, ``GoF`` …) is never matched.
    3. A *guarded* alias — 3 characters or fewer, or in :data:`AMBIGUOUS_WORDS` (English
       words and units that are also gene symbols or acronyms: ``CAT``, ``MET``, ``SET``,
       ``ALL``, ``IMPACT``, ``CAMP`` …) — matches only case-exact: the text must spell it
       exactly as a given alias spelling that has an upper-case letter, or entirely in upper
       case (the HGNC convention for symbols). So ``MET amplification`` finds the gene MET,
       ``met the criteria`` and ``Met`` at a sentence start do not.
    Everything else matches case-insensitively.

An alias shared by several entities yields one mention naming all of them (ambiguity stays
visible, as in grounding).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Hashable, Iterable

import ahocorasick

from .identity import normalise_text

__all__ = ["AMBIGUOUS_WORDS", "NEVER_MATCH", "EntityRef", "Mention", "Recognizer", "compact",
           "is_guarded"]

MIN_LENGTH = 3
GUARDED_LENGTH = 3
#: generic words that some source also uses as an entity name: never a mention
NEVER_MATCH = frozenset({
    "none", "null", "nan", "n/a", "na", "gof", "lof", "cell", "cells", "gene", "genes",
    "protein", "proteins", "drug", "drugs", "disease", "chemical", "type", "subtype",
    "context", "description", "name", "organ", "source", "target", "targets", "mutation",
    "mutations", "inhibitor", "antagonist", "agonist", "activity", "binding", "unclear",
    "disease cell", "cell type", "perturbation", "oncogene", "suppressor", "key", "other",
    "unknown", "role", "function", "growth", "death", "signal", "signaling", "pathway",
})
#: English words and units that are also symbols or acronyms: matched case-exact only
AMBIGUOUS_WORDS = frozenset({
    "cat", "met", "set", "all", "impact", "camp", "was", "can", "not", "for", "and", "the",
    "via", "large", "mass", "spring", "task", "prism", "rest", "chip", "damage", "bad", "max",
    "son", "ski", "tank", "car", "far", "fat", "gap", "hip", "kit", "map", "mice", "net",
    "pan", "pigs", "rap", "raf", "ret", "rock", "sex", "shh", "spin", "star", "stop", "tap",
    "tip", "top", "wars", "wave", "wee", "act", "aim", "arms", "ask", "best", "cap", "cast",
    "clock", "coil", "cord", "cut", "dog", "end", "fast", "fit", "flap", "fog", "gas", "hat",
    "hole", "ink", "jet", "lamp", "land", "lace", "light", "mars", "mask", "mild",
    "mug", "nut", "pace", "pal", "park", "pet", "pick", "plan", "pole", "post", "ram", "sand",
    "sail", "sin", "ski", "slim", "soul", "tau", "tie", "ton", "via", "wars", "white",
    "mm", "nm", "um", "µm", "mg", "kg", "ml", "hr", "min", "sec", "day", "days", "dose",
    "ph", "rna", "dna",
})
_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)
_LETTER = re.compile(r"[^\W\d_]")


def compact(text: str) -> str:
    """Normalised text without punctuation, symbols or spaces (``BCL-2`` → ``bcl2``), as
    :func:`vctrace.kg.grounding.compact`."""
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", normalise_text(text)))


def is_guarded(alias: str) -> bool:
    """Whether ``alias`` (any form) matches only case-exact (stoplist rule 3)."""
    key = normalise_text(alias)
    return len(key) <= GUARDED_LENGTH or key in AMBIGUOUS_WORDS


def _skipped(key: str) -> bool:
    return len(key) < MIN_LENGTH or key in NEVER_MATCH or not _LETTER.search(key)


@dataclass(frozen=True, order=True)
class EntityRef:
    """A graph entity a name refers to: its label, key and display name."""

    label: str
    key: str
    name: str = ""


@dataclass(frozen=True)
class Mention:
    """A name found in the text: ``text[start:end]``, the alias form it matched
    (``normalised`` or ``compact``) and every entity it names."""

    start: int
    end: int
    text: str
    alias: str
    form: str
    entities: tuple[Hashable, ...]


def _fold(text: str, *, squeeze: bool) -> tuple[str, list[int]]:
    """The folded text and, per folded character, the index of the original one it came
    from. ``squeeze``: runs of whitespace become one space (the normalised form)."""
    out: list[str] = []
    where: list[int] = []
    previous_space = True
    for index, char in enumerate(text):
        if char.isspace():
            if squeeze and previous_space:
                continue
            out.append(" ")
            where.append(index)
            previous_space = True
            continue
        previous_space = False
        for folded in unicodedata.normalize("NFKC", char).casefold():
            out.append(folded)
            where.append(index)
    return "".join(out), where


def _word_char(char: str) -> bool:
    return char.isalnum()


class Recognizer:
    """An automaton over the aliases of ``pairs`` (``(alias, entity)``; any hashable entity,
    e.g. :class:`EntityRef`). :meth:`find` returns the mentions of a text."""

    def __init__(self, pairs: Iterable[tuple[str, Hashable]]) -> None:
        entities: dict[tuple[str, str], dict[Hashable, None]] = {}
        spellings: dict[tuple[str, str], set[str]] = {}
        for alias, entity in pairs:
            if not isinstance(alias, str) or not alias.strip():
                continue
            key = normalise_text(alias)
            if _skipped(key):
                continue
            forms = [("normalised", key)]
            squeezed = compact(key)
            if squeezed and not _skipped(squeezed):
                forms.append(("compact", squeezed))
            for form in forms:
                entities.setdefault(form, {})[entity] = None
                if alias != alias.lower():  # a spelling with an upper-case letter
                    spellings.setdefault(form, set()).add(" ".join(alias.split()))
        self._entities = {form: tuple(found) for form, found in entities.items()}
        self._spellings = spellings
        # normalised forms are searched anywhere (Aho-Corasick); compact forms only as whole
        # tokens, so a dictionary lookup per token is enough for them
        self._automaton: ahocorasick.Automaton | None = None
        automaton = ahocorasick.Automaton()
        for form, key in self._entities:
            if form == "normalised":
                automaton.add_word(key, key)
        if len(automaton):
            automaton.make_automaton()
            self._automaton = automaton
        self.aliases = len(self._entities)

    def _allowed(self, form: tuple[str, str], written: str) -> bool:
        if not is_guarded(form[1]):
            return True
        written = " ".join(written.split())
        if written in self._spellings.get(form, ()):
            return True
        return any(c.isalpha() for c in written) and written == written.upper()

    def _candidates(self, text: str) -> list[Mention]:
        found: list[Mention] = []
        folded, where = _fold(text, squeeze=True)
        if self._automaton is not None:
            for last, key in self._automaton.iter(folded):
                first = last - len(key) + 1
                if (first > 0 and _word_char(folded[first - 1])) or \
                        (last + 1 < len(folded) and _word_char(folded[last + 1])):
                    continue
                start, end = where[first], where[last] + 1
                if self._allowed(("normalised", key), text[start:end]):
                    found.append(Mention(start, end, text[start:end], key, "normalised",
                                         self._entities[("normalised", key)]))
        for token in re.finditer(r"\S+", text):
            squeezed = compact(token.group())
            if not squeezed or ("compact", squeezed) not in self._entities:
                continue
            # the token's span without its leading / trailing punctuation
            inner = re.search(r"[^\W_].*[^\W_]|[^\W_]", token.group())
            start = token.start() + (inner.start() if inner else 0)
            end = token.start() + (inner.end() if inner else len(token.group()))
            if self._allowed(("compact", squeezed), text[start:end]):
                found.append(Mention(start, end, text[start:end], squeezed, "compact",
                                     self._entities[("compact", squeezed)]))
        return found

    def find(self, text: str) -> list[Mention]:
        """The mentions of ``text`` in order: word boundaries respected, the stoplist rule
        applied, of overlapping matches the longest (then the leftmost, then a normalised
        match before a compact one)."""
        candidates = sorted(self._candidates(text),
                            key=lambda m: (-(m.end - m.start), m.start, m.form != "normalised"))
        taken: list[Mention] = []
        for mention in candidates:
            if all(mention.end <= t.start or mention.start >= t.end for t in taken):
                taken.append(mention)
        return sorted(taken, key=lambda m: m.start)

    def entities(self, text: str) -> list[Hashable]:
        """The distinct entities mentioned in ``text``, in order of first mention."""
        seen: dict[Hashable, None] = {}
        for mention in self.find(text):
            for entity in mention.entities:
                seen.setdefault(entity, None)
        return list(seen)
