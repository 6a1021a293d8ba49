"""WebVTT (``.vtt``) importer, and the cue → turn logic shared with :mod:`.srt`.

Parsing (header, cue ids, timings with or without hours, cue settings, NOTE, STYLE and
REGION blocks) is done by webvtt-py; this module turns the cues into speaker turns:

* speakers come from voice spans ``<v Name>…</v>`` (also with classes, ``<v.loud Name>``;
  several voices in one cue give several segments) or, failing that, from a
  ``Name: text`` prefix at the start of a cue line (also ``- Name: text``,
  ``>> NAME: text``, ``[Name] text``), see :func:`split_label`;
* other tags (``<i>``, ``<b>``, ``<c.yellow>``, ``<00:01.000>`` timestamps, ``<ruby>``…)
  are removed and character references (``&amp;``, ``&nbsp;``…) decoded;
* consecutive cues of the same speaker merge into one turn (texts joined with a space);
  a cue without a speaker continues the current turn; the turn's ``time_start`` is its
  first cue's start and ``time_end`` its last cue's end, in seconds.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from qualcode.errors import InputError
from qualcode.importers.base import ImportOptions, ParsedDocument, compose
from qualcode.importers.speakers import clean_label, label_form, looks_like_label, parse_timestamp, speaker_key
from qualcode.importers.text import (
    compile_label_pattern,
    near_duplicate_message,
    near_duplicate_pairs,
    near_label_hints,
)
from qualcode.textnorm import read_text_file

# A segment of cue text: (speaker or None when the cue names nobody, text).
Segment = tuple[str | None, str]

# --------------------------------------------------------------------------------------
# "Name: text" label prefixes (shared with srt.py)

# "Name: text", "- Name: text", ">> NAME: text". The label starts with a letter, has at
# most 40 characters and 4 words, and the colon is followed by a space or the line end
# (so "http://x" and "12:30" are not labels).
_COLON_LABEL = re.compile(
    r"^(?:(?:>>|[-–—])\s*)?(?P<label>[^\W\d_][\w'’.\-–— ]{0,39}?(?:\s*\([\w'’.\-–—/ ]{1,30}\))?)"
    r"\s*:(?:\s+|$)(?P<rest>.*)$",
    re.DOTALL,
)
# "[Name] text" / "[Name]: text".
_BRACKET_LABEL = re.compile(
    r"^(?:(?:>>|[-–—])\s*)?\[(?P<label>[^\W\d_][^\[\]]{0,39})\]\s*:?\s*(?P<rest>.*)$",
    re.DOTALL,
)

# Bracketed words that describe sounds, not speakers ("[Musique]", "[Rires]").
_SOUNDS = frozenset(
    label_form(w)
    for w in (
        "rires", "rire", "rit", "sourire", "musique", "music", "inaudible", "incompréhensible",
        "silence", "pause", "applaudissements", "applause", "bruit", "bruits", "noise",
        "toux", "tousse", "soupir", "soupire", "soupirs", "laughs", "laughter", "laughing",
        "crosstalk", "hésitation", "coupure", "interruption", "sonnerie", "téléphone",
        "blanc", "chevauchement", "overlap", "unintelligible", "sighs", "coughs",
        "silence", "inaudible", "rires enregistrés", "générique", "fin", "début",
    )
)


def split_label(line: str, pattern: re.Pattern[str] | None = None,
                known: set[str] | None = None) -> tuple[str, str] | None:
    """``"Marie : oui"`` / ``"- MARIE: oui"`` / ``"[Marie] oui"`` -> ``("Marie", "oui")``.

    The label must have the shape of a speaker label
    (:func:`qualcode.importers.speakers.looks_like_label`: capitalized name words,
    honorifics, known interviewer/participant labels in any case, diarization ids; not
    ``Note``, ``Alors``…); bracketed sound descriptions (``[Musique]``) are not labels.
    A label of ``known`` (label forms, see :func:`~qualcode.importers.speakers.label_form`)
    is accepted in any case (``"l: oui"`` when ``"L"`` speaks elsewhere in the file).
    ``pattern`` (``--label-pattern``) is tried first: its group ``label`` is the label.
    """
    if pattern is not None:
        pm = pattern.match(line)
        if pm and pm.group("label") and pm.group("label").strip():
            return clean_label(pm.group("label")), line[pm.end():].strip()
    m = _BRACKET_LABEL.match(line)
    if m:
        label = clean_label(m.group("label"))
        if looks_like_label(label) and label_form(label) not in _SOUNDS:
            return label, m.group("rest").strip()
        return None
    m = _COLON_LABEL.match(line)
    if m:
        label = clean_label(m.group("label"))
        if looks_like_label(label) or (known is not None and speaker_key(label) in known):
            return label, m.group("rest").strip()
    return None


def split_lines_by_label(lines: list[str], pattern: re.Pattern[str] | None = None,
                         known: set[str] | None = None) -> list[Segment]:
    """Cut cue lines (tags already removed) into segments at accepted label prefixes."""
    segments: list[list] = []
    for line in lines:
        line = " ".join(line.split())
        if not line:
            continue
        found = split_label(line, pattern, known)
        if found:
            label, rest = found
            segments.append([label, rest])
        elif segments:
            segments[-1][1] = f"{segments[-1][1]} {line}".strip()
        else:
            segments.append([None, line])
    return [(s, t) for s, t in segments if t or s is not None]


@dataclass
class _Turn:
    speaker: str | None
    texts: list[str]
    t0: float | None
    t1: float | None


# Subtitles without any speaker: a cue that does not end a sentence continues into the
# next one when the gap between them is under PAUSE_SECONDS, and a block never runs
# past MAX_BLOCK_SECONDS; otherwise every cue is its own turn, with its own times.
PAUSE_SECONDS = 1.0
MAX_BLOCK_SECONDS = 30.0
_SENTENCE_END = re.compile(r"[.!?…»\"”)\]]\s*$")


def _anchor_blocks(cues: list[tuple[float | None, float | None, list[Segment]]]
                   ) -> list[tuple[str | None, str, float | None, float | None]]:
    """Turns of a subtitle file that names no speaker (Whisper, YouTube captions): one
    per cue, or per block of cues that continue a sentence across a short gap."""
    turns: list[_Turn] = []
    for t0, t1, segments in cues:
        text = " ".join(t for _, t in segments if t)
        if not text:
            continue
        if turns:
            cur = turns[-1]
            joined = (not _SENTENCE_END.search(cur.texts[-1])
                      and t0 is not None and cur.t1 is not None and t0 - cur.t1 < PAUSE_SECONDS
                      and cur.t0 is not None and t1 is not None and t1 - cur.t0 <= MAX_BLOCK_SECONDS)
            if joined:
                cur.texts.append(text)
                cur.t1 = t1
                continue
        turns.append(_Turn(None, [text], t0, t1))
    return [(None, " ".join(t.texts), t.t0, t.t1) for t in turns]


def known_labels(cues: list[tuple[float | None, float | None, list[Segment]]]) -> set[str]:
    """Speaker keys (:func:`~qualcode.importers.speakers.speaker_key`) of the speakers
    named in ``cues``."""
    return {speaker_key(s) for _, _, segments in cues for s, _ in segments if s is not None}


def speaker_warnings(rows: list[tuple[str | None, str, float | None, float | None]], text: str,
                     path: str, interviewers: list[str] | None = None) -> tuple[list[str], set[str]]:
    """``PATH:LINE: …`` for speakers whose labels are almost another's (see
    :func:`~qualcode.importers.text.near_duplicate_speakers`); LINE is where the label is
    first written in the file. And the labels among them that keep an interviewer's role
    (:func:`~qualcode.importers.text.near_label_hints`)."""
    uses: dict[str, int] = {}
    for speaker, *_ in rows:
        if speaker is not None:
            uses[speaker] = uses.get(speaker, 0) + 1
    firsts = {}
    for label in uses:
        at = text.find(label)
        firsts[label] = text.count("\n", 0, at) + 1 if at >= 0 else 1
    pairs = near_duplicate_pairs(uses, firsts)
    return ([f"{path}:{line}: {near_duplicate_message(label, near, uses)}" for line, label, near in pairs],
            near_label_hints([(label, near) for _, label, near in pairs], interviewers))


def merge_cues(cues: list[tuple[float | None, float | None, list[Segment]]]
               ) -> list[tuple[str | None, str, float | None, float | None]]:
    """Merge cue segments into turns for :func:`~qualcode.importers.base.compose`.

    A segment with a speaker different from the current turn's starts a new turn; a
    segment of the same speaker (in any case: ``"l"`` is ``"L"``, written as first seen),
    or without speaker, continues the current turn. When no cue names a speaker, the
    turns follow the cues instead (see :func:`_anchor_blocks`), so their times are kept.
    """
    if not known_labels(cues):
        return _anchor_blocks(cues)
    spelling: dict[str, str] = {}
    turns: list[_Turn] = []
    for t0, t1, segments in cues:
        for speaker, text in segments:
            if speaker is not None:
                speaker = spelling.setdefault(speaker_key(speaker), speaker)
            if turns and (speaker is None or speaker == turns[-1].speaker):
                cur = turns[-1]
                if text:
                    cur.texts.append(text)
                if t1 is not None and (cur.t1 is None or t1 > cur.t1):
                    cur.t1 = t1
                if cur.t0 is None:
                    cur.t0 = t0
            else:
                turns.append(_Turn(speaker, [text] if text else [], t0, t1))
    return [(t.speaker, " ".join(t.texts), t.t0, t.t1) for t in turns if t.texts]


# --------------------------------------------------------------------------------------
# WebVTT

# Markup tags: <b>, </i>, <c.yellow>, <v Name>, <00:01.000>, <font color=…>; a "<" not
# followed by a letter, digit or "/" is text ("a < b", "<>").
_TAG = re.compile(r"</?[A-Za-z0-9][^<>]*>|</>")
# Voice span start (same grammar as webvtt.Caption.VOICE_SPAN_PATTERN, with the
# annotation captured): <v Name>, <v.loud.first Name>.
_VOICE = re.compile(r"<v(?:\.[^\s<>.]+)*(?:[ \t]+([^<>]*))?>")


_BASIC_ENTITIES = re.compile(r"&(amp|lt|gt|quot|apos|nbsp|#\d{1,6}|#x[0-9a-fA-F]{1,6});")


def clean_cue_text(text: str, html_entities: bool = True) -> str:
    """Remove markup tags and decode character references.

    WebVTT escapes ``&``, ``<``, ``>`` as character references, so all HTML references
    are decoded. SubRip has no escaping: with ``html_entities=False`` only the common
    ``&amp;``-style references written with their ``;`` are decoded, so ``R&D`` or
    ``&copy`` stay as written.
    """
    text = _TAG.sub("", text)
    if html_entities:
        return html.unescape(text)
    return _BASIC_ENTITIES.sub(lambda m: html.unescape(m.group(0)), text)


def _voice_segments(raw: str, pattern: re.Pattern[str] | None = None,
                    known: set[str] | None = None) -> list[Segment]:
    """Segments of one cue's raw text, split at voice spans, then at label prefixes."""
    parts = _VOICE.split(raw)
    segments: list[Segment] = []
    # parts = [before, name1, text1, name2, text2, ...]
    if parts[0].strip():
        segments.extend(split_lines_by_label(clean_cue_text(parts[0]).split("\n"), pattern, known))
    for name, text in zip(parts[1::2], parts[2::2]):
        speaker = " ".join(html.unescape(name or "").split()) or None
        body = " ".join(clean_cue_text(text).split())
        if speaker is None:
            segments.extend(split_lines_by_label(clean_cue_text(text).split("\n"), pattern, known))
        else:
            segments.append((speaker, body))
    return segments


def _seconds(caption, which: str) -> float | None:
    """Cue time in seconds (exact milliseconds with webvtt-py 0.6, parsed otherwise)."""
    ts = getattr(caption, f"{which}_time", None)
    if ts is not None and hasattr(ts, "in_milliseconds"):
        return ts.in_milliseconds() / 1000
    return parse_timestamp(getattr(caption, which))


def parse(data: bytes, path: str, options: ImportOptions) -> ParsedDocument:
    import webvtt
    from webvtt.errors import MalformedCaptionError, MalformedFileError

    decoded = read_text_file(data, path)
    text = decoded.text
    try:
        vtt = webvtt.from_string(text)
        captions = list(vtt.captions)
        cues_raw = [(_seconds(c, "start"), _seconds(c, "end"), c.raw_text) for c in captions]
        notes = [*getattr(vtt, "header_comments", []),
                 *(n for c in captions for n in getattr(c, "comments", [])),
                 *getattr(vtt, "footer_comments", [])]
        header = getattr(vtt, "header_text", "") or ""  # webvtt-py >= 0.6
    except MalformedFileError:
        raise InputError("not a WebVTT file (missing WEBVTT header)", path=path) from None
    except MalformedCaptionError as exc:
        raise InputError(f"malformed cue: {exc}", path=path) from None
    except Exception as exc:  # noqa: BLE001 - webvtt-py has no other documented error; never leak one
        raise InputError(f"cannot read WebVTT: {exc}", path=path) from None

    if not cues_raw:
        hint = " (malformed cue timings?)" if "-->" in text else ""
        raise InputError(f"no cues found{hint}", path=path)

    pattern = compile_label_pattern(options.label_pattern)
    cues = [(t0, t1, _voice_segments(raw, pattern)) for t0, t1, raw in cues_raw]
    known = known_labels(cues)
    if known:  # again, accepting the file's own labels in any case ("l:" among "L:")
        cues = [(t0, t1, _voice_segments(raw, pattern, known)) for t0, t1, raw in cues_raw]
    rows = merge_cues(cues)
    if not rows:
        raise InputError("no text in cues", path=path)
    out_text, turns = compose(rows)
    meta: dict = {"cues": len(cues_raw)}
    if header.strip(" -\t"):
        meta["header"] = header.strip(" -\t")
    notes = [n for n in notes if n and n.strip()]
    if notes:
        meta["notes"] = notes
    near, hints = speaker_warnings(rows, text, path, options.interviewers)
    return ParsedDocument(text=out_text, turns=turns, format="vtt", encoding=decoded.encoding,
                          warnings=decoded.warnings(path) + near, meta=meta, interviewer_hints=hints)
