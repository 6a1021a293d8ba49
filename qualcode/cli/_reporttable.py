"""Tables of figures on the terminal: the reports' (``report freq|cooccurrence|matrix|
words``), ``agreement``'s and ``evaluate``'s.

A :class:`ReportTable` is what the terminal shows of a table: headers, which columns are
right-justified numbers (never cut: their minimum width is their widest cell), the
cells, row styles and sections, the caption and a legend. :func:`print_tables` fits it to
the terminal (:func:`column_blocks`: labels cut with "…", then blocks of columns; rich
alone would shrink number columns to nothing) and prints it as text with rich's exact
layout when the output has no colour (:func:`qualcode.cli._plaintable.plain_report`),
else with rich.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from rich.console import Group
from rich.table import Table
from rich.text import Text

from qualcode.cli._plaintable import plain_console, plain_report
from qualcode.cli._terminal import SafeConsole


@dataclass
class ReportTable:
    """What the terminal shows of a TableResult, computed once for both renderings (rich's
    :func:`render_table` and the plain text of :func:`plain_report_table`): column headers,
    which columns are right-justified numbers and their minimum widths, the cells, each
    row's style and whether it ends a section, the caption, and the legend of numbered
    matrix columns (None: no legend)."""

    title: str
    headers: list[str]
    right: list[bool]
    min_widths: list[int]
    rows: list[list[str]] = field(default_factory=list)
    styles: list[str] = field(default_factory=list)
    sections: list[bool] = field(default_factory=list)
    caption: str = ""
    legend: str | None = None


TEXT_MIN = 24  # the fewest characters of a code label that the terminal shows before it cuts the table


def column_blocks(rt: ReportTable, width: int) -> list[ReportTable]:
    """The table as it fits ``width``: itself when it fits; else with its text columns (the
    code labels) cut with "…", down to :data:`TEXT_MIN` characters; else cut into blocks
    of its columns, each starting with the text columns that come before the first number
    column (the code), titled "part k of K" (the caption and the legend follow the last).
    rich would shrink number columns to nothing instead, leaving numbers out without a word."""
    n = len(rt.headers)
    natural = [max(rt.min_widths[j], len(rt.headers[j]), *(len(r[j]) for r in rt.rows)) for j in range(n)]
    if sum(natural) + 2 * (n - 1) <= width:
        return [rt]
    # the text columns before the first number column (the code) start every block; the
    # other columns are dealt out in order (a κ and its band stay side by side)
    first_number = next((j for j in range(n) if rt.right[j]), n)
    fixed = list(range(first_number)) or [0]
    least = {j: min(natural[j], TEXT_MIN) for j in fixed}
    spare = width - sum(least.values()) - 2 * len(fixed)
    blocks: list[list[int]] = [[]]
    used = 0
    for j in (j for j in range(n) if j not in fixed):
        if blocks[-1] and used + natural[j] > spare:
            blocks.append([])
            used = 0
        blocks[-1].append(j)
        used += natural[j] + 2
    out = []
    for k, block in enumerate(blocks, 1):
        cols = sorted(fixed + block)
        last = k == len(blocks)
        title = rt.title if len(blocks) == 1 else f"{rt.title} (part {k} of {len(blocks)})"
        part = ReportTable(title, [rt.headers[j] for j in cols], [rt.right[j] for j in cols],
                           [rt.min_widths[j] for j in cols], [[r[j] for j in cols] for r in rt.rows], rt.styles,
                           rt.sections, rt.caption if last else "", rt.legend if last else None)
        # the text columns cut alike in every block (to what the blocks were made for)
        out.append(_cut_text(part, [natural[j] for j in cols], width if len(blocks) == 1 else
                             sum(least.get(j, natural[j]) for j in cols) + 2 * (len(cols) - 1)))
    return out


def _cut_text(rt: ReportTable, natural: list[int], width: int) -> ReportTable:
    """The table with its widest text columns narrowed (cells cut with "…", never below
    :data:`TEXT_MIN` or their own width) until it fits ``width`` or cannot narrow more."""
    widths = list(natural)
    text = [j for j, r in enumerate(rt.right) if not r]
    while sum(widths) + 2 * (len(widths) - 1) > width:
        j = max(text, key=lambda j: widths[j], default=None)
        if j is None or widths[j] <= min(natural[j], TEXT_MIN) or widths[j] <= len(rt.headers[j]):
            break
        widths[j] -= 1
    cut = {j: widths[j] for j in text if widths[j] < natural[j]}
    if not cut:
        return rt
    rows = [[c[:cut[j] - 1] + "…" if j in cut and len(c) > cut[j] else c for j, c in enumerate(r)] for r in rt.rows]
    min_widths = [min(m, cut.get(j, m)) for j, m in enumerate(rt.min_widths)]
    return ReportTable(rt.title, rt.headers, rt.right, min_widths, rows, rt.styles, rt.sections, rt.caption,
                       rt.legend)


def min_widths(headers: list[str], right: list[bool], rows: list[list[str]]) -> list[int]:
    """Numbers are never truncated (min width = their widest cell), text may be."""
    widths = []
    for j, (h, r) in enumerate(zip(headers, right)):
        widest = max((len(row[j]) for row in rows), default=0)
        widths.append(max(widest, min(len(h), 8)) if r else min(widest, 12))
    return widths


def render_table(rt: ReportTable) -> Group | Table:
    """A rich renderable of the table."""
    table = Table(title=Text(rt.title, style="bold"), box=None, caption_justify="left", title_justify="left",
                  show_edge=False, pad_edge=False)
    for h, r, w in zip(rt.headers, rt.right, rt.min_widths):
        if r:
            table.add_column(Text(h, no_wrap=False, overflow="fold"), justify="right", no_wrap=True, min_width=w)
        else:
            table.add_column(Text(h, no_wrap=False, overflow="fold"), no_wrap=True, overflow="ellipsis",
                             min_width=w)
    for cells, style, section in zip(rt.rows, rt.styles, rt.sections):
        table.add_row(*[Text(c) for c in cells], style=style, end_section=section)
    table.caption = Text(rt.caption, style="dim")
    return Group(table, Text(rt.legend, style="dim")) if rt.legend is not None else table


def plain_report_table(rt: ReportTable, width: int) -> str | None:
    """The text rich prints for :func:`render_table` on a console ``width`` cells wide
    without colour, or None when this is not a case
    :func:`qualcode.cli._plaintable.plain_report` renders (print rich's table then)."""
    return plain_report(rt.title, rt.headers, rt.right, rt.min_widths, rt.rows, rt.caption, rt.legend, width)


def print_tables(out: SafeConsole, tables: Sequence[ReportTable]) -> None:
    """Print the tables, fitted to the console, an empty line between two."""
    plain = plain_console(out)
    first = True
    for t in tables:
        for rt in column_blocks(t, out.width):
            if not first:
                out.print()
            first = False
            text = plain_report_table(rt, out.width) if plain else None
            if text is not None:  # the same characters as rich's table, without its renderer
                out.file.write(text)
                out.file.flush()
            else:
                out.print(render_table(rt))
