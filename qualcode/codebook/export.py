"""The codebook as a document (``qualcode codebook export``): an annex for the thesis.

For every code, in codebook order and numbered like headings (1, 1.1, 1.1.1…): label,
path, MacQueen fields (definition, full definition, when to use, when not to use,
examples), colour and unit, optionally its rules, and — when a project is at hand — the
number of coded units and of participants in the project.

Counting (as in the reports): a code's *coded units* are the distinct passages
(document, start, end) coded with it or with one of its sub-codes, by any coder, with
status proposed or accepted (rejected codings do not count); its *participants* are the
distinct cases (``case_documents``) whose documents contain such a passage.

Formats: Markdown (also to stdout), DOCX (built-in styles: Title, Heading 1–9, Quote for
examples, List Bullet for rules, a 'Table Grid' summary table with a repeated header
row), CSV (UTF-8 with BOM, one row per code, first line a ``#`` provenance comment) and
XLSX (sheet "Codebook" with a bold, frozen header row; sheet "Provenance"). Files are
written atomically and never overwritten without ``force``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualcode.codebook.diff import NamedCodebook, rule_text
from qualcode.codebook.model import Code
from qualcode.errors import UsageError
from qualcode.exporters.base import Provenance, atomic_write, provenance_for
from qualcode.formulas import SafeWriter, append_row
from qualcode.textnorm import md_cell, md_code, md_escape, xml_safe

if TYPE_CHECKING:
    from qualcode.project import Project

FORMATS = ("md", "docx", "csv", "xlsx")
_SUFFIXES = {".md": "md", ".markdown": "md", ".docx": "docx", ".csv": "csv", ".xlsx": "xlsx"}
MACQUEEN = (("definition", "Definition"), ("full_definition", "Full definition"),
            ("when_to_use", "When to use"), ("when_not_to_use", "When not to use"))
COUNTED_STATUSES = ("proposed", "accepted")
CSV_COLUMNS = ("number", "path", "code", "parent", "depth", "label", "definition", "full_definition",
               "when_to_use", "when_not_to_use", "examples", "color", "unit", "rules", "exclude",
               "units", "participants")


@dataclass
class CodeEntry:
    number: str  # "1.2"
    depth: int  # 0 for top-level codes
    code: Code
    unit: str  # effective unit
    units: int | None = None  # None: no project
    participants: int | None = None


@dataclass
class CodebookDocument:
    named: NamedCodebook
    entries: list[CodeEntry]
    provenance: Provenance
    counted: bool  # counts come from a project
    with_rules: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def codebook(self):
        return self.named.codebook


def infer_format(fmt: str | None, output: str | Path | None) -> str:
    if fmt:
        fmt = fmt.lower().lstrip(".")
        if fmt == "markdown":
            fmt = "md"
        if fmt not in FORMATS:
            raise UsageError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
        return fmt
    if output is not None:
        suffix = Path(output).suffix.lower()
        if suffix not in _SUFFIXES:
            raise UsageError(f"cannot tell the format from {Path(output).name!r}: pass --format "
                             f"({', '.join(FORMATS)})")
        return _SUFFIXES[suffix]
    return "md"


# --------------------------------------------------------------------------- building


def code_counts(project: Project, paths: list[str]) -> tuple[dict[str, tuple[int, int]], dict[str, Any]]:
    """path -> (coded units, participants), parents rolling up their sub-codes' distinct
    units; plus facts for the notes (unreviewed proposals, codes absent from ``paths``)."""
    store = project.store
    rows = store.codings.spans(statuses=COUNTED_STATUSES, order=None)
    doc_cases = store.cases.case_ids_by_document()
    units: dict[str, set] = {}
    for r in rows:
        units.setdefault(r.code, set()).add((r.document_id, r.start, r.end))
    out = {}
    for p in paths:
        mine: set = set()
        for q, s in units.items():
            if q == p or q.startswith(p + "/"):
                mine |= s
        people = set().union(*(doc_cases.get(u[0], set()) for u in mine)) if mine else set()
        out[p] = (len(mine), len(people))
    known = set(paths)
    outside = sorted(q for q in units if q not in known and not any(q.startswith(p + "/") for p in known))
    facts = {"proposed": sum(r.status == "proposed" for r in rows), "counted": len(rows),
             "outside": outside}
    return out, facts


def build_document(named: NamedCodebook, project: Project | None = None, *, rules: bool = False,
                   command: str = "qualcode codebook export") -> CodebookDocument:
    cb = named.codebook
    entries: list[CodeEntry] = []

    def walk(codes: list[Code], prefix: str, depth: int) -> None:
        for i, c in enumerate(codes, 1):
            number = f"{prefix}{i}"
            entries.append(CodeEntry(number, depth, c, cb.unit_of(c)))
            walk(c.children, number + ".", depth + 1)

    walk(cb.codes, "", 0)
    notes: list[str] = []
    if project is not None:
        counts, facts = code_counts(project, [e.code.path for e in entries])
        for e in entries:
            e.units, e.participants = counts[e.code.path]
        prov = provenance_for(project, command, filters={"codebook": named.name})
        applied = prov.codebook_version
        notes.append("Coded units: distinct passages coded with the code or one of its sub-codes, by any "
                     "coder, proposed or accepted (rejected codings are not counted). Participants: "
                     "distinct cases whose documents contain such a passage.")
        if facts["proposed"]:
            notes.append(f"{facts['proposed']} of the {facts['counted']} counted codings are proposals not "
                         "yet reviewed.")
        if applied and applied != cb.version:
            notes.append(f"The codebook last applied to the project is version {applied}; this is "
                         f"version {cb.version}.")
        if facts["outside"]:
            notes.append(f"Codings of {len(facts['outside'])} code(s) not in this codebook are not shown: "
                         + ", ".join(facts["outside"]) + ".")
        prov.codebook_title, prov.codebook_version = cb.title, cb.version
    else:
        prov = Provenance(project="-", command=command, codebook_title=cb.title,
                          codebook_version=cb.version, filters={"codebook": named.name})
    return CodebookDocument(named, entries, prov, project is not None, rules, notes)


def _examples(code: Code) -> list[str]:
    return [str(x) for x in code.examples]


def _meta_lines(doc: CodebookDocument) -> list[tuple[str, str]]:
    cb = doc.codebook
    version = f"{cb.declared_version} (content hash {cb.version})" if cb.declared_version else str(cb.version)
    out = [("Version", version), ("Language", cb.language), ("Default coding unit", cb.unit)]
    if cb.authors:
        out.append(("Authors", ", ".join(cb.authors)))
    out.append(("Codes", str(len(doc.entries))))
    return out


def _count_text(e: CodeEntry) -> str:
    return (f"{e.units} coded unit{'s' * (e.units != 1)}, "
            f"{e.participants} participant{'s' * (e.participants != 1)}")


def _rule_lines(code: Code) -> list[str]:
    return ([f"rules[{r.index}] {rule_text(r)}" for r in code.rules]
            + [f"exclude[{r.index}] {rule_text(r)}" for r in code.exclude])


# --------------------------------------------------------------------------- Markdown


def render_markdown(doc: CodebookDocument) -> str:
    cb = doc.codebook
    lines = [f"# {md_cell(cb.title)}", ""]
    if cb.description:
        lines += [md_escape(cb.description.strip()), ""]
    lines += [f"- {k}: {md_cell(str(v))}" for k, v in _meta_lines(doc)] + [""]
    lines += ["## Summary", ""]
    head = ["No.", "Code", "Label"] + (["Coded units", "Participants"] if doc.counted else [])
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|" + "|".join(["---"] * 3 + (["---:"] * 2 if doc.counted else [])) + "|")
    for e in doc.entries:
        cells = [e.number, md_code(e.code.path).replace("|", "\\|"), md_cell(e.code.label)]
        if doc.counted:
            cells += [str(e.units), str(e.participants)]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    for e in doc.entries:
        c = e.code
        lines += [f"{'#' * min(6, e.depth + 2)} {e.number} {md_cell(c.label)}", ""]
        facts = [md_code(c.path), f"unit: {md_cell(str(e.unit))}"]
        if c.color:
            facts.append(f"colour: {md_cell(str(c.color))}")
        lines += ["  ·  ".join(facts), ""]
        for key, title in MACQUEEN:
            value = getattr(c, key)
            if value:
                lines += [f"**{title}.** {md_escape(value.strip())}", ""]
        examples = _examples(c)
        if examples:
            lines += ["**Examples.**", ""]
            for x in examples:
                lines += ["> " + md_escape(x.strip()).replace("\n", "\n> "), ""]
        if doc.counted:
            lines += [f"**In the project.** {_count_text(e)}.", ""]
        if doc.with_rules and (c.rules or c.exclude):
            lines += ["**Rules.**", ""] + [f"- {md_code(x)}" for x in _rule_lines(c)] + [""]
    if doc.notes:
        lines += ["---", ""]
        for n in doc.notes:
            lines += [f"*{md_escape(n)}*", ""]
    lines += [f"<!-- {doc.provenance.line().replace('-->', '- ->')} -->", ""]
    return "\n".join(lines)


# --------------------------------------------------------------------------- DOCX


def write_docx(doc: CodebookDocument, path: Path) -> None:
    import docx
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    cb = doc.codebook
    d = docx.Document()
    d.core_properties.title = xml_safe(cb.title)
    d.core_properties.comments = xml_safe(doc.provenance.line()[:255])  # a core property holds 255 characters
    d.add_paragraph(xml_safe(cb.title), style="Title")
    if cb.description:
        d.add_paragraph(xml_safe(cb.description.strip()))
    for k, v in _meta_lines(doc):
        p = d.add_paragraph()
        p.add_run(xml_safe(f"{k}: ")).bold = True
        p.add_run(xml_safe(v))

    head = ["No.", "Code", "Label"] + (["Coded units", "Participants"] if doc.counted else [])
    d.add_paragraph("Codes" + (", coded units and participants" if doc.counted else ""), style="Caption")
    table = d.add_table(rows=1, cols=len(head))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, head):
        cell.paragraphs[0].add_run(text).bold = True  # a new cell holds one empty paragraph
    tr_pr = table.rows[0]._tr.get_or_add_trPr()  # repeat the header row on every page
    flag = OxmlElement("w:tblHeader")
    flag.set(qn("w:val"), "true")
    tr_pr.append(flag)
    for e in doc.entries:
        row = table.add_row().cells
        values = [e.number, e.code.path, e.code.label]
        if doc.counted:
            values += [str(e.units), str(e.participants)]
        for cell, text in zip(row, values):
            cell.text = xml_safe(text)

    for e in doc.entries:
        c = e.code
        d.add_heading(xml_safe(f"{e.number} {c.label}"), level=min(9, e.depth + 1))
        facts = [c.path, f"unit: {e.unit}"] + ([f"colour: {c.color}"] if c.color else [])
        p = d.add_paragraph()
        p.add_run(xml_safe("  ·  ".join(facts))).italic = True
        for key, title in MACQUEEN:
            value = getattr(c, key)
            if value:
                p = d.add_paragraph()
                p.add_run(f"{title}. ").bold = True
                p.add_run(xml_safe(value.strip()))
        examples = _examples(c)
        if examples:
            d.add_paragraph().add_run("Examples.").bold = True
            for x in examples:
                d.add_paragraph(xml_safe(x.strip()), style="Quote")
        if doc.counted:
            p = d.add_paragraph()
            p.add_run("In the project. ").bold = True
            p.add_run(xml_safe(_count_text(e) + "."))
        if doc.with_rules and (c.rules or c.exclude):
            d.add_paragraph().add_run("Rules.").bold = True
            for x in _rule_lines(c):
                run = d.add_paragraph(style="List Bullet").add_run(xml_safe(x))
                run.font.name = "Consolas"
    for n in doc.notes:
        d.add_paragraph().add_run(xml_safe(n)).italic = True
    p = d.add_paragraph()
    run = p.add_run(xml_safe(doc.provenance.line()))
    run.italic = True
    run.font.size = Pt(8)
    d.save(str(path))


# --------------------------------------------------------------------------- CSV / XLSX


def table_rows(doc: CodebookDocument) -> list[dict[str, Any]]:
    rows = []
    for e in doc.entries:
        c = e.code
        rows.append({
            "number": e.number, "path": c.path, "code": c.code, "parent": c.parent or "",
            "depth": e.depth, "label": c.label, "definition": c.definition or "",
            "full_definition": c.full_definition or "", "when_to_use": c.when_to_use or "",
            "when_not_to_use": c.when_not_to_use or "", "examples": "\n".join(_examples(c)),
            "color": c.color or "", "unit": e.unit,
            "rules": "\n".join(_rule_lines(c)) if doc.with_rules else len(c.rules),
            "exclude": len(c.exclude),
            "units": "" if e.units is None else e.units,
            "participants": "" if e.participants is None else e.participants,
        })
    return rows


def render_csv(doc: CodebookDocument) -> str:
    import io

    buf = io.StringIO()
    buf.write(f"# {doc.provenance.line()}\n")
    writer = SafeWriter(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows([r[k] for k in CSV_COLUMNS] for r in table_rows(doc))
    return buf.getvalue()


def write_xlsx(doc: CodebookDocument, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    ws = wb.active
    ws.title = "Codebook"
    append_row(ws, CSV_COLUMNS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for r in table_rows(doc):
        append_row(ws, [r[k] for k in CSV_COLUMNS])
    ws.freeze_panes = "A2"
    widths = {"number": 8, "path": 34, "code": 20, "parent": 20, "depth": 6, "label": 28, "definition": 50,
              "full_definition": 60, "when_to_use": 45, "when_not_to_use": 45, "examples": 60, "color": 10,
              "unit": 9, "rules": 40 if doc.with_rules else 6, "exclude": 8, "units": 8, "participants": 12}
    from openpyxl.utils import get_column_letter

    for i, name in enumerate(CSV_COLUMNS, 1):
        ws.column_dimensions[get_column_letter(i)].width = widths[name]
    label_col = CSV_COLUMNS.index("label") + 1
    for row_i, e in enumerate(doc.entries, 2):
        for cell in ws[row_i]:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.cell(row_i, label_col).alignment = Alignment(wrap_text=True, vertical="top", indent=e.depth)
    info = wb.create_sheet("Provenance")
    for k, v in doc.provenance.items():
        append_row(info, [k, v])
    for n in doc.notes:
        append_row(info, ["note", n])
    info.column_dimensions["A"].width = 12
    info.column_dimensions["B"].width = 100
    wb.save(str(path))


# --------------------------------------------------------------------------- entry point


def export_codebook(doc: CodebookDocument, fmt: str, output: str | Path | None, *,
                    force: bool = False) -> str | None:
    """Write ``doc`` to ``output`` in ``fmt`` (atomically; refuse to overwrite without
    ``force``); without ``output`` return the Markdown or CSV text instead."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
    if output is None:
        if fmt == "md":
            return render_markdown(doc)
        if fmt == "csv":
            return render_csv(doc)
        raise UsageError(f"{fmt} is a binary format: pass --output FILE")
    with atomic_write(output, force=force) as tmp:
        if fmt == "md":
            tmp.write_text(render_markdown(doc), encoding="utf-8")
        elif fmt == "csv":
            tmp.write_text(render_csv(doc), encoding="utf-8-sig", newline="")
        elif fmt == "docx":
            write_docx(doc, tmp)
        else:
            write_xlsx(doc, tmp)
    return None
