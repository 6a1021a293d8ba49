"""Writing analysis tables (:class:`~qualcode.analysis.table.TableResult`) to files.

Formats (``FORMATS``) and where each one records its provenance:

* ``csv``: UTF-8 with a byte-order mark (Excel then reads the accents right), comma
  separated. First line ``# qualcode: <provenance>``; each table starts with a line
  ``# <title>`` and is followed by its notes as ``# note: …`` lines; tables are separated
  by a blank line. ``pandas.read_csv(f, comment="#")`` reads a one-table file.
* ``xlsx``: one sheet per table (bold, frozen header row, columns as wide as their
  content (:func:`xlsx_width`), long headers wrapped, the many columns of a matrix with
  upright headers, the tree indented), plus a sheet ``provenance`` with the provenance, the full title of each
  sheet and the notes. Table sheets hold only the table, so they read back as data.
* ``md``: an HTML comment ``<!-- qualcode: <provenance> -->`` first (invisible once
  rendered, kept by every Markdown tool), then per table a ``## title`` heading, a pipe
  table (numbers right-aligned, ``|`` escaped) and its notes as italic paragraphs.
* ``tex``: ``% qualcode: <provenance>`` comment lines, then per table a booktabs
  ``longtable`` with ``\\caption``, its ``p`` columns fitted to ``\\linewidth`` by
  :func:`~qualcode.exporters.layout.fit_columns` (9 to 7 pt, inside ``landscape`` when it
  fits only across the page), header repeated on every page, special characters escaped
  with break points in long identifiers, the tree indented with ``\\hspace``, and its
  notes in ``\\footnotesize``. Needs :data:`TEX_PACKAGES`; ``standalone``: a whole
  document (:func:`tex_preamble`).
* ``docx``: a first small paragraph and the section footer carry the provenance; per
  table a ``Caption`` with a ``SEQ`` field, a fitted ``Table Grid`` table
  (:func:`~qualcode.exporters.layout.docx_table`: grid and cell widths agree, header rows
  repeated, numbers right-aligned, the tree indented, top-level rows bold) and its notes as
  small italic paragraphs. A table that fits only across the page gets a landscape section.
* ``json``: ``{"provenance": {...}, "tables": [{"title", "columns", "rows" (records),
  "notes", "meta"}]}``.

Numbers: integers as integers, decimals with the table's number of decimals; empty cells
for missing values. Data formats (CSV, XLSX, JSON) use a decimal point in every language
(what R, pandas and spreadsheets read without locale settings); documents (DOCX,
Markdown, LaTeX) follow the export ``language`` (``0,049`` and no-break thousands
separators in French, see :mod:`qualcode.i18n`). DOCX files carry the language for
spell-checking.
Files are written atomically (:func:`~qualcode.exporters.base.atomic_write`) and an
existing file is overwritten only with ``force``.
"""

from __future__ import annotations

import io
import json
import math
import re
from pathlib import Path
from typing import Any

from qualcode.analysis.table import TableResult, py_value
from qualcode.errors import UsageError
from qualcode.exporters.base import Provenance, atomic_write
from qualcode.exporters.docx_util import body_writer, provenance_paragraph, set_language, stamp_provenance
from qualcode.exporters.layout import (
    MARGIN_CM,
    Page,
    check_paper,
    display_table,
    docx_caption,
    docx_table,
    fit_columns,
    new_section,
    set_page,
)
from qualcode.formulas import SafeWriter, append_row
from qualcode.i18n import number
from qualcode.textnorm import md_cell, md_escape, xml_safe
from qualcode.textnorm import tex_escape as tex_escape_text

FORMATS = ("csv", "xlsx", "md", "tex", "docx", "json")
TEXT_FORMATS = ("csv", "md", "tex", "json")
_SUFFIXES = {".csv": "csv", ".xlsx": "xlsx", ".md": "md", ".markdown": "md", ".tex": "tex",
             ".docx": "docx", ".json": "json"}


def format_for(fmt: str | None, path: str | Path | None) -> str:
    """The format to write: ``fmt`` if given, else from the output file's extension."""
    if fmt:
        fmt = fmt.lower()
        if fmt not in FORMATS:
            raise UsageError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
        return fmt
    if path is None:
        raise UsageError("give --format or an --output file")
    suffix = Path(path).suffix.lower()
    if suffix not in _SUFFIXES:
        raise UsageError(f"cannot tell the format of {path} from its extension: pass --format "
                         f"({', '.join(FORMATS)})")
    return _SUFFIXES[suffix]


# --------------------------------------------------------------------------- values


def cell_text(v: Any, decimals: int | None = None) -> str:
    v = py_value(v)
    if v is None:
        return ""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        if decimals is not None:
            return f"{v:.{decimals}f}"
        return str(int(v)) if v.is_integer() else format(v, ".6g")
    return str(v)


def _numeric(table: TableResult, col) -> bool:
    return table.numeric(col)


def _rows(table: TableResult, language: str | None = None) -> list[list[str]]:
    """The cells as text; ``language``: numbers formatted for it (documents), else plain."""
    dec = table.meta.get("decimals", {})
    cols = table.columns
    if language is None or language == "en":
        return [[cell_text(v, dec.get(c)) for c, v in zip(cols, row)] for row in table.rows]
    return [[_local_text(v, dec.get(c), language) for c, v in zip(cols, row)] for row in table.rows]


def _local_text(v: Any, decimals: int | None, language: str) -> str:
    v = py_value(v)
    if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v):
        return number(v, language, decimals)
    return cell_text(v, decimals)


def _cell_fn(language: str):
    """``cell_text`` for documents in ``language`` (numbers with its decimal sign)."""
    if language == "en":
        return cell_text
    return lambda v, decimals=None: _local_text(v, decimals, language)


def _depths(table: TableResult) -> list[int]:
    d = table.meta.get("depth")
    return list(d) if d and len(d) == len(table) else [0] * len(table)


def _is_total(table: TableResult, i: int) -> bool:
    totals = table.meta.get("total_rows") or []
    return bool(totals) and "code" in table.columns and table.rows[i][table.columns.index("code")] in totals


# --------------------------------------------------------------------------- text formats


def to_json(tables: list[TableResult], provenance: Provenance) -> dict:
    out = []
    for t in tables:
        cols = [str(c) for c in t.columns]
        rows = [dict(zip(cols, row)) for row in t.rows]
        meta = {k: v for k, v in t.meta.items() if k not in ("decimals", "header_labels")}
        out.append({"title": t.title, "columns": cols, "rows": rows, "notes": list(t.notes), "meta": meta})
    return {"provenance": provenance.to_dict(), "tables": out}


def to_csv(tables: list[TableResult], provenance: Provenance) -> str:
    buf = io.StringIO()
    buf.write(f"# qualcode: {_one_line(provenance.line())}\n")
    for n, t in enumerate(tables):
        if n:
            buf.write("\n")
        buf.write(f"# {_one_line(t.title)}\n")
        w = SafeWriter(buf, lineterminator="\n")
        w.writerow([str(c) for c in t.columns])
        w.writerows(_rows(t))
        for note in t.notes:
            buf.write(f"# note: {_one_line(note)}\n")
    return buf.getvalue()


def _one_line(s: str) -> str:
    return " ".join(str(s).split())


def _md_cell(s: str) -> str:
    return md_cell(s)


def to_markdown(tables: list[TableResult], provenance: Provenance, language: str = "en") -> str:
    lines = [f"<!-- qualcode: {_one_line(provenance.line()).replace('-->', '- ->')} -->", ""]
    for t in tables:
        cols = list(t.columns)
        lines.append(f"## {md_escape(_one_line(t.title))}")
        lines.append("")
        lines.append("| " + " | ".join(_md_cell(str(c)) for c in cols) + " |")
        lines.append("|" + "|".join("---:" if _numeric(t, c) else ":---" for c in cols) + "|")
        for row in _rows(t, language):
            lines.append("| " + " | ".join(_md_cell(v) for v in row) + " |")
        lines.append("")
        for note in t.notes:
            lines.append(f"*{md_escape(_one_line(note))}*")
            lines.append("")
    return "\n".join(lines)


def tex_escape(s: str, *, breaks: bool = False) -> str:
    """LaTeX special characters escaped (:func:`qualcode.textnorm.tex_escape`), on one line;
    ``breaks``: a break point after ``/`` and ``_`` (long code paths and file names then
    wrap instead of running into the margin)."""
    out = tex_escape_text(" ".join(re.split(r"[ \t\r\n\f\v]+", str(s).strip(" \t\r\n\f\v"))))  # no-break spaces kept
    if breaks:
        out = out.replace("/", "/\\allowbreak{}").replace("\\_", "\\_\\allowbreak{}")
    return out


TEX_PACKAGES = ("array", "booktabs", "longtable", "pdflscape")
_TEX_SIZES = {9.0: "\\small", 8.0: "\\footnotesize", 7.0: "\\scriptsize"}
_BABEL = {"fr": "french", "en": "english", "de": "ngerman", "es": "spanish", "it": "italian"}


def tex_preamble(paper: str = "a4", language: str | None = None) -> list[str]:
    """The preamble of a ``--standalone`` document: what the fragments need."""
    lines = [f"\\documentclass[10pt,{check_paper(paper)}paper]{{article}}",
             "\\usepackage[T1]{fontenc}", "\\usepackage[utf8]{inputenc}", "\\usepackage{lmodern}",
             f"\\usepackage[margin={MARGIN_CM}cm]{{geometry}}"]
    babel = _BABEL.get((language or "").split("-")[0].lower())
    if babel:
        lines.append(f"\\usepackage[{babel}]{{babel}}")
    lines.append(f"\\usepackage{{{','.join(TEX_PACKAGES)}}}")
    return lines


def _tex_table(t: TableResult, page: Page, language: str) -> list[str]:
    shown = display_table(t, _cell_fn(language), language)
    fit = fit_columns(shown, page)
    n = len(shown.columns)
    share = [w / fit.page.text_width_cm for w in fit.widths_cm]
    spec = "".join(
        f">{{\\{'raggedleft' if num else 'raggedright'}\\arraybackslash}}"
        f"p{{\\dimexpr {x:.4f}\\linewidth-2\\tabcolsep\\relax}}"
        for num, x in zip(shown.numeric, share))
    head: list[str] = []
    for r, hrow in enumerate(shown.header):
        cells, rules, j = [], [], 0
        for h in hrow:
            text = f"\\textbf{{{tex_escape(h.text, breaks=True)}}}" if h.text else ""
            if h.span > 1:
                cells.append(f"\\multicolumn{{{h.span}}}{{c}}{{{text}}}")
                rules.append(f"\\cmidrule(lr){{{j + 1}-{j + h.span}}}")
            else:
                cells.append(text)
            j += h.span
        last = r == len(shown.header) - 1
        head.append(" & ".join(cells) + " \\\\" + (" " + " ".join(rules) if rules and not last else ""))
    lines = [f"% {len(shown.rows)} rows, {n} columns, {fit.font_pt:g} pt"
             + (", landscape" if fit.page.landscape else "")]
    if fit.page.landscape:
        lines.append("\\begin{landscape}")
    lines += ["\\begingroup", _TEX_SIZES.get(fit.font_pt, "\\scriptsize"),
              "\\setlength{\\LTcapwidth}{\\linewidth}", "\\setlength{\\tabcolsep}{4pt}",
              f"\\begin{{longtable}}{{@{{}}{spec}@{{}}}}",
              f"\\caption{{{tex_escape(t.title, breaks=True)}}}\\\\", "\\toprule", *head, "\\midrule", "\\endfirsthead",
              "\\toprule", *head, "\\midrule", "\\endhead", "\\bottomrule", "\\endlastfoot"]
    for i, row in enumerate(shown.rows):
        cells = [tex_escape(v, breaks=True) for v in row]
        if shown.depths[i]:
            cells[0] = f"\\hspace*{{{shown.depths[i] * 0.8:g}em}}" + cells[0]
        if i in shown.bold_rows and shown.depths[i] == 0:
            cells[0] = f"\\textbf{{{cells[0]}}}"
        if _is_total(t, i):
            lines.append("\\midrule")
        lines.append(" & ".join(cells) + " \\\\")
    lines.append("\\end{longtable}")
    lines += [f"{{\\footnotesize\\noindent {tex_escape(note, breaks=True)}\\par}}" for note in shown.notes]
    lines.append("\\endgroup")
    if fit.page.landscape:
        lines.append("\\end{landscape}")
    return lines


def to_tex(tables: list[TableResult], provenance: Provenance, *, standalone: bool = False,
           paper: str = "a4", language: str = "en") -> str:
    """Booktabs ``longtable`` per table (column widths fitted to the text block, header
    repeated on every page, landscape when needed); ``standalone``: a whole document."""
    page = Page(check_paper(paper))
    lines = [f"% qualcode: {_one_line(provenance.line())}"]
    if standalone:
        lines += [*tex_preamble(paper, language), "\\begin{document}", ""]
    else:
        lines += [f"% needs \\usepackage{{{','.join(TEX_PACKAGES)}}}", ""]
    for t in tables:
        lines += _tex_table(t, page, language)
        lines.append("")
    if standalone:
        lines.append("\\end{document}")
    return "\n".join(lines) + "\n"


def render_text(tables: list[TableResult], fmt: str, provenance: Provenance, *, standalone: bool = False,
                paper: str = "a4", language: str = "en") -> str:
    """The file content of a text format (csv, md, tex, json), without the CSV BOM;
    ``language``: of the numbers of Markdown and LaTeX."""
    if fmt == "csv":
        return to_csv(tables, provenance)
    if fmt == "md":
        return to_markdown(tables, provenance, language)
    if fmt == "tex":
        return to_tex(tables, provenance, standalone=standalone, paper=paper, language=language)
    if fmt == "json":
        return json.dumps(to_json(tables, provenance), ensure_ascii=False, indent=2) + "\n"
    raise UsageError(f"{fmt} is not a text format: pass --output FILE")


# --------------------------------------------------------------------------- binary formats


def _sheet_names(tables: list[TableResult]) -> list[str]:
    bad = set('[]:*?/\\')
    names: list[str] = []
    for i, t in enumerate(tables, 1):
        title = str(t.meta.get("sheet") or t.title)
        base = "".join("_" if c in bad else c for c in xml_safe(title)).strip("' ")[:31] or f"table {i}"
        if base.lower() == "provenance":
            base = "table"
        name, k = base, 2
        while name.lower() in {n.lower() for n in names}:
            suffix = f" ({k})"
            name = base[: 31 - len(suffix)] + suffix
            k += 1
        names.append(name)
    return names


XLSX_PADDING = 1.5  # width units around a cell's text
XLSX_INDENT = 2.5  # width units per indent level (openpyxl's Alignment.indent)
_NARROW = set("iljtfr.,;:'!|() ")
_WIDE = set("mwMW@%")


def xlsx_width(text: str, *, bold: bool = False) -> float:
    """The width of ``text`` in spreadsheet column units (the width of a digit in the
    default 11 pt font): narrow letters count half, wide ones and capitals more; bold 10 %
    wider."""
    w = sum(0.5 if ch in _NARROW else 1.35 if ch in _WIDE else 1.15 if ch.isupper() else 1.0 for ch in text)
    return w * (1.1 if bold else 1.0)


def _longest_word(text: str) -> str:
    return max(text.split(), key=len, default="")


def write_xlsx(tables: list[TableResult], provenance: Provenance, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    names = _sheet_names(tables)
    bold = Font(bold=True)
    for name, t in zip(names, tables):
        ws = wb.create_sheet(name)
        cols = [str(c) for c in t.columns]
        dec = t.meta.get("decimals", {})
        tree_col = t.meta.get("tree_column")
        depths = _depths(t)
        append_row(ws, cols)
        numeric = [_numeric(t, c) for c in t.columns]
        # many code or document columns: their headers turned upright, the columns as narrow as their numbers
        upright = {str(c) for c in (t.meta.get("matrix_columns") or [])}
        upright = upright if len(upright) > 5 else set()
        for j, cell in enumerate(ws[1]):
            cell.font = bold
            cell.alignment = (Alignment(text_rotation=90, horizontal="center", vertical="bottom")
                              if cols[j] in upright else
                              Alignment(wrap_text=True, vertical="bottom", horizontal="right" if numeric[j] else None))
        widths = [xlsx_width(_longest_word(c), bold=True) if c not in upright else 0.0 for c in cols]
        for i, row in enumerate(t.rows):
            values = list(row)
            append_row(ws, values)
            r = i + 2
            for j, (c, v) in enumerate(zip(cols, values)):
                cell = ws.cell(row=r, column=j + 1)
                if isinstance(v, float) and c in dec:
                    cell.number_format = "0." + "0" * dec[c] if dec[c] else "0"
                if c == tree_col and depths[i]:
                    cell.alignment = Alignment(indent=depths[i])
                strong = bool((tree_col and depths[i] == 0) or _is_total(t, i))
                if strong:
                    cell.font = bold
                shown = xlsx_width(cell_text(v, dec.get(c)), bold=strong)
                widths[j] = max(widths[j], shown + XLSX_INDENT * depths[i] * (c == tree_col))
        for j, w in enumerate(widths, 1):
            ws.column_dimensions[get_column_letter(j)].width = round(min(max(w + XLSX_PADDING, 5.0), 60.0), 1)
        if upright:
            longest = max(xlsx_width(c, bold=True) for c in upright)
            ws.row_dimensions[1].height = round(min(longest * 6.2 + 8, 300.0), 1)  # points: ~6 pt per width unit
        ws.freeze_panes = "A2"
    ws = wb.create_sheet("provenance")
    append_row(ws, ["provenance", ""])
    ws["A1"].font = bold
    for k, v in provenance.items():
        append_row(ws, [k, v])
    append_row(ws, [])
    append_row(ws, ["sheet", "title and notes"])
    ws.cell(row=ws.max_row, column=1).font = bold
    ws.cell(row=ws.max_row, column=2).font = bold
    for name, t in zip(names, tables):
        append_row(ws, [name, t.title])
        for note in t.notes:
            append_row(ws, ["", note])
    ws.column_dimensions["A"].width = 32
    ws.column_dimensions["B"].width = 120
    wb.save(str(path))


def write_docx(tables: list[TableResult], provenance: Provenance, path: Path, *, paper: str = "a4",
               language: str = "en") -> None:
    """One caption (a ``SEQ`` field) and one fitted table per table; a table that fits only
    across the page gets its own landscape section (the break placed before its caption)."""
    from docx import Document
    from docx.shared import Pt

    doc = Document()
    page = Page(check_paper(paper))
    set_page(doc.sections[0], page)
    set_language(doc, language)
    stamp_provenance(doc, provenance, title=tables[0].title if tables else None)
    provenance_paragraph(doc, provenance)
    current = page
    shown_all = [display_table(t, _cell_fn(language), language) for t in tables]
    fits = [fit_columns(shown, page) for shown in shown_all]
    if fits and fits[0].page.landscape:  # the first page itself across, not a page with only the stamp
        current = fits[0].page
        set_page(doc.sections[0], current)
    for n, (t, shown, fit) in enumerate(zip(tables, shown_all, fits), 1):
        if fit.page.landscape != current.landscape:
            new_section(doc, fit.page)
            current = fit.page
        docx_caption(doc, "table", n, t.title, language)
        docx_table(doc, shown, fit)
        for note in shown.notes:
            p = body_writer(doc).paragraph()
            run = p.add_run(xml_safe(note))
            run.italic = True
            run.font.size = Pt(8)
    doc.save(str(path))


# --------------------------------------------------------------------------- entry point


def write_tables(tables: list[TableResult], fmt: str, path: str | Path, provenance: Provenance,
                 force: bool = False, *, paper: str = "a4", standalone: bool = False,
                 language: str = "en") -> Path:
    """Write ``tables`` to ``path`` in ``fmt`` (see the module docstring), atomically; an
    existing file is replaced only if ``force``. Returns the path written."""
    fmt = format_for(fmt, path)
    target = Path(path)
    with atomic_write(target, force=force) as tmp:
        if fmt == "xlsx":
            write_xlsx(tables, provenance, tmp)
        elif fmt == "docx":
            write_docx(tables, provenance, tmp, paper=paper, language=language)
        else:
            text = render_text(tables, fmt, provenance, standalone=standalone, paper=paper, language=language)
            tmp.write_text(text, encoding="utf-8-sig" if fmt == "csv" else "utf-8", newline="\n")
    return target
