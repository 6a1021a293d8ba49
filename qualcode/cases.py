"""Cases (participants) and their attributes, imported from CSV or XLSX.

One row per participant: a ``case`` column, an optional ``document`` column (document
names or file names, several separated by ``|``) and any attribute columns. CSV files
may use comma, semicolon or tab and be UTF-8 (with or without BOM) or cp1252, as French
Excel writes them. Values that look like numbers are stored as numbers (``42``,
``3.5``, ``3,5``).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualcode.analysis.table import TableResult
from qualcode.errors import InputError, QualcodeError, UsageError
from qualcode.i18n import Labels, tr
from qualcode.pseudo.apply import pseudonymize_table
from qualcode.pseudo.key import project_key
from qualcode.pseudo.replace import Pseudonymizer
from qualcode.sheets import SheetProblems, read_rows
from qualcode.textnorm import normalize_text

if TYPE_CHECKING:
    from qualcode.project import Project

CASE_COLUMNS = ("case", "cas", "participant", "case_id")
DOCUMENT_COLUMNS = ("document", "documents", "doc", "file", "fichier")

_INT = re.compile(r"[+-]?\d+")
_FLOAT = re.compile(r"[+-]?(\d+[.,]\d*|\d*[.,]\d+)")


@dataclass
class CasesReport:
    cases: int = 0
    created: int = 0
    attributes: int = 0
    links: int = 0
    unknown_documents: list[tuple[int, str, str]] = field(default_factory=list)  # (line, case, doc)


def typed(value: Any) -> Any:
    """Cell value -> int | float | str | None (empty)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        if value != value:  # NaN from an empty spreadsheet cell
            return None
        if value in (float("inf"), float("-inf")):
            return str(value)
        return int(value) if value.is_integer() and abs(value) < 2**63 else value
    if isinstance(value, int):
        return value if -(2**63) <= value < 2**63 else str(value)
    text = normalize_text(str(value)).strip()
    if not text:
        return None
    if _INT.fullmatch(text) and not (len(text) > 1 and text.lstrip("+-").startswith("0")):
        # "007" stays a string: an identifier, not a number; so does a number too long
        # for a 64-bit integer (a 21-digit reference), which SQLite could not store
        return int(text) if len(text.lstrip("+-")) <= 18 else text
    if _FLOAT.fullmatch(text) and len(text) <= 30:
        return float(text.replace(",", "."))  # longer: kept as text, never a rounded or infinite number
    return text


def read_table(path: str | Path) -> tuple[list[str], list[tuple[int, list[Any]]]]:
    """Header and (line number, cells) rows of a CSV or XLSX file."""
    rows = read_rows(path, comments=False)
    header = ["" if h is None else normalize_text(str(h)).strip() for h in rows[0][1]]
    return header, rows[1:]


def _find_column(header: list[str], names: tuple[str, ...]) -> int | None:
    lowered = [h.casefold() for h in header]
    for n in names:
        if n in lowered:
            return lowered.index(n)
    return None


def import_cases(project: Project, path: str | Path) -> CasesReport:
    header, rows = read_table(path)
    where = str(path)
    case_col = _find_column(header, CASE_COLUMNS)
    if case_col is None:
        raise InputError(f"no 'case' column (columns: {', '.join(header) or 'none'})", path=where, line=1)
    doc_col = _find_column(header, DOCUMENT_COLUMNS)
    attr_cols = [(i, h) for i, h in enumerate(header) if i not in (case_col, doc_col) and h]
    counts = Counter(h for _, h in attr_cols)  # linear: a sheet may have thousands of columns
    dupes = {h for h, n in counts.items() if n > 1}
    if dupes:
        raise InputError(f"duplicate column {sorted(dupes)[0]!r}", path=where, line=1)

    check_not_pseudonymized(project, header, rows, case_col, attr_cols, where)
    seen: dict[str, int] = {}
    store = project.store
    report = CasesReport()
    names = {name: doc_id for doc_id, name in store.documents.names().items()}
    with store.transaction():
        for line, cells in rows:
            cells = list(cells) + [None] * (len(header) - len(cells))
            case = typed(cells[case_col])
            if case is None:
                raise InputError("empty 'case' cell", path=where, line=line)
            case = str(case)
            if case in seen:
                raise InputError(f"case {case!r} appears twice (also line {seen[case]})", path=where, line=line)
            seen[case] = line
            existed = store.cases.id(case) is not None
            case_id = store.cases.ensure(case)
            report.cases += 1
            report.created += not existed
            for i, name in attr_cols:
                value = typed(cells[i])
                if value is not None:
                    store.cases.set_attribute(case_id, name, value)
                    report.attributes += 1
            if doc_col is not None and cells[doc_col] is not None:
                for ref in str(cells[doc_col]).split("|"):
                    ref = ref.strip()
                    if not ref:
                        continue
                    doc_id = names.get(ref) or names.get(Path(ref).stem)
                    if doc_id is None:
                        report.unknown_documents.append((line, case, ref))
                    elif store.cases.link_document(case_id, doc_id):
                        report.links += 1
        store.history.log(project.user, "cases import", "cases",
                  f"{report.cases} cases from {Path(path).name}, {report.links} document links",
                  {"file": str(path), "cases": report.cases, "created": report.created,
                   "unknown_documents": [d for _, _, d in report.unknown_documents]})
    return report



# --------------------------------------------------------------------------- the table of interviewees

DOCUMENTS_COLUMN = "documents"


def cases_table(project: Project, attributes: list[str] | None = None, *, labels: Labels | None = None,
                display: bool = False) -> TableResult:
    """The table of interviewees (« tableau des enquêtés »): one row per case, its id, then
    ``attributes`` in that order (default: every attribute, in the order they were
    first set; ``documents`` is a column too, left out by default because file names
    can identify a participant).

    ``display``: a table for a document (DOCX, Markdown, LaTeX): headers and values by
    their display labels (``labels``), numbers in the export language; otherwise the
    identifiers and the typed values (CSV, XLSX, JSON).
    """
    import pandas as pd

    labels = labels or Labels("en")
    cases = project.store.cases.all()
    known: list[str] = []
    for c in cases:
        known += [a for a in c.attributes if a not in known]
    if attributes:
        chosen = list(dict.fromkeys(a.strip() for a in attributes if a.strip()))
        for a in chosen:
            if a not in known and a != DOCUMENTS_COLUMN:
                raise UsageError(f"no case attribute {a!r} (attributes: {', '.join([*known, DOCUMENTS_COLUMN])})")
    else:
        chosen = known
    lang = labels.language
    case_header = tr(lang, "cases.case") if display else "case"
    headers = [case_header]
    for a in chosen:
        if not display:
            headers.append(a)
        elif a == DOCUMENTS_COLUMN:
            headers.append(tr(lang, "cases.documents"))
        else:
            name = labels.attribute(a)
            headers.append(name[:1].upper() + name[1:])
    records = []
    for c in cases:
        row: list[Any] = [c.name]
        for a in chosen:
            if a == DOCUMENTS_COLUMN:
                row.append(", ".join(c.documents) if c.documents else None)
                continue
            value = c.attributes.get(a)
            numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
            # numbers stay numbers (right-aligned, formatted for the language by the writer)
            row.append(labels.value(a, value) if display and value is not None and not numeric else value)
        records.append(row)
    df = pd.DataFrame(records, columns=headers, dtype=object)  # None stays None, 52 stays an int
    for h in headers[1:]:  # typed columns: integers stay integers with gaps, decimals floats
        values = [v for v in df[h] if v is not None]
        if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            df[h] = df[h].astype("Int64")
        elif values and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            df[h] = df[h].astype("float64")
    n = len(cases)
    note = tr(lang, "cases.count", n=n) if n != 1 else tr(lang, "cases.count", n=n).rstrip("s")
    return TableResult(title=tr(lang, "cases.title"), df=df, notes=[note],
                       meta={"kind": "cases", "sheet": "cases", "attributes": chosen})


def pseudonymize_cases(table: TableResult, pseudo: Pseudonymizer | None) -> TableResult:
    """The table of :func:`cases_table` with the pseudonym key applied: the case ids and
    the document names as identifiers (every name of the key and each part of a person's
    name, in any case: a case called ``vasseur`` comes out as ``Mme V.``), the attribute
    values, headers, title and notes as the cells of every table
    (:func:`~qualcode.pseudo.apply.pseudonymize_table`)."""
    if pseudo is None:
        return table
    attributes = table.meta.get("attributes") or []
    ids = {0} | {j + 1 for j, a in enumerate(attributes) if a == DOCUMENTS_COLUMN}
    rows = [tuple(pseudo.name(v) if j in ids and isinstance(v, str) else v for j, v in enumerate(row))
            for row in table.rows]
    cells = tuple(c for j, c in enumerate(table.columns) if j not in ids)
    return pseudonymize_table(table.replace(rows=rows), pseudo, cells=cells)


def _pseudonymized_forms(pseudo: Pseudonymizer, value: Any) -> set[str]:
    """What the exports of the key may write for a stored value (not the value itself)."""
    if not isinstance(value, str):
        return set()
    forms = {pseudo.name(value), pseudo.text(value) or "", pseudo.text(value, any_case=True) or "",
             pseudo.text(value, parts=True) or ""}
    return forms - {value, ""}


def check_not_pseudonymized(project: Project, header: list[str], rows: list[tuple[int, list[Any]]],
                            case_col: int, attr_cols: list[tuple[int, str]], where: str) -> None:
    """Refuse a sheet written by ``cases export`` with the pseudonym key applied: importing
    it would create cases named after their pseudonyms or put the key's replacements
    (``[commune du bassin]``) in place of the stored values. A working copy to edit and
    import again is exported with ``--no-pseudo``."""
    key = project_key(project)
    if key is None or not key.entries:
        return
    pseudo = key.pseudonymizer()
    cases = {c.name: c for c in project.store.cases.all()}
    renamed = {form: name for name in cases for form in _pseudonymized_forms(pseudo, name)}
    problems: list[str] = []
    for line, cells in rows:
        cells = list(cells) + [None] * (len(header) - len(cells))
        case = typed(cells[case_col])
        if case is None:
            continue
        case = str(case)
        if case not in cases and case in renamed:
            problems.append(f"{where}:{line}: case {case!r} is the pseudonymized id of case {renamed[case]!r}")
        stored = cases.get(case)
        if stored is None:
            continue
        for i, name in attr_cols:
            value, before = typed(cells[i]), stored.attributes.get(name)
            if value is not None and value != before and str(value) in _pseudonymized_forms(pseudo, before):
                problems.append(f"{where}:{line}: case {case!r}: {name} {value!r} is the pseudonymized form of "
                                f"the stored {before!r}")
    if problems:
        raise PseudonymizedSheet(where, problems)


class PseudonymizedSheet(SheetProblems):
    """A sheet of cases exported with the pseudonym key applied, given to ``cases import``."""

    def __init__(self, path: str, problems: list[str]):
        self.problems = problems
        QualcodeError.__init__(
            self, f"{path} was exported pseudonymized: importing it would put the pseudonyms in place of the stored "
                  f"ids and values ({len(problems)} row{'s' * (len(problems) != 1)}; nothing imported); export "
                  "the working copy with 'qualcode cases export FILE --no-pseudo --allow-leaks'")
