"""Code × document / case / attribute matrix (``qualcode report matrix``).

Rows are codes (as a tree, a code rolling up the distinct units of its sub-codes, as in
the frequency report). Columns are documents (``docs``), cases (``cases``) or the values
of a case attribute (any other name, e.g. ``group``). A cell is the number of distinct
coded units of the code in that column's documents, or with ``presence`` 1 if there is
at least one, else 0. A document linked to several cases counts for each of them;
documents without a case form the column ``(no case)``.

The ``total`` column is the number of distinct units of the code (counts), or the
number of columns where it is present (presence: e.g. how many documents mention it).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from qualcode.analysis.freq import (
    NO_CASE,
    NOT_REJECTED,
    check_level,
    codebook_order,
    grouping,
    select_codings,
)
from qualcode.analysis.table import TableResult
from qualcode.errors import UsageError

if TYPE_CHECKING:
    from qualcode.project import Project

def code_matrix(project: Project, *, cols: str = "docs", presence: bool = False,
                statuses: Iterable[str] | None = NOT_REJECTED, coders: list[str] | None = None,
                level: str = "all", order: list[str] | None = None) -> TableResult:
    check_level(level)
    if not cols:
        raise UsageError("--cols needs docs, cases or a case attribute name")
    sel = select_codings(project, statuses=statuses, coders=coders,
                         order=order if order is not None else codebook_order(project))
    codes = sel.codes_at(level)
    units = sel.code_sets(lambda k: [(k.doc_id, k.start, k.end)], level)
    if cols == "docs":
        grp = grouping(project, None)
        columns = [grp.doc_names[d] for d in sorted(grp.doc_names, key=grp.doc_names.__getitem__)]
        name_of = grp.doc_names
        col_of = lambda d: [name_of[d]]  # noqa: E731
        what = "documents"
    elif cols == "cases":
        grp = grouping(project, None)
        columns = sorted(grp.case_names)
        if any(d not in grp.doc_cases for d in grp.doc_names):
            columns.append(NO_CASE)
        col_of = lambda d: [c for c, _ in grp.doc_cases.get(d, [(NO_CASE, None)])]  # noqa: E731
        what = "cases"
    else:
        grp = grouping(project, cols)
        columns = list(grp.groups)
        col_of = lambda d: sorted(grp.doc_groups(d))  # noqa: E731
        what = f"values of {cols}"

    if "total" in columns or "code" in columns or "label" in columns:
        raise UsageError("a column would be named 'total', 'code' or 'label': rename that document or case")
    records = []
    for code in codes:
        per_col: dict[str, int] = dict.fromkeys(columns, 0)
        for u in units[code.path]:
            for c in col_of(u[0]):
                per_col[c] += 1
        rec: dict = {"code": code.path, "label": code.label}
        for c in columns:
            rec[c] = int(per_col[c] > 0) if presence else per_col[c]
        rec["total"] = sum(per_col[c] > 0 for c in columns) if presence else len(units[code.path])
        records.append(rec)
    dtypes = dict.fromkeys([*columns, "total"], "Int64")
    measure = "presence" if presence else "coded units"
    title = f"Codes × {'documents' if cols == 'docs' else 'cases' if cols == 'cases' else cols} ({measure})"
    notes = sel.describe()
    if presence:
        notes.append(f"Cells: 1 if the code (or a sub-code) has a coded unit in the column's documents, "
                     f"else 0; total: number of {what} where the code is present.")
    else:
        notes.append("Cells: distinct coded units (document, start, end) of the code and its sub-codes; "
                     "total: distinct units of the code.")
    if cols == "cases":
        notes.append("A document linked to several cases counts for each of them.")
    if NO_CASE in columns:
        notes.append(f"{NO_CASE}: documents linked to no case.")
    return TableResult(title=title, notes=notes, columns=["code", "label", *columns, "total"], rows=records,
                       dtypes=dtypes,
                       meta={"kind": "matrix", "sheet": "matrix", "depth": [c.depth for c in codes],
                             "tree_column": "label",
                             "matrix_columns": list(columns), "cols": cols, "presence": presence,
                             "counted": sel.facts(), "several_cases": cols == "cases"})
