"""Excerpt boundaries worth quoting: whole quotations, marked cuts, context sentences.

A coding can start or end anywhere: a sentence unit found by the NLP pipeline may stop
inside a quotation (``Il disait « la fosse, c'est notre vie.``), a hand coding may cut a
word. Quoted in a thesis, that gives unbalanced quotation marks or a misquotation.
:func:`passage` computes what to show for a coded span ``start:end`` of a turn:

* the shown span never starts or ends inside « », “ ” or [ ]: when the coded text has an
  unmatched mark, it is widened to the sentences around it (sentences never end inside
  a quotation, see :func:`sentence_spans`), within the turn;
* ``lead``/``trail``: the shown span starts or ends in the middle of a sentence; the
  exporters mark it ``[…]``;
* ``before``/``after``: ``context`` sentences of the same turn before and after, shown
  apart from the quotation;
* ``balanced``: False when even the turn does not close the quotation (a transcript with
  an unpaired mark): the exporters report it.

The coding itself is never changed: its offsets and text stay those of the project.
Sentences here are split by punctuation (``. ? ! …`` followed by a space or a line end,
outside quotation marks, and line ends), not by the NLP pipeline, so that an export
needs no model.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

PAIRS = (("«", "»"), ("“", "”"), ("[", "]"))
_OPEN = {o: i for i, (o, _) in enumerate(PAIRS)}
_CLOSE = {c: i for i, (_, c) in enumerate(PAIRS)}
_TERMINAL = ".?!…"
_TRAILERS = "»”)\"'"
_WORD = re.compile(r"\w+")
_OPENERS = " \t\n«“\"'(\u00a0\u202f"


def word_count(text: str) -> int:
    return len(_WORD.findall(text))


def unmatched(text: str) -> list[str]:
    """The quotation marks and brackets of ``text`` that have no partner in it."""
    depth = [0] * len(PAIRS)
    out = []
    for ch in text:
        if ch in _OPEN:
            depth[_OPEN[ch]] += 1
        elif ch in _CLOSE:
            k = _CLOSE[ch]
            if depth[k]:
                depth[k] -= 1
            else:
                out.append(ch)
    for k, d in enumerate(depth):
        out += [PAIRS[k][0]] * d
    return out


def sentence_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The sentences of ``text[start:end]`` as (start, end), without surrounding spaces.

    A sentence ends after ``. ? ! …`` (and the closing quotes or brackets that follow)
    when a space or the end follows, or at a line end, but never inside « », “ ” or [ ]."""
    spans: list[tuple[int, int]] = []
    depth = 0
    i = start
    begin = None
    while i < end:
        ch = text[i]
        if begin is None:
            if ch.isspace():
                i += 1
                continue
            if ch == "[":  # an annotation between sentences ([rires], [E : mhm]) stands alone
                close = text.find("]", i, end)
                if close > 0 and (close + 1 >= end or text[close + 1].isspace()):
                    spans.append((i, close + 1))
                    i = close + 1
                    continue
            begin = i
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth = max(depth - 1, 0)
            before = text[begin:i].rstrip()
            if depth == 0 and before and before[-1] in _TERMINAL and (i + 1 >= end or text[i + 1].isspace()):
                spans.append((begin, i + 1))  # « C'est dur. » Puis… : the quotation ends the sentence
                begin = None
                i += 1
                continue
        if ch == "\n" and depth == 0:
            stop = i
            while stop > begin and text[stop - 1].isspace():
                stop -= 1
            if stop > begin:
                spans.append((begin, stop))
            begin = None
        elif ch in _TERMINAL and depth == 0:
            j = i + 1
            while j < end and text[j] in _TERMINAL:
                j += 1
            while j < end and text[j] in _TRAILERS and text[j] not in _OPEN:
                j += 1
            if j >= end or text[j].isspace():
                spans.append((begin, j))
                begin = None
                i = j
                continue
        i += 1
    if begin is not None:
        stop = end
        while stop > begin and text[stop - 1].isspace():
            stop -= 1
        if stop > begin:
            spans.append((begin, stop))
    return spans


@dataclass
class Passage:
    start: int  # the shown span (the coded span, or wider)
    end: int
    lead: bool = False  # starts mid-sentence
    trail: bool = False  # ends mid-sentence
    before: str = ""  # context sentences before (same turn)
    after: str = ""
    balanced: bool = True
    widened: bool = False


def passage(text: str, start: int, end: int, turn_start: int, turn_end: int, context: int = 0,
            sentences: dict[tuple[int, int], list[tuple[int, int]]] | None = None) -> Passage:
    """What to show for the coded span ``start:end`` inside the turn (see the module
    documentation). ``sentences``: a dict kept by the caller for this ``text``, so that the
    sentences of a turn holding several excerpts are found once."""
    lo, hi = min(turn_start, start), max(turn_end, end)
    if sentences is None:
        spans = sentence_spans(text, lo, hi)
    elif (lo, hi) in sentences:
        spans = sentences[lo, hi]
    else:
        spans = sentences[lo, hi] = sentence_spans(text, lo, hi)
    s, e = start, end
    widened = False
    if unmatched(text[s:e]) and spans:
        first = _index_at(spans, s)
        last = _index_at(spans, max(e - 1, s))
        s2, e2 = min(s, spans[first][0]), max(e, spans[last][1])
        if not unmatched(text[s2:e2]):
            s, e, widened = s2, e2, True
    balanced = not unmatched(text[s:e])
    if not spans:
        return Passage(s, e, balanced=balanced, widened=widened)
    first, last = _index_at(spans, s), _index_at(spans, max(e - 1, s))
    core = text[s:e].strip()
    head = text[spans[first][0]:s]
    # a quotation starts a sentence of its own: « Toi tu iras pas. » is not cut
    lead = bool(core) and head.strip(_OPENERS) != "" and not head.rstrip(" \u00a0\u202f").endswith(("«", "“"))
    tail = text[e:spans[last][1]]
    trail = (bool(core) and tail.strip() != "" and not _only_closers(tail)
             and not (core[-1] in _TERMINAL and tail.lstrip(" \u00a0\u202f").startswith(("»", "”"))))
    before = after = ""
    if context > 0:
        b0 = spans[max(first - context, 0)][0]
        before = text[b0:s] if b0 < s else ""
        e0 = spans[min(last + context, len(spans) - 1)][1]
        after = text[e:e0] if e0 > e else ""
        lead = lead and not before.strip()
        trail = trail and not after.strip()
    return Passage(s, e, lead, trail, before, after, balanced, widened)


def _only_closers(tail: str) -> bool:
    return all(ch in _TERMINAL or ch in _TRAILERS or ch.isspace() for ch in tail)


def _index_at(spans: list[tuple[int, int]], pos: int) -> int:
    """The sentence holding ``pos`` (or the last one starting before it)."""
    i = bisect_right([a for a, _ in spans], pos) - 1
    return max(i, 0)
