"""Replacing the names of a pseudonym key in text that leaves the project.

:class:`Pseudonymizer` is built once from the entries of a key (name -> replacement) and
applied to whole document texts (:meth:`Pseudonymizer.document`, which returns a
:class:`PseudoText` that maps any span of the stored text to its pseudonymized form) and to
short strings (:meth:`Pseudonymizer.text`: labels, speaker names, attribute values,
table cells). The stored text and its offsets are never changed: only copies are.

The rules:

* **whole words only**: a name matches where it is not preceded or followed by a letter
  or digit (``_``, ``'`` and ``-`` are boundaries), so *Blanc* never matches inside
  *Blanchard*;
* **longest match first**: at each place the longest name of the key wins
  (*Martine Vasseur* before *Martine*), and the matches never overlap;
* **variants**: case and accents are ignored (*HENIN*, *hénin*, *Hénin*), except that a
  one-word name must start with a capital in the text (*Blanc* the surname, not *blanc*
  the colour) unless its entry says ``case = "any"`` (names of several words and
  hyphenated compounds match in any case); spaces and hyphens inside a name match any run
  of whitespace or a hyphen (a name split across a line break, *rue Victor-Hugo*);
  elisions and possessives keep their article (*d'Hénin* -> *d'[commune]*, *Gérard's* ->
  *[son mari]'s*, typographic apostrophes too);
* **hyphenated compounds**: a name glued by hyphens to capitalised words is replaced with
  them (*Hénin* in *Hénin-Beaumont*, *Pierre* in *Jean-Pierre*), so no half of a
  compound is left;
* **titles**: ``M. Vasseur`` replaced by ``Mme V.`` would say ``M. Mme V.``: a title just
  before a name is absorbed when the replacement starts with a title of its own;
* **first and last names alone**: once a person's full name (two words or more, the
  first and the last capitalised) was seen in a document, its first word and its last
  word alone are replaced by the same replacement in the rest of that document; the last
  name after a title (*Mme Vasseur*) everywhere; in a file name (:meth:`Pseudonymizer.name`)
  every part in any case (*entretien_vasseur*);
* **consistent**: the same name always gets the same replacement, in every document.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

# Titles before a name (lower-cased, without the final dot).
TITLES = ("m", "mr", "mme", "mlle", "mmes", "mm", "monsieur", "madame", "mademoiselle", "messieurs", "mesdames",
          "dr", "docteur", "me", "maître", "maitre", "pr", "professeur", "père", "mère", "abbé", "sr", "soeur",
          "sœur", "frère")
_TITLE_RE = re.compile(r"(?:" + "|".join(sorted((re.escape(t) for t in TITLES), key=len, reverse=True))
                       + r")\.?[ \t\u00a0]+$", re.IGNORECASE)
_TITLE_START = re.compile(r"(?:" + "|".join(sorted((re.escape(t) for t in TITLES), key=len, reverse=True))
                          + r")(?:\.|\s|$)", re.IGNORECASE)
_HYPHENS = "-\u2010\u2011"


def fold_char(c: str) -> str:
    """One character without its accents, lower-cased, as one character (so that a folded
    text has the offsets of the original)."""
    if c.isascii():
        return c.lower()
    base = unicodedata.normalize("NFD", c)[0]
    low = base.lower()
    return low[0] if low else c


def fold_text(text: str) -> str:
    """``text`` folded character by character: the same length, the same offsets."""
    if text.isascii():
        return text.lower()
    return "".join(fold_char(c) for c in text)


def _is_word_char(c: str) -> bool:
    return c.isalnum()


def _words(name: str) -> list[str]:
    return name.split()


def _pattern(name: str) -> str:
    """The regex of a folded name: its words separated by any whitespace or hyphen
    (``rue Victor Hugo`` matches ``rue Victor-Hugo`` and a line break)."""
    parts = [re.escape(fold_text(w)) for w in re.split(r"[\s\-\u2010\u2011]+", name) if w]
    return r"(?:\s*[\-\u2010\u2011]\s*|\s+)".join(parts)


@dataclass(frozen=True)
class Rule:
    """One entry of the key as the replacer uses it."""

    name: str
    replacement: str
    any_case: bool = False  # a one-word name matches in lower case too
    person: bool = False  # first and last names alone after the full name


@dataclass
class Match:
    start: int
    end: int
    replacement: str
    name: str  # the key's name that matched

    def to_dict(self) -> dict:
        return {"start": self.start, "end": self.end, "replacement": self.replacement, "name": self.name}


@dataclass
class PseudoText:
    """A stored text and its pseudonymized copy, with the map between their offsets."""

    original: str
    matches: list[Match]
    text: str = ""
    _orig_starts: list[int] = field(default_factory=list)
    _new_starts: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        out: list[str] = []
        pos = 0
        shift = 0
        for m in self.matches:
            out.append(self.original[pos:m.start])
            self._orig_starts.append(m.start)
            self._new_starts.append(m.start + shift)
            out.append(m.replacement)
            shift += len(m.replacement) - (m.end - m.start)
            pos = m.end
        out.append(self.original[pos:])
        self.text = "".join(out)

    def _shift_before(self, i: int) -> int:
        """The shift of offsets after the first ``i`` matches."""
        if i == 0:
            return 0
        m = self.matches[i - 1]
        return self._new_starts[i - 1] + len(m.replacement) - m.end

    def position(self, offset: int, *, end: bool = False) -> int:
        """The offset in the pseudonymized text of ``offset`` of the stored text; inside a
        match: the start of its replacement (or its end, with ``end``)."""
        k = bisect.bisect_left(self._orig_starts, offset)  # the matches starting before offset
        if k > 0:
            m = self.matches[k - 1]
            if offset < m.end:  # inside it
                return self._new_starts[k - 1] + (len(m.replacement) if end else 0)
        return offset + self._shift_before(k)

    def slice(self, start: int, end: int) -> str:
        """The pseudonymized form of ``original[start:end]``: a name cut by the span's
        edges is replaced whole."""
        if start >= end:
            return ""
        return self.text[self.position(start):self.position(end, end=True)]


class Pseudonymizer:
    """The replacements of a key, compiled (see the module documentation)."""

    def __init__(self, rules: Iterable[Rule]):
        self.rules = [r for r in rules if r.name.strip()]
        self.by_fold: dict[str, Rule] = {}
        for r in self.rules:
            key = " ".join(fold_text(w) for w in _words(r.name))
            self.by_fold.setdefault(key, r)  # the first entry of a name wins
        self._keys = sorted(self.by_fold, key=lambda k: (-len(k), k))
        self._compiled = {k: re.compile(_pattern(k)) for k in self._keys}
        self._regex = re.compile("|".join(f"(?:{_pattern(k)})" for k in self._keys)) if self._keys else None
        # first/last words of persons, used after the full name was seen
        # (folded full name, word, rule, whether it is the last name)
        self._parts: list[tuple[str, re.Pattern, Rule, bool]] = []
        for r in self.rules:
            if not r.person:
                continue
            words = _words(r.name)
            if len(words) < 2:
                continue
            full = " ".join(fold_text(w) for w in words)
            for w, last in ((words[0], False), (words[-1], True)):
                if len(w) >= 2 and w[:1].isupper():
                    self._parts.append((full, re.compile(_pattern(w)), r, last))

    def __bool__(self) -> bool:
        return bool(self.rules)

    @property
    def names(self) -> list[str]:
        return [r.name for r in self.rules]

    # ------------------------------------------------------------------ matching
    def matches(self, text: str, *, any_case: bool = False, persons: bool = True,
                parts: bool = False) -> list[Match]:
        """Where the key's names are in ``text``, sorted, never overlapping.

        ``persons``: a person's first and last names alone after the full name (a whole
        document); ``parts``: anywhere (a file name such as ``entretien_vasseur``). A last
        name after a title (``Mme Vasseur``) is replaced anywhere."""
        if self._regex is None or not text:
            return []
        folded = fold_text(text)
        found: list[Match] = []
        taken: list[tuple[int, int]] = []
        seen: dict[str, int] = {}  # folded full name -> end of its first occurrence
        for start, end, key in self._scan(self._regex, folded):
            if not self._boundaries(folded, start, end):
                continue
            rule = self.by_fold[key]
            if not (any_case or rule.any_case) and not self._case_ok(rule.name, text[start:end]):
                continue
            found.append(Match(start, end, rule.replacement, rule.name))
            taken.append((start, end))
            seen.setdefault(key, end)
        for full, rx, rule, last in self._parts:
            for m in rx.finditer(folded):
                s, e = m.start(), m.end()
                if not self._boundaries(folded, s, e) or any(a < e and s < b for a, b in taken):
                    continue
                capital = text[s:s + 1].isupper()
                after_full = persons and full in seen and s >= seen[full]
                titled = last and _TITLE_RE.search(text[max(0, s - 16):s]) is not None
                if (capital and (after_full or titled or parts)) or (parts and any_case):
                    found.append(Match(s, e, rule.replacement, rule.name))
                    taken.append((s, e))
        found.sort(key=lambda m: m.start)
        return [self._widen(text, m) for m in self._no_overlap(found)]

    def _scan(self, regex: re.Pattern, folded: str):
        """Longest matches, left to right (the alternation is ordered longest first; a
        match refused at a place lets a shorter name be tried there)."""
        pos = 0
        n = len(folded)
        while pos < n:
            m = regex.search(folded, pos)
            if m is None:
                return
            start = m.start()
            best = None
            # every name that matches at this place, longest first
            for key in self._keys_at(folded, start):
                end = self._end_of(key, folded, start)
                if end is not None and self._boundaries(folded, start, end):
                    best = (start, end, key)
                    break
            if best is None:
                pos = start + 1
                continue
            yield best
            pos = best[1]

    def _keys_at(self, folded: str, start: int) -> list[str]:
        c = folded[start]
        return [k for k in self._keys if k[:1] == c]

    def _end_of(self, key: str, folded: str, start: int) -> int | None:
        m = self._compiled[key].match(folded, start)
        return m.end() if m else None

    @staticmethod
    def _boundaries(folded: str, start: int, end: int) -> bool:
        before = folded[start - 1] if start > 0 else " "
        after = folded[end] if end < len(folded) else " "
        return not _is_word_char(before) and not _is_word_char(after)

    @staticmethod
    def _case_ok(name: str, found: str) -> bool:
        """A one-word name must start with a capital in the text (``Blanc``, not ``blanc``);
    names of several words or a hyphenated compound (``Hénin-Beaumont``) in any case."""
        if len(re.split(r"[\s\-\u2010\u2011]+", name.strip())) > 1 or not name[:1].isupper():
            return True
        return found[:1].isupper()

    @staticmethod
    def _no_overlap(found: list[Match]) -> list[Match]:
        out: list[Match] = []
        for m in found:
            if out and m.start < out[-1].end:
                if (m.end - m.start) > (out[-1].end - out[-1].start):
                    out[-1] = m
                continue
            out.append(m)
        return out

    @staticmethod
    def _widen(text: str, m: Match) -> Match:
        """The whole hyphenated compound (capitalised parts), and a title before it when
        the replacement brings its own."""
        s, e = m.start, m.end
        while s > 1 and text[s - 1] in _HYPHENS and text[s - 2].isalpha():
            k = s - 1
            j = k
            while j > 0 and _is_word_char(text[j - 1]):
                j -= 1
            if j < k and text[j].isupper():
                s = j
            else:
                break
        while e < len(text) - 1 and text[e] in _HYPHENS and text[e + 1].isupper():
            j = e + 1
            while j < len(text) and _is_word_char(text[j]):
                j += 1
            e = j
        if _TITLE_START.match(m.replacement) and s > 0:
            t = _TITLE_RE.search(text[max(0, s - 16):s])
            if t is not None:
                begin = max(0, s - 16) + t.start()
                if begin == 0 or not _is_word_char(text[begin - 1]):
                    s = begin
        if (s, e) == (m.start, m.end):
            return m
        return Match(s, e, m.replacement, m.name)

    # ------------------------------------------------------------------ applying
    def document(self, text: str) -> PseudoText:
        """A whole document: its pseudonymized copy and the map of its offsets."""
        return PseudoText(text, self.matches(text))

    def text(self, value: str | None, *, any_case: bool = False, parts: bool = False) -> str | None:
        """A short string (a label, a speaker, an attribute value, a table cell);
        ``any_case``: one-word names in lower case too (lemmas of word tables);
        ``parts``: a person's first or last name alone too (file names)."""
        if not value or not isinstance(value, str) or not self.rules:
            return value
        return PseudoText(value, self.matches(value, any_case=any_case, persons=False, parts=parts)).text

    def name(self, value: str) -> str:
        """A document's (file) name: every name of the key and each part of a person's
        name, in any case (``entretien_vasseur`` -> ``entretien_Mme V.``)."""
        return self.text(value, any_case=True, parts=True) or value

    def value(self, value, *, any_case: bool = False):
        """Like :meth:`text` for any value: strings are replaced, others kept."""
        if isinstance(value, str):
            return self.text(value, any_case=any_case)
        return value
