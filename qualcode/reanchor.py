"""Re-anchoring spans of a text onto a corrected version of it (``import --replace``).

A pure function, :func:`reanchor`, with no project behind it: given the old text, the new
text and spans of the old text (``(key, start, end)``), it says for each span where it
lies in the new text and how it fared:

* ``kept``: same offsets, same text;
* ``moved``: same text at other offsets (text inserted or removed before it);
* ``changed``: placed on the new text, whose words there differ (an edit inside the span,
  or the span found again only approximately): the caller flags it for review;
* ``orphaned``: could not be placed (its text was deleted or rewritten beyond
  recognition): the caller keeps it aside with its old text, never drops it.

How. A character diff of the two texts (:func:`rapidfuzz.distance.Levenshtein.opcodes`,
bit-parallel, linear memory through Hirschberg's method; the common prefix and suffix
are stripped first; long texts are diffed line by line first, see :func:`opcodes`) maps
each span's first and last character to the new text. An
insertion exactly at a span's boundary stays outside the span. A diff may align a
repeated character or word on either side of an edit: when the mapped text differs from
the old one, the old text is looked for verbatim around the mapped place first. When
the diff cannot place a span (its characters were deleted, or replaced by something
else), the quote is looked for with its surrounding context: the exact quote (the
occurrence whose context best matches the old context), then approximately
(:func:`rapidfuzz.fuzz.partial_ratio_alignment`, at least :data:`FUZZY_MIN` % alike).

The classification never trusts the diff alone: ``kept`` and ``moved`` mean that the new
text at the new offsets *is* the old text, compared character by character.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

STATUSES = ("kept", "moved", "changed", "orphaned")

# A span placed by the diff on a text less alike than this (rapidfuzz ratio, 0-100) is
# looked for again by its context; found approximately, it must be at least FUZZY_MIN alike.
DIFF_MIN = 60.0
FUZZY_MIN = 80.0
CONTEXT = 40  # characters of context on each side, to choose among occurrences
WINDOW = 4000  # the approximate search looks this far around the expected place
LINE_DIFF_ABOVE = 50_000  # characters (both texts): diff line by line first (see opcodes)


@dataclass(frozen=True, slots=True)
class Placement:
    """Where one span of the old text lies in the new one."""

    key: Hashable
    status: str  # kept | moved | changed | orphaned
    old_start: int
    old_end: int
    old_text: str
    start: int | None  # None when orphaned
    end: int | None
    new_text: str | None
    method: str | None  # 'diff' | 'nearby' | 'context' | 'fuzzy' | None (orphaned)
    similarity: float  # rapidfuzz ratio of old and new text (100 when identical, 0 when orphaned)

    def to_dict(self) -> dict:
        return {"key": self.key, "status": self.status, "old_start": self.old_start, "old_end": self.old_end,
                "old_text": self.old_text, "start": self.start, "end": self.end, "new_text": self.new_text,
                "method": self.method, "similarity": round(self.similarity, 1)}


Op = tuple[str, int, int, int, int]  # tag, old start, old end, new start, new end


def _char_ops(old: str, new: str, i0: int = 0, j0: int = 0) -> list[Op]:
    return [(op.tag, i0 + op.src_start, i0 + op.src_end, j0 + op.dest_start, j0 + op.dest_end)
            for op in Levenshtein.opcodes(old, new)]


def _offsets(lines: list[str]) -> list[int]:
    out = [0]
    for line in lines:
        out.append(out[-1] + len(line))
    return out


def opcodes(old: str, new: str) -> list[Op]:
    """The character diff of ``old`` and ``new`` as opcodes (``equal``, ``replace``,
    ``delete``, ``insert`` with their old and new ranges).

    Texts longer together than :data:`LINE_DIFF_ABOVE` characters are first diffed line
    by line (a line: a turn or a paragraph), then character by character inside each pair
    of changed lines (a replaced block pairs its lines one to one): the cost of a
    character diff grows with the product of the lengths (9 s for two texts of 400,000
    characters), that of this one with the edits (0.1 s)."""
    if len(old) + len(new) <= LINE_DIFF_ABOVE:
        return _char_ops(old, new)
    return _LineDiff(old, new).opcodes()


class _LineDiff:
    """The line-by-line diff of two long texts (see :func:`opcodes`), before the character
    diffs inside its changed lines. ``a``/``b``: the texts' lines (``splitlines(keepends=True)``)
    when the caller has them already."""

    def __init__(self, old: str, new: str, a: list[str] | None = None, b: list[str] | None = None):
        self.old, self.new = old, new
        self.a = old.splitlines(keepends=True) if a is None else a
        self.b = new.splitlines(keepends=True) if b is None else b
        self.ops = Levenshtein.opcodes(self.a, self.b)

    def opcodes(self) -> list[Op]:
        a, b = self.a, self.b
        ao, bo = _offsets(a), _offsets(b)
        out: list[Op] = []
        for op in self.ops:
            tag, i1, i2, j1, j2 = op.tag, op.src_start, op.src_end, op.dest_start, op.dest_end
            if tag != "replace":
                out.append((tag, ao[i1], ao[i2], bo[j1], bo[j2]))
            elif i2 - i1 == j2 - j1:  # substituted lines, one for one
                for i, j in zip(range(i1, i2), range(j1, j2)):
                    out += _char_ops(a[i], b[j], ao[i], bo[j])
            else:
                out += _char_ops(self.old[ao[i1]:ao[i2]], self.new[bo[j1]:bo[j2]], ao[i1], bo[j1])
        return out

    def below(self, cutoff: float) -> bool:
        """Whether the score of :meth:`opcodes` is certainly below ``cutoff`` (0-100),
        from the line diff alone: at most the equal lines, plus for each replaced pair of
        lines (or block) the shorter one's length, which its character diff cannot exceed,
        are in common. Stops as soon as the characters certainly not in common are too
        many."""
        a, b = self.a, self.b
        total = len(self.old) + len(self.new)
        # characters not in common allowed (a hair more: rounding must never drop a pair)
        budget = (1 - cutoff / 100) * total + 1e-6 * total
        lost = 0
        for op in self.ops:
            tag, i1, i2, j1, j2 = op.tag, op.src_start, op.src_end, op.dest_start, op.dest_end
            if tag == "equal":
                continue
            if tag == "replace" and i2 - i1 == j2 - j1:
                lost += sum(abs(len(a[i]) - len(b[j])) for i, j in zip(range(i1, i2), range(j1, j2)))
            else:  # a deletion, an insertion or a block: what the shorter side cannot match
                lost += abs(sum(map(len, a[i1:i2])) - sum(map(len, b[j1:j2])))
            if lost > budget:
                return True
        return False


def certainly_below(a: str, b: str, cutoff: float, *, lines: tuple[list[str], list[str]] | None = None) -> bool:
    """Whether :func:`similarity` of two long texts is certainly below ``cutoff``, from
    their line diff alone (cheap: no character diff); False for short texts."""
    return len(a) + len(b) > LINE_DIFF_ABOVE and _LineDiff(a, b, *(lines or (None, None))).below(cutoff)


def similarity(a: str, b: str, cutoff: float = 0.0, *,
               lines: tuple[list[str], list[str]] | None = None) -> float:
    """How alike two texts are, 0-100: rapidfuzz's ratio (2 × characters in common / total
    length) with the characters in common counted by :func:`opcodes` (exact for short
    texts, a close lower bound for long ones, at the cost of a line diff).

    ``cutoff``: as rapidfuzz's ``score_cutoff``, a score below it is returned as 0. For
    long texts a bound computed from the line diff alone (:meth:`_LineDiff.below`) then
    spares the character diffs of texts that cannot reach it, so that comparing a new
    interview with each of the project's is cheap. ``lines``: the texts'
    ``splitlines(keepends=True)``, if the caller keeps them."""
    if not a and not b:
        return 100.0
    if len(a) + len(b) <= LINE_DIFF_ABOVE:
        return float(fuzz.ratio(a, b, score_cutoff=cutoff))
    diff = _LineDiff(a, b, *(lines or (None, None)))
    if cutoff > 0 and diff.below(cutoff):
        return 0.0
    common = sum(i2 - i1 for tag, i1, i2, _j1, _j2 in diff.opcodes() if tag == "equal")
    score = 200.0 * common / (len(a) + len(b))
    return score if score >= cutoff else 0.0


class _Map:
    """Old offsets -> new offsets through the diff's opcodes."""

    def __init__(self, old: str, new: str):
        self.ops = _cleanup(opcodes(old, new))
        self.starts = [op[1] for op in self.ops]

    def _op(self, pos: int) -> Op:
        """The opcode covering old character ``pos`` (not an insertion, which covers none)."""
        i = bisect_right(self.starts, pos) - 1
        while i > 0 and self.ops[i][1] == self.ops[i][2]:  # insertion: empty in the old text
            i -= 1
        while self.ops[i][2] <= pos:  # insertions share their start with the next op
            i += 1
        return self.ops[i]

    def start(self, pos: int) -> int:
        """The new offset of old character ``pos`` (a span's first); inside a replaced
        passage, at the same proportion of what replaced it."""
        tag, i1, i2, j1, j2 = self._op(pos)
        if tag == "equal":
            return j1 + (pos - i1)
        return j1 + (pos - i1) * (j2 - j1) // (i2 - i1)

    def end(self, pos: int) -> int:
        """The new offset just after old character ``pos - 1`` (a span's end)."""
        tag, i1, i2, j1, j2 = self._op(pos - 1)
        if tag == "equal":
            return j1 + (pos - i1)
        return j1 + -(-(pos - i1) * (j2 - j1) // (i2 - i1))  # rounded up


def _cleanup(ops: list[Op], short: int = 3) -> list[Op]:
    """Merge the edits separated by equalities of fewer than ``short`` characters into one
    replaced passage: a rewritten sentence aligned character by character keeps stray
    common letters ('u', ' ') that would cut the span boundaries inside words."""
    out: list[Op] = []
    for op in ops:
        if out and op[0] != "equal" and len(out) >= 2 and out[-1][0] == "equal" \
                and out[-1][2] - out[-1][1] < short and out[-2][0] != "equal":
            out.pop()  # the short equality
            prev = out.pop()
            out.append(("replace", prev[1], op[2], prev[3], op[4]))
        elif out and op[0] != "equal" and out[-1][0] != "equal":
            prev = out.pop()
            out.append(("replace", prev[1], op[2], prev[3], op[4]))
        else:
            out.append(op)
    return out


_WORD = re.compile(r"\w")


def _widen(text: str, s: int, e: int) -> tuple[int, int]:
    """Widen ``text[s:e]`` so that it cuts no word at either end."""
    while 0 < s < e and _WORD.match(text[s - 1]) and _WORD.match(text[s]):
        s -= 1
    while s < e < len(text) and _WORD.match(text[e - 1]) and _WORD.match(text[e]):
        e += 1
    return s, e


def _ratio(a: str, b: str) -> float:
    return float(fuzz.ratio(a, b))


def _nearby(new: str, quote: str, lo: int, hi: int, want: int) -> int | None:
    """The start of the occurrence of ``quote`` in ``new[lo:hi]`` nearest ``want``, or None."""
    lo, hi = max(0, lo), min(len(new), hi)
    best: int | None = None
    at = new.find(quote, lo, hi)
    while at != -1:
        if best is None or abs(at - want) < abs(best - want):
            best = at
        at = new.find(quote, at + 1, hi)
    return best


def _by_context(old: str, new: str, start: int, end: int, expected: int) -> tuple[int, int, str] | None:
    """Find the quote ``old[start:end]`` in ``new`` with its context: the exact quote whose
    surroundings best match the old ones ('context'), else the best approximate match
    around ``expected`` ('fuzzy'), else None."""
    quote = old[start:end]
    before, after = old[max(0, start - CONTEXT):start], old[end:end + CONTEXT]
    found: list[int] = []
    at = new.find(quote)
    while at != -1 and len(found) < 200:
        found.append(at)
        at = new.find(quote, at + 1)
    if found:
        def score(at: int) -> tuple[float, int]:
            ctx = _ratio(before, new[max(0, at - len(before)):at]) + _ratio(after, new[at + len(quote):
                                                                                     at + len(quote) + len(after)])
            return ctx, -abs(at - expected)
        at = max(found, key=score)
        return at, at + len(quote), "context"
    if len(quote.strip()) < 3:  # a word or less: too little to find approximately
        return None
    lo = max(0, expected - WINDOW)
    hay = new[lo:expected + len(quote) + WINDOW]
    got = fuzz.partial_ratio_alignment(quote, hay, score_cutoff=FUZZY_MIN)
    if got is None or got.dest_end <= got.dest_start:
        return None
    s, e = lo + got.dest_start, lo + got.dest_end
    if _ratio(quote, new[s:e]) < FUZZY_MIN:
        return None
    return s, e, "fuzzy"


def reanchor(old: str, new: str, spans: Sequence[tuple[Hashable, int, int]]) -> list[Placement]:
    """Place each span ``(key, start, end)`` of ``old`` on ``new``; one :class:`Placement`
    per span, in the order given (see the module's documentation)."""
    if not spans:
        return []
    mapping = _Map(old, new) if old != new else None
    out: list[Placement] = []
    for key, start, end in spans:
        if not 0 <= start < end <= len(old):
            raise ValueError(f"span {start}:{end} is not a span of the old text (length {len(old)})")
        quote = old[start:end]
        if mapping is None:
            out.append(Placement(key, "kept", start, end, quote, start, end, quote, "diff", 100.0))
            continue
        s, e = mapping.start(start), mapping.end(end)
        method: str | None = "diff"
        if not (s < e and new[s:e] == quote):
            # the diff may have aligned a repeated character or word on the other side of
            # an edit: the quote verbatim around the mapped place
            slack = max(len(quote), 16)
            at = _nearby(new, quote, s - slack, max(e, s) + slack, s)
            if at is not None:
                s, e, method = at, at + len(quote), "nearby"
        if s < e and (new[s:e] == quote or _ratio(quote, new[s:e]) >= DIFF_MIN):
            pass
        else:
            found = _by_context(old, new, start, end, s)
            if found is None:
                out.append(Placement(key, "orphaned", start, end, quote, None, None, None, None, 0.0))
                continue
            s, e, method = found
        text = new[s:e]
        if text != quote:
            s, e = _widen(new, s, e)
            text = new[s:e]
        if text == quote:
            status = "kept" if (s, e) == (start, end) else "moved"
            similarity = 100.0
        else:
            status, similarity = "changed", _ratio(quote, text)
        out.append(Placement(key, status, start, end, quote, s, e, text, method, similarity))
    return out


def counts(placements: Sequence[Placement]) -> dict[str, int]:
    """How many placements of each status, in :data:`STATUSES` order."""
    out = dict.fromkeys(STATUSES, 0)
    for p in placements:
        out[p.status] += 1
    return out
