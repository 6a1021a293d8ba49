"""The re-identification audit of an exported file (``qualcode pseudo audit FILE``), run
by every export when the project has a pseudonym key.

:func:`read_units` reads any file an export writes (or another tool wrote) — DOCX
(paragraphs, tables, headers, footers, properties), XLSX (every cell of every sheet),
CSV, Markdown, LaTeX, text, REFI-QDA ``.qdpx`` (the project XML and the sources) — as
*units* of text, each with its place (``paragraph 12``, ``excerpts!J7``, ``line 40``).
:func:`audit_units` then finds:

* **leaks**: the key's names, found with the replacement rules themselves (whole words,
  case and accents ignored, names split across lines), and the names of the project's
  documents that the key changes (``entretien_vasseur``);
* **k-anonymity**: the citations (the parentheses of prose formats, the rows of tables)
  whose case attribute values together fit fewer than ``k`` participants
  (``résident, 85 ans, Liévin`` when one participant is 85 and lives in Liévin);
* **unknown names** (with ``ner``): the names spaCy's named-entity recogniser finds that
  are not in the key, the project's pseudonyms or the key's replacements — a warning, to
  review (French NER on speech is weak: a list, not a verdict); the names rejected as
  candidates (the key file's ``[[rejected]]``) are left out and counted.

Charts are audited from the words they draw (:func:`audit_texts`, through
:func:`qualcode.exporters.base.atomic_write`'s ``shown``), whatever their format.

An export is refused when it leaks a name of the key or breaks k-anonymity;
``--allow-leaks`` writes it anyway and prints the report.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualcode.errors import InputError, QualcodeError, UsageError
from qualcode.i18n import Labels
from qualcode.inputs import read_regular_file
from qualcode.pseudo.ner import entities
from qualcode.pseudo.replace import Pseudonymizer, fold_text
from qualcode.sheets import SheetProblems, damage, damaged_file_errors
from qualcode.textnorm import _TEX_SPECIALS
from qualcode.ziplimits import DOCX, QDPX, XLSX, check_zip

if TYPE_CHECKING:
    from qualcode.project import Project

FORMATS = ("docx", "xlsx", "csv", "md", "tex", "txt", "json", "qdpx", "qdc", "svg", "png")
SUFFIXES = {".docx": "docx", ".xlsx": "xlsx", ".csv": "csv", ".md": "md", ".markdown": "md", ".tex": "tex",
            ".txt": "txt", ".json": "json", ".qdpx": "qdpx", ".qdc": "qdc", ".svg": "svg",
            ".png": "png"}
# files whose text the audit cannot read, and what to do instead
UNREADABLE = {
    ".pdf": "the text of a PDF file is not read (qualcode's own charts are audited from the words they draw "
            "before they are written); convert it to text first (e.g. 'pdftotext FILE.pdf FILE.txt') and audit "
            "the .txt",
}
# formats of which only a part of the text is read: what the report says about it
PARTIAL = {
    "png": "a PNG's pixels are not read, only its text chunks (where qualcode's charts write their words): "
           "a picture from another tool may show names that this audit cannot see",
    "svg": "an SVG's text elements and metadata are read, not letters drawn as paths (qualcode's charts "
           "write their words in the metadata too)",
}
DEFAULT_K = 3
# attributes that name the participant by design (pseudonyms, ids): not quasi-identifiers
DIRECT = ("pseudonym", "pseudonyme", "case", "id", "name", "nom", "document")
_NUMBER_UNIT = r"(?:\s|\u00a0|\u202f)*(?:ans|an|years?|yrs?|y\.o\.)\b"


@dataclass
class Unit:
    place: str
    text: str
    cells: dict[str, str] | None = None  # a table row: column -> cell


@dataclass
class Finding:
    kind: str  # leak | k-anonymity | unknown-name
    place: str
    what: str
    detail: str = ""
    count: int = 1

    def line(self, file: str) -> str:
        return f"{file}:{self.place}: {self.kind}: {self.what}" + (f" ({self.detail})" if self.detail else "")

    def to_dict(self) -> dict:
        return {"kind": self.kind, "place": self.place, "what": self.what, "detail": self.detail}


@dataclass
class AuditReport:
    file: str
    format: str
    units: int = 0
    k: int = DEFAULT_K
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rejected: int = 0  # names not in the key left out as rejected candidates (see qualcode.pseudo.key)

    @property
    def leaks(self) -> list[Finding]:
        """What refuses an export: the key's names and citations fitting fewer than k."""
        return [f for f in self.findings if f.kind in ("leak", "k-anonymity")]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.kind == "unknown-name"]

    def counts(self) -> dict[str, int]:
        c = Counter(f.kind for f in self.findings)
        return {k: c.get(k, 0) for k in ("leak", "k-anonymity", "unknown-name")}

    def lines(self) -> list[str]:
        return [f.line(self.file) for f in self.findings]

    def summary(self) -> str:
        c = self.counts()
        return (f"{self.file}: {c['leak']} name{'s' * (c['leak'] != 1)} of the key, {c['k-anonymity']} citation"
                f"{'s' * (c['k-anonymity'] != 1)} under k = {self.k}, {c['unknown-name']} name"
                f"{'s' * (c['unknown-name'] != 1)} not in the key"
                + (f" ({self.rejected} more skipped as rejected before)" if self.rejected else ""))

    def to_dict(self) -> dict:
        return {"file": self.file, "format": self.format, "units": self.units, "k": self.k,
                "counts": self.counts(), "rejected": self.rejected, "findings": [f.to_dict() for f in self.findings],
                "notes": self.notes}


class LeakError(SheetProblems):
    """An export refused by the audit: the report says what leaked, and where (the CLI
    prints one ``FILE:PLACE: kind: what`` line per finding before the error)."""

    def __init__(self, report: AuditReport, remedy: str | None = None):
        self.report = report
        self.problems = [f.line(report.file) for f in report.leaks]
        c = report.counts()
        first = "; ".join(f.line(report.file) for f in report.leaks[:3])
        more = f" and {len(report.leaks) - 3} more" if len(report.leaks) > 3 else ""
        QualcodeError.__init__(self, f"export refused, it would identify participants: {c['leak']} name"
                         f"{'s' * (c['leak'] != 1)} of the pseudonym key, {c['k-anonymity']} citation"
                         f"{'s' * (c['k-anonymity'] != 1)} or table row{'s' * (c['k-anonymity'] != 1)} "
                         f"fitting fewer than {report.k} participants: {first}{more} "
                         "(nothing was written; 'qualcode pseudo audit' lists them all, --allow-leaks writes "
                         "the file anyway)" + (f"; {remedy}" if remedy and c["k-anonymity"] else ""))


# ---------------------------------------------------------------------------- reading


def file_format(path: str | Path, fmt: str | None = None) -> str:
    if fmt is not None:
        if fmt not in FORMATS:
            raise UsageError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
        return fmt
    suffix = Path(path).suffix.lower()
    if suffix in UNREADABLE:
        raise UsageError(f"cannot audit {path}: {UNREADABLE[suffix]}")
    if suffix not in SUFFIXES:
        raise UsageError(f"cannot audit {path}: unknown extension {suffix or '(none)'} (pass --format: "
                         f"{', '.join(FORMATS)})")
    return SUFFIXES[suffix]


def read_units(path: str | Path, fmt: str | None = None) -> list[Unit]:
    """The text of ``path`` as units with their places (see the module documentation)."""
    p = Path(path)
    fmt = file_format(p, fmt)
    if p.exists() and not p.is_file():  # a FIFO, device or folder: says which, never opened
        read_regular_file(p, refused="not audited")
    if not p.is_file():
        raise QualcodeError(f"no such file: {p}")
    try:
        if fmt == "docx":
            return _docx_units(p)
        if fmt == "xlsx":
            return _xlsx_units(p)
        if fmt == "qdpx":
            return _qdpx_units(p)
        data = read_regular_file(p, refused="not audited")  # at most 50 MB
        if fmt == "qdc":  # a REFI-QDA codebook: XML, not a zip
            return _xml_units(data, "")
        if fmt == "png":
            return _png_units(data, p)
    except InputError:
        raise
    except damaged_file_errors() as exc:  # lxml, zip, encoding… errors of a damaged file: one line
        raise InputError(damage(exc, fmt.upper()), path=str(p)) from None
    text = data.decode("utf-8-sig", errors="replace")
    if fmt == "csv":
        return _csv_units(text)
    if fmt == "json":
        return _json_units(text, p)
    if fmt == "svg":
        return _xml_units(text.encode("utf-8"), "")
    units = [Unit(f"line {i}", line) for i, line in enumerate(text.splitlines(), 1) if line.strip()]
    if fmt == "md":
        _md_rows(units)
    elif fmt == "tex":
        _tex_rows(units)
    return units


_MD_SEPARATOR = re.compile(r"^\|(?:\s*:?-{3,}:?\s*\|)+\s*$")


def _md_split(line: str) -> list[str]:
    """The cells of a Markdown table line, their escapes taken off (``\\|``, ``\\_``…)."""
    inner = line.strip()[1:]
    inner = inner[:-1] if inner.endswith("|") else inner
    return [re.sub(r"\\(.)", r"\1", c).strip() for c in re.split(r"(?<!\\)\|", inner)]


def _md_rows(units: list[Unit]) -> None:
    """The rows of the Markdown tables (a header line, a ``|---|`` line, then rows) as
    table rows: their cells by column, as in CSV and spreadsheets."""
    header: list[str] | None = None
    for i, unit in enumerate(units):
        line = unit.text.strip()
        if not line.startswith("|"):
            header = None
        elif _MD_SEPARATOR.match(line):
            header = _md_split(units[i - 1].text) if i and units[i - 1].text.strip().startswith("|") else None
        elif header is not None:
            unit.cells = dict(zip(header, _md_split(line)))


_TEX_UNESCAPE = sorted([*((v, k) for k, v in _TEX_SPECIALS.items() if v.startswith("\\")), ("{[}", "["),
                        ("{]}", "]")], key=lambda kv: -len(kv[0]))


def _tex_plain(cell: str) -> str:
    """A LaTeX table cell as plain text: bold, indent and break points off, escapes undone."""
    cell = cell.replace("\\allowbreak{}", "")
    cell = re.sub(r"\\hspace\*\{[^}]*\}", "", cell)
    cell = re.sub(r"\\textbf\{(.*)\}", r"\1", cell.strip())
    for escaped, plain in _TEX_UNESCAPE:
        cell = cell.replace(escaped, plain)
    return cell.replace("~", "\u00a0").strip()


def _tex_split(line: str) -> list[str]:
    body = line.strip()
    body = re.sub(r"\\\\(?:\s.*)?$", "", body)  # the row's end and the rules after it
    return [_tex_plain(c) for c in re.split(r"(?<!\\)&", body)]


def _tex_rows(units: list[Unit]) -> None:
    """The rows of qualcode's ``longtable`` tables as table rows: the header is the row
    before the first ``\\midrule``, the body the rows after ``\\endlastfoot``."""
    header: list[str] | None = None
    last: str | None = None
    body = False
    for unit in units:
        line = unit.text.strip()
        if line.startswith("\\begin{longtable}"):
            header, last, body = None, None, False
        elif line == "\\midrule" and header is None and last is not None:
            header = _tex_split(last)
        elif line == "\\endlastfoot":
            body = header is not None
        elif line.startswith("\\end{longtable}"):
            body = False
        elif body and line.endswith("\\\\") and "&" in line:
            unit.cells = dict(zip(header or [], _tex_split(line)))
        if line.endswith("\\\\"):
            last = line


def _docx_units(path: Path) -> list[Unit]:
    from docx import Document

    check_zip(path, DOCX, path=str(path))
    doc = Document(str(path))
    units: list[Unit] = []
    props = doc.core_properties
    for name in ("title", "subject", "keywords", "comments", "author"):
        value = getattr(props, name, None)
        if value:
            units.append(Unit(f"properties {name}", str(value)))
    for i, para in enumerate(doc.paragraphs, 1):
        if para.text.strip():
            units.append(Unit(f"paragraph {i}", para.text))
    for t, table in enumerate(doc.tables, 1):
        header = [c.text for c in table.rows[0].cells] if table.rows else []
        for r, row in enumerate(table.rows, 1):
            cells = [c.text for c in row.cells]
            units.append(Unit(f"table {t} row {r}", " | ".join(cells),
                              dict(zip(header, cells)) if r > 1 else None))
    for s, section in enumerate(doc.sections, 1):
        for part in (section.header, section.footer):
            for para in part.paragraphs:
                if para.text.strip():
                    units.append(Unit(f"section {s} {'header' if part is section.header else 'footer'}", para.text))
    # text that python-docx does not list (text boxes, footnotes): the raw XML's text runs
    with zipfile.ZipFile(path) as z:
        for member in z.namelist():
            if member.startswith("word/") and member.endswith(".xml") and any(
                    k in member for k in ("footnotes", "endnotes", "comments")):
                units += _xml_units(z.read(member), member + ":")
    return units


def _xlsx_units(path: Path) -> list[Unit]:
    from openpyxl import load_workbook

    check_zip(path, XLSX, path=str(path))
    # a file object: openpyxl refuses a name without .xlsx (the export's temporary file)
    wb = load_workbook(io.BytesIO(path.read_bytes()), read_only=True, data_only=False)
    units: list[Unit] = []
    try:
        for ws in wb.worksheets:
            header: list[str] = []
            for r, row in enumerate(ws.iter_rows(values_only=True), 1):
                cells = ["" if v is None else str(v) for v in row]
                if r == 1:
                    header = cells
                if any(cells):
                    units.append(Unit(f"{ws.title}!row {r}", " | ".join(cells),
                                      dict(zip(header, cells)) if r > 1 else None))
    finally:
        wb.close()
    return units


def _csv_units(text: str) -> list[Unit]:
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    sample = "\n".join(lines[:5])
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter))
    units = []
    header = rows[0] if rows else []
    for r, row in enumerate(rows, 1):
        if any(c.strip() for c in row):
            units.append(Unit(f"row {r}", " | ".join(row), dict(zip(header, row)) if r > 1 else None))
    for i, line in enumerate(text.splitlines(), 1):  # the comment lines too
        if line.startswith("#"):
            units.append(Unit(f"line {i}", line))
    return units


def _png_units(data: bytes, path: Path) -> list[Unit]:
    """The text chunks of a PNG picture (tEXt, zTXt, iTXt: its description, comment…);
    what is drawn in its pixels cannot be read — qualcode's charts write their words in
    the ``Comment`` chunk."""
    import struct
    import zlib

    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise InputError("not a PNG picture", path=str(path))
    units: list[Unit] = []
    pos = 8
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IEND":
            break
        if kind not in (b"tEXt", b"zTXt", b"iTXt"):
            continue
        key, _, rest = body.partition(b"\0")
        try:
            if kind == b"tEXt":
                text = rest.decode("latin-1")
            elif kind == b"zTXt":
                text = _inflate(zlib, rest[1:]).decode("latin-1")
            else:  # compressed flag, method, language tag, translated keyword, text
                compressed, rest = rest[:1] == b"\1", rest[2:]
                rest = rest.partition(b"\0")[2].partition(b"\0")[2]
                text = (_inflate(zlib, rest) if compressed else rest).decode("utf-8", errors="replace")
        except zlib.error:
            raise InputError(f"damaged PNG text chunk {key.decode('latin-1')!r}", path=str(path)) from None
        name = key.decode("latin-1")
        units += [Unit(f"{name} line {i}", line) for i, line in enumerate(text.splitlines(), 1) if line.strip()]
    return units


def _inflate(zlib: Any, data: bytes, limit: int = 50_000_000) -> bytes:
    """zlib data inflated to at most ``limit`` bytes (a bomb stops there)."""
    return zlib.decompressobj().decompress(data, limit)


def _json_units(text: str, path: Path) -> list[Unit]:
    """Every string of a JSON file (keys too), placed by its path (``tables[0].meta.groups[1]``);
    an object in a list is one unit with its plain fields as cells (a table row)."""
    import json

    try:
        data = json.loads(text)
    except ValueError as exc:
        raise InputError(f"not JSON: {exc}", path=str(path)) from None
    units: list[Unit] = []

    def walk(value: Any, place: str) -> None:
        if isinstance(value, dict):
            plain = {str(k): v for k, v in value.items() if not isinstance(v, (dict, list))}
            row = place.endswith("]") and plain  # an object in a list: a table row
            if row:
                cells = {k: "" if v is None else str(v) for k, v in plain.items()}
                units.append(Unit(place, " | ".join(f"{k}: {v}" for k, v in cells.items()), cells))
            for k, v in value.items():
                inner = f"{place}.{k}".lstrip(".")
                if not row or isinstance(v, (dict, list)):
                    units.append(Unit(inner + " (name)", str(k)))
                    walk(v, inner)
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(v, f"{place}[{i}]")
        elif isinstance(value, str) and value.strip():
            units.append(Unit(place or "$", value))

    walk(data, "")
    return units


def _xml_units(data: bytes, prefix: str) -> list[Unit]:
    from defusedxml import ElementTree

    root = ElementTree.fromstring(data)
    units = []
    for i, el in enumerate(root.iter(), 1):
        tag = el.tag.rsplit("}", 1)[-1]
        for name, value in el.attrib.items():
            if name.rsplit("}", 1)[-1] in ("name", "Name", "description", "label", "creatingUser"):
                units.append(Unit(f"{prefix}<{tag}> {name.rsplit('}', 1)[-1]}", value))
        if el.text and el.text.strip():
            units.append(Unit(f"{prefix}<{tag}> {i}", el.text))
    return units


def _qdpx_units(path: Path) -> list[Unit]:
    check_zip(path, QDPX, path=str(path))
    units: list[Unit] = []
    with zipfile.ZipFile(path) as z:
        for member in z.namelist():
            data = z.read(member)
            if member.endswith((".qde", ".qdc", ".xml")):
                units += _xml_units(data, f"{member}:")
            elif member.endswith(".txt"):
                text = data.decode("utf-8-sig", errors="replace")
                units += [Unit(f"{member}:line {i}", line) for i, line in enumerate(text.splitlines(), 1)
                          if line.strip()]
            units.append(Unit(f"{member} (file name)", member))
    return units


# ---------------------------------------------------------------------------- checks


@dataclass
class Quasi:
    """A case attribute value as it may be printed, and the cases that have it."""

    attribute: str
    value: str
    forms: list[str]
    cases: frozenset[str]
    numeric: bool
    headers: frozenset[str] = frozenset()  # the attribute's column names, folded (its name, its labels)


def quasi_identifiers(project: Project) -> list[Quasi]:
    """Every (attribute, value) of the cases but direct ones, with its printed forms (the
    value, its French and English display labels) and its cases."""
    cases = project.store.cases.all()
    holders: dict[tuple[str, str], set[str]] = {}
    for c in cases:
        for name, value in c.attributes.items():
            if name.casefold() in DIRECT or value in (None, ""):
                continue
            holders.setdefault((name, _as_str(value)), set()).add(c.name)
    out = []
    labels = [Labels.from_config(project.config, lang) for lang in ("fr", "en")]
    for (name, value), names in holders.items():
        forms = {value}
        for lab in labels:
            forms.add(lab.value(name, value))
        numeric = bool(re.fullmatch(r"\d+(?:[.,]\d+)?", value))
        if numeric:  # 2.5 is printed 2,5 in French
            forms.add(value.replace(".", ","))
        headers = frozenset(fold_text(h.strip()) for h in (name, *(lab.attribute(name) for lab in labels)) if h)
        out.append(Quasi(name, value, sorted(f for f in forms if f), frozenset(names), numeric, headers))
    return out


def _as_str(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _whole(form: str, text: str) -> bool:
    return re.search(r"(?<!\w)" + re.escape(fold_text(form)) + r"(?!\w)", fold_text(text)) is not None


def _found_in(q: Quasi, unit: Unit, citation: str, columns: frozenset[str] = frozenset()) -> bool:
    """Whether ``q`` is printed in ``unit``: in a table row, a cell equal to one of its forms
    (a number only in its attribute's column; a text in any column but another
    attribute's, ``columns`` being the column names of every attribute, folded); in prose,
    in the citation."""
    if unit.cells is not None:  # a table row: the cells, whole
        for col, cell in unit.cells.items():
            cell = cell.strip()
            if not cell:
                continue
            column = fold_text(col.strip())
            if q.numeric:
                if column in q.headers and cell in q.forms:
                    return True
            elif column in columns and column not in q.headers:
                continue
            elif any(fold_text(cell) == fold_text(f) for f in q.forms):
                return True
        return False
    if q.numeric:  # an age is printed with its unit: "85 ans"
        return re.search(r"(?<![\w:])" + re.escape(q.value) + _NUMBER_UNIT, citation) is not None
    # a one-letter code (gender M/F) cannot be told from an initial ("M. Caron") in prose
    return any(_whole(f, citation) for f in q.forms if len(f) > 1)


_CITATION = re.compile(r"\(([^()\n]{1,300})\)")


def k_anonymity(units: Sequence[Unit], quasi: Sequence[Quasi], k: int = DEFAULT_K) -> list[Finding]:
    """The citations whose attribute values together fit fewer than ``k`` cases (one
    finding per combination and place)."""
    if not quasi or k < 2:
        return []
    out: list[Finding] = []
    seen: dict[str, Finding] = {}
    columns = frozenset().union(*(q.headers for q in quasi))
    for unit in units:
        pieces = [unit.text] if unit.cells is not None else _CITATION.findall(unit.text)
        for citation in pieces:
            found = [q for q in quasi if _found_in(q, unit, citation, columns)]
            if not found:
                continue
            by_attr: dict[str, set[str]] = {}
            for q in found:
                by_attr.setdefault(q.attribute, set()).update(q.cases)
            fitting = frozenset.intersection(*(frozenset(v) for v in by_attr.values()))
            if 0 < len(fitting) < k:
                combo = ", ".join(sorted(f"{q.attribute}={q.value}" for q in found))
                if combo in seen:  # one finding per combination: its first place, how often
                    seen[combo].count += 1
                    continue
                seen[combo] = Finding("k-anonymity", unit.place, combo,
                                      f"fits {len(fitting)} participant{'s' * (len(fitting) != 1)}")
                out.append(seen[combo])
    for f in out:
        if f.count > 1:
            f.detail += f"; cited {f.count} times"
    return out


def key_leaks(units: Sequence[Unit], pseudo: Pseudonymizer | None) -> list[Finding]:
    """The key's names in the units: every variant the replacement would replace (whole
    words, case and accents ignored but a one-word name capitalised, names split across
    lines, hyphenated compounds, a person's last name after a title): what the replacement
    replaces in a short text, so that a pseudonymized export never fails its audit."""
    if pseudo is None:
        return []
    out = []
    for unit in units:
        for m in pseudo.matches(unit.text, persons=False):
            out.append(Finding("leak", unit.place, unit.text[m.start:m.end], f"key entry {m.name!r}"))
    return out


_BRACKETS = re.compile(r"[\[\](){}.]")


def unknown_names(units: Sequence[Unit], language: str, allowed: Iterable[str]) -> list[Finding]:
    """PER/LOC/ORG entities of spaCy's recogniser that are not ``allowed`` (the key's
    names and replacements, the pseudonyms, the labels)."""
    # the replacements' brackets and points left out: "[commune A]" allows "A", "Mme D." allows "Mme D"
    ok = {fold_text(" ".join(_BRACKETS.sub(" ", a).split())) for a in allowed if a}
    ok.discard("")
    out = []
    texts = [u.text for u in units]
    for unit, ents in zip(units, entities(texts, language)):
        for text, label, _, _ in ents:
            text = re.sub(r"^(?:(?:le|la|les|de|du|des)\s+|[dl]['’])", "", " ".join(text.split()),
                          flags=re.IGNORECASE).strip(" ,.;:!?()")
            if not text[:1].isupper():  # a name starts with a capital ("hein", "8)": the recogniser's noise)
                continue
            folded = fold_text(" ".join(_BRACKETS.sub(" ", text).split()))
            if folded in ok or any(folded in a.split() or a in folded for a in ok if len(a) > 3):
                continue
            out.append(Finding("unknown-name", unit.place, text, label))
    return out


def document_name_leaks(units: Sequence[Unit], names: Iterable[str]) -> list[Finding]:
    """The project's document names that the key changes (``entretien_vasseur``), found
    whole in the units: a file name can identify someone on its own."""
    found = []
    wanted = [(n, re.compile(r"(?<![\w.-])" + re.escape(fold_text(n)) + r"(?![\w-])")) for n in names if n]
    for unit in units:
        folded = fold_text(unit.text)
        for name, pattern in wanted:
            if pattern.search(folded):
                found.append(Finding("leak", unit.place, name, "a document's name"))
    return found


def audit_units(units: Sequence[Unit], *, file: str, fmt: str, pseudo: Pseudonymizer | None,
                quasi: Sequence[Quasi] = (), k: int = DEFAULT_K, ner_language: str | None = None,
                allowed: Iterable[str] = (), documents: Iterable[str] = (),
                rejected: Iterable[str] = ()) -> AuditReport:
    """The findings in ``units`` (see the module documentation); ``rejected``: names the
    researcher decided not to hide (the key's rejected candidates), not reported as
    unknown names but counted (``AuditReport.rejected``)."""
    report = AuditReport(file=file, format=fmt, units=len(units), k=k)
    report.findings += key_leaks(units, pseudo)
    report.findings += document_name_leaks(units, documents)
    if fmt not in ("qdpx", "qdc"):  # an exchange file holds every attribute by design
        report.findings += k_anonymity(units, quasi, k)
    else:
        report.notes.append("k-anonymity not checked: a REFI-QDA package holds every attribute of every case")
    if ner_language:
        unknown = unknown_names(units, ner_language, allowed)
        skip = {fold_text(" ".join(n.split())) for n in rejected}
        kept = [f for f in unknown if fold_text(f.what) not in skip]
        report.rejected = len(unknown) - len(kept)
        report.findings += kept
    return report


def allowed_names(project: Project, pseudo: Pseudonymizer | None) -> list[str]:
    """What the NER check accepts: the key's names (reported as leaks) and replacements, the cases' pseudonyms and ids,
    the project's name, the speakers' labels that are pseudonyms."""
    out = [project.name]
    if pseudo is not None:  # the key's names are leaks already, not unknown names
        out += [r.replacement for r in pseudo.rules] + [r.name for r in pseudo.rules]
    for c in project.store.cases.all():
        out.append(c.name)
        out += [str(v) for k, v in c.attributes.items() if k.casefold() in ("pseudonym", "pseudonyme") and v]
    return out


def audit_file(project: Project, path: str | Path, *, fmt: str | None = None, pseudo: Pseudonymizer | None,
               k: int = DEFAULT_K, ner: bool = False, display: str | None = None,
               rejected: Iterable[str] = ()) -> AuditReport:
    """Audit one file against the project's key and cases (see the module documentation);
    ``display``: the file name the report shows (default: ``path``); ``rejected``: see
    :func:`audit_units`."""
    fmt = file_format(display or path, fmt)
    units = read_units(path, fmt)
    report = audit_texts(project, units, file=str(display or path), fmt=fmt, pseudo=pseudo, k=k, ner=ner,
                         rejected=rejected)
    if fmt in PARTIAL:
        report.notes.append(PARTIAL[fmt])
    return report


def audit_texts(project: Project, units: Sequence[Unit], *, file: str, fmt: str, pseudo: Pseudonymizer | None,
                k: int = DEFAULT_K, ner: bool = False, rejected: Iterable[str] = ()) -> AuditReport:
    """Audit ``units`` — read from a file, or the words a figure draws — against the
    project's key and cases (see :func:`audit_units`)."""
    # a snapshot without the write lock: an export audits its file while others may write
    def gather() -> tuple[list[Quasi], list[str], list[str]]:
        names = project.store.documents.names().values()
        documents = [n for n in names if pseudo is not None and pseudo.name(n) != n]
        return quasi_identifiers(project), (allowed_names(project, pseudo) if ner else []), documents

    quasi, allowed, documents = project.store.read(gather)
    return audit_units(units, file=file, fmt=fmt, pseudo=pseudo, quasi=quasi, k=k,
                       ner_language=project.language if ner else None, allowed=allowed, documents=documents,
                       rejected=rejected)
