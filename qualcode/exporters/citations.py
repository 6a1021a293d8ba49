"""Citation templates: what follows a quoted excerpt, ``(P07, Josiane, habitants, tour 12)``.

A template is a Python format string over the excerpt's fields::

    {pseudonym}, {role}, {age} ans

Fields: ``case`` (the case id, ``P07``), ``pseudonym``, ``document`` (the document's
name: it may say who the participant is, so the default leaves it out), ``turn`` (the
turn number), ``time`` (the turn's ``HH:MM:SS``), ``speaker`` (the turn's speaker
label), and every case attribute of the project by its name (``{group}``, ``{age}``…),
shown through the display labels of ``[labels]``. An unknown field is a usage error that
names it.

The template comes from ``--cite``, else ``[export] cite`` in ``qualcode.toml``, else the
default :func:`default_template`: case, pseudonym, the cited attribute (``--by`` or
``group``), turn and time — never the document's name.

A part of the template whose field has no value for an excerpt is left out with its
separator (``, `` ``; `` `` – ``), so ``{pseudonym}, {age} ans`` gives ``(Josiane)`` for a
participant without an age, not ``(Josiane,  ans)``. The result is put in parentheses
unless the template starts with a bracket of its own. An interviewer's words are cited
with the interviewer's label (their case's fields are empty).
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping
from typing import Any

from qualcode.errors import UsageError
from qualcode.i18n import NBSP, Labels, tr

BUILTIN_FIELDS = ("case", "pseudonym", "document", "turn", "time", "speaker")
_MISSING = "\x00"
_SEPARATOR = re.compile(r"(\s*[,;]\s+|\s+[–—|/]\s+)")


def default_template(language: str, attribute: str | None) -> str:
    """The default citation: ``{case}, {pseudonym}, {group}, tour {turn}, {time}``."""
    parts = ["{case}", "{pseudonym}"]
    if attribute:
        parts.append("{" + attribute + "}")
    parts += [tr(language, "turn") + (NBSP if language == "fr" else " ") + "{turn}", "{time}"]
    return ", ".join(parts)


def template_fields(template: str) -> list[str]:
    """The field names of ``template``; a usage error for a malformed one."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise UsageError(f"citation template {template!r}: {exc} (write fields as {{name}}, "
                         "literal braces as {{ and }})") from None
    names = []
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name or not re.fullmatch(r"[^\s{}.\[\]]+", name):
            raise UsageError(f"citation template {template!r}: fields are names, as in {{pseudonym}} "
                             f"(not {{{name}}})")
        if spec or conversion:
            raise UsageError(f"citation template {template!r}: no format specification in {{{name}}}")
        names.append(name)
    return names


def check_template(template: str, attributes: Iterable[str]) -> str:
    """``template`` if every field is known (built-in or a case attribute), else a usage
    error that names the first unknown field and lists the known ones."""
    known = list(dict.fromkeys([*BUILTIN_FIELDS, *attributes]))
    for name in template_fields(template):
        if name not in known:
            raise UsageError(f"unknown citation field {{{name}}} in {template!r} (fields: "
                             + ", ".join(known) + ")")
    return template


class _Default(dict):
    """The fields of a template; a field without a value is marked missing."""

    def __missing__(self, key: str) -> str:
        return _MISSING


def render(template: str, fields: Mapping[str, Any]) -> str:
    """Fill ``template``; a part whose field is empty is dropped with its separator."""
    values = {k: _MISSING if v in (None, "") else str(v) for k, v in fields.items()}
    filled = template.format_map(_Default(values))
    pieces = _SEPARATOR.split(filled)
    out = ""
    sep = ""
    for i, piece in enumerate(pieces):
        if i % 2:
            sep = piece
            continue
        if _MISSING in piece or not piece.strip():
            continue
        out += (sep if out else "") + piece
    out = out.strip()
    if not out:
        return ""
    if out[0] in "([" and out[-1] in ")]":
        return out
    return f"({out})"


def citation_fields(excerpt: Any, labels: Labels) -> dict[str, Any]:
    """The values of the built-in fields and of the case attributes for ``excerpt``."""
    interviewer = excerpt.role == "interviewer"
    fields: dict[str, Any] = {
        "case": None if interviewer else excerpt.case,
        "pseudonym": None if interviewer else excerpt.pseudonym,
        "document": excerpt.document,
        "turn": excerpt.turn,
        "time": excerpt.timestamp,
        "speaker": excerpt.speaker,
    }
    if not interviewer:
        for name, value in (excerpt.attributes or {}).items():
            if name not in BUILTIN_FIELDS:
                fields[name] = labels.value(name, value)
    return fields


def cite(excerpt: Any, template: str, labels: Labels) -> str:
    """The citation of ``excerpt`` by ``template`` (the interviewer's label first for an
    interviewer's words, when the template does not name the speaker)."""
    fields = citation_fields(excerpt, labels)
    if excerpt.role == "interviewer" and "speaker" not in template_fields(template) and excerpt.speaker:
        template = "{speaker}, " + template.strip("()[]")
    return render(template, fields)
