"""Plain-text and Markdown transcripts (``.txt``, ``.md``).

The stored text is the whole decoded file (see :func:`qualcode.textnorm.read_text_file`),
labels included, so turn offsets also index the file. Each turn covers only its
utterance: the text after the speaker label (and timestamp) up to the next turn, with
continuation lines and blank lines inside it, stripped of surrounding whitespace.

Turn starts recognized at the beginning of a line (leading spaces allowed)::

    Name: text            NAME : text (also with U+00A0 / U+202F before the colon)
    Mme Dufour : text     M. Caron : text     E: text     Enquêtrice : text
    SPEAKER_00: text      Speaker 1: text     Interviewer1 : text
    [00:12:34] Name: text     (00:12:34) Name : text     00:12:34 Name: text
    Name [00:12:34]: text     Name (00:12:34) : text
    **Name :** text       **Name**: text        (Markdown bold)
    Name  12:34           (Otter.ai: a line holding only a name and a time, the
                           utterance on the following lines; H:MM:SS past an hour)
    [00:12:34] text       (bracketed time without a label: a turn with no speaker)

How a line prefix ``X :`` is told from ordinary French text (``Il m'a dit : « viens »``,
``Bon, voilà : c'était dur``, ``Note : …``, URLs, ``10:30``):

1. *Shape* (:func:`qualcode.importers.speakers.looks_like_label`): at most 4 words and
   30 characters; capitalized words, initials, ``M.``/``Mme``, digits after the first
   word, name particles (``de``, ``du``…) inside; known interviewer/participant labels
   in any case; diarization ids (``SPEAKER_00``). No commas, quotes, lower-case words.
   Common words that begin ``X :`` lines in notes (``Note``, ``Date``, ``Lieu``,
   ``Exemple``, ``Alors``… :data:`~qualcode.importers.speakers.NOT_LABELS`) are never
   labels. The colon must not be followed by ``/`` or a digit (URLs, clock times).
2. *Evidence*: a well-shaped label is accepted when it is a known interviewer label (or
   one given in ``ImportOptions.interviewers``), a diarization id, starts with an
   honorific (``Mme Dufour``), carries a bracketed or leading timestamp
   (``[00:12:34] Pierre :``), is in Markdown bold in a file with at least two bold
   labels, or when the same label (case- and accent-insensitive) starts at least two
   lines of the file. Otter-style ``Name  12:34`` lines look like short text lines
   (``Rendez-vous 10:30``), so they need the same evidence as plain labels. A one-off
   ``Remarque :`` or ``Pierre :`` is text. (Consequence: a participant who speaks only
   once under a plain unknown name is not split off; the line stays in the previous
   turn.)

Inline back-channels (``[L: Oui.]``, ``[E : d'accord]``, ``[rires]``, ``(rires)``) are
never turn starts, even at the beginning of a line: only a bracketed *timestamp* opens a
turn. Markdown headings (``# …``) and rules (``---``) end the current turn and belong to
no turn; text after them and before the next label is a turn with no speaker.

Text before the first accepted label (a title such as ``Entretien n°1 – mars 2024``,
metadata lines) belongs to no turn; its span is kept in ``meta["preamble"]``. A file
without any label is split into paragraphs (blank-line separated), one turn each, with
``speaker=None``.

Timestamps become ``time_start`` in seconds; ``time_end`` is the next turn's
``time_start`` when known.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise

from qualcode.importers.base import ImportOptions, ParsedDocument, ParsedTurn
from qualcode.importers.speakers import (
    clean_label,
    has_honorific,
    is_diarization_id,
    is_interviewer_label,
    label_form,
    looks_like_label,
    parse_timestamp,
)
from qualcode.textnorm import read_text_file

__all__ = ["parse", "parse_text"]

_H = r"[^\S\n]"  # horizontal whitespace, including U+00A0 / U+202F
_TS = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
# A raw label candidate: starts with a letter; validated by looks_like_label().
_LABEL = r"(?P<label>[^\W\d_][^\n:\[\]()*«»\"“”,;?!]{0,40}?)"
_COLON = r":(?![/\d])"

_RE_TS_PREFIX = re.compile(
    rf"{_H}*(?:[\[(]{_H}*(?P<bts>{_TS}){_H}*[\])]|(?P<ts>{_TS})(?={_H}))"
    rf"{_H}*(?:[-–—]{_H}+)?"
)
_RE_LABEL_TS = re.compile(
    rf"{_H}*{_LABEL}{_H}*[\[(]{_H}*(?P<bts>{_TS}){_H}*[\])]{_H}*{_COLON}{_H}*"
)
_RE_MD = re.compile(
    rf"{_H}*\*\*{_H}*{_LABEL}{_H}*(?::{_H}*\*\*|\*\*{_H}*{_COLON}){_H}*"
)
_RE_PLAIN = re.compile(rf"{_H}*{_LABEL}{_H}*{_COLON}{_H}*")
_RE_OTTER = re.compile(
    rf"{_H}*{_LABEL}{_H}+(?:[\[(]{_H}*(?P<bts>{_TS}){_H}*[\])]|(?P<ts>{_TS})){_H}*$"
)
_RE_HEADING = re.compile(rf"{_H}*(?:#{{1,6}}(?:{_H}|$)|(?:-{{3,}}|\*{{3,}}|_{{3,}}|={{3,}}){_H}*$)")


@dataclass
class _Cand:
    """A line that may open a turn."""

    line_start: int  # offset of the line in the text
    content_start: int  # offset where the utterance may begin
    label: str | None  # cleaned label, None for a bare bracketed timestamp
    time: float | None
    kind: str  # plain | md | label_ts | ts_prefix | otter | ts_only
    bracketed: bool = False  # time in [..] / (..) (opens a turn even without label)
    after_ts: int = 0  # for ts_prefix: offset just after the timestamp


def _match_label(line: str, base: int) -> tuple[str, int, str] | None:
    """Plain/markdown label at the start of ``line``: (label, content offset, kind)."""
    for kind, rx in (("md", _RE_MD), ("plain", _RE_PLAIN)):
        m = rx.match(line)
        if m:
            label = clean_label(m.group("label"))
            if looks_like_label(label):
                return label, base + m.end(), kind
            return None
    return None


def _scan_line(line: str, base: int) -> _Cand | None:
    m = _RE_TS_PREFIX.match(line)
    if m:
        ts = m.group("bts") or m.group("ts")
        time = parse_timestamp(ts)
        if time is not None:
            bracketed = m.group("bts") is not None
            rest = line[m.end():]
            found = _match_label(rest, base + m.end())
            if found:
                label, content, _ = found
                return _Cand(base, content, label, time, "ts_prefix", bracketed, base + m.end())
            if bracketed:
                return _Cand(base, base + m.end(), None, time, "ts_only", True, base + m.end())
            return None
    m = _RE_LABEL_TS.match(line)
    if m:
        label = clean_label(m.group("label"))
        time = parse_timestamp(m.group("bts"))
        if time is not None and looks_like_label(label):
            return _Cand(base, base + m.end(), label, time, "label_ts", True)
    m = _RE_OTTER.match(line)
    if m:
        label = clean_label(m.group("label"))
        time = parse_timestamp(m.group("bts") or m.group("ts"))
        if time is not None and looks_like_label(label):
            return _Cand(base, base + len(line), label, time, "otter", m.group("bts") is not None)
        return None
    found = _match_label(line, base)
    if found:
        label, content, kind = found
        return _Cand(base, content, label, None, kind)
    return None


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    chunk = text[start:end]
    start += len(chunk) - len(chunk.lstrip())
    end -= len(chunk) - len(chunk.rstrip())
    return start, max(start, end)


def _lines(text: str) -> list[tuple[int, str]]:
    out = []
    pos = 0
    for line in text.split("\n"):
        out.append((pos, line))
        pos += len(line) + 1
    return out


def _paragraphs(text: str, lines: list[tuple[int, str]]) -> list[ParsedTurn]:
    turns: list[ParsedTurn] = []
    block: int | None = None  # start offset of the current paragraph
    block_end = 0

    def close() -> None:
        if block is not None:
            s, e = _strip_span(text, block, block_end)
            if s < e:
                turns.append(ParsedTurn(None, s, e))

    for start, line in lines:
        if not line.strip() or _RE_HEADING.match(line):
            close()
            block = None
            continue
        if block is None:
            block = start
        block_end = start + len(line)
    close()
    return turns


def parse_text(text: str, options: ImportOptions | None = None) -> tuple[list[ParsedTurn], dict]:
    """Split normalized ``text`` into turns (see the module docstring).

    Returns the turns and a dict of facts for ``ParsedDocument.meta``.
    """
    options = options or ImportOptions()
    lines = _lines(text)
    extra_interviewers = {label_form(x) for x in options.interviewers or ()}

    cands: dict[int, _Cand] = {}
    headings: set[int] = set()
    for i, (start, line) in enumerate(lines):
        if _RE_HEADING.match(line):
            headings.add(i)
            continue
        c = _scan_line(line, start)
        if c is not None:
            cands[i] = c

    counts: dict[str, int] = {}
    for c in cands.values():
        if c.label is not None:
            counts[label_form(c.label)] = counts.get(label_form(c.label), 0) + 1
    n_md = sum(1 for c in cands.values() if c.kind == "md")

    def accepted(c: _Cand) -> bool:
        if c.label is None:
            return True
        # Otter-style "Name  12:34" lines are timestamped but also look like ordinary
        # short lines ("Rendez-vous 10:30"), so they need the usual evidence.
        timestamped = c.time is not None and c.kind != "otter"
        return (
            timestamped
            or is_interviewer_label(c.label)
            or label_form(c.label) in extra_interviewers
            or is_diarization_id(c.label)
            or has_honorific(c.label)
            or (c.kind == "md" and n_md >= 2)
            or counts[label_form(c.label)] >= 2
        )

    opens: dict[int, _Cand] = {}
    for i, c in cands.items():
        if accepted(c):
            opens[i] = c
        elif c.kind == "ts_prefix" and c.bracketed:
            # "[00:01:02] Remarque : …": the time opens a turn, the label is text.
            opens[i] = _Cand(c.line_start, c.after_ts, None, c.time, "ts_only", True)

    meta: dict = {}
    if not opens:
        meta["conventions"] = ["paragraphs"]
        return _paragraphs(text, lines), meta

    meta["conventions"] = sorted({c.kind for c in opens.values()})
    turns: list[ParsedTurn] = []
    # Current region: (speaker, content start, time) or None before the first label.
    current: tuple[str | None, int, float | None] | None = None
    pending_time: float | None = None
    s, e = _strip_span(text, 0, opens[min(opens)].line_start)
    if s < e:
        meta["preamble"] = [s, e]

    def close(end: int) -> None:
        nonlocal pending_time
        if current is None:
            return
        speaker, start, time = current
        s, e = _strip_span(text, start, end)
        if s < e:
            turns.append(ParsedTurn(speaker, s, e, time))
            pending_time = None
        elif time is not None and speaker is None:
            # A bare "[00:12:34]" line: its time goes to the turn that follows.
            pending_time = time

    for i, (start, line) in enumerate(lines):
        if i in opens:
            c = opens[i]
            close(start)
            time = c.time if c.time is not None else pending_time
            pending_time = None
            current = (c.label, c.content_start, time)
        elif i in headings and current is not None:
            close(start)
            current = (None, start + len(line), None)
    close(len(text))

    for a, b in pairwise(turns):
        if a.time_start is not None and b.time_start is not None and b.time_start >= a.time_start:
            a.time_end = b.time_start
    return turns, meta


def parse(data: bytes, path: str, options: ImportOptions) -> ParsedDocument:
    decoded = read_text_file(data, path)
    text = decoded.text
    turns, meta = parse_text(text, options)
    fmt = "md" if path.lower().endswith((".md", ".markdown")) else "txt"
    return ParsedDocument(text=text, turns=turns, format=fmt, encoding=decoded.encoding,
                          warnings=decoded.warnings(path), meta=meta)
