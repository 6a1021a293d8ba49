"""Reading the spreadsheets people fill in: CSV as French Excel writes it, or XLSX.

Used by ``cases import``, ``review --import`` and ``reconcile --import``. CSV files may be
comma-, semicolon- or tab-separated, UTF-8 (with or without BOM) or cp1252; rows are
numbered by their line in the file (XLSX: by their row), so problems can name them.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from qualcode.errors import InputError, QualcodeError
from qualcode.formulas import SafeWriter, append_row, restore
from qualcode.textnorm import decode_bytes, normalize_text, xml_safe


class SheetProblems(QualcodeError):
    """Problems found in a filled-in sheet (one ``FILE:ROW: message`` each); nothing was
    imported."""

    def __init__(self, path: str, problems: list[str]):
        self.problems = problems
        super().__init__(f"{len(problems)} problem{'s' * (len(problems) != 1)} in {path}: nothing imported")


def _filled(cells: list) -> list[str]:
    return [str(c).strip() for c in cells if c is not None and str(c).strip()]


def cell_text(cells: list, i: int | None) -> str:
    """Cell ``i`` of a row as stripped text ("" when missing); spreadsheet numbers like 12.0
    read as "12"; the quote that qualcode puts before a text that could start a formula
    (:func:`qualcode.formulas.neutralize`) is taken off again."""
    if i is None or i >= len(cells) or cells[i] is None:
        return ""
    v = cells[i]
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(restore(v)).strip()


def read_rows(path: str | Path, *, sheet: str | None = None, comments: bool = True) -> list[tuple[int, list[Any]]]:
    """(line or row number, cells) of every non-empty row of a CSV or XLSX file.

    ``sheet``: the XLSX sheet to read when it exists (else the first). ``comments``: drop
    rows whose first filled cell starts with ``#`` (exports put their provenance there).
    Raises InputError for a missing, unreadable, unsupported or empty file.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError("no such file", path=str(p))
    suffix = p.suffix.lower()
    rows: list[tuple[int, list[Any]]] = []
    if suffix in (".xlsx", ".xlsm"):
        import zipfile

        from openpyxl import load_workbook

        try:
            wb = load_workbook(p, read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
            raise InputError(f"not a readable XLSX file ({exc})", path=str(p)) from None
        ws = wb[sheet] if sheet and sheet in wb.sheetnames else wb.worksheets[0]
        rows = [(i, list(row)) for i, row in enumerate(ws.iter_rows(values_only=True), 1)]
        wb.close()
    elif suffix in (".csv", ".tsv", ".txt"):
        text = normalize_text(decode_bytes(p.read_bytes(), str(p)).text)
        lines = [ln for ln in text.split("\n") if ln.strip() and not (comments and ln.lstrip('"').startswith("#"))]
        delimiter = max(",;\t", key=lines[0].count) if lines else ","
        reader = csv.reader(io.StringIO(text), delimiter=delimiter)
        line = 1
        for cells in reader:
            rows.append((line, cells))
            line = reader.line_num + 1
    else:
        raise InputError(f"unsupported file type {suffix!r} (use .csv or .xlsx)", path=str(p))
    out = []
    for i, cells in rows:
        filled = _filled(cells)
        if filled and not (comments and filled[0].startswith("#")):
            out.append((i, cells))
    if not out:
        raise InputError("empty file", path=str(p))
    return out


def write_decision_csv(path: Path, columns: tuple[str, ...], rows: list[dict], provenance) -> None:
    """A sheet to fill in, as CSV: UTF-8 with BOM and CRLF (what Excel opens), the
    provenance as a first ``#`` comment line (which :func:`read_rows` skips)."""
    buf = io.StringIO()
    # no double quotes in the comment: they would unbalance a CSV parser
    buf.write("# " + provenance.line().replace('"', "'") + "\r\n")
    w = SafeWriter(buf, lineterminator="\r\n")
    w.writerow(columns)
    for r in rows:
        w.writerow([r[c] for c in columns])
    path.write_text(buf.getvalue(), encoding="utf-8-sig", newline="")


def write_decision_xlsx(path: Path, *, sheet: str, columns: tuple[str, ...], rows: list[dict],
                        widths: dict[str, int], choices: list[str], validation: dict,
                        about: tuple[str, str], provenance, choices_sheet: bool = False) -> None:
    """A sheet to fill in, as XLSX: bold frozen header (the ``decision`` and ``note``
    columns highlighted), wrapped ``text``, a filter, a dropdown of ``choices`` on the
    ``decision`` column (``validation``: more DataValidation settings), and an ``about``
    sheet with instructions and the provenance. ``choices_sheet``: list the choices on a
    hidden sheet (an inline list is limited to 255 characters)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    def clean(v):
        return xml_safe(v)[:32767] if isinstance(v, str) else v

    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    append_row(ws, columns)
    for r in rows:
        append_row(ws, [clean(r[c]) for c in columns])
    fill = PatternFill("solid", fgColor="FFF2CC")
    for i, name in enumerate(columns, 1):
        cell = ws.cell(1, i)
        ws.column_dimensions[cell.column_letter].width = widths[name]
        cell.font = Font(bold=True)
        if name in ("decision", "note"):
            cell.fill = fill
    text_col = columns.index("text") + 1
    for row in ws.iter_rows(min_row=2, min_col=text_col, max_col=text_col):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"
    if rows:
        ws.auto_filter.ref = ws.dimensions
    if choices_sheet:
        listing = wb.create_sheet("choices")
        for value in choices:
            append_row(listing, [value])
        listing.sheet_state = "hidden"
        formula = f"=choices!$A$1:$A${len(choices)}"
    else:
        formula = '"' + ",".join(choices) + '"'
    dcol = ws.cell(1, columns.index("decision") + 1).column_letter
    dv = DataValidation(type="list", formula1=formula, allow_blank=True, showErrorMessage=True, **validation)
    ws.add_data_validation(dv)
    dv.add(f"{dcol}2:{dcol}{max(len(rows) + 1, 2)}")
    info = wb.create_sheet("about")
    append_row(info, [about[0]])
    append_row(info, [about[1]])
    append_row(info, [])
    for k, v in provenance.items():
        append_row(info, [k, v])
    info.column_dimensions["A"].width = 14
    info.column_dimensions["B"].width = 90
    wb.save(path)
