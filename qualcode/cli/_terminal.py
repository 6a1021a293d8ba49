"""What reaches the terminal: one console class and one function that make user data safe.

Transcript text, file and document names, speaker labels, coder names, codes and quotes
are user data: they may hold escape sequences (``ESC ] 0;title BEL`` retitles the
window, ``ESC [2J`` clears the screen, an OSC 8 link hides its target), C1 controls
(U+0080–U+009F: U+009B is CSI on some terminals) or bidirectional overrides
(U+202A–U+202E, U+2066–U+2069: they reorder what is shown, as in "Trojan Source").
:func:`terminal_safe` shows each of these characters as a visible Python-style escape
(``\\x1b``, ``\\x9b``, ``\\u202e``), so that nothing in the data can act on the terminal
and the user still sees which character is there; tab and newline are kept.

:class:`SafeConsole` is the one choke point: every console of the command line is one
(``qualcode.cli._util.console()`` and the error printer of :mod:`qualcode.cli`), and it
applies :func:`terminal_safe` to every string it turns into text (``print``, table cells,
titles: :meth:`SafeConsole.render_str`) and to every :class:`~rich.text.Text` it renders
(:meth:`SafeConsole.render`), with a last pass over the rendered segments for anything
else. So no call site has to remember it, and a new command is safe as written. It also
turns off what rewrites user data: emoji shortcodes (``entretien:smile:.txt`` stays as it
is) and console markup by default (a document named ``[bold]x`` or ``x[/]`` is printed as
it is): code that writes markup says so with ``markup=True`` and escapes what it
interpolates (:func:`rich.markup.escape`).

This is a terminal concern only: ``--json`` output (see :func:`json_safe`) and the files
written keep the data as it is.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from typing import Any

from rich.console import Console, ConsoleOptions, RenderableType
from rich.segment import Segment
from rich.table import Table
from rich.text import Span, Text

# C0 controls but tab and newline, DEL, C1 controls, and the bidi embeddings, overrides
# and isolates.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# The same, less the C0 controls that json.dumps always escapes.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _visible(char: str) -> str:
    n = ord(char)
    return f"\\x{n:02x}" if n < 0x100 else f"\\u{n:04x}"


def terminal_safe(text: str) -> str:
    """``text`` with every control character (but tab and newline), C1 control and bidi
    override shown as a visible escape: ``"a\\x1b[2Jb"`` -> ``"a\\\\x1b[2Jb"`` (the four
    characters ``\\x1b``), ``"\\u202e"`` -> ``"\\\\u202e"``."""
    if not _UNSAFE.search(text):
        return text
    return _UNSAFE.sub(lambda m: _visible(m.group()), text)


def safe_text(text: Text) -> Text:
    """A :class:`~rich.text.Text` with :func:`terminal_safe` applied, its styles kept on
    the same characters (the visible escape takes the style of the character)."""
    plain = text.plain
    found = list(_UNSAFE.finditer(plain))
    if not found:
        return text
    positions = [m.start() for m in found]
    shifts = [0]  # shifts[k]: how much longer the text is after the first k characters replaced
    for m in found:
        shifts.append(shifts[-1] + len(_visible(m.group())) - 1)

    def moved(offset: int) -> int:
        return offset + shifts[bisect_right(positions, offset - 1)]

    out = text.blank_copy(terminal_safe(plain))
    out.spans = [Span(moved(s.start), moved(s.end), s.style) for s in text.spans]
    return out


def json_safe(dumped: str) -> str:
    """JSON text (from ``json.dumps(..., ensure_ascii=False)``) with DEL, the C1 controls
    and the bidi overrides written as ``\\uXXXX`` escapes, as json.dumps writes the C0
    controls: the same JSON value, and nothing in it acts on a terminal."""
    if not _JSON_UNSAFE.search(dumped):
        return dumped
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", dumped)


class SafeConsole(Console):
    """A rich console that cannot be driven by the data it prints (see the module's
    docstring): no emoji shortcodes, no markup unless asked for, and :func:`terminal_safe`
    on every string and :class:`~rich.text.Text` it renders. Defaults of qualcode's
    messages: no highlighting, soft wrap (one message per line, grep-able; tables still
    fit the terminal)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("emoji", False)
        kwargs.setdefault("markup", False)
        kwargs.setdefault("highlight", False)
        kwargs.setdefault("soft_wrap", True)
        super().__init__(**kwargs)

    def render_str(self, text: str, **kwargs: Any) -> Text:
        # Before the markup is parsed, so that table cells and messages are laid out with
        # the escapes' width. The escapes never end with a backslash: escaped markup stays so.
        return super().render_str(terminal_safe(text), **kwargs)

    def render(self, renderable: RenderableType, options: ConsoleOptions | None = None) -> Iterable[Segment]:
        if isinstance(renderable, Text):
            renderable = safe_text(renderable)
        elif isinstance(renderable, Table):
            _safe_cells(renderable)
        for segment in super().render(renderable, options):
            # What neither path above saw (a renderable yielding its own segments); rich's
            # own control sequences (cursor moves of progress bars) are control segments.
            if not segment.control and _UNSAFE.search(segment.text):
                segment = Segment(terminal_safe(segment.text), segment.style)
            yield segment


def _safe_cells(table: Table) -> None:
    """Make a table's Text cells and headers safe before the table measures its columns:
    a cell's width is then the width of what is shown (its escapes included), so that
    columns are not cut short with an ellipsis. (Strings are made safe as they are
    measured, through :meth:`SafeConsole.render_str`.)"""
    for column in table.columns:
        if isinstance(column.header, Text):
            column.header = safe_text(column.header)
        column._cells = [safe_text(c) if isinstance(c, Text) else c for c in column._cells]
