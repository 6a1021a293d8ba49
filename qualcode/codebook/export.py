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
from qualcode.exporters.docx_util import body_writer, set_language
from qualcode.exporters.layout import DisplayTable, HeaderCell, Page, docx_caption, docx_table, fit_columns, set_page
from qualcode.formulas import SafeWriter, append_row
from qualcode.i18n import EXPORT_LANGUAGES, export_language, number
from qualcode.textnorm import md_cell, md_code, md_escape, xml_safe

if TYPE_CHECKING:
    from qualcode.project import Project

FORMATS = ("md", "docx", "csv", "xlsx")
_SUFFIXES = {".md": "md", ".markdown": "md", ".docx": "docx", ".csv": "csv", ".xlsx": "xlsx"}
MACQUEEN = (("definition", "Definition"), ("full_definition", "Full definition"),
            ("when_to_use", "When to use"), ("when_not_to_use", "When not to use"))
#: The words of the codebook document per export language (English: the MACQUEEN titles).
WORDS = {
    "en": {"definition": "Definition", "full_definition": "Full definition", "when_to_use": "When to use",
           "when_not_to_use": "When not to use", "examples": "Examples", "in_project": "In the project",
           "rules": "Rules", "summary": "Summary", "no": "No.", "code": "Code", "label": "Label",
           "units": "Coded units", "participants": "Participants", "version": "Version", "language": "Language",
           "unit_default": "Default coding unit", "authors": "Authors", "codes": "Codes",
           "caption_counted": "Codes, coded units and participants", "unit": "unit", "colour": "colour",
           "hash": "content hash", "colon": ": ", "count": "{u} coded unit{su}, {p} participant{sp}",
           "note_units": "Coded units: distinct passages coded with the code or one of its sub-codes, by any "
                         "coder, proposed or accepted (rejected codings are not counted). Participants: "
                         "distinct cases whose documents contain such a passage.",
           "note_proposed": "{n} of the {total} counted codings are proposals not yet reviewed.",
           "note_version": "The codebook last applied to the project is version {applied}; this is "
                           "version {version}.",
           "note_outside": "Codings of {n} code(s) not in this codebook are not shown: {codes}."},
    "fr": {"definition": "Définition", "full_definition": "Définition complète", "when_to_use": "Quand l'utiliser",
           "when_not_to_use": "Quand ne pas l'utiliser", "examples": "Exemples", "in_project": "Dans le projet",
           "rules": "Règles", "summary": "Sommaire", "no": "N°", "code": "Code", "label": "Libellé",
           "units": "Unités codées", "participants": "Participants", "version": "Version", "language": "Langue",
           "unit_default": "Unité de codage par défaut", "authors": "Auteurs", "codes": "Codes",
           "caption_counted": "Codes, unités codées et participants", "unit": "unité", "colour": "couleur",
           "hash": "empreinte du contenu", "colon": "\u00a0: ", "count": "{u} unité{su} codée{su}, {p} participant{sp}",
           "note_units": "Unités codées : passages distincts codés avec le code ou l'un de ses sous-codes, par "
                         "tout codeur, proposés ou acceptés (les codages rejetés ne sont pas comptés). "
                         "Participants : cas distincts dont les documents contiennent un tel passage.",
           "note_proposed": "{n} des {total} codages comptés sont des propositions pas encore revues.",
           "note_version": "La dernière version du livre de codes appliquée au projet est {applied} ; "
                           "celle-ci est la version {version}.",
           "note_outside": "Les codages de {n} code(s) absent(s) de ce livre de codes ne sont pas montrés : "
                           "{codes}."},
}
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
    language: str = "en"  # of the document's words (see WORDS)

    @property
    def codebook(self):
        return self.named.codebook

    @property
    def words(self) -> dict[str, str]:
        return WORDS["fr" if self.language == "fr" else "en"]


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
                   command: str = "qualcode codebook export", language: str | None = None) -> CodebookDocument:
    """The document of ``named``; ``language``: of its words (default: the project's export
    language, else the codebook's language when qualcode writes it, else English)."""
    cb = named.codebook
    if project is not None:
        language = export_language(project.config, language)
    elif language is None:
        language = cb.language if cb.language in EXPORT_LANGUAGES else "en"
    else:
        language = export_language({}, language)
    w = WORDS["fr" if language == "fr" else "en"]
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
        notes.append(w["note_units"])
        if facts["proposed"]:
            notes.append(w["note_proposed"].format(n=number(facts["proposed"], language),
                                                   total=number(facts["counted"], language)))
        if applied and applied != cb.version:
            notes.append(w["note_version"].format(applied=applied, version=cb.version))
        if facts["outside"]:
            notes.append(w["note_outside"].format(n=len(facts["outside"]), codes=", ".join(facts["outside"])))
        prov.codebook_title, prov.codebook_version = cb.title, cb.version
    else:
        prov = Provenance(project="-", command=command, codebook_title=cb.title,
                          codebook_version=cb.version, filters={"codebook": named.name})
    return CodebookDocument(named, entries, prov, project is not None, rules, notes, language)


def _examples(code: Code) -> list[str]:
    return [str(x) for x in code.examples]


def _meta_lines(doc: CodebookDocument) -> list[tuple[str, str]]:
    cb = doc.codebook
    w = doc.words
    version = f"{cb.declared_version} ({w['hash']} {cb.version})" if cb.declared_version else str(cb.version)
    out = [(w["version"], version), (w["language"], cb.language), (w["unit_default"], cb.unit)]
    if cb.authors:
        out.append((w["authors"], ", ".join(cb.authors)))
    out.append((w["codes"], number(len(doc.entries), doc.language)))
    return out


def _head(doc: CodebookDocument) -> list[str]:
    w = doc.words
    return [w["no"], w["code"], w["label"]] + ([w["units"], w["participants"]] if doc.counted else [])


def _count_text(e: CodeEntry, doc: CodebookDocument | None = None) -> str:
    language = doc.language if doc is not None else "en"
    w = WORDS["fr" if language == "fr" else "en"]
    units, participants = e.units or 0, e.participants or 0
    return w["count"].format(u=number(units, language), su="s" * (units > 1 if language == "fr" else units != 1),
                             p=number(participants, language),
                             sp="s" * (participants > 1 if language == "fr" else participants != 1))


def _rule_lines(code: Code) -> list[str]:
    return ([f"rules[{r.index}] {rule_text(r)}" for r in code.rules]
            + [f"exclude[{r.index}] {rule_text(r)}" for r in code.exclude])


# --------------------------------------------------------------------------- Markdown


def render_markdown(doc: CodebookDocument) -> str:
    cb = doc.codebook
    lines = [f"# {md_cell(cb.title)}", ""]
    if cb.description:
        lines += [md_escape(cb.description.strip()), ""]
    lines += [f"- {k}{doc.words['colon']}{md_cell(str(v))}" for k, v in _meta_lines(doc)] + [""]
    w = doc.words
    lines += [f"## {w['summary']}", ""]
    head = _head(doc)
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
        facts = [md_code(c.path), f"{w['unit']}{w['colon']}{md_cell(str(e.unit))}"]
        if c.color:
            facts.append(f"{w['colour']}{w['colon']}{md_cell(str(c.color))}")
        lines += ["  ·  ".join(facts), ""]
        for key, _ in MACQUEEN:
            value = getattr(c, key)
            if value:
                lines += [f"**{w[key]}.** {md_escape(value.strip())}", ""]
        examples = _examples(c)
        if examples:
            lines += [f"**{w['examples']}.**", ""]
            for x in examples:
                lines += ["> " + md_escape(x.strip()).replace("\n", "\n> "), ""]
        if doc.counted:
            lines += [f"**{w['in_project']}.** {_count_text(e, doc)}.", ""]
        if doc.with_rules and (c.rules or c.exclude):
            lines += [f"**{w['rules']}.**", ""] + [f"- {md_code(x)}" for x in _rule_lines(c)] + [""]
    if doc.notes:
        lines += ["---", ""]
        for n in doc.notes:
            lines += [f"*{md_escape(n)}*", ""]
    lines += [f"<!-- {doc.provenance.line().replace('-->', '- ->')} -->", ""]
    return "\n".join(lines)


# --------------------------------------------------------------------------- DOCX


def write_docx(doc: CodebookDocument, path: Path) -> None:
    import docx
    from docx.shared import Pt

    cb = doc.codebook
    w = doc.words
    d = docx.Document()
    page = Page()  # A4, 2.5 cm margins
    set_page(d.sections[0], page)
    dw = body_writer(d)  # constant time per paragraph
    set_language(d, doc.language)
    d.core_properties.title = xml_safe(cb.title)
    d.core_properties.comments = xml_safe(doc.provenance.line()[:255])  # a core property holds 255 characters
    dw.paragraph(xml_safe(cb.title), style="Title")
    if cb.description:
        dw.paragraph(xml_safe(cb.description.strip()))
    for k, v in _meta_lines(doc):
        p = dw.paragraph()
        p.add_run(xml_safe(f"{k}{w['colon']}")).bold = True
        p.add_run(xml_safe(v))

    head = _head(doc)
    rows = []
    for e in doc.entries:
        values = [e.number, e.code.path, e.code.label]
        if doc.counted:
            values += [number(e.units or 0, doc.language), number(e.participants or 0, doc.language)]
        rows.append([str(v) for v in values])
    shown = DisplayTable(w["caption_counted"] if doc.counted else w["codes"], [[HeaderCell(h) for h in head]], rows,
                         [False, False, False] + [True] * (len(head) - 3), [0] * len(rows))
    docx_caption(d, "table", 1, shown.title, doc.language)
    docx_table(d, shown, fit_columns(shown, page, allow_landscape=False))

    for e in doc.entries:
        c = e.code
        dw.heading(xml_safe(f"{e.number} {c.label}"), level=min(9, e.depth + 1))
        facts = [c.path, f"{w['unit']}{w['colon']}{e.unit}"] + ([f"{w['colour']}{w['colon']}{c.color}"]
                                                                if c.color else [])
        p = dw.paragraph()
        p.add_run(xml_safe("  ·  ".join(facts))).italic = True
        for key, _ in MACQUEEN:
            value = getattr(c, key)
            if value:
                p = dw.paragraph()
                p.add_run(f"{w[key]}. ").bold = True
                p.add_run(xml_safe(value.strip()))
        examples = _examples(c)
        if examples:
            dw.paragraph().add_run(f"{w['examples']}.").bold = True
            for x in examples:
                dw.paragraph(xml_safe(x.strip()), style="Quote")
        if doc.counted:
            p = dw.paragraph()
            p.add_run(f"{w['in_project']}. ").bold = True
            p.add_run(xml_safe(_count_text(e, doc) + "."))
        if doc.with_rules and (c.rules or c.exclude):
            dw.paragraph().add_run(f"{w['rules']}.").bold = True
            for x in _rule_lines(c):
                run = dw.paragraph(style="List Bullet").add_run(xml_safe(x))
                run.font.name = "Consolas"
    for n in doc.notes:
        dw.paragraph().add_run(xml_safe(n)).italic = True
    p = dw.paragraph()
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
