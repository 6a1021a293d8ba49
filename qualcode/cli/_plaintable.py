"""Long tables printed without rich's renderer, to the same characters.

``qualcode codings`` prints thousands of rows; rich lays out and renders a table cell by
cell through its segment machinery, which is 88 % of that command's CPU time. When the
output has no colour (not a terminal, so rich writes plain text) and every cell is
plain (one line, no tab, every character one cell wide), :func:`plain_table` computes
the same layout as ``rich.table.Table(*headers, box=None)`` printed on a console of that
width — the same column widths (rich's own ``_collapse_widths`` and ``ratio_reduce``),
the same word wrapping, the same ``…`` on words too long for their column, the same
padding — with string operations only. Otherwise it returns None and the caller prints
the rich table: on a terminal the table keeps its look (bold headers). tests/test_plain_table.py
compares the two renderings character for character.

:func:`plain_report` does the same for the tables of ``qualcode report``, ``agreement``
and ``evaluate`` (built by ``qualcode.cli._reporttable.render_table``: a title, right-justified number columns with a
minimum width, text columns — all ``no_wrap`` —, a caption and, for a matrix, a legend
printed after the table). It covers every title, caption, legend line, header and cell
that is plain (as above once ``Text()`` has dropped BEL, BS, VT, FF and CR and the
console has shown the other controls as escapes; the caption and legend may hold line
breaks), on a console at least 3 cells wide, unless rich would reduce a column to nothing
(many columns on a narrow console: rich then leaves columns out) or below its padding.
What rich does there, on the console of the commands (``SafeConsole``: soft wrap, no
colour), and what :func:`plain_report` writes:

* ``pad_edge=False``: one space of padding between columns, none before the first
  column or after the last; ``box=None`` and ``show_edge=False``: no rule, no border,
  and ``end_section`` draws nothing;
* each column's width is its widest cell (header included) or its ``min_width``,
  whichever is larger, plus its padding; a column of nothing but empty cells and no
  padding is one cell wide;
* when these widths add up to more than the console's width, no column can wrap
  (``no_wrap``), so ``_collapse_widths`` changes nothing and ``ratio_reduce`` takes the
  excess off all columns evenly; each column is then measured again at its reduced width,
  where its ``min_width`` (numbers: their widest cell) widens it back — the table may end
  up wider than the console, and is printed so (soft wrap: no cropping);
* left-justified cells are padded with spaces to the column's width (trailing spaces
  kept, on the last column too), cut with ``…`` when longer; right-justified cells lose
  their trailing whitespace (``str.rstrip``), are cut with ``…`` and padded on the left;
* headers (``Text(no_wrap=False, overflow="fold")``) are word-wrapped to their column,
  a word too long for it folded into pieces, justified as their column; the header row is
  as high as the highest header, the others bottom-aligned under blank lines;
* the title, the caption and the legend are printed as they are, one line per ``\n``
  (a trailing ``\n`` gives an empty line), neither wrapped to the table's or the
  console's width nor padded: soft wrap gives them ``overflow="ignore"``, which turns
  wrapping, justification and truncation off; an empty title or caption prints nothing;
* row styles (bold) and the dim caption print no characters without colour.

Otherwise it returns None and the caller prints rich's table; :func:`plain_console`
says when the console writes plain text. tests/test_plain_report.py compares the two
renderings, on random tables at many widths and on the real reports through the CLI.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import pairwise

from rich._ratio import ratio_reduce
from rich.cells import cell_len
from rich.control import strip_control_codes
from rich.table import Table

from qualcode.cli._terminal import SafeConsole, terminal_safe

_WORD = re.compile(r"\s*\S+\s*")  # rich._wrap.re_word
_TRAILING_WS = re.compile(r"\s+$")  # rich.text._re_whitespace
# what would make a cell more than one plain line of one-cell characters for rich
_NOT_PLAIN = re.compile("[\t\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


def _plain_cell(text: str) -> bool:
    return not _NOT_PLAIN.search(text) and cell_len(text) == len(text)


def _divide(text: str, width: int, fold: bool) -> list[str]:
    """The lines rich's ``Text.wrap`` cuts a one-line plain text into at ``width`` cells
    (``rich._wrap.divide_line``: words wrapped; a word longer than ``width`` on a line of
    its own, or with ``fold`` cut into pieces as ``cells.chop_cells`` does), each with
    ``Text.rstrip_end`` applied, before they are truncated and justified."""
    breaks: list[int] = []
    offset = 0
    for m in _WORD.finditer(text):
        start, word = m.start(), m.group()
        length = len(word.rstrip())
        if width - offset >= length:
            offset += len(word)
        elif length > width and fold:
            pieces = [word[k:k + width] for k in range(0, len(word), width)]
            for k, piece in enumerate(pieces):
                if start:
                    breaks.append(start)
                if k == len(pieces) - 1:
                    offset = len(piece)
                else:
                    start += len(piece)
        elif length > width:
            if start:
                breaks.append(start)
            offset = len(word)
        elif offset and start:
            breaks.append(start)
            offset = len(word)
    lines = []
    for a, b in pairwise([0, *breaks, len(text)]):
        line = text[a:b]
        if len(line) > width:  # Text.rstrip_end
            ws = _TRAILING_WS.search(line)
            if ws is not None:
                line = line[:len(line) - min(len(ws.group()), len(line) - width)]
        lines.append(line)
    return lines


def _wrap(text: str, width: int) -> list[str]:
    """rich's ``Text.wrap(width, justify="left", overflow="ellipsis")`` of a one-line cell,
    each line padded to ``width``."""
    lines = []
    for line in _divide(text, width, fold=False):
        if len(line) > width:  # Text.truncate(overflow="ellipsis", pad=True)
            line = line[:width - 1] + "…"
        lines.append(line + " " * (width - len(line)))
    return lines


def _column_widths(longest: list[int], max_width: int) -> list[int] | None:
    """rich's ``Table._calculate_column_widths`` for columns of plain cells with padding
    (0, 1) at the edges (``box=None``), from each column's longest cell (a column's
    minimum width, its longest word, plays no part without ``expand`` or ``min_width``);
    None for the narrow cases that take other branches in rich."""
    if max_width < 3:
        return None
    # Padding + Measurement.get, each cell's maximum (min(text, W) + 2) capped at W
    widths = [min(min(mx, max_width) + 2, max_width) for mx in longest]
    widths = [w or 1 for w in widths]
    if sum(widths) > max_width:
        widths = Table._collapse_widths(widths, [True] * len(widths), max_width)
        if sum(widths) > max_width:
            excess = sum(widths) - max_width
            widths = ratio_reduce(excess, [1] * len(widths), widths, widths)
        # measured again at each column's width
        widths = [min(min(mx, w) + 2, w) if w >= 3 else w for mx, w in zip(longest, widths)]
    if any(w < 3 for w in widths):
        return None
    return widths


def plain_table(headers: Sequence[str], rows: Sequence[Sequence[str]], width: int) -> str | None:
    """The text rich prints for ``Table(*headers, box=None)`` with these string rows on a
    console ``width`` cells wide without colour, or None when a cell is not plain."""
    safe_headers = [terminal_safe(h) for h in headers]
    safe_rows = [[terminal_safe(c) for c in row] for row in rows]
    n = len(safe_headers)
    if not n or any(len(r) != n for r in safe_rows):
        return None
    if not all(_plain_cell(h) for h in safe_headers) or not all(_plain_cell(c) for r in safe_rows for c in r):
        return None
    longest = [max([len(safe_headers[i])] + [len(r[i]) for r in safe_rows]) for i in range(n)]
    widths = _column_widths(longest, width)
    if widths is None:
        return None
    out: list[str] = []
    for header_row, row in [(True, safe_headers), *((False, r) for r in safe_rows)]:
        cells = [_wrap(text, w - 2) for text, w in zip(row, widths)]
        height = max(len(c) for c in cells)
        for c, w in zip(cells, widths):
            if len(c) < height:
                blank = [" " * (w - 2)] * (height - len(c))
                c[:] = blank + c if header_row else c + blank  # headers sit at the bottom
        for k in range(height):
            out.append("".join(" " + c[k] + " " for c in cells))
    return "\n".join(out) + "\n"


def print_table(out: SafeConsole, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Print ``Table(*headers, box=None)`` of string rows: by :func:`plain_table` when the
    console writes plain text and the cells allow it, else by rich."""
    if out.color_system is None and not out.is_jupyter and not out.record:
        text = plain_table(headers, rows, out.width)
        if text is not None:
            out.file.write(text)
            out.file.flush()
            return
    table = Table(*headers, box=None)
    for r in rows:
        table.add_row(*r)
    out.print(table)


def plain_console(out: SafeConsole) -> bool:
    """Whether ``out`` writes plain text the way :func:`plain_report` assumes: no colour,
    not a notebook, not recording, soft wrap (qualcode's consoles)."""
    return out.color_system is None and not out.is_jupyter and not out.record and bool(out.soft_wrap)


def _shown(text: str) -> str:
    """What ``SafeConsole`` shows of ``Text(text)``: the ``Text`` drops BEL, BS, VT, FF and
    CR (``strip_control_codes``), the console shows the other controls as escapes."""
    return terminal_safe(strip_control_codes(text))


def _plain_lines(text: str) -> str | None:
    """A ``Text`` (already :func:`_shown`) as rich prints it with soft wrap (its lines as
    they are, each followed by a line break; an empty text is one empty line), or None when
    a line is not plain."""
    if not all(_plain_cell(line) for line in text.split("\n")):
        return None
    return text + "\n"


def _fold(text: str, width: int, right: bool) -> list[str]:
    """rich's ``Text.wrap(width, justify="right" if right else "left", overflow="fold")``
    of a one-line plain header: words wrapped, words longer than ``width`` cut into
    pieces, each line padded to ``width``."""
    lines = []
    for line in _divide(text, width, fold=True):
        if right:  # Lines.justify: rstrip, truncate, pad_left
            line = line.rstrip()[:width]
            lines.append(" " * (width - len(line)) + line)
        else:  # truncate(pad=True)
            line = line[:width]
            lines.append(line + " " * (width - len(line)))
    return lines


def _cut(text: str, width: int, right: bool) -> str:
    """rich's one-line ``Text`` cell with ``no_wrap`` and ``overflow="ellipsis"`` justified
    in ``width`` cells."""
    if right:
        text = text.rstrip()
    if len(text) > width:
        text = text[:width - 1] + "…"
    return text.rjust(width) if right else text.ljust(width)


def _report_widths(longest: list[int], min_widths: Sequence[int], width: int) -> list[int] | None:
    """rich's ``Table._calculate_column_widths`` for columns of plain cells, all with
    ``no_wrap=True`` (so none is wrapable), padding 0 at the outer edges and 1 between
    columns, on a console ``width`` cells wide; None where rich takes branches not
    followed here (a column reduced to nothing)."""
    n = len(longest)
    pads = [(j > 0) + (j < n - 1) for j in range(n)]

    # Table._measure_column: each cell min(length + padding, limit), the column's widest,
    # then at least min_width + padding
    widths = [max(min(mx + pad, width), mn + pad) or 1 for mx, mn, pad in zip(longest, min_widths, pads)]
    if sum(widths) > width:
        # _collapse_widths changes nothing without a wrapable column; then the columns are
        # reduced evenly (ratio_reduce) and measured again at their new widths, where a
        # min_width may widen one back (the table is then wider than the console)
        reduced = ratio_reduce(sum(widths) - width, [1] * n, widths, widths)
        if any(r < 1 for r in reduced):
            return None
        widths = [max(min(mx + pad, r), mn + pad) for mx, mn, pad, r in zip(longest, min_widths, pads, reduced)]
    if any(w - pad < 1 for w, pad in zip(widths, pads)):
        return None
    return widths


def plain_report(title: str, headers: Sequence[str], right: Sequence[bool], min_widths: Sequence[int],
                 rows: Sequence[Sequence[str]], caption: str, legend: str | None, width: int) -> str | None:
    """The text rich prints on a console ``width`` cells wide without colour and with soft
    wrap for ``Table(title=Text(title), box=None, caption_justify="left",
    title_justify="left", show_edge=False, pad_edge=False)`` with one column per header
    (``Text(header, no_wrap=False, overflow="fold")``; ``justify="right"`` where
    ``right``; ``no_wrap=True``, ``overflow="ellipsis"``, ``min_width``), these rows of
    ``Text`` cells and ``caption`` — followed by ``legend`` when it is not None, as in
    ``Group(table, Text(legend))`` — or None when the case is not one this function
    renders as rich does (see the module's docstring)."""
    n = len(headers)
    if not n or len(right) != n or len(min_widths) != n or any(len(r) != n for r in rows) or width < 3:
        return None
    safe_headers = [_shown(h) for h in headers]
    safe_rows = [[_shown(c) for c in row] for row in rows]
    if not all(_plain_cell(h) for h in safe_headers) or not all(_plain_cell(c) for r in safe_rows for c in r):
        return None
    # an empty title or caption is left out (``if self.title``), an empty legend is not
    title, caption = _shown(title), _shown(caption)
    title_text = "" if not title else _plain_lines(title)
    caption_text = "" if not caption else _plain_lines(caption)
    legend_text = "" if legend is None else _plain_lines(_shown(legend))
    if title_text is None or caption_text is None or legend_text is None:
        return None
    longest = [max([len(safe_headers[j])] + [len(r[j]) for r in safe_rows]) for j in range(n)]
    widths = _report_widths(longest, min_widths, width)
    if widths is None:
        return None
    inner = [w - (j > 0) - (j < n - 1) for j, w in enumerate(widths)]
    edges = [(" " if j > 0 else "", " " if j < n - 1 else "") for j in range(n)]
    # the header row: headers wrap (fold), bottom-aligned in a row as high as the highest
    folded = [_fold(h, w, r) for h, w, r in zip(safe_headers, inner, right)]
    height = max(len(f) for f in folded)
    out = [title_text]
    for k in range(height):
        line = []
        for f, w, (a, b) in zip(folded, widths, edges):
            k0 = k - (height - len(f))
            line.append(a + f[k0] + b if k0 >= 0 else " " * w)
        out.append("".join(line) + "\n")
    for row in safe_rows:
        out.append("".join(a + _cut(c, w, r) + b for c, w, r, (a, b) in zip(row, inner, right, edges)) + "\n")
    out.append(caption_text)
    out.append(legend_text)
    return "".join(out)
