"""Inline interjections: another speaker's words inside a turn, in brackets.

Transcribers often note a back-channel or a short answer of the other speaker inside a
turn instead of opening a new one: ``… et puis [E: Hum hum.] la mine a fermé``,
``[L: Oui.]``, ``[Enquêtrice : d'accord]``. Such a bracket is an *interjection* when its
label (before the colon) is

* a speaker of the same document, in any case (``[l: oui]`` when ``L`` speaks), or
* a known interviewer or participant label (``E``, ``Enquêtrice``, ``Q``, ``R``, ``P``…,
  see :mod:`qualcode.importers.speakers`), or a diarization id (``SPEAKER_01``).

The bracket stays in the text (offsets are sacred); the interjection is kept as a span
of that speaker inside the turn, over the whole bracket. Non-speech events (``[rires]``,
``(XXX)``) and brackets whose label is none of the above (``[Note : …]``) are not
interjections.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qualcode.importers.speakers import (
    clean_label,
    is_diarization_id,
    is_interviewer_label,
    is_participant_label,
    speaker_key,
)

# "[E: Hum hum.]", "[Enquêtrice : d'accord]": a label of at most 30 characters, a colon,
# the words; one line, at most 300 characters.
_INTERJECTION = re.compile(r"\[(?P<label>[^\W\d_][^\[\]\n:]{0,29}?)[^\S\n]*:(?P<body>[^\[\]\n]{0,300})\]")


@dataclass
class ParsedInterjection:
    turn: int  # index of the turn it interrupts (0-based, in ParsedDocument.turns)
    speaker: str  # the label, spelled as the document's speaker when it is one
    start: int  # the whole bracket: text[start:end] == "[E: Hum hum.]"
    end: int


def find_interjections(text: str, turns, speakers: list[str]) -> list[ParsedInterjection]:
    """Interjections inside ``turns`` (objects with ``start``/``end``) of ``text``."""
    spelling = {speaker_key(s): s for s in speakers}
    out: list[ParsedInterjection] = []
    for i, turn in enumerate(turns):
        for m in _INTERJECTION.finditer(text, turn.start, turn.end):
            if m.end() > turn.end or not m.group("body").strip():
                continue
            label = clean_label(m.group("label"))
            form = speaker_key(label)
            if form in spelling:
                label = spelling[form]
            elif not (is_interviewer_label(label) or is_participant_label(label) or is_diarization_id(label)):
                continue
            if turn.speaker is not None and speaker_key(turn.speaker) == speaker_key(label):
                continue  # the turn's own speaker: not another voice
            out.append(ParsedInterjection(i, label, m.start(), m.end()))
    return out
