"""Code frequencies by a case attribute (e.g. group: local_actor / resident).

Units are distinct coded spans (document, start, end); a parent code rolls up the
distinct units of its sub-codes. Participants are the distinct cases whose documents
hold at least one such unit; percentages are of the participants of that group.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from qualcode.errors import QualcodeError
from qualcode.project import Project

NOT_REJECTED = ("proposed", "accepted")


@dataclass
class FreqRow:
    path: str
    label: str
    depth: int
    units: dict[str, int] = field(default_factory=dict)  # group -> units
    participants: dict[str, int] = field(default_factory=dict)  # group -> cases
    total_units: int = 0
    total_participants: int = 0


@dataclass
class FreqTable:
    by: str
    groups: list[str]
    group_sizes: dict[str, int]
    rows: list[FreqRow]
    statuses: tuple[str, ...]
    coders: list[str] | None
    unreviewed: int  # proposals still waiting for a decision among the counted codings


def frequencies(project: Project, by: str = "group", *, statuses: tuple[str, ...] = NOT_REJECTED,
                coders: list[str] | None = None, order: list[str] | None = None) -> FreqTable:
    """``order``: code paths in display order (e.g. the codebook's); others follow by path."""
    store = project.store
    cases = store.cases()
    if not any(by in c["attributes"] for c in cases):
        raise QualcodeError(f"no case has an attribute {by!r} (see 'qualcode cases')")
    doc_cases: dict[str, list[tuple[str, str]]] = {}
    group_sizes: dict[str, int] = {}
    for c in cases:
        g = str(c["attributes"].get(by, "(none)"))
        group_sizes[g] = group_sizes.get(g, 0) + 1
        for d in c["documents"]:
            doc_cases.setdefault(d, []).append((c["case"], g))
    groups = sorted(group_sizes)

    sql = ('SELECT d.name, k.start, k."end", c.path, k.status FROM codings k JOIN codes c ON c.id = k.code_id'
           f" JOIN documents d ON d.id = k.document_id WHERE k.status IN ({','.join('?' * len(statuses))})")
    params = list(statuses)
    if coders:
        sql += f" AND k.coder IN ({','.join('?' * len(coders))})"
        params += coders
    codings = store.execute(sql, params).fetchall()
    codes = store.execute("SELECT path, label FROM codes WHERE status = 'active' ORDER BY path").fetchall()

    rows = []
    for code in _tree_order([(r["path"], r["label"]) for r in codes], order or []):
        path, label = code
        mine = [k for k in codings if k["path"] == path or k["path"].startswith(path + "/")]
        row = FreqRow(path, label, path.count("/"))
        units_all = set()
        cases_all = set()
        for g in groups:
            units = set()
            people = set()
            for k in mine:
                for case, grp in doc_cases.get(k["name"], [("(no case)", "(none)")]):
                    if grp == g:
                        units.add((k["name"], k["start"], k["end"]))
                        people.add(case)
            row.units[g] = len(units)
            row.participants[g] = len(people)
            units_all |= units
            cases_all |= people
        row.total_units = len({(k["name"], k["start"], k["end"]) for k in mine})
        row.total_participants = len(cases_all)
        rows.append(row)
    unreviewed = sum(1 for k in codings if k["status"] == "proposed")
    return FreqTable(by, groups, group_sizes, rows, statuses, coders, unreviewed)


def _tree_order(codes: list[tuple[str, str]], order: list[str]) -> list[tuple[str, str]]:
    """Codes in ``order`` first (as given), then the others with parents before children."""
    rank = {p: i for i, p in enumerate(order)}
    return sorted(codes, key=lambda c: (c[0] not in rank, rank.get(c[0], 0), c[0].split("/")))
