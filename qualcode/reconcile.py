"""Disagreements between coders and their reconciliation into a consensus coder
(``qualcode disagreements``, ``qualcode reconcile``).

No terminal code here: the interactive session lives in :mod:`qualcode.cli.reliability`.

Both work on units (sentences or turns, see :mod:`qualcode.analysis.units`: a coding
marks every unit it overlaps) and on codes **as applied** — a code's own codings, not its
sub-codes' — because a consensus is made of codings of precise codes. (``qualcode
agreement`` rolls sub-codes up into their parents; a disagreement on a parent there is
always a disagreement on one of its codes here.)

Only documents that every compared coder coded (has at least one coding of any code in)
are compared; the others are listed as skipped (``all_seen=True``: every document).

**Disagreement**: a unit and a code that some of the coders coded, but not all.

**Reconcile** builds the codings of a consensus coder (``--as``, default ``consensus``):

* *agreed* — every coder coded the unit with the code: the consensus gets it
  automatically (status ``accepted``, origin ``reconcile:agreed``), on the span all the
  coders coded when each of them has exactly one coding of the code there and they are
  identical, else on the unit's span;
* *disagreements* — decided one by one: ``keep`` gives the consensus a coding of the
  unit's span (status ``accepted``, origin ``reconcile:kept``); ``drop`` records the
  decision as a *rejected* coding of the unit's span (origin ``reconcile:dropped``),
  which no report counts but which marks the disagreement as decided. A unit and code is
  decided when the consensus coder has a coding of that code (any status) overlapping
  the unit, so re-running resumes where the last session stopped, and codings made by
  hand for the consensus coder (``qualcode code … --coder consensus``) count as decisions.
* Automatic codings whose basis is gone (the coders no longer all code that unit) are
  removed on the next run, and the unit is asked about again if it is now a disagreement;
  decisions (kept or dropped) are never changed automatically.

Every decision is saved at once in its own transaction; the automatic part runs in one
transaction recorded in the history, as do spreadsheet imports and session summaries.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualcode.analysis.units import (
    ALL_STATUSES,
    NOT_REJECTED,
    Unit,
    active_codes,
    check_coders,
    check_kind,
    coder_documents,
    project_units,
)
from qualcode.errors import InputError, QualcodeError, UsageError
from qualcode.exporters.base import atomic_write, provenance_for
from qualcode.lookup import select_documents
from qualcode.pseudo.apply import SheetTexts, name_aliases
from qualcode.pseudo.key import project_key
from qualcode.pseudo.replace import Pseudonymizer
from qualcode.sheets import (
    SheetProblems,
    cell_int,
    cell_text,
    decision_csv,
    read_rows,
    write_decision_csv,
    write_decision_xlsx,
)

if TYPE_CHECKING:
    from qualcode.project import Project

DEFAULT_CONSENSUS = "consensus"
ORIGIN_AGREED = "reconcile:agreed"
ORIGIN_KEPT = "reconcile:kept"
ORIGIN_DROPPED = "reconcile:dropped"
DECISIONS = ("keep", "drop")
KEEP_WORDS = ("keep", "k", "yes", "y", "1", "oui", "o", "garder")
DROP_WORDS = ("drop", "d", "no", "n", "0", "non", "retirer")
EXPORT_COLUMNS = ("document", "turn", "speaker", "start", "end", "code", "label", "text", "coded_by",
                  "not_coded_by", "decision", "note")


# --------------------------------------------------------------------------- items


@dataclass
class Disagreement:
    """A unit and a code that some coders coded and others did not."""

    document: str
    document_id: int
    turn: int
    speaker: str | None
    start: int  # the unit's span
    end: int
    text: str  # the unit's text (as stored; collapse whitespace to display)
    code: str
    label: str
    coded_by: list[str]
    not_coded_by: list[str]
    spans: dict[str, list[dict]] = field(default_factory=dict)  # coder -> their codings of the code there
    codes: dict[str, list[str]] = field(default_factory=dict)  # coder -> every code they put on the unit
    unit_kind: str = "span"  # sentence | turn: the kind of the unit (recorded on consensus codings)

    @property
    def key(self) -> tuple[str, int, int, str]:
        return (self.document, self.start, self.end, self.code)

    def to_dict(self) -> dict:
        return asdict(self) | {"text": " ".join(self.text.split())}


@dataclass
class _Coding:
    id: int
    doc_id: int
    start: int
    end: int
    path: str
    unit: str
    origin: str
    status: str


def _coder_codings(project: Project, coder: str, doc_ids: Sequence[int], statuses: Sequence[str]) -> list[_Coding]:
    if not doc_ids:
        return []
    rows = project.store.codings.spans(coders=[coder], active_codes=True, statuses=statuses, document_ids=doc_ids,
                                        order="id")
    rows.sort(key=lambda k: (k.document_id, k.start))
    return [_Coding(k.id, k.document_id, k.start, k.end, k.code, k.unit, k.origin, k.status) for k in rows]


class _UnitIndex:
    """Finds the units (sorted, non-overlapping per document) a span overlaps."""

    def __init__(self, units: Sequence[Unit]):
        by_doc: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
        for i, u in enumerate(units):
            by_doc[u.document_id].append((u.start, u.end, i))
        self.docs = {}
        for d, items in by_doc.items():
            items.sort()
            self.docs[d] = ([a for a, _, _ in items], [b for _, b, _ in items], [i for _, _, i in items])

    def overlapping(self, doc_id: int, start: int, end: int) -> list[int]:
        if doc_id not in self.docs:
            return []
        starts, ends, idx = self.docs[doc_id]
        j = bisect_right(ends, start)
        out = []
        while j < len(starts) and starts[j] < end:
            out.append(idx[j])
            j += 1
        return out


@dataclass
class Comparison:
    """Who coded what, unit by unit, code by code (codes as applied)."""

    coders: list[str]
    unit_kind: str
    units: list[Unit]
    paths: list[str]
    labels: dict[str, str]
    names: dict[int, str]  # compared documents
    skipped: dict[str, list[str]]  # document -> coders who did not code it (left out)
    # (unit index, path) -> coder -> their codings of path overlapping the unit
    marks: dict[tuple[int, str], dict[str, list[_Coding]]]
    on_unit: dict[int, dict[str, set[str]]]  # unit index -> coder -> every code path they put there
    texts: dict[int, str]
    speakers: dict[tuple[int, int], str | None]  # (doc id, turn) -> speaker

    def state(self, key: tuple[int, str]) -> str:
        """'agreed' (every coder), 'disagreement' (some) or 'none'."""
        who = self.marks.get(key)
        if not who:
            return "none"
        return "agreed" if len(who) == len(self.coders) else "disagreement"

    def disagreement(self, key: tuple[int, str]) -> Disagreement:
        i, path = key
        u = self.units[i]
        who = self.marks[key]
        text = self.texts[u.document_id]
        return Disagreement(
            document=self.names[u.document_id], document_id=u.document_id, turn=u.turn_index,
            speaker=self.speakers.get((u.document_id, u.turn_index)), start=u.start, end=u.end,
            text=text[u.start:u.end], code=path, label=self.labels.get(path, path),
            coded_by=[c for c in self.coders if c in who], not_coded_by=[c for c in self.coders if c not in who],
            spans={c: [{"start": k.start, "end": k.end, "text": text[k.start:k.end], "status": k.status}
                       for k in who.get(c, [])] for c in self.coders if c in who},
            codes={c: sorted(self.on_unit.get(i, {}).get(c, set())) for c in self.coders},
            unit_kind=self.unit_kind)

    def ordered(self) -> list[tuple[int, str]]:
        """Every (unit, code) some coder coded, in document, position, codebook order."""
        rank = {p: n for n, p in enumerate(self.paths)}
        return sorted(self.marks, key=lambda k: (self.names[self.units[k[0]].document_id], self.units[k[0]].start,
                                                 rank[k[1]]))


def compare(project: Project, coders: Sequence[str], *, code: str | None = None,
            documents: Iterable[str] | None = None, unit: str = "sentence",
            statuses: Sequence[str] = NOT_REJECTED, include_interviewer: bool = False,
            all_seen: bool = False, exclude_coders: Sequence[str] = ()) -> Comparison:
    """Units × codes (as applied) × coders, over the documents every coder coded."""
    check_kind(unit)
    coders = check_coders(project, coders)
    for c in exclude_coders:
        if c in coders:
            raise UsageError(f"{c!r} cannot be both a compared coder and the consensus coder")
    docs = select_documents(project, documents)
    nodes = active_codes(project, code)
    paths = [n["path"] for n in nodes]
    store = project.store
    doc_ids = [d.id for d in docs]
    seen = {c: set(doc_ids) if all_seen else coder_documents(project, c, doc_ids) for c in coders}
    compared = [d for d in docs if all(d.id in seen[c] for c in coders)]
    skipped = {d.name: [c for c in coders if d.id not in seen[c]] for d in docs
               if not all(d.id in seen[c] for c in coders)}
    ids = [d.id for d in compared]
    units = project_units(project, unit, ids, include_interviewer) if ids else []
    index = _UnitIndex(units)
    wanted = set(paths)
    marks: dict[tuple[int, str], dict[str, list[_Coding]]] = defaultdict(lambda: defaultdict(list))
    on_unit: dict[int, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for c in coders:
        for k in _coder_codings(project, c, ids, tuple(statuses)):
            for i in index.overlapping(k.doc_id, k.start, k.end):
                on_unit[i][c].add(k.path)
                if k.path in wanted:
                    marks[(i, k.path)][c].append(k)
    speakers = {}
    for d in compared:
        for t in store.documents.turns(d.id):
            speakers[(d.id, t.idx)] = t.speaker
    return Comparison(list(coders), unit, units, paths, {n["path"]: n["label"] for n in nodes},
                      {d.id: d.name for d in compared}, skipped,
                      {k: dict(v) for k, v in marks.items()}, {k: dict(v) for k, v in on_unit.items()},
                      {d.id: d.text for d in compared}, speakers)


def disagreements(project: Project, coders: Sequence[str], **options: Any) -> tuple[list[Disagreement], Comparison]:
    """The units and codes the coders disagree on, in document order (see :func:`compare`
    for the options)."""
    cmp = compare(project, coders, **options)
    return [cmp.disagreement(k) for k in cmp.ordered() if cmp.state(k) == "disagreement"], cmp


# --------------------------------------------------------------------------- reconcile


@dataclass
class Plan:
    """What a reconcile run finds: automatic additions and removals, pending items."""

    consensus: str
    comparison: Comparison
    add: list[tuple[int, str, int, int, str]]  # doc id, path, start, end, unit kind
    remove: list[int]  # coding ids of stale automatic codings
    pending: list[Disagreement]
    agreed: int  # (unit, code) pairs every coder coded
    decided: int  # disagreements the consensus coder already decided


@dataclass
class RunReport:
    consensus: str
    coders: list[str]
    unit: str
    added: int
    removed: int
    agreed: int
    pending: int
    decided: int
    skipped_documents: dict[str, list[str]]

    def to_dict(self) -> dict:
        return asdict(self)


def _check_consensus(project: Project, consensus: str, coders: Sequence[str]) -> str:
    name = (consensus or "").strip()
    if not name:
        raise UsageError("the consensus coder name is empty (--as NAME)")
    if name == "rules":
        raise UsageError("coder 'rules' is reserved for auto-coding: choose another name with --as")
    if name in [c.strip() for c in coders]:
        raise UsageError(f"--as {name!r} is one of the compared coders: choose another name")
    return name


def plan(project: Project, coders: Sequence[str], consensus: str = DEFAULT_CONSENSUS, **options: Any) -> Plan:
    """Compare the coders and the consensus coder's codings (nothing is written)."""
    consensus = _check_consensus(project, consensus, coders)
    cmp = compare(project, coders, exclude_coders=[consensus], **options)
    ids = list(cmp.names)
    index = _UnitIndex(cmp.units)
    cons = _coder_codings(project, consensus, ids, ALL_STATUSES)
    wanted = set(cmp.paths)
    cons_marks: dict[tuple[int, str], list[_Coding]] = defaultdict(list)
    for k in cons:
        if k.path in wanted:
            for i in index.overlapping(k.doc_id, k.start, k.end):
                cons_marks[(i, k.path)].append(k)
    # automatic codings whose basis is gone: overlapping a unit where the coders do not all agree
    remove: set[int] = set()
    for key, ks in cons_marks.items():
        if cmp.state(key) != "agreed":
            remove.update(k.id for k in ks if k.origin == ORIGIN_AGREED)
    decided_keys = {key for key, ks in cons_marks.items() if any(k.id not in remove for k in ks)}
    add: dict[tuple[int, str, int, int], str] = {}
    agreed = decided = 0
    pending = []
    existing = {(k.doc_id, k.path, k.start, k.end) for k in cons if k.id not in remove}
    for key in cmp.ordered():
        state = cmp.state(key)
        if state == "agreed":
            agreed += 1
            if key in decided_keys:
                continue
            i, path = key
            u = cmp.units[i]
            who = cmp.marks[key]
            spans = {(k.start, k.end) for ks in who.values() for k in ks}
            if all(len(ks) == 1 for ks in who.values()) and len(spans) == 1:
                start, end = spans.pop()
                kinds = {ks[0].unit for ks in who.values()}
                kind = kinds.pop() if len(kinds) == 1 else "span"
            else:
                start, end, kind = u.start, u.end, cmp.unit_kind
            if (u.document_id, path, start, end) not in existing:
                add.setdefault((u.document_id, path, start, end), kind)
        elif state == "disagreement":
            if key in decided_keys:
                decided += 1
            else:
                pending.append(cmp.disagreement(key))
    return Plan(consensus, cmp, [(*k, v) for k, v in add.items()], sorted(remove), pending, agreed, decided)


def _code_id(project: Project, path: str) -> int:
    code = project.store.codes.by_path(path)
    if code is None:
        raise QualcodeError(f"unknown code {path!r}")
    return code.id


def _insert(project: Project, doc_id: int, path: str, start: int, end: int, unit: str, coder: str,
            origin: str, status: str, memo: str | None = None) -> int:
    return project.store.codings.add(document_id=doc_id, code_id=_code_id(project, path), start=start, end=end,
                                     coder=coder, origin=origin, status=status, unit=unit, memo=memo)


def start(project: Project, coders: Sequence[str], consensus: str = DEFAULT_CONSENSUS,
          command: str = "qualcode reconcile", **options: Any) -> tuple[RunReport, Plan]:
    """Apply the automatic part (agreed units in, stale automatic codings out) in one
    transaction recorded in the history; returns the report and the plan of what is left."""
    store = project.store
    with store.transaction():
        p = plan(project, coders, consensus, **options)
        if p.remove:
            store.memos.delete_on("coding", p.remove)
            store.codings.delete(p.remove)
        for doc_id, path, a, b, kind in p.add:
            _insert(project, doc_id, path, a, b, kind, p.consensus, ORIGIN_AGREED, "accepted")
        cmp = p.comparison
        report = RunReport(p.consensus, cmp.coders, cmp.unit_kind, len(p.add), len(p.remove), p.agreed,
                           len(p.pending), p.decided, cmp.skipped)
        if p.add or p.remove:
            store.history.log(project.user, command, "reconcile",
                      f"consensus {p.consensus} of {', '.join(cmp.coders)}: +{len(p.add)} agreed codings"
                      + (f", -{len(p.remove)} no longer agreed" if p.remove else "")
                      + f"; {len(p.pending)} disagreements to decide",
                      {"consensus": p.consensus, "coders": cmp.coders, "unit": cmp.unit_kind,
                       "added": len(p.add), "removed": len(p.remove), "agreed": p.agreed,
                       "pending": len(p.pending), "decided": p.decided, "options": _jsonable(options)})
        if p.remove:  # what was removed may now be pending
            p = plan(project, coders, consensus, **options)
    return report, p


def _jsonable(options: dict) -> dict:
    return {k: (list(v) if isinstance(v, (tuple, set)) else v) for k, v in options.items()}


def still_pending(project: Project, item: Disagreement, consensus: str) -> bool:
    """No coding of the code by the consensus coder overlaps the unit yet."""
    return not project.store.codings.exists(coders=[consensus], codes=[item.code], document_ids=[item.document_id],
                                            overlapping=(item.start, item.end))


def decide(project: Project, item: Disagreement, decision: str, consensus: str = DEFAULT_CONSENSUS,
           note: str | None = None) -> int:
    """Record one decision (``keep`` or ``drop``) as a coding of the unit's span by the
    consensus coder, in its own transaction; ``note`` becomes a memo on it. Returns its id."""
    if decision not in DECISIONS:
        raise UsageError(f"unknown decision {decision!r} (choose from {', '.join(DECISIONS)})")
    store = project.store
    with store.transaction():
        if not still_pending(project, item, consensus):
            raise QualcodeError(f"{item.document} {item.start}:{item.end} {item.code}: already decided")
        origin, status = (ORIGIN_KEPT, "accepted") if decision == "keep" else (ORIGIN_DROPPED, "rejected")
        cid = _insert(project, item.document_id, item.code, item.start, item.end, item.unit_kind, consensus,
                      origin, status)
        if note and note.strip():
            store.memos.add(target_type="coding", target_id=cid, text=note.strip(), author=project.user)
    return cid


def log_session(project: Project, consensus: str, coders: Sequence[str], kept: int, dropped: int, skipped: int,
                left: int, command: str = "qualcode reconcile") -> None:
    """One history row for an interactive session (when it decided something)."""
    if not (kept or dropped):
        return
    with project.store.transaction():
        project.store.history.log(project.user, command, "reconcile-session",
                          f"consensus {consensus}: {kept} kept, {dropped} dropped, {skipped} skipped; {left} left",
                          {"consensus": consensus, "coders": list(coders), "kept": kept, "dropped": dropped,
                           "skipped": skipped, "left": left})


# --------------------------------------------------------------------------- spreadsheet


def export_pending(project: Project, p: Plan, path: str | Path, *, force: bool = False,
                   command: str = "qualcode reconcile --export",
                   pseudo: Pseudonymizer | None = None) -> tuple[int, str | None]:
    """Write the pending disagreements to ``path`` (.csv or .xlsx) with empty decision and
    note columns. Returns the number of rows, and for ``path`` ``"-"`` (standard output)
    the CSV text instead of writing a file (else None). ``pseudo``: the pseudonym key
    applied to the document names, speakers, labels, coders and texts (the offsets and
    code paths, which the import reads, stay)."""
    target = Path(path)
    to_stdout = str(path) == "-"
    fmt = "csv" if to_stdout else target.suffix.lower().lstrip(".")
    if fmt not in ("csv", "xlsx"):
        raise QualcodeError(f"unsupported file type {target.suffix!r} (use .xlsx or .csv)")
    cmp = p.comparison
    texts = SheetTexts(project.store, pseudo)
    rows = [{"document": texts.name(it.document), "turn": it.turn, "speaker": texts.text(it.speaker) or "",
             "start": it.start, "end": it.end, "code": it.code, "label": texts.text(it.label),
             "text": " ".join(texts.slice(it.document_id, it.start, it.end, it.text).split()),
             "coded_by": texts.text(", ".join(it.coded_by)), "not_coded_by": texts.text(", ".join(it.not_coded_by)),
             "decision": "", "note": ""} for it in p.pending]
    prov = provenance_for(project, command, filters={"consensus": p.consensus, "unit": cmp.unit_kind},
                          coders=cmp.coders)
    if to_stdout:
        return len(rows), decision_csv(EXPORT_COLUMNS, rows, prov, newline="\n")
    with atomic_write(target, force=force) as tmp:
        if fmt == "csv":
            write_decision_csv(tmp, EXPORT_COLUMNS, rows, prov)
        else:
            write_decision_xlsx(
                tmp, sheet="reconcile", columns=EXPORT_COLUMNS, rows=rows,
                widths={"document": 26, "turn": 6, "speaker": 16, "start": 8, "end": 8, "code": 30, "label": 22,
                        "text": 80, "coded_by": 16, "not_coded_by": 16, "decision": 12, "note": 36},
                choices=["keep", "drop"],
                validation={"errorStyle": "warning", "error": "keep or drop (or empty: decide later)"},
                about=("qualcode reconcile sheet",
                       "Fill the 'decision' column: keep (the consensus codes the unit with the code) or drop "
                       "(it does not); leave it empty to decide later. Then run: qualcode reconcile --import FILE "
                       "with the same --coders, --as, --code, --docs and --unit."),
                provenance=prov)
    return len(rows), None


@dataclass
class ImportReport:
    path: str
    rows: int = 0
    kept: int = 0
    dropped: int = 0
    empty: int = 0  # no decision yet
    already: int = 0  # decided before (left as they are)
    notes: int = 0
    dry_run: bool = False

    def to_dict(self) -> dict:
        return asdict(self)


class ReconcileImportError(SheetProblems):
    """Problems found in a reconcile sheet; nothing was imported."""


def import_decisions(project: Project, p: Plan, path: str | Path, *, dry_run: bool = False,
                     command: str = "qualcode reconcile --import") -> ImportReport:
    """Apply the decisions of a filled sheet (from :func:`export_pending`), all or nothing.

    A row is identified by document, start, end and code — never by its text, so a sheet
    exported pseudonymized comes back the same (its document's pseudonymized name is read
    through the key; when two documents share one, the disagreement at these offsets
    tells them apart). Problems (unknown document or
    code, a unit and code that is not a disagreement between these coders, a bad decision,
    a row twice) raise :class:`ReconcileImportError` with one ``FILE:ROW: message`` per
    problem, and nothing is applied. Rows already decided are left as they are."""
    target = Path(path)
    where = str(target)
    rows = read_rows(target, sheet="reconcile")
    header_line, header = rows[0]
    names = [cell_text(header, i).casefold() for i in range(len(header))]

    def col(name: str) -> int | None:
        return names.index(name) if name in names else None

    cols = {n: col(n) for n in ("document", "start", "end", "code", "decision", "note")}
    missing = [n for n in ("document", "start", "end", "code", "decision") if cols[n] is None]
    if missing:
        raise InputError(f"no {', '.join(repr(m) for m in missing)} column{'s' * (len(missing) != 1)} "
                         f"(columns: {', '.join(n for n in names if n) or 'none'})", path=where, line=header_line)
    pending = {it.key: it for it in p.pending}
    cmp = p.comparison
    disagree_keys = {(cmp.names[cmp.units[i].document_id], cmp.units[i].start, cmp.units[i].end, path_)
                     for (i, path_) in cmp.marks if cmp.state((i, path_)) == "disagreement"}
    docs = set(project.store.documents.names().values())
    key_file = project_key(project)  # a sheet exported pseudonymized names its documents so
    aliases = name_aliases(key_file.pseudonymizer() if key_file is not None else None, docs)
    codes = set(project.store.codes.paths())
    report = ImportReport(where, dry_run=dry_run)
    problems: list[str] = []
    planned: list[tuple[Disagreement, str, str]] = []
    seen: dict[tuple, int] = {}
    for line, cells in rows[1:]:
        get = {n: cell_text(cells, c) for n, c in cols.items()}
        if not any(get.values()):
            continue
        report.rows += 1

        def problem(msg: str, line: int = line) -> None:
            problems.append(f"{where}:{line}: {msg}")

        named = [get["document"]] if get["document"] in docs else aliases.get(get["document"], [])
        if not named:
            problem(f"no document named {get['document']!r} (is this sheet from another project?)")
            continue
        start, end = cell_int(get["start"]), cell_int(get["end"])
        if start is None or end is None:
            problem(f"start and end must be character offsets, got {get['start'][:40]!r} and {get['end'][:40]!r}")
            continue
        if get["code"] not in codes:
            problem(f"unknown code {get['code']!r}")
            continue
        if len(named) > 1:  # two documents with one pseudonymized name: the one with this disagreement
            found = [n for n in named if (n, start, end, get["code"]) in disagree_keys]
            if len(found) > 1:
                problem(f"{get['document']!r} names {len(found)} documents with this disagreement "
                        f"({', '.join(found)}): export the sheet with --no-pseudo")
                continue
            named = found or named[:1]
        key = (named[0], start, end, get["code"])
        if key in seen:
            problem(f"this unit and code appear twice (first on row {seen[key]})")
            continue
        seen[key] = line
        word = get["decision"].casefold()
        if not word:
            decision = ""
        elif word in KEEP_WORDS:
            decision = "keep"
        elif word in DROP_WORDS:
            decision = "drop"
        else:
            problem(f"bad decision {get['decision']!r}: expected keep or drop (or empty)")
            continue
        if key not in disagree_keys:
            problem(f"{key[0]} {key[1]}:{key[2]} {key[3]} is not a disagreement between "
                    f"{', '.join(cmp.coders)} on {cmp.unit_kind} units (any more?)")
            continue
        if not decision:
            report.empty += 1
            continue
        if key not in pending:
            report.already += 1
            continue
        planned.append((pending[key], decision, get["note"]))
    if problems:
        raise ReconcileImportError(where, problems)
    store = project.store
    try:
        with store.transaction():
            for item, decision, note in planned:
                decide(project, item, decision, p.consensus, note=note or None)
                if decision == "keep":
                    report.kept += 1
                else:
                    report.dropped += 1
                report.notes += bool(note)
            if report.kept or report.dropped:
                store.history.log(project.user, command, "reconcile-import",
                          f"{where}: {report.kept} kept, {report.dropped} dropped for consensus {p.consensus}",
                          {"file": where, "consensus": p.consensus, "coders": cmp.coders, "kept": report.kept,
                           "dropped": report.dropped, "empty": report.empty, "already": report.already,
                           "notes": report.notes})
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return report


class _DryRun(Exception):
    pass
