"""Code frequencies by a case attribute (``qualcode report freq``), and the selection of
codings, codes and groups that every report shares.

Definitions (the same in every report):

* **Counted codings**: status in ``statuses`` (default ``proposed`` and ``accepted``:
  everything not rejected), coder in ``coders`` (default: every coder), code not
  retired (``codes.status = 'retired'``: its codings are left out everywhere).
* **Unit**: a distinct coded span ``(document, start, end)``. Two coders coding the
  same span give one unit; a shorter span inside a sentence is another unit.
* **Roll-up**: a code counts the *distinct* units of itself and of all its sub-codes
  (a passage coded with two sub-codes counts once for the parent).
* **Participants**: the distinct cases linked (``case_documents``) to a document that
  holds a unit. A group's percentage is of the cases that have that attribute value
  (every such case, with or without documents). Documents linked to no case count in
  the units, in a ``(no case)`` group without participants; cases without the attribute
  form the group ``(not set)``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

from qualcode.analysis.table import TableResult
from qualcode.codebook import parse_codebook_text
from qualcode.codebook.load import code_order_key
from qualcode.errors import QualcodeError, UsageError
from qualcode.store.cases import AttributeValue
from qualcode.store.codes import Code

if TYPE_CHECKING:
    from qualcode.project import Project

STATUSES = ("proposed", "accepted", "rejected")
NOT_REJECTED = ("proposed", "accepted")
LEVELS = ("all", "top")
NO_CASE = "(no case)"
NOT_SET = "(not set)"
ALL_CODES = "(all codes)"


# --------------------------------------------------------------------------- selection


class Coding(NamedTuple):
    doc_id: int
    document: str
    start: int
    end: int
    path: str
    status: str
    coder: str


@dataclass
class CodeNode:
    id: int
    path: str
    label: str
    depth: int  # number of displayed ancestors (0 = top level)


@dataclass
class Selection:
    """The counted codings of active codes, and those codes in tree order."""

    statuses: tuple[str, ...]
    coders: list[str] | None  # None = every coder
    codes: list[CodeNode]  # active codes, parents before children, codebook order
    codings: list[Coding]
    coders_found: list[str]  # coders of the counted codings
    unreviewed: int  # proposals (status proposed) of active codes by the selected coders
    retired: int  # codings left out because their code is retired (other filters applied)

    def codes_at(self, level: str) -> list[CodeNode]:
        check_level(level)
        return [c for c in self.codes if level == "all" or c.depth == 0]

    def code_sets(self, keys: Callable[[Coding], Iterable[Hashable]],
                  level: str = "all") -> dict[str, set]:
        """Code path -> set of the keys of its codings and its sub-codes' codings (roll-up)."""
        own: dict[str, set] = defaultdict(set)
        for k in self.codings:
            own[k.path].update(keys(k))
        out: dict[str, set] = {}
        for code in self.codes_at(level):
            prefix = code.path + "/"
            acc: set = set()
            for path, s in own.items():
                if path == code.path or path.startswith(prefix):
                    acc |= s
            out[code.path] = acc
        return out

    def facts(self) -> dict:
        """What was counted, as data (exporters write it in the export's language)."""
        return {"codings": len(self.codings), "statuses": list(self.statuses),
                "left_out": [s for s in STATUSES if s not in self.statuses],
                "coders": list(self.coders) if self.coders else None, "coders_found": list(self.coders_found),
                "retired": self.retired, "unreviewed": self.unreviewed}

    def describe(self) -> list[str]:
        """Footer lines: what was counted."""
        statuses = " and ".join(self.statuses)
        left_out = [s for s in STATUSES if s not in self.statuses]
        who = (f"coder{'s' * (len(self.coders) > 1)} {', '.join(self.coders)}" if self.coders
               else "all coders" + (f" ({', '.join(self.coders_found)})" if self.coders_found else ""))
        line = (f"Counted: {_n(len(self.codings), 'coding')} with status {statuses}"
                + (f" ({' and '.join(left_out)} left out)" if left_out else "")
                + f", by {who}")
        if self.retired:
            line += ("; 1 coding of a retired code left out" if self.retired == 1
                     else f"; {self.retired} codings of retired codes left out")
        lines = [line + "."]
        if "proposed" in self.statuses:
            lines.append(f"Unreviewed: {self.unreviewed} of the counted codings are proposals "
                         "not reviewed yet.")
        else:
            lines.append(f"Unreviewed: {self.unreviewed} proposals not reviewed yet are not counted.")
        return lines


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' * (count != 1)}"


def check_statuses(statuses: Iterable[str] | None) -> tuple[str, ...]:
    if not statuses:
        return NOT_REJECTED
    out = []
    for s in statuses:
        if s not in STATUSES:
            raise UsageError(f"unknown status {s!r} (choose from {', '.join(STATUSES)})")
        if s not in out:
            out.append(s)
    return tuple(s for s in STATUSES if s in out)


def check_level(level: str) -> str:
    if level not in LEVELS:
        raise UsageError(f"unknown level {level!r} (choose from {', '.join(LEVELS)})")
    return level


def codebook_order(project: Project) -> list[str]:
    """Code paths in the order of the codebook last applied (empty if none)."""
    last = project.store.versions.last()
    if last is None:
        return []
    kept = project.store.meta.get(code_order_key(last.content))  # written by autocode
    if kept is not None:
        return list(json.loads(kept))
    try:
        return [c.path for c in parse_codebook_text(last.content).walk()]
    except QualcodeError:  # a recorded codebook that no longer parses (CodebookError): fall back to code ids
        return []


def select_codings(project: Project, *, statuses: Iterable[str] | None = NOT_REJECTED,
                   coders: list[str] | None = None, order: list[str] | None = None) -> Selection:
    """Counted codings and active codes. ``order``: code paths in display order (e.g. the
    codebook's); siblings not in it follow in the order they were created."""
    statuses = check_statuses(statuses)
    coders = [c for c in coders if c] if coders else None
    store = project.store
    active = [c for c in store.codes.all() if c.status == "active"]
    tree = _tree(active, order or [])

    codings, retired, unreviewed, found = [], 0, 0, set()
    for r in store.codings.iter_spans(coders=coders):  # one at a time: only the counted ones are kept
        if r.code_status != "active":
            retired += r.status in statuses
            continue
        unreviewed += r.status == "proposed"
        if r.status in statuses:
            codings.append(Coding(r.document_id, r.document, r.start, r.end, r.code, r.status, r.coder))
            found.add(r.coder)
    if coders:
        known = set(store.codings.coders())
        unknown = [c for c in coders if c not in known]
        if unknown:
            raise QualcodeError(f"no codings by coder {unknown[0]!r} (coders: "
                                f"{', '.join(sorted(known)) or 'none yet'})")
    return Selection(statuses, coders, tree, codings, sorted(found), unreviewed, retired)


def _tree(codes: list[Code], order: list[str]) -> list[CodeNode]:
    """Depth-first: parents before their children; siblings by ``order``, then by id."""
    paths = {c.path for c in codes}
    rank = {p: i for i, p in enumerate(order)}

    def parent(path: str) -> str | None:
        while "/" in path:
            path = path.rsplit("/", 1)[0]
            if path in paths:
                return path
        return None

    children: dict[str | None, list] = defaultdict(list)
    for c in codes:
        children[parent(c.path)].append(c)
    out: list[CodeNode] = []

    def visit(key: str | None, depth: int) -> None:
        for c in sorted(children.get(key, []), key=lambda c: (c.path not in rank, rank.get(c.path, 0), c.id)):
            out.append(CodeNode(c.id, c.path, c.label, depth))
            visit(c.path, depth + 1)

    visit(None, 0)
    return out


# --------------------------------------------------------------------------- groups


@dataclass
class Grouping:
    """Documents -> (case, group) pairs for one case attribute (or none)."""

    by: str | None
    groups: list[str]  # attribute values in order, then NOT_SET, then NO_CASE (if present)
    sizes: dict[str, int]  # cases per group (NO_CASE: 0)
    doc_cases: dict[int, list[tuple[str, str | None]]]  # doc id -> [(case, group)] (group: None if by is None)
    doc_names: dict[int, str]
    total_cases: int
    case_names: list[str] = field(default_factory=list)

    def doc_groups(self, doc_id: int) -> set[str]:
        """The groups of the document's cases (NO_CASE: it has none); empty when not grouped."""
        if not self.by:
            return set()
        return {g for _, g in self.doc_cases.get(doc_id, [("", NO_CASE)]) if g is not None}

    def sizes_note(self) -> str:
        parts = [f"{g} n={self.sizes[g]}" for g in self.groups if g != NO_CASE]
        return ", ".join(parts)


def _value_key(v):
    return (0, v, "") if isinstance(v, (int, float)) and not isinstance(v, bool) else (1, 0, str(v))


def grouping(project: Project, by: str | None) -> Grouping:
    """Cases and documents grouped by the values of case attribute ``by`` (None: no groups)."""
    store = project.store
    cases = store.cases.all()
    docs = store.documents.names()
    doc_id = {name: i for i, name in docs.items()}
    if by is not None and not any(by in c.attributes for c in cases):
        known = sorted({a for c in cases for a in c.attributes})
        raise QualcodeError(f"no case has an attribute {by!r}"
                            + (f" (attributes: {', '.join(known)})" if known else
                               " (no case attributes yet: see 'qualcode cases import')"))
    values: list[AttributeValue] = []
    sizes: dict[str, int] = defaultdict(int)
    doc_cases: dict[int, list] = defaultdict(list)
    for c in cases:
        if by is None:
            g = None
        elif by in c.attributes:
            v = c.attributes[by]
            g = str(v)
            if g not in [str(x) for x in values]:
                values.append(v)
        else:
            g = NOT_SET
        if g is not None:
            sizes[g] += 1
        for d in c.documents:
            doc_cases[doc_id[d]].append((c.name, g))
    groups = [str(v) for v in sorted(values, key=_value_key)]
    if by is not None:
        if sizes.get(NOT_SET):
            groups.append(NOT_SET)
        if any(i not in doc_cases for i in docs):
            groups.append(NO_CASE)
            sizes[NO_CASE] = 0
    return Grouping(by, groups, dict(sizes), dict(doc_cases), docs, len(cases), [c.name for c in cases])


# --------------------------------------------------------------------------- frequencies


@dataclass
class FreqRow:
    path: str
    label: str
    depth: int
    units: dict[str, int] = field(default_factory=dict)  # group -> units
    participants: dict[str, int] = field(default_factory=dict)  # group -> cases (NO_CASE: 0)
    total_units: int = 0
    total_participants: int = 0


@dataclass
class FreqTable:
    by: str | None
    groups: list[str]
    group_sizes: dict[str, int]
    rows: list[FreqRow]  # one per code in tree order (the last one is ALL_CODES)
    statuses: tuple[str, ...]
    coders: list[str] | None
    unreviewed: int  # proposals still waiting for a decision (selected coders, active codes)
    total_cases: int = 0
    level: str = "all"
    notes: list[str] = field(default_factory=list)
    counted: dict = field(default_factory=dict)  # Selection.facts()

    def pct(self, count: int, group: str | None = None) -> float | None:
        n = self.total_cases if group is None else self.group_sizes.get(group, 0)
        return round(100 * count / n, 1) if n else None

    def to_result(self) -> TableResult:
        """A TableResult: columns ``code``, ``label``, then ``GROUP units``, ``GROUP
        participants``, ``GROUP %`` per group, then ``total units``, ``total participants``,
        ``total %``. Percentages have one decimal; empty (None) where there are no cases."""
        records = []
        for r in self.rows:
            rec: dict = {"code": r.path, "label": r.label}
            for g in self.groups:
                rec[f"{g} units"] = r.units[g]
                rec[f"{g} participants"] = None if g == NO_CASE else r.participants[g]
                rec[f"{g} %"] = None if g == NO_CASE else self.pct(r.participants[g], g)
            rec["total units"] = r.total_units
            rec["total participants"] = r.total_participants
            rec["total %"] = self.pct(r.total_participants)
            records.append(rec)
        columns = ["code", "label"] + [f"{g} {m}" for g in self.groups for m in ("units", "participants", "%")] \
            + ["total units", "total participants", "total %"]
        dtypes = {col: "float64" if col.endswith("%") else "Int64" for col in columns[2:]}
        title = "Codes" + (f" by {self.by}" if self.by else "") + (" (top-level codes)" if self.level == "top" else "")
        return TableResult(
            title=title, notes=list(self.notes), columns=columns, rows=records, dtypes=dtypes,
            meta={"kind": "freq", "sheet": "freq", "by": self.by, "level": self.level,
                  "depth": [r.depth for r in self.rows], "tree_column": "label",
                  "total_rows": [ALL_CODES], "groups": list(self.groups), "group_sizes": dict(self.group_sizes),
                  "total_cases": self.total_cases, "decimals": {c: 1 for c in columns if c.endswith("%")},
                  "counted": dict(self.counted)},
        )


def frequencies(project: Project, by: str | None = "group", *, statuses: Iterable[str] | None = NOT_REJECTED,
                coders: list[str] | None = None, order: list[str] | None = None,
                level: str = "all") -> FreqTable:
    """Units and participants per code (rolled up) and per value of case attribute ``by``.

    ``order``: code paths in display order (e.g. the codebook's; default: the codebook last
    applied, then creation order). ``level``: ``all`` codes or ``top``-level codes only.
    The last row (path ``(all codes)``) counts the units coded with any counted code.
    """
    check_level(level)
    sel = select_codings(project, statuses=statuses, coders=coders,
                         order=order if order is not None else codebook_order(project))
    grp = grouping(project, by)
    units = sel.code_sets(lambda k: [(k.doc_id, k.start, k.end)], level)
    every: set = set()
    for s in units.values():
        every |= s
    rows = []
    for code in [*sel.codes_at(level), CodeNode(0, ALL_CODES, "All codes", 0)]:
        mine = units[code.path] if code.path != ALL_CODES else every
        row = FreqRow(code.path, code.label, code.depth)
        per_group_units: dict[str, set] = {g: set() for g in grp.groups}
        per_group_cases: dict[str, set] = {g: set() for g in grp.groups}
        cases_all: set = set()
        for unit in mine:
            pairs = grp.doc_cases.get(unit[0])
            if not pairs:
                if by is not None:
                    per_group_units[NO_CASE].add(unit)
                continue
            for case, g in pairs:
                cases_all.add(case)
                if g is not None:  # None only when not grouped (by is None)
                    per_group_units[g].add(unit)
                    per_group_cases[g].add(case)
        for g in grp.groups:
            row.units[g] = len(per_group_units[g])
            row.participants[g] = len(per_group_cases[g])
        row.total_units = len(mine)
        row.total_participants = len(cases_all)
        rows.append(row)
    notes = sel.describe()
    notes.append("Units: distinct coded passages (document, start, end); a code counts the distinct "
                 "units of itself and its sub-codes.")
    if grp.total_cases:
        part = "Participants: cases linked to a document holding a unit; "
        part += (f"% of the cases of the group ({grp.sizes_note()}); total % of all {grp.total_cases} cases."
                 if by else f"% of all {grp.total_cases} cases.")
    else:
        part = "Participants: no cases yet (see 'qualcode cases import')."
    notes.append(part)
    if NO_CASE in grp.groups:
        notes.append(f"{NO_CASE}: documents linked to no case (units only).")
    return FreqTable(by, grp.groups, grp.sizes, rows, sel.statuses, sel.coders, sel.unreviewed,
                     grp.total_cases, level, notes, sel.facts())


def freq_report(project: Project, by: str | None = None, *, statuses: Iterable[str] | None = NOT_REJECTED,
                coders: list[str] | None = None, level: str = "all",
                order: list[str] | None = None) -> TableResult:
    """:func:`frequencies` as a TableResult (what ``qualcode report freq`` prints and exports)."""
    return frequencies(project, by, statuses=statuses, coders=coders, order=order, level=level).to_result()
