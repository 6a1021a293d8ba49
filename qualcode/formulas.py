"""Formula injection: every spreadsheet cell qualcode writes goes through here.

A spreadsheet program runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a
formula (and tab or carriage return can hide such a start), so transcript text, case
attributes, code labels or memos written verbatim into a CSV or XLSX file could run
formulas (``=HYPERLINK(…)``, DDE) on the computer of whoever opens it, such as the second
coder who receives a review sheet. Following the OWASP guidance on CSV injection, such a
text gets a single quote in front (``'=SUM(A1)``), which shows it as text; numbers stay
numbers, and so does a text that is only a number (``-3``, ``-0,25``, ``+1e5``, ``-inf``:
a spreadsheet reads it as that constant, which calls nothing), so that numeric columns of
CSV tables stay readable by other programs. In XLSX, strings are also stored as strings,
never as formulas (openpyxl makes a formula of any string that starts with ``=``) nor as
error values (``#N/A``).

:func:`restore` undoes :func:`neutralize` when qualcode reads its own sheets back
(``review --import``, ``reconcile --import``), so that what was exported comes back
exactly: ``restore(neutralize(s)) == s`` for every string, including one that already
starts with quotes (``'=x`` is written ``''=x``).

Used by every CSV and XLSX writer: :mod:`qualcode.exporters.tables` (``report``,
``agreement``, ``evaluate``…), :mod:`qualcode.exporters.excerpts`,
:mod:`qualcode.codebook.export` and :mod:`qualcode.sheets` (review and reconcile sheets).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any

from qualcode.textnorm import xml_safe

# The first characters that make a spreadsheet cell a formula (OWASP, CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# A text that is just a number constant (how tables write numbers in CSV, French decimal
# comma included): a spreadsheet reads it as that number, never as a formula.
_NUMBER = re.compile(r"[-+]?(?:(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][-+]?\d+)?|inf)")


def _needs_quote(text: str) -> bool:
    """Whether ``text``, once its leading quotes are set aside, starts like a formula."""
    body = text.lstrip("'")
    return body[:1] in FORMULA_STARTS and body != "" and not _NUMBER.fullmatch(body)


def neutralize(value: Any) -> Any:
    """``value`` as it may be written to a spreadsheet cell: a text that could start a
    formula gets a ``'`` in front; anything else (numbers, dates, None) is unchanged."""
    if isinstance(value, str) and _needs_quote(value):
        return "'" + value
    return value


def restore(value: Any) -> Any:
    """The inverse of :func:`neutralize`, for a cell read back from a sheet qualcode wrote."""
    if isinstance(value, str) and value.startswith("'") and _needs_quote(value):
        return value[1:]
    return value


class SafeWriter:
    """A ``csv.writer`` whose every cell goes through :func:`neutralize`."""

    def __init__(self, f: Any, **kwargs: Any):
        self._writer = csv.writer(f, **kwargs)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([neutralize(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def set_cell(ws: Any, row: int, column: int, value: Any) -> Any:
    """Write ``value`` (neutralized, and XML-safe: see :func:`qualcode.textnorm.xml_safe`)
    to the openpyxl cell at ``row``, ``column``; a string is stored as a string. Returns
    the cell."""
    cell = ws.cell(row=row, column=column, value=neutralize(xml_safe(value)))
    if isinstance(value, str):
        cell.data_type = "s"
    return cell


def append_row(ws: Any, values: Iterable[Any]) -> None:
    """``ws.append(values)`` with every value XML-safe and neutralized, and strings stored
    as strings."""
    values = list(values)
    ws.append([neutralize(xml_safe(v)) for v in values])
    for j, v in enumerate(values, 1):
        if isinstance(v, str):
            ws.cell(row=ws.max_row, column=j).data_type = "s"
