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
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import pairwise

from rich._ratio import ratio_reduce
from rich.cells import cell_len
from rich.table import Table

from qualcode.cli._terminal import SafeConsole, terminal_safe

_WORD = re.compile(r"\s*\S+\s*")  # rich._wrap.re_word
_TRAILING_WS = re.compile(r"\s+$")  # rich.text._re_whitespace
# what would make a cell more than one plain line of one-cell characters for rich
_NOT_PLAIN = re.compile("[\t\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


def _plain_cell(text: str) -> bool:
    return not _NOT_PLAIN.search(text) and cell_len(text) == len(text)


def _wrap(text: str, width: int) -> list[str]:
    """rich's ``Text.wrap(width, justify="left", overflow="ellipsis")`` of a one-line cell,
    each line padded to ``width``."""
    breaks: list[int] = []
    offset = 0
    for m in _WORD.finditer(text):
        start, word = m.start(), m.group()
        length = len(word.rstrip())
        if width - offset >= length:
            offset += len(word)
        elif length > width:
            if start:
                breaks.append(start)
            offset = len(word)
        elif offset and start:
            breaks.append(start)
            offset = len(word)
    bounds = [0, *breaks, len(text)]
    lines = []
    for a, b in pairwise(bounds):
        line = text[a:b]
        if len(line) > width:  # Text.rstrip_end
            ws = _TRAILING_WS.search(line)
            if ws is not None:
                line = line[:len(line) - min(len(ws.group()), len(line) - width)]
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
