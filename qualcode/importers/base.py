"""What every importer produces: one normalized text and its speaker turns.

Importers are pure functions ``parse(data: bytes, path: str, options: ImportOptions)
-> ParsedDocument``. They never touch the project store. They raise
:class:`qualcode.errors.InputError` (one-line reason) for bad input.

Invariants (checked by :meth:`ParsedDocument.validate`):

* ``text`` is normalized (``\\n`` newlines, NFC, no control characters other than tab
  and newline), see :mod:`qualcode.textnorm`;
* each turn's ``start``/``end`` index ``text``; turns are sorted, do not overlap, and
  ``text[start:end]`` is the turn's utterance (no speaker label, no timestamp prefix),
  stripped of surrounding whitespace;
* ``speaker`` is the label as written in the source (``"Enquêtrice"``, ``"E"``,
  ``"SPEAKER_00"``, the Transcriber speaker name…), or ``None`` when the source has none.

For text formats (txt/md) ``text`` is the whole file, labels included, so that offsets
also index the original file. For structured formats (docx tables, vtt, srt, trs) the
importer composes a readable text, one turn per paragraph, ``"Speaker: utterance"``
separated by blank lines, with turn offsets covering only the utterance.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from qualcode.errors import InputError
from qualcode.importers.interjections import ParsedInterjection
from qualcode.textnorm import REPLACEMENT, count_controls, normalize_text


@dataclass
class ParsedTurn:
    speaker: str | None
    start: int
    end: int
    time_start: float | None = None  # seconds from the start of the recording
    time_end: float | None = None


@dataclass
class ParsedDocument:
    text: str
    turns: list[ParsedTurn]
    format: str  # txt | md | docx | vtt | srt | trs
    encoding: str | None = None
    # Extra facts worth keeping (e.g. trs speaker metadata, audio file name, docx title).
    meta: dict = field(default_factory=dict)
    # Speakers the source itself declares as interviewers (rare; most come from labels).
    interviewer_hints: set[str] = field(default_factory=set)
    # What the user should know about the import (e.g. control characters replaced),
    # each ``FILE:LINE: message``.
    warnings: list[str] = field(default_factory=list)
    # Bracketed words of another speaker inside a turn ("[E: Hum hum.]"), found by
    # parse_bytes for every format (see qualcode.importers.interjections).
    interjections: list[ParsedInterjection] = field(default_factory=list)

    def speakers(self) -> list[str]:
        seen: dict[str, None] = {}
        for t in self.turns:
            if t.speaker is not None:
                seen.setdefault(t.speaker, None)
        return list(seen)

    def validate(self, path: str | None = None) -> None:
        """Raise InputError if the invariants above do not hold (a bug in an importer)."""
        if normalize_text(self.text) != self.text:
            raise InputError("internal error: text is not normalized", path=path)
        if not self.text.strip():
            raise InputError("empty file", path=path)
        if not self.turns:
            raise InputError("no text found", path=path)
        prev_end = 0
        for i, t in enumerate(self.turns, 1):
            if not (prev_end <= t.start < t.end <= len(self.text)):
                raise InputError(
                    f"internal error: turn {i} has bad offsets {t.start}:{t.end}", path=path
                )
            chunk = self.text[t.start : t.end]
            if chunk != chunk.strip():
                raise InputError(f"internal error: turn {i} is not stripped", path=path)
            prev_end = t.end


@dataclass
class ImportOptions:
    # Speaker labels to treat as interviewers, overriding the default list.
    interviewers: list[str] | None = None
    # ``--label-pattern``: a regex matched at the start of each line (txt/md/docx) or
    # cue line (vtt/srt) whose named group ``label`` is a speaker label (and ``time``, if
    # present, a timestamp); lines it matches always open a turn.
    label_pattern: str | None = None


def compose(turns: list[tuple[str | None, str, float | None, float | None]]) -> tuple[str, list[ParsedTurn]]:
    """Build a readable text from (speaker, utterance, time_start, time_end) tuples.

    Used by structured importers (docx tables, vtt, srt, trs). Each turn becomes one
    paragraph ``"Speaker: utterance"`` (or just the utterance when there is no speaker),
    separated by a blank line. Utterances are normalized and stripped; empty ones are
    dropped. Returns the text and turns whose offsets cover only the utterances.
    """
    parts: list[str] = []
    out: list[ParsedTurn] = []
    pos = 0
    for speaker, utterance, t0, t1 in turns:
        utterance = normalize_text(utterance).strip()
        if not utterance:
            continue
        if parts:
            parts.append("\n\n")
            pos += 2
        label = normalize_text(speaker).strip() if speaker else None
        prefix = f"{label}: " if label else ""
        parts.append(prefix + utterance)
        start = pos + len(prefix)
        end = start + len(utterance)
        out.append(ParsedTurn(label or None, start, end, t0, t1))
        pos = end
    return "".join(parts), out


def stored_positions(raw: str) -> tuple[str, list[int]]:
    """The stored text of a raw decoded text and where each raw position lands in it.

    The one mapping between raw-file positions and stored-text positions: returns
    ``(normalize_text(raw), pos)`` where ``pos[i]`` (``0 <= i <= len(raw)``) is the stored
    offset of raw offset ``i``. A leading BOM maps to 0; the ``\\r`` of a CRLF maps to the
    stored ``\\n`` (so a span ending between ``\\r`` and ``\\n`` ends before the line
    break); characters that NFC composes with the ones before them map into the composed
    character's position (a span cannot end inside it).
    """
    import unicodedata

    n = len(raw)
    pos = [0] * (n + 1)
    flat: list[str] = []  # newline-normalized, control characters replaced, before NFC
    i = 1 if raw.startswith("\ufeff") else 0
    while i < n:
        ch = raw[i]
        pos[i] = len(flat)
        if ch == "\r":
            flat.append("\n")
            if i + 1 < n and raw[i + 1] == "\n":
                pos[i + 1] = pos[i]  # between \r and \n: before the stored \n
                i += 2
                continue
        else:
            flat.append(REPLACEMENT if count_controls(ch) else ch)
        i += 1
    pos[n] = len(flat)
    pre = "".join(flat)
    text = normalize_text(raw)
    if unicodedata.is_normalized("NFC", pre):
        return text, pos
    # NFC changed something: normalize segment by segment (a segment starts at a
    # character that does not combine with the one before) and remap.
    seg_starts = [k for k, c in enumerate(pre) if k == 0 or unicodedata.combining(c) == 0]
    seg_starts.append(len(pre))
    remap = [0] * (len(pre) + 1)
    out: list[str] = []
    length = 0
    for a, b in itertools.pairwise(seg_starts):
        seg = unicodedata.normalize("NFC", pre[a:b])
        for k in range(a, b):
            remap[k] = length if k == a else length + min(k - a, len(seg))
        out.append(seg)
        length += len(seg)
    remap[len(pre)] = length
    if "".join(out) != text:  # Hangul jamo or similar: compose over segment edges
        raise InputError("cannot map offsets through Unicode normalization of this text")
    return text, [remap[p] for p in pos]
