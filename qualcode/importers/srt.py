"""SubRip (``.srt``) importer.

Cues are parsed by the ``srt`` package (tolerant of missing final blank lines, ``.``
instead of ``,`` in timestamps, blank lines inside cues). Speakers come from label
prefixes at the start of cue lines: ``Name: text``, ``- Name: text``, ``NAME: text``,
``>> NAME: text``, ``[Name] text`` (a bracketed lower-case or sound word such as
``[rires]``/``[Musique]`` is text, not a speaker). HTML-ish tags (``<i>``, ``<b>``,
``<font color=…>``) and ASS override codes (``{\\an8}``) are removed.

The cue → turn logic is shared with the WebVTT importer (see :mod:`.vtt`):
consecutive cues of the same speaker merge into one turn, a cue without a speaker
continues the current turn, times are in seconds.
"""

from __future__ import annotations

import re

from qualcode.errors import InputError
from qualcode.importers.base import ImportOptions, ParsedDocument, compose
from qualcode.importers.text import compile_label_pattern
from qualcode.importers.vtt import clean_cue_text, known_labels, merge_cues, speaker_warnings, split_lines_by_label
from qualcode.textnorm import read_text_file

_ASS_OVERRIDE = re.compile(r"\{\\[^{}]*\}")
# A cue timing line that the srt package could not read ("00:00:05,000 -> 00:00:06,000").
_TIMING_LIKE = re.compile(r"\d{1,2}:\d{2}\S*\s*-+\s*>\s*\d")


def _clean(content: str) -> list[str]:
    return clean_cue_text(_ASS_OVERRIDE.sub("", content), html_entities=False).split("\n")


def _line_of(text: str, index: int) -> int:
    # Skip the blank lines before the offending block so the line points at it.
    while index < len(text) and text[index] in " \t\n":
        index += 1
    return text.count("\n", 0, index) + 1


def parse(data: bytes, path: str, options: ImportOptions) -> ParsedDocument:
    import srt

    decoded = read_text_file(data, path)
    text = decoded.text
    if text.lstrip().startswith("WEBVTT"):
        raise InputError("this is a WebVTT file, not SubRip (rename it to .vtt)", path=path)
    try:
        subs = list(srt.parse(text))
    except srt.SRTParseError as exc:
        line = _line_of(text, exc.expected_start)
        bad = " | ".join(x.strip() for x in exc.unmatched_content.strip().split("\n")[:2])[:80]
        raise InputError(f'malformed SubRip block at line {line}: "{bad}"', path=path) from None
    except ValueError as exc:  # srt.TimestampParseError and friends
        raise InputError(f"malformed SubRip timestamp: {exc}", path=path) from None
    except Exception as exc:  # noqa: BLE001 - never leak a library exception: the file is reported as unreadable
        raise InputError(f"cannot read SubRip: {exc}", path=path) from None

    if not subs:
        raise InputError("no cues found", path=path)
    # The srt package lets a block that does not parse run into the previous cue's
    # text (it allows blank lines inside cues); a timing line inside a cue shows it.
    for sub in subs:
        for content_line in sub.content.split("\n"):
            if _TIMING_LIKE.search(content_line):
                line = text.count("\n", 0, max(0, text.find(content_line))) + 1
                raise InputError(f'malformed SubRip timing at line {line}: "{content_line.strip()[:60]}"',
                                 path=path)

    pattern = compile_label_pattern(options.label_pattern)
    cues = [(sub.start.total_seconds(), sub.end.total_seconds(),
             split_lines_by_label(_clean(sub.content), pattern)) for sub in subs]
    known = known_labels(cues)
    if known:  # again, accepting the file's own labels in any case ("l:" among "L:")
        cues = [(sub.start.total_seconds(), sub.end.total_seconds(),
                 split_lines_by_label(_clean(sub.content), pattern, known)) for sub in subs]
    rows = merge_cues(cues)
    if not rows:
        raise InputError("no text in cues", path=path)
    out_text, turns = compose(rows)
    near, hints = speaker_warnings(rows, text, path, options.interviewers)
    return ParsedDocument(text=out_text, turns=turns, format="srt", encoding=decoded.encoding,
                          warnings=decoded.warnings(path) + near, meta={"cues": len(subs)},
                          interviewer_hints=hints)
