"""Several interviews in one text file (``qualcode import FILE --split-on REGEX``).

A *marker line* is a line in which ``REGEX`` is found (``re.search``), e.g.
``<TXT=aspe1>``. The file is cut at marker lines, which are removed; each part is then
imported as a document of its own, its speakers and roles detected on its own.

* The first capture group of the match names the part; consecutive parts with the same
  name form one document (``<TXT=([a-z]+)\\d+>`` gives one document per interview for
  markers ``<TXT=aspe1>``, ``<TXT=aspe2>``…, ``<TXT=rome1>``…). Without a capture group
  (or when it matched nothing) the parts are numbered ``1``, ``2``….
* Document names are ``STEM-NAME`` (``corpus-aspe``). A name that comes back after
  another part gets a number (``corpus-aspe-2``).
* Text before the first marker, if any, is the document ``STEM-0``.
* A file without any marker line is imported whole, as ``STEM``.

Only txt and md files are split (their text is the file); other formats are imported
whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass
class Part:
    name: str  # document name
    text: str  # the part's text, marker lines removed, "\n" newlines
    lines: list[int] = field(default_factory=list)  # file line number (1-based) of each part line


def compile_split_pattern(pattern: str) -> re.Pattern[str]:
    """The ``--split-on`` regex; ValueError with a one-line reason when it is not valid."""
    try:
        rx = re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression: {exc}") from None
    if rx.search(""):
        raise ValueError("matches an empty line: every line would be a marker")
    return rx


def split_text(text: str, rx: re.Pattern[str], stem: str) -> list[Part]:
    """Cut normalized ``text`` at marker lines (see the module docstring)."""
    raw: list[tuple[str | None, list[str], list[int]]] = []  # (name, lines, file lines)
    current_name: str | None = None
    lines: list[str] = []
    numbers: list[int] = []
    count = 0
    found = False
    for n, line in enumerate(text.split("\n"), 1):
        m = rx.search(line)
        if m is None:
            lines.append(line)
            numbers.append(n)
            continue
        if found or any(x.strip() for x in lines):
            raw.append((current_name if found else None, lines, numbers))
        found = True
        count += 1
        group = m.group(1) if rx.groups and m.group(1) else None
        current_name = group.strip() if group and group.strip() else str(count)
        lines, numbers = [], []
    if not found:
        return [Part(stem, text, list(range(1, len(lines) + 1)))]
    raw.append((current_name, lines, numbers))

    parts: list[Part] = []
    used: dict[str, int] = {}
    previous: str | None = "\0"
    for name, part_lines, part_numbers in raw:
        if parts and name == previous and name is not None:
            parts[-1].text += "\n" + "\n".join(part_lines)
            parts[-1].lines += part_numbers
            continue
        previous = name
        base = f"{stem}-{name if name is not None else '0'}"
        used[base] = used.get(base, 0) + 1
        doc_name = base if used[base] == 1 else f"{base}-{used[base]}"
        parts.append(Part(doc_name, "\n".join(part_lines), list(part_numbers)))
    return [p for p in parts if p.text.strip()]
