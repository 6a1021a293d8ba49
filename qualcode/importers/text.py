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

import difflib
import re
import shlex
from dataclasses import dataclass
from itertools import pairwise

from qualcode.importers.base import ImportOptions, ParsedDocument, ParsedTurn
from qualcode.importers.speakers import (
    clean_label,
    default_role,
    has_honorific,
    is_diarization_id,
    is_interviewer_label,
    is_participant_label,
    label_form,
    looks_like_label,
    parse_timestamp,
    speaker_key,
)
from qualcode.textnorm import read_text_file

__all__ = ["parse", "parse_text"]

_H = r"[^\S\n]"  # horizontal whitespace, including U+00A0 / U+202F
_TS = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
# A raw label candidate: starts with a letter; validated by looks_like_label().
_LABEL = (r"(?P<label>[^\W\d_][^\n:\[\]()*«»\"“”,;?!]{0,40}?"
          r"(?:[^\S\n]*\([^\n:\[\]()*«»\"“”,;?!]{1,30}\))?)")
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
    weak: bool = False  # not shaped like a label ("l :"): a turn only if the same label,
    # in another case, is a speaker of the file ("L :")
    forced: bool = False  # matched --label-pattern: always a turn


def compile_label_pattern(pattern: str | None) -> re.Pattern[str] | None:
    """The ``--label-pattern`` regex, checked: it must have a named group ``label``
    (and may have ``time``). Raises ValueError with a one-line reason."""
    if not pattern:
        return None
    try:
        rx = re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression: {exc}") from None
    if "label" not in rx.groupindex:
        raise ValueError("needs a named group (?P<label>...) for the speaker label")
    return rx


def _match_pattern(rx: re.Pattern[str], line: str, base: int) -> _Cand | None:
    m = rx.match(line)
    if not m or not m.group("label") or not m.group("label").strip():
        return None
    label = clean_label(m.group("label"))
    time = None
    if "time" in rx.groupindex and m.group("time"):
        time = parse_timestamp(m.group("time"))
    content = m.end()
    while content < len(line) and line[content] in " \t\u00a0\u202f":
        content += 1
    return _Cand(base, base + content, label, time, "pattern", forced=True)


def _match_label(line: str, base: int, weak: bool = False) -> tuple[str, int, str] | None:
    """Plain/markdown label at the start of ``line``: (label, content offset, kind).

    With ``weak``, a short prefix that is not shaped like a label (``"l :"``) is
    returned with kind ``weak``: it opens a turn only if the same label in another
    case is a speaker of the file."""
    for kind, rx in (("md", _RE_MD), ("plain", _RE_PLAIN)):
        m = rx.match(line)
        if m:
            label = clean_label(m.group("label"))
            if looks_like_label(label):
                return label, base + m.end(), kind
            if weak and len(label.split()) <= 4 and len(label) <= 30:
                return label, base + m.end(), "weak"
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
    found = _match_label(line, base, weak=True)
    if found:
        label, content, kind = found
        if kind == "weak":
            return _Cand(base, content, label, None, "plain", weak=True)
        return _Cand(base, content, label, None, kind)
    return None


def _index_base(label: str) -> str | None:
    """``"P3"`` -> ``"p"``, ``"Speaker 2"`` -> ``"speaker"``, ``"Enquêtrice B"`` ->
    ``"enquetrice"``: the label without a trailing index, None when it has none."""
    m = re.fullmatch(r"(.+?)[\s_-]*(?:\d{1,3}|(?<=[\s_-])[a-z])", label_form(label))
    return m.group(1) if m else None


def near_duplicate_pairs(uses: dict[str, int], firsts: dict[str, int]) -> list[tuple[int, str, str]]:
    """``(line, label, near)`` for each speaker whose label is almost that of a speaker
    with at least as many turns (``"Interviewer2 2"`` and ``"Interviewer2"``). ``uses``:
    turns per label; ``firsts``: the line of each label's first turn."""
    out = []
    for label in sorted(uses, key=lambda x: (uses[x], firsts[x])):
        others = [x for x in uses if x != label and uses[x] >= uses[label]]
        near = _close_to(label, others)
        if near is not None and not (uses[near] == uses[label] and firsts[near] > firsts[label]):
            out.append((firsts[label], label, near))
    return out


def merge_hint(label: str, near: str) -> str:
    """How to join a near-duplicate speaker to the one it resembles, once imported."""
    return f"join them with: qualcode speakers DOCUMENT --merge {shlex.quote(label + '=' + near)}"


def near_duplicate_message(label: str, near: str, uses: dict[str, int]) -> str:
    return (f"speaker {label!r} ({uses[label]} turns) looks like {near!r} ({uses[near]} turns): "
            f"did you mean {near!r}? (imported as two speakers; {merge_hint(label, near)})")


def near_duplicate_speakers(uses: dict[str, int], firsts: dict[str, int]) -> list[tuple[int, str]]:
    """``(line, message)`` for each pair of :func:`near_duplicate_pairs`."""
    return [(line, near_duplicate_message(label, near, uses))
            for line, label, near in near_duplicate_pairs(uses, firsts)]


def near_label_hints(pairs, interviewers: list[str] | None) -> set[str]:
    """The labels of ``(label, near)`` pairs whose ``near`` is an interviewer: a misspelt
    interviewer label (``"Interviewer2 2"``) keeps the interviewer's role, so that its
    words are not taken for the participant's (see ``ParsedDocument.interviewer_hints``)."""
    return {label for label, near in pairs if default_role(near, interviewers) == "interviewer"}


def _known_role(label: str) -> str | None:
    """"interviewer" / "participant" for a label of the default lists, else None."""
    if is_interviewer_label(label):
        return "interviewer"
    return "participant" if is_participant_label(label) else None


def _close_to(label: str, known: list[str]) -> str | None:
    """A known label that ``label`` is probably a misspelling of (``"Interviewer2 2"`` ->
    ``"Interviewer2"``, ``"Enquetrce"`` -> ``"Enquêtrice"``), None if none is close.
    Labels that differ only by their index (``"P1"``/``"P2"``, ``"Speaker 1"``/``"Speaker 2"``)
    are different speakers, not misspellings."""
    form = label_form(label)
    base = _index_base(label)
    best: tuple[float, str] | None = None
    for other in known:
        oform = label_form(other)
        if oform == form:
            continue
        if base is not None and base == _index_base(other):
            continue
        if _known_role(label) and _known_role(other) and _known_role(label) != _known_role(other):
            continue  # "Interviewer" and "Interviewee": two roles, not a misspelling
        ratio = difflib.SequenceMatcher(None, form, oform).ratio()
        if ratio >= 0.8 and (best is None or ratio > best[0]):
            best = (ratio, other)
    return best[1] if best else None


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
    pattern = compile_label_pattern(options.label_pattern)

    cands: dict[int, _Cand] = {}
    headings: set[int] = set()
    for i, (start, line) in enumerate(lines):
        if _RE_HEADING.match(line):
            headings.add(i)
            continue
        c = _match_pattern(pattern, line, start) if pattern is not None else None
        if c is None:
            c = _scan_line(line, start)
        if c is not None:
            cands[i] = c

    counts: dict[str, int] = {}
    for c in cands.values():
        if c.label is not None:  # "l :" and "L :" count as two uses of one label
            counts[speaker_key(c.label)] = counts.get(speaker_key(c.label), 0) + 1
    n_md = sum(1 for c in cands.values() if c.kind == "md")

    def accepted(c: _Cand) -> bool:
        if c.label is None or c.forced:
            return True
        if c.weak:
            return False
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
            or counts[speaker_key(c.label)] >= 2
        )

    opens: dict[int, _Cand] = {}
    for i, c in cands.items():
        if accepted(c):
            opens[i] = c
        elif c.kind == "ts_prefix" and c.bracketed:
            # "[00:01:02] Remarque : …": the time opens a turn, the label is text.
            opens[i] = _Cand(c.line_start, c.after_ts, None, c.time, "ts_only", True)

    # One spelling per speaker: the first one of the file ("L :" then "l :" -> "L").
    spelling: dict[str, str] = {}
    for i in sorted(opens):
        label = opens[i].label
        if label is not None:
            spelling.setdefault(speaker_key(label), label)
    # "P3 :" once among "P1 :" / "P2 :" lines: another index of a known label.
    bases = {_index_base(x) for x in spelling.values()} - {None}
    warnings: list[tuple[int, str]] = []
    near_misses: dict[str, str] = {}  # label used once, close to a speaker's -> that speaker's label
    for i in sorted(cands):
        c = cands[i]
        if i in opens or c.label is None:
            continue
        form = speaker_key(c.label)
        if form in spelling or (not c.weak and _index_base(c.label) in bases):
            opens[i] = c  # "l :" among "L :" lines
            continue
        near = _close_to(c.label, list(spelling.values()))
        if near is not None:
            # "Interviewer2 2 :" among "Interviewer2 :" lines: almost surely a label, so its
            # words must not go to the previous speaker. A turn of its own, and said.
            opens[i] = c
            near_misses[c.label] = near
            warnings.append((i + 1, f"{c.label!r} looks like the speaker label {near!r} "
                                    f"(did you mean {near!r}?); imported as a speaker of its own "
                                    f"({merge_hint(c.label, near)})"))
    for i in sorted(opens):
        c = opens[i]
        if c.label is not None:
            c.label = spelling.setdefault(speaker_key(c.label), c.label)
    # Two speakers whose labels are almost the same ("Interviewer2" and
    # "Interviewer2 2"): imported as two speakers, but said.
    firsts: dict[str, int] = {}
    uses: dict[str, int] = {}
    for i in sorted(opens):
        label = opens[i].label
        if label is not None:
            firsts.setdefault(label, i + 1)
            uses[label] = uses.get(label, 0) + 1
    pairs = [(line, label, near) for line, label, near in near_duplicate_pairs(uses, firsts)
             if label not in near_misses]
    warnings += [(line, near_duplicate_message(label, near, uses)) for line, label, near in pairs]

    meta: dict = {}
    if warnings:
        meta["label_warnings"] = sorted(warnings)
    near_labels = [*near_misses.items(), *((label, near) for _, label, near in pairs)]
    if near_labels:
        meta["near_labels"] = near_labels
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
    warnings = decoded.warnings(path)
    warnings += [f"{path}:{line}: {msg}" for line, msg in meta.pop("label_warnings", [])]
    hints = near_label_hints(meta.pop("near_labels", []), options.interviewers)
    return ParsedDocument(text=text, turns=turns, format=fmt, encoding=decoded.encoding,
                          warnings=warnings, meta=meta, interviewer_hints=hints)
