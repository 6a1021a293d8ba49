"""Code co-occurrence (``qualcode report cooccurrence``).

Two codes co-occur in a unit when each has a counted coding that overlaps that unit
(shares at least one character with it). Units:

* ``sentence``: the sentences of the NLP annotation (the cache that ``autocode`` uses;
  computed and cached if missing). A coding overlapping two sentences belongs to both.
* ``turn``: the speaker turns.
* ``doc``: the document.

A code's unit set rolls up its sub-codes (as in the frequency report). A cell is the
number of units where both codes occur (or, with ``jaccard``, |A∩B| / |A∪B| over units,
three decimals); the diagonal is the number of units of the code (1 with ``jaccard``).
Cells between a code and its own ancestor or sub-code are left empty: a parent contains
its sub-codes, so their overlap says nothing. Codings that overlap no unit (e.g. on a
speaker label, outside every turn) are left out and counted in the notes.
"""

from __future__ import annotations

from bisect import bisect_right
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
from qualcode.annotations import load_sentences
from qualcode.errors import UsageError
from qualcode.nlp import load_pipeline

if TYPE_CHECKING:
    from qualcode.project import Project

UNITS = ("sentence", "turn", "doc")
UNIT_NAMES = {"sentence": "sentences", "turn": "speaker turns", "doc": "documents"}


def unit_spans(project: Project, doc_ids: Iterable[int], unit: str) -> dict[int, list[tuple[int, int]]]:
    """Document id -> sorted (start, end) of its units (sentences or turns)."""
    store = project.store
    doc_ids = sorted(set(doc_ids))
    if unit == "turn":
        return {d: [(t.start, t.end) for t in store.documents.turns(d)] for d in doc_ids}
    if unit == "sentence":
        if not doc_ids:
            return {}
        docs = store.documents.select(ids=doc_ids)
        pipeline = load_pipeline(project.language)
        with store.transaction():  # the only possible write: caching missing annotations and sentences
            sentences = load_sentences(project, docs, pipeline)
        return {d: sorted((a, b) for _, a, b in sentences[d]) for d in doc_ids}
    raise UsageError(f"unknown unit {unit!r} (choose from {', '.join(UNITS)})")


def overlapping(spans: list[tuple[int, int]], starts: list[int], start: int, end: int) -> list[int]:
    """Indices of the (sorted, non-overlapping) spans that share a character with start:end."""
    i = max(bisect_right(starts, start) - 1, 0)
    out = []
    while i < len(spans) and spans[i][0] < end:
        if spans[i][1] > start:
            out.append(i)
        i += 1
    return out


def cooccurrence(project: Project, *, unit: str = "sentence", by: str | None = None, jaccard: bool = False,
                 statuses: Iterable[str] | None = NOT_REJECTED, coders: list[str] | None = None,
                 level: str = "all", order: list[str] | None = None) -> list[TableResult]:
    """Code × code co-occurrence tables: one, or one per value of case attribute ``by``
    (a document belongs to the groups of its cases; ``(no case)`` for documents without)."""
    if unit not in UNITS:
        raise UsageError(f"unknown unit {unit!r} (choose from {', '.join(UNITS)})")
    check_level(level)
    sel = select_codings(project, statuses=statuses, coders=coders,
                         order=order if order is not None else codebook_order(project))
    grp = grouping(project, by)
    codes = sel.codes_at(level)

    outside = 0
    unit_of: dict = {}  # coding -> unit keys (codings are unique rows)
    if unit == "doc":
        for k in sel.codings:
            unit_of[k] = [(k.doc_id,)]
    else:
        spans = unit_spans(project, {k.doc_id for k in sel.codings}, unit)
        starts = {d: [a for a, _ in s] for d, s in spans.items()}
        for k in sel.codings:
            idx = overlapping(spans[k.doc_id], starts[k.doc_id], k.start, k.end)
            outside += not idx
            unit_of[k] = [(k.doc_id, j) for j in idx]
    sets = sel.code_sets(unit_of.__getitem__, level)

    groups: list[str | None] = list(grp.groups) if by else [None]
    tables = []
    for g in groups:
        if g is None:
            gsets = sets
        else:
            docs = {d for d in grp.doc_names if g in grp.doc_groups(d)}
            gsets = {p: {u for u in s if u[0] in docs} for p, s in sets.items()}
        records = []
        for a in codes:
            rec: dict = {"code": a.path, "label": a.label}
            for b in codes:
                related = a.path != b.path and (a.path.startswith(b.path + "/") or b.path.startswith(a.path + "/"))
                sa, sb = gsets[a.path], gsets[b.path]
                if related:
                    rec[b.path] = None
                elif jaccard:
                    union = len(sa | sb)
                    rec[b.path] = round(len(sa & sb) / union, 3) if union else None
                else:
                    rec[b.path] = len(sa & sb)
            records.append(rec)
        columns = ["code", "label", *[c.path for c in codes]]
        dtypes = {c.path: "float64" if jaccard else "Int64" for c in codes}
        measure = "Jaccard index" if jaccard else "co-occurrence"
        title = f"Code {measure} ({unit} units)" + (f": {by} = {g}" if g is not None else "")
        notes = sel.describe()
        what = UNIT_NAMES[unit]
        if jaccard:
            notes.append(f"Cells: Jaccard index |A∩B| / |A∪B| over the {what} coded with each code "
                         "(a coding belongs to every unit it overlaps; a code includes its sub-codes).")
        else:
            notes.append(f"Cells: number of {what} where both codes occur (a coding belongs to every "
                         f"unit it overlaps; a code includes its sub-codes); diagonal: {what} coded with "
                         "the code.")
        notes.append("Empty cells: a code and its own sub-code (a parent contains its sub-codes).")
        if g == NO_CASE:
            notes.append(f"{NO_CASE}: documents linked to no case.")
        elif g is not None:
            notes.append(f"Documents of the {grp.sizes.get(g, 0)} cases with {by} = {g}.")
        if outside:
            notes.append(f"{outside} codings overlap no {unit} and are left out.")
        tables.append(TableResult(
            title=title, notes=notes, columns=columns, rows=records, dtypes=dtypes,
            meta={"kind": "matrix", "depth": [c.depth for c in codes], "tree_column": "label",
                  "matrix_columns": [c.path for c in codes], "group": g,
                  "sheet": (f"{by}={g}" if g is not None else "cooccurrence"),
                  "decimals": {c.path: 3 for c in codes} if jaccard else {},
                  "counted": sel.facts(), "unit": unit, "jaccard": jaccard, "by": by,
                  "group_size": grp.sizes.get(g, 0) if g is not None else None, "outside": outside},
        ))
    return tables
