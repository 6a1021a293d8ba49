"""Page geometry and thesis-template plumbing shared by the table, report and chart exporters.

* :class:`Page`: paper (A4 by default, US letter), orientation and margins; its text block
  is what every table is fitted against.
* :func:`display_table`: what a :class:`~qualcode.analysis.table.TableResult` looks like
  on a page: code paths replaced by labels, the columns of code × code and code ×
  document tables numbered (the legend is the first column, or a note for documents),
  two header rows for grouped frequency tables (group → units / participants / %).
* :func:`fit_columns`: column widths for a text block (the narrowest width that breaks no
  word, the rest shared out by content), trying portrait then landscape and 9 → 7 pt.
* DOCX helpers: :func:`docx_table` writes a fixed-layout table whose grid
  (``w:tblGrid/w:gridCol``) and every cell width (``w:tcW``) agree, the header rows
  repeated on every page (``w:tblHeader``); :func:`docx_caption` writes a Word caption
  with a ``SEQ Tableau``/``SEQ Figure`` field (so Word builds the lists of tables and
  figures); :func:`docx_toc` a table-of-contents field.

Caption words come from :data:`CAPTION_WORDS` (the project's language).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from qualcode.errors import UsageError
from qualcode.exporters.docx_util import body_writer
from qualcode.exporters.localize import group_label
from qualcode.i18n import Labels, n_equals, words
from qualcode.textnorm import xml_safe

if TYPE_CHECKING:
    from qualcode.analysis.table import TableResult

PAPERS: dict[str, tuple[float, float]] = {"a4": (21.0, 29.7), "letter": (21.59, 27.94)}
MARGIN_CM = 2.5
MIN_FONT_PT = 7.0  # nothing smaller in tables and figures
CELL_PADDING_CM = 0.3  # left + right cell padding (Word: 2 × 0.19 cm; TeX: \tabcolsep 4 pt each side)
CHAR_EM = 0.52  # average width of a character, in em, of a proportional font
BOLD = 1.3  # bold text is wider (Latin Modern bold: ~0.65 em a character)

CAPTION_WORDS: dict[str, dict[str, str]] = {
    "fr": {"table": "Tableau", "figure": "Figure"},
    "en": {"table": "Table", "figure": "Figure"},
}


def caption_word(kind: str, language: str | None) -> str:
    """``Tableau``/``Figure`` in French, ``Table``/``Figure`` otherwise."""
    words = CAPTION_WORDS.get((language or "en").split("-")[0].lower(), CAPTION_WORDS["en"])
    return words[kind]


def check_paper(paper: str | None) -> str:
    p = (paper or "a4").lower()
    if p not in PAPERS:
        raise UsageError(f"unknown paper {paper!r} (choose from {', '.join(PAPERS)})")
    return p


@dataclass(frozen=True)
class Page:
    paper: str = "a4"
    landscape: bool = False
    margin_cm: float = MARGIN_CM

    @property
    def width_cm(self) -> float:
        w, h = PAPERS[self.paper]
        return h if self.landscape else w

    @property
    def height_cm(self) -> float:
        w, h = PAPERS[self.paper]
        return w if self.landscape else h

    @property
    def text_width_cm(self) -> float:
        return self.width_cm - 2 * self.margin_cm

    def turned(self, landscape: bool) -> Page:
        return Page(self.paper, landscape, self.margin_cm)


# --------------------------------------------------------------------------- what is shown


@dataclass
class HeaderCell:
    text: str
    span: int = 1


@dataclass
class DisplayTable:
    """A table as shown on a page (all strings)."""

    title: str
    header: list[list[HeaderCell]]  # one or two rows; the last row has one cell per column
    rows: list[list[str]]
    numeric: list[bool]
    depths: list[int]
    bold_rows: set[int] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)  # legend first, then the table's notes
    diagonal: bool = False  # code × code: shade the diagonal cells

    @property
    def columns(self) -> list[str]:
        return [c.text for c in self.header[-1]]


NUMBER_COLUMNS_ABOVE = 5  # matrices with more columns than this get numbered columns


def display_table(t: TableResult, cell_text, language: str = "en") -> DisplayTable:
    """The display form of ``t`` (``cell_text(value, decimals)`` formats one value;
    ``language``: of the group sizes in two-level headers)."""
    meta = t.meta or {}
    cols = list(t.columns)
    dec = meta.get("decimals", {}) or {}
    depth_meta = meta.get("depth")
    depths = [int(d) for d in depth_meta] if depth_meta and len(depth_meta) == len(t) else [0] * len(t)
    totals = set(meta.get("total_rows") or [])
    shown = [c for c in cols if not (c == "code" and "label" in cols)]  # labels instead of paths
    records = t.rows
    idx = {c: i for i, c in enumerate(cols)}
    rows = [[cell_text(r[idx[c]], dec.get(c)) for c in shown] for r in records]
    numeric = [t.numeric(c) for c in shown]
    bold = {i for i, r in enumerate(records) if "code" in idx and r[idx["code"]] in totals}
    if meta.get("tree_column"):
        bold |= {i for i, d in enumerate(depths) if d == 0}
    names = dict(meta.get("header_labels") or {})  # display labels of groups and attribute values
    header = [[HeaderCell(column_word(c, language, names)) for c in shown]]
    notes: list[str] = []
    diagonal = False
    matrix_cols = [c for c in (meta.get("matrix_columns") or []) if c in shown]
    if meta.get("kind") == "matrix" and len(matrix_cols) > NUMBER_COLUMNS_ABOVE:
        codes = [r[idx["code"]] for r in records] if "code" in idx else []
        numbers = {c: str(k) for k, c in enumerate(matrix_cols, 1)}
        header = [[HeaderCell(numbers.get(str(c)) or column_word(c, language, names)) for c in shown]]
        if codes[: len(matrix_cols)] == matrix_cols or set(matrix_cols) <= set(codes):
            # code × code: the rows carry the numbers, the first column is the legend
            pos = {code: k for k, code in enumerate(codes)}
            first = 0
            for i, code in enumerate(codes):
                if code in numbers:
                    rows[i][first] = f"{numbers[code]}. {rows[i][first]}"
            diagonal = all(pos.get(c) == k for k, c in enumerate(matrix_cols))
        else:
            notes.append(" · ".join(f"{numbers[c]} = {names.get(c, c)}" for c in matrix_cols))
    elif meta.get("kind") == "freq" and meta.get("groups"):
        header = _freq_header(shown, meta, language, names)
    notes += [str(n) for n in t.notes]
    return DisplayTable(t.title, header, rows, numeric, depths, bold, notes, diagonal)


def column_word(column, language: str, names: dict[str, str] | None = None) -> str:
    """A column's header in a document: a display label (``names``: groups, attribute
    values), else the export language's word for qualcode's own columns (``units`` ->
    ``unités``, ``label`` -> ``Code``), else the column as it is."""
    text = str(column)
    if names and text in names:
        return names[text]
    return words(language).get(f"column.{text}", text)


def header_labels(t: TableResult, labels: Labels) -> TableResult:
    """``t`` with the display labels of its groups (``--by``) or attribute-value columns
    recorded in ``meta["header_labels"]``, which :func:`display_table` shows in headers
    and legends (the data formats keep the identifiers)."""
    meta = dict(t.meta or {})
    names: dict[str, str] = {"total": words(labels.language).get("column.total", "total")}
    if meta.get("kind") == "freq" and meta.get("by"):
        names.update({str(g): group_label(g, meta["by"], labels) for g in meta.get("groups") or []})
    cols = meta.get("cols")
    if meta.get("kind") == "matrix" and cols not in (None, "docs", "cases"):
        names.update({str(c): group_label(c, str(cols), labels) for c in meta.get("matrix_columns") or []})
    meta["header_labels"] = names
    return t.replace(meta=meta)


def _freq_header(shown: list, meta: dict, language: str = "en",
                 names: dict[str, str] | None = None) -> list[list[HeaderCell]]:
    """Two header rows: ``group (n = 5)`` over ``units | participants | %``."""
    groups = [*meta.get("groups", []), "total"]
    sizes = dict(meta.get("group_sizes") or {})
    if meta.get("total_cases"):
        sizes["total"] = meta["total_cases"]
    top: list[HeaderCell] = []
    sub: list[HeaderCell] = []
    last: str | None = None
    for c in map(str, shown):
        group = next((g for g in groups if c.startswith(f"{g} ")), None)
        if group is None:
            top.append(HeaderCell(""))
            sub.append(HeaderCell(column_word(c, language)))
        elif group == last:
            top[-1].span += 1
            sub.append(HeaderCell(column_word(c[len(group) + 1:], language)))
        else:
            name = column_word(group, language, names)
            top.append(HeaderCell(f"{name} ({n_equals(sizes[group], language)})" if sizes.get(group) else name))
            sub.append(HeaderCell(column_word(c[len(group) + 1:], language)))
        last = group
    return [top, sub]


# --------------------------------------------------------------------------- widths


def text_cm(text: str, font_pt: float) -> float:
    return len(text) * CHAR_EM * font_pt / 28.3465


_BREAK = re.compile(r"[\s/_]+")


def _longest_word(text: str) -> str:
    return max(_BREAK.split(text), key=len, default="")


@dataclass
class Fit:
    page: Page
    font_pt: float
    widths_cm: list[float]
    fits: bool  # False: even the narrowest widths at the smallest size overflow

    @property
    def total_cm(self) -> float:
        return sum(self.widths_cm)


def _min_natural(table: DisplayTable, font_pt: float, indent_cm: float = 0.35) -> tuple[list[float], list[float]]:
    """Per column, the narrowest width (its longest word, or its whole longest value for a
    number column: numbers never wrap) and the natural width (its longest text on one line,
    at most 9 cm for the first column and 6 cm for the others), padding included."""
    n = len(table.columns)
    lo = [0.0] * n
    hi = [0.0] * n
    for j, h in enumerate(table.header[-1]):
        lo[j] = text_cm(_longest_word(h.text), font_pt) * BOLD
        hi[j] = text_cm(h.text, font_pt) * BOLD
    for i, row in enumerate(table.rows):
        extra = indent_cm * table.depths[i] if i < len(table.depths) else 0.0
        bold = BOLD if i in table.bold_rows else 1.0
        for j, v in enumerate(row[:n]):
            e = extra if j == 0 else 0.0
            whole = table.numeric[j] if j < len(table.numeric) else False  # "148 / 5 (100 %)" stays on one line
            lo[j] = max(lo[j], text_cm(v if whole else _longest_word(v), font_pt) * bold + e)
            hi[j] = max(hi[j], text_cm(v, font_pt) * bold + e)
    lo = [w + CELL_PADDING_CM for w in lo]
    hi = [min(max(h + CELL_PADDING_CM, a), 9.0 if j == 0 else 6.0) for j, (a, h) in enumerate(zip(lo, hi))]
    hi = [max(h, a) for a, h in zip(lo, hi)]
    return lo, hi


def _share(lo: list[float], hi: list[float], width: float) -> list[float]:
    """Narrowest widths, the room left shared out towards the natural widths."""
    if sum(hi) <= width:  # room to spare: up to 0.6 cm more per column (font metrics vary by renderer)
        extra = min((width - sum(hi)) / max(len(hi), 1), SPARE_CM)
        return [h + extra for h in hi]
    room = width - sum(lo)
    want = [h - a for a, h in zip(lo, hi)]
    total = sum(want) or 1.0
    return [a + room * w / total for a, w in zip(lo, want)]


SPARE_CM = 0.6  # at most this much more than its natural width per column, when the page has room
LABEL_MIN_CM = 4.5  # a text column gets its natural width up to this before a table is said to fit


def fit_columns(table: DisplayTable, page: Page, *, allow_landscape: bool = True) -> Fit:
    """Widths for ``table`` on ``page``. Tried in order: portrait at 9 then 8 pt, landscape
    at 9 then 8 pt, portrait then landscape at 7 pt; the first where no word is broken and
    every text column (labels) gets its natural width up to 4.5 cm wins. Otherwise
    landscape at 7 pt with the narrowest widths scaled to the text block (long words
    break, nothing goes smaller than 7 pt)."""
    portrait, landscape = page.turned(False), page.turned(True)
    tries = [(portrait, 9.0), (portrait, 8.0)]
    if allow_landscape:
        tries += [(landscape, 9.0), (landscape, 8.0)]
    tries.append((portrait, MIN_FONT_PT))
    if allow_landscape:
        tries.append((landscape, MIN_FONT_PT))
    for p, size in tries:
        lo, hi = _min_natural(table, size)
        lo = [a if num else max(a, min(h, LABEL_MIN_CM)) for a, h, num in zip(lo, hi, table.numeric)]
        if sum(lo) <= p.text_width_cm:
            return Fit(p, size, _share(lo, hi, p.text_width_cm), True)
    p = tries[-1][0]
    lo, _ = _min_natural(table, MIN_FONT_PT)
    scale = p.text_width_cm / sum(lo)
    return Fit(p, MIN_FONT_PT, [w * scale for w in lo], False)


# --------------------------------------------------------------------------- DOCX


def twips(cm: float) -> int:
    return math.floor(cm * 567.0)  # 1 cm = 566.93 twentieths of a point


def set_page(section, page: Page) -> None:
    """Paper size, orientation and margins of a python-docx section."""
    from docx.enum.section import WD_ORIENT
    from docx.shared import Cm

    section.orientation = WD_ORIENT.LANDSCAPE if page.landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(page.width_cm), Cm(page.height_cm)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(page.margin_cm))


def new_section(doc, page: Page):
    """A section break (new page) here; the new section has ``page``'s geometry and
    inherits the footer. The break belongs to the paragraph before it: call this before
    adding the heading the section opens."""
    from docx.enum.section import WD_SECTION

    section = doc.add_section(WD_SECTION.NEW_PAGE)
    set_page(section, page)
    return section


def _el(tag: str, **attrs: str):
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    el = OxmlElement(tag)
    for k, v in attrs.items():
        el.set(qn(f"w:{k}"), v)
    return el


def apply_widths(table, widths_cm: list[float]) -> None:
    """Fixed layout; table width = the sum; ``w:tblGrid`` and every cell's ``w:tcW`` agree."""
    from docx.oxml.ns import qn

    tw = [twips(w) for w in widths_cm]
    tbl = table._tbl
    tbl_pr = tbl.tblPr
    for tag in ("w:tblW", "w:tblLayout"):
        old = tbl_pr.find(qn(tag))
        if old is not None:
            tbl_pr.remove(old)
    old = tbl_pr.find(qn("w:tblCellMar"))
    if old is not None:
        tbl_pr.remove(old)
    tbl_pr.append(_el("w:tblW", w=str(sum(tw)), type="dxa"))
    tbl_pr.append(_el("w:tblLayout", type="fixed"))
    margins = _el("w:tblCellMar")  # the padding the widths were computed with, not Word's 0.19 cm
    for side in ("left", "right"):
        margins.append(_el(f"w:{side}", w=str(twips(CELL_PADDING_CM / 2) - 15), type="dxa"))
    tbl_pr.append(margins)
    _order_tbl_pr(tbl_pr)
    grid = tbl.tblGrid
    for col in list(grid):
        grid.remove(col)
    for w in tw:
        grid.append(_el("w:gridCol", w=str(w)))
    for tr in tbl.tr_lst:
        j = 0
        for tc in tr.tc_lst:
            span = tc.grid_span
            tc_pr = tc.get_or_add_tcPr()
            old = tc_pr.find(qn("w:tcW"))
            if old is not None:
                tc_pr.remove(old)
            tc_pr.insert(0, _el("w:tcW", w=str(sum(tw[j:j + span])), type="dxa"))
            j += span


_TBL_PR_ORDER = ("tblStyle", "tblpPr", "tblOverlap", "bidiVisual", "tblStyleRowBandSize",
                 "tblStyleColBandSize", "tblW", "jc", "tblCellSpacing", "tblInd", "tblBorders", "shd",
                 "tblLayout", "tblCellMar", "tblLook")


def _order_tbl_pr(tbl_pr) -> None:
    """Children of w:tblPr in the schema's order (Word refuses others)."""
    def key(el) -> int:
        name = el.tag.rsplit("}", 1)[-1]
        return _TBL_PR_ORDER.index(name) if name in _TBL_PR_ORDER else len(_TBL_PR_ORDER)
    children = sorted(tbl_pr, key=key)
    for el in list(tbl_pr):
        tbl_pr.remove(el)
    for el in children:
        tbl_pr.append(el)


def repeat_header(row) -> None:
    """Repeat this row at the top of every page the table runs onto (``w:tblHeader``)."""
    from docx.oxml.ns import qn

    tr_pr = row._tr.get_or_add_trPr()
    if tr_pr.find(qn("w:tblHeader")) is None:
        tr_pr.append(_el("w:tblHeader", val="true"))
    if tr_pr.find(qn("w:cantSplit")) is None:
        tr_pr.insert(0, _el("w:cantSplit", val="true"))


def _shade(cell, fill: str) -> None:
    cell._tc.get_or_add_tcPr().append(_el("w:shd", val="clear", color="auto", fill=fill))


def docx_table(doc, table: DisplayTable, fit: Fit):
    """Write ``table`` with the widths and font size of ``fit`` (see the module doc)."""
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    ncols = len(table.columns)
    nhead = len(table.header)
    out = doc.add_table(rows=nhead + len(table.rows), cols=ncols)
    out.style = doc.styles["Table Grid"]
    out.alignment = WD_TABLE_ALIGNMENT.CENTER
    size = Pt(fit.font_pt)

    def put(cell, text: str, bold: bool, align_right: bool, indent: int = 0, center: bool = False) -> None:
        para = cell.paragraphs[0]
        para.paragraph_format.space_after = Pt(0)
        run = para.add_run(xml_safe(text))
        run.bold = bold
        run.font.size = size
        if center:
            para.alignment = WD_ALIGN_PARAGRAPH.CENTER
        elif align_right:
            para.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        if indent:
            para.paragraph_format.left_indent = Pt(8 * indent)

    for r, header_row in enumerate(table.header):
        row = out.rows[r]
        j = 0
        for h in header_row:
            cell = row.cells[j]
            if h.span > 1:
                cell = cell.merge(row.cells[j + h.span - 1])
            put(cell, h.text, True, table.numeric[j] and h.span == 1, center=h.span > 1)
            j += h.span
        repeat_header(row)
    for i, values in enumerate(table.rows):
        # a row is never split across pages (a wrapped label stays with its numbers)
        out.rows[nhead + i]._tr.get_or_add_trPr().append(_el("w:cantSplit", val="true"))
        cells = out.rows[nhead + i].cells
        bold = i in table.bold_rows
        for j, (cell, text) in enumerate(zip(cells, values)):
            put(cell, text, bold and (j == 0 or table.depths[i] != 0 or not table.depths), table.numeric[j],
                table.depths[i] if j == 0 else 0)
            if table.diagonal and j == i + 1:
                _shade(cell, "E7E6E6")
    apply_widths(out, fit.widths_cm)
    return out


def _field(paragraph, instruction: str, shown: str, *, size=None) -> None:
    """A complex field (``w:fldChar`` begin / ``w:instrText`` / separate / result / end)."""
    def run_with(*children):
        run = paragraph.add_run()
        if size is not None:
            run.font.size = size
        for child in children:
            run._r.append(child)
        return run

    from docx.oxml.ns import qn

    run_with(_el("w:fldChar", fldCharType="begin"))
    instr = _el("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    run_with(instr)
    run_with(_el("w:fldChar", fldCharType="separate"))
    result = paragraph.add_run(shown)
    if size is not None:
        result.font.size = size
    run_with(_el("w:fldChar", fldCharType="end"))


def docx_caption(doc, kind: str, number: int, text: str, language: str | None, *, above: bool = True):
    """A ``Caption`` paragraph ``Tableau <SEQ Tableau> – text``: the number is a Word field
    (so Word numbers the captions and builds the list of tables/figures). ``above``: keep
    with the next paragraph (a table's caption stays with its table)."""
    word = caption_word(kind, language)
    para = body_writer(doc).paragraph(style="Caption")
    para.add_run(f"{word} ")
    _field(para, f"SEQ {word} \\* ARABIC", str(number))
    if text:
        para.add_run(xml_safe(f" – {text}"))
    if above:
        para.paragraph_format.keep_with_next = True
    return para


_CAPTION_PREFIX = re.compile(r"^\s*(Tableau|Table|Figure)\s+\d+\s*[–:.-]\s*")


def strip_caption_number(text: str) -> str:
    """``Tableau 1 – Codes`` -> ``Codes`` (the word and number come from the field)."""
    return _CAPTION_PREFIX.sub("", text, count=1)


def docx_toc(doc, title: str | None = None, *, levels: str = "1-3"):
    """A table-of-contents field (Word fills it on opening or with F9). Returns its last
    paragraph (the field's end), before which :func:`fill_toc` puts the headings once
    the document is written."""
    w = body_writer(doc)
    if title:
        w.paragraph(xml_safe(title), style="TOC Heading" if "TOC Heading" in
                    [s.name for s in doc.styles] else None)
    para = w.paragraph()
    _field(para, f'TOC \\o "{levels}" \\h \\z \\u', "")
    # the field's result spans paragraphs, as Word writes a TOC: begin…separate here, end below
    end_run = para.runs[-1]
    para._p.remove(end_run._r)
    end = w.paragraph()
    end._p.append(end_run._r)
    _update_fields_on_open(doc)
    return end


def fill_toc(doc, end, levels: tuple[int, int]) -> int:
    """The headings of ``doc`` at ``levels`` (first, last) as the TOC field's result, before
    its ``end`` paragraph (what a reader sees before the fields are updated, e.g. in a PDF
    made by LibreOffice; Word replaces it with page numbers). Returns the entries."""
    from docx.shared import Cm

    w = body_writer(doc)
    first, last = levels
    entries = []
    for para in doc.paragraphs:
        name = w.style_name(para)  # para.style.name, without a lookup per paragraph
        if name.startswith("Heading ") and name[8:].isdigit() and first <= int(name[8:]) <= last:
            entries.append((int(name[8:]), para.text))
    for level, text in entries:
        entry = w.paragraph(text, before=end)
        entry.paragraph_format.left_indent = Cm(0.6 * (level - first))
        entry.paragraph_format.space_after = 0
    return len(entries)


def _update_fields_on_open(doc) -> None:
    from docx.oxml.ns import qn

    settings = doc.settings.element
    if settings.find(qn("w:updateFields")) is None:
        settings.append(_el("w:updateFields", val="true"))
