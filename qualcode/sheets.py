"""Reading the spreadsheets people fill in: CSV as French Excel writes it, or XLSX.

Used by ``cases import``, ``review --import`` and ``reconcile --import``. CSV files may be
comma-, semicolon- or tab-separated, UTF-8 (with or without BOM) or cp1252; rows are
numbered by their line in the file (XLSX: by their row), so problems can name them.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path
from typing import Any

from qualcode.errors import InputError
from qualcode.errors import SheetProblems as SheetProblems  # its home until issue 17; still imported from here
from qualcode.formulas import SafeWriter, append_row, restore
from qualcode.importers import read_transcript_bytes
from qualcode.textnorm import decode_bytes, normalize_text, xml_safe
from qualcode.ziplimits import XLSX, check_zip


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


# Excel's own limits: a sheet beyond them did not come from a spreadsheet program.
MAX_ROWS = 1_048_576
MAX_COLUMNS = 16_384
# An id or offset in a sheet: SQLite integers are 64-bit, so at most 18 digits are read.
_ID = re.compile(r"[0-9]{1,18}")


def cell_int(text: str) -> int | None:
    """A cell's text as a non-negative integer (ASCII digits, at most 18 of them), else None:
    ids and offsets in sheets, never an overflow or a Unicode digit like ``²``."""
    return int(text) if _ID.fullmatch(text) else None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0].strip() if text else type(exc).__name__


def _has_dtd(exc: BaseException | None) -> bool:
    while exc is not None:
        if type(exc).__name__.startswith(("DTDForbidden", "EntitiesForbidden", "ExternalReferenceForbidden")):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _xlsx_errors() -> tuple[type[BaseException], ...]:
    """What openpyxl and what it stands on raise for a damaged XLSX file: zip and zlib
    errors, XML syntax errors (xml.etree's and lxml's), DTDs refused by defusedxml (ValueError), missing parts
    (KeyError), an unknown encoding declared by a part (LookupError, KeyError's base), and the
    ValueError/TypeError/IndexError/AttributeError of its readers when a part holds something
    else than it expects."""
    import zlib
    from xml.etree.ElementTree import ParseError

    from lxml.etree import LxmlError
    from openpyxl.utils.exceptions import InvalidFileException

    return (LxmlError, zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, LookupError, ValueError,
            TypeError, IndexError, AttributeError, NotImplementedError, ParseError, InvalidFileException)


def damaged_file_errors() -> tuple[type[BaseException], ...]:
    """What reading a damaged zip/XML package (XLSX, DOCX, QDPX) through openpyxl,
    python-docx, lxml or zipfile may raise: to be turned into one line naming the file
    (:func:`damage`); ``pseudo audit`` reads any of them."""
    return _xlsx_errors()


def damage(exc: BaseException, kind: str) -> str:
    """The one-line reason for a package that :func:`damaged_file_errors` refused."""
    if _has_dtd(exc):
        return (f"not a readable {kind} file (it contains a DTD, which qualcode refuses: save it again from "
                "the program that made it)")
    return f"not a readable {kind} file ({_first_line(exc)})"


def _xlsx_rows(data: bytes, where: str, sheet: str | None) -> list[tuple[int, list[Any]]]:
    check_zip(data, XLSX, path=where)  # zip bombs and huge XML parts refused before parsing
    from openpyxl import load_workbook

    rows: list[tuple[int, list[Any]]] = []
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            if not wb.worksheets:
                raise InputError("XLSX file without a worksheet", path=where)
            ws = wb[sheet] if sheet and sheet in wb.sheetnames else wb.worksheets[0]
            if not hasattr(ws, "iter_rows"):
                raise InputError(f"sheet {ws.title!r} is a chart, not a worksheet", path=where)
            ws.reset_dimensions()  # a declared dimension could pad every row to XFD1048576
            for i, row in enumerate(ws.iter_rows(values_only=True), 1):
                if i > MAX_ROWS:
                    raise InputError(f"more than {MAX_ROWS:,} rows (Excel's limit)", path=where, line=i)
                if len(row) > MAX_COLUMNS:
                    raise InputError(f"{len(row):,} columns (at most {MAX_COLUMNS:,}, Excel's limit)",
                                     path=where, line=i)
                rows.append((i, list(row)))
        finally:
            wb.close()
    except _xlsx_errors() as exc:
        if _has_dtd(exc):
            raise InputError("not a readable XLSX file (it contains a DTD, which qualcode refuses: "
                             "save it again from the spreadsheet program)", path=where) from None
        raise InputError(f"not a readable XLSX file ({_first_line(exc)})", path=where) from None
    return rows


def _csv_rows(data: bytes, where: str) -> list[tuple[int, list[Any]]]:
    text = normalize_text(decode_bytes(data, where).text)
    first = next((ln for ln in text.split("\n") if ln.strip() and not ln.lstrip('"').startswith("#")), "")
    delimiter = max(",;\t", key=first.count)
    rows: list[tuple[int, list[Any]]] = []
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    limit = csv.field_size_limit()
    # a cell may be as long as the file (a long passage in a review sheet): the file size
    # is already capped, so the csv module's own 131,072-character limit is lifted
    csv.field_size_limit(max(limit, len(text) + 1))
    try:
        line = 1
        for cells in reader:
            if len(cells) > MAX_COLUMNS:
                raise InputError(f"{len(cells):,} columns (at most {MAX_COLUMNS:,}, Excel's limit)",
                                 path=where, line=line)
            rows.append((line, cells))
            if len(rows) > MAX_ROWS:
                raise InputError(f"more than {MAX_ROWS:,} rows (Excel's limit)", path=where, line=line)
            line = reader.line_num + 1
    except csv.Error as exc:
        raise InputError(f"malformed CSV ({_first_line(exc)})", path=where, line=reader.line_num) from None
    finally:
        csv.field_size_limit(limit)
    return rows


def read_rows(path: str | Path, *, sheet: str | None = None, comments: bool = True) -> list[tuple[int, list[Any]]]:
    """(line or row number, cells) of every non-empty row of a CSV or XLSX file.

    ``sheet``: the XLSX sheet to read when it exists (else the first). ``comments``: drop
    rows whose first filled cell starts with ``#`` (exports put their provenance there).

    The one reading function for sheets: every problem with the file (missing, not a
    regular file, over 50 MB, empty, undecodable, malformed CSV, damaged or bomb-like
    XLSX, a DTD, beyond Excel's row and column limits) raises an :class:`InputError`
    naming the file (and the row when known), never another exception.
    """
    p = Path(path)
    where = str(p)
    suffix = p.suffix.lower()
    if suffix not in (".xlsx", ".xlsm", ".csv", ".tsv", ".txt"):
        if not p.exists():
            raise InputError("no such file", path=where)
        raise InputError(f"unsupported file type {suffix!r} (use .csv or .xlsx)", path=where)
    data = read_transcript_bytes(p)  # regular files only, at most 50 MB
    if not data.strip():
        raise InputError("empty file", path=where)
    rows = _xlsx_rows(data, where, sheet) if suffix in (".xlsx", ".xlsm") else _csv_rows(data, where)
    out = []
    for i, cells in rows:
        filled = _filled(cells)
        if filled and not (comments and filled[0].startswith("#")):
            out.append((i, cells))
    if not out:
        raise InputError("empty file", path=where)
    return out


def decision_csv(columns: tuple[str, ...], rows: list[dict], provenance, newline: str = "\r\n") -> str:
    """The text of a sheet to fill in, as CSV: the provenance as a first ``#`` comment
    line (which :func:`read_rows` skips), the header, the rows (cells through the formula
    guard). What ``--export -`` prints, with ``newline="\n"``."""
    buf = io.StringIO()
    # no double quotes in the comment: they would unbalance a CSV parser
    buf.write("# " + provenance.line().replace('"', "'") + newline)
    w = SafeWriter(buf, lineterminator=newline)
    w.writerow(columns)
    for r in rows:
        w.writerow([r[c] for c in columns])
    return buf.getvalue()


def write_decision_csv(path: Path, columns: tuple[str, ...], rows: list[dict], provenance) -> None:
    """A sheet to fill in, as CSV: UTF-8 with BOM and CRLF (what Excel opens), see
    :func:`decision_csv`."""
    path.write_text(decision_csv(columns, rows, provenance), encoding="utf-8-sig", newline="")


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
