"""Reviewing proposed codings (``qualcode review``): decisions, undo, context, spreadsheets.

No terminal code here: the interactive session lives in :mod:`qualcode.cli.review`.

What is reviewed
================
* **Proposals**: codings with status ``proposed`` (by default those of coder ``rules``,
  i.e. made by ``autocode``). Decisions: ``accept``, ``reject``, ``recode`` (the proposal
  becomes ``rejected`` and the reviewer gets an accepted coding of the chosen code on the
  same span, origin ``review``), ``add`` (the reviewer gets an accepted coding of another
  code on the same span; the proposal itself stays pending until it is accepted or
  rejected), ``skip``.
* **Queued codings**: rows of ``review_queue``, filled when a code is split (``qualcode
  codebook split``): codings of the old code that must be assigned to one of the new
  codes. Decision: ``assign`` (the coding's code is changed in place; its status is
  kept: a queued proposal is then reviewed as a proposal).

Every decision is its own transaction, logged in ``review_log`` (who, when, from/to
status and code, the coding it created) and applied at once, so an interrupted session
loses nothing. :func:`undo` reverses the last decision of a user that is not undone yet.

Order and resuming. :func:`pending` returns what is still pending, by document name then
position; an item whose last decision is a ``skip`` comes after all the others. A new
session therefore starts with the first proposal nobody decided nor skipped.

Decisions survive ``autocode``: it keeps rule codings whose status is ``accepted`` or
``rejected`` and never re-adds a (document, code, span) that exists, so a rejected unit
is not proposed again after the codebook is edited; the reviewer's own codings (coder =
the reviewer) are never touched by it.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualcode.annotations import load_annotations
from qualcode.codebook import load_codebook
from qualcode.codebook.parser import did_you_mean
from qualcode.coders import RULES_CODER
from qualcode.errors import InputError, QualcodeError
from qualcode.exporters.base import atomic_write, provenance_for
from qualcode.lookup import select_documents
from qualcode.nlp import Pipeline, load_pipeline
from qualcode.pseudo.apply import SheetTexts
from qualcode.pseudo.key import project_key
from qualcode.pseudo.replace import Pseudonymizer
from qualcode.rules import CompiledCodebook, compile_codebook, explain
from qualcode.sheets import (
    SheetProblems,
    cell_int,
    cell_text,
    decision_csv,
    read_rows,
    write_decision_csv,
    write_decision_xlsx,
)
from qualcode.store import TurnIndex, now
from qualcode.store.codes import Code
from qualcode.store.codings import ReviewRow
from qualcode.textnorm import fold

if TYPE_CHECKING:
    from qualcode.project import Project

DECISIONS = ("accept", "reject", "recode", "add", "assign", "skip")
REVIEW_ORIGIN = "review"
EXPORT_COLUMNS = ("id", "document", "turn", "speaker", "code", "label", "text", "origin", "decision", "note")


# --------------------------------------------------------------------------- items


@dataclass
class ReviewItem:
    """One thing to review: a proposal, or a coding waiting for a code after a split."""

    coding_id: int
    document: str
    document_id: int
    turn: int | None  # 1-based index of the turn holding the coding's start
    start: int
    end: int
    unit: str
    code: str
    code_label: str
    coder: str
    origin: str
    status: str
    text: str
    codebook_version: str | None
    queue_reason: str | None = None
    choices: list[str] | None = None  # set for queued codings: code paths to choose from
    skipped: bool = False  # its last decision is a skip

    @property
    def queued(self) -> bool:
        return self.choices is not None

    @property
    def pending(self) -> bool:
        return self.queued or self.status == "proposed"

    def to_dict(self) -> dict:
        return asdict(self) | {"queued": self.queued}


def _under(path: str, code: str) -> bool:
    return path == code or path.startswith(code + "/")


def _items(project: Project, rows: list[ReviewRow]) -> list[ReviewItem]:
    turns = TurnIndex(project.store)
    out = []
    for r in rows:
        k = r.coding
        out.append(ReviewItem(
            coding_id=k.id, document=k.document, document_id=k.document_id, turn=turns.number(k.document_id, k.start),
            start=k.start, end=k.end, unit=k.unit, code=k.code, code_label=k.code_label,
            coder=k.coder, origin=k.origin, status=k.status, text=k.text,
            codebook_version=k.codebook_version, queue_reason=r.queue_reason, choices=r.queue_choices,
            skipped=r.skipped))
    return out


def _check_filters(project: Project, code: str | None, doc: str | None) -> None:
    store = project.store
    if doc is not None and store.documents.by_name(doc) is None:
        raise QualcodeError(f"no document named {doc!r} (see 'qualcode docs')")
    if code is not None:
        paths = store.codes.paths()
        if not any(_under(p, code) for p in paths):
            raise QualcodeError(f"no code {code!r}{did_you_mean(code, paths)}")


def pending(project: Project, code: str | None = None, doc: str | None = None,
            coder: str | None = RULES_CODER) -> list[ReviewItem]:
    """What is left to review, in review order.

    Proposals (status ``proposed``) of ``coder`` (``None``: any coder) and every coding
    waiting in ``review_queue`` (whatever its coder), in document name then position
    order; items whose last decision was a skip come last. ``code`` selects the code and
    its sub-codes (for queued codings: their code or one of their choices); ``doc`` one
    document.
    """
    _check_filters(project, code, doc)
    items = _items(project, project.store.codings.select_for_review(pending=True, coder=coder, document=doc))
    if code is not None:
        items = [it for it in items
                 if _under(it.code, code) or any(_under(c, code) for c in it.choices or ())]
    items.sort(key=lambda it: (it.skipped, it.document, it.start, it.end, it.code, it.coding_id))
    return items


def get_item(project: Project, coding_id: int) -> ReviewItem:
    """The coding as a review item, whatever its status."""
    found = _items(project, project.store.codings.select_for_review(ids=[coding_id]))
    if not found:
        raise QualcodeError(f"no coding with id {coding_id}")
    return found[0]


# --------------------------------------------------------------------------- context


@dataclass
class TurnText:
    index: int  # 1-based
    speaker: str | None
    role: str
    start: int
    end: int
    text: str


@dataclass
class Context:
    """What the reviewer sees: the unit in its turn, the turns around it, the code."""

    item: ReviewItem
    turn: TurnText | None
    previous: TurnText | None
    next: TurnText | None
    matches: list[tuple[int, int]]  # document offsets of the matched words, inside the unit
    code: dict  # path, label, color, definition, when_to_use, when_not_to_use
    others: list[dict] = field(default_factory=list)  # other codings of the same span


def code_info(project: Project, path: str) -> dict:
    c = project.store.codes.by_path(path)
    return ({"path": c.path, "label": c.label, "color": c.color, "definition": c.definition,
             "when_to_use": c.when_to_use, "when_not_to_use": c.when_not_to_use, "status": c.status} if c else
            {"path": path, "label": path, "color": None, "definition": None,
             "when_to_use": None, "when_not_to_use": None, "status": None})


def origin_spans(item: ReviewItem) -> list[tuple[int, int]]:
    """Matched words quoted in the coding's origin (``… terms[0] "fosse"``), found in the unit."""
    spans = set()
    for word in re.findall(r'"([^"]+)"', item.origin or ""):
        for m in re.finditer(re.escape(word), item.text):
            spans.add((item.start + m.start(), item.start + m.end()))
    return sorted(spans)


class Highlighter:
    """Finds the words that made a rule propose a coding.

    Runs :func:`qualcode.rules.explain` on the coding's turn with the project's current
    codebook and the cached annotation, and keeps the positive, non-blocked matches of
    the coding's code inside the unit. The codebook and pipeline are loaded on first use.
    When that gives nothing (no codebook, the code is no longer in it, the rules changed)
    the words quoted in the coding's origin are highlighted instead; highlighting never
    makes the review fail.
    """

    def __init__(self, project: Project, codebook: str | Path | None = None, *, enabled: bool = True):
        self.project = project
        self.codebook = codebook
        self.enabled = enabled
        self._ready = False
        self._compiled: CompiledCodebook | None = None
        self._pipeline: Pipeline | None = None
        self._paths: set[str] = set()
        self._annotations: dict[int, Any] = {}

    def _setup(self) -> None:
        self._ready = True
        try:
            cb = load_codebook(self.project.codebook_path(self.codebook))
            self._pipeline = load_pipeline(self.project.language)
            self._compiled = compile_codebook(cb, self._pipeline)
            self._paths = {c.path for c in cb.walk()}
        except Exception:  # noqa: BLE001 - cosmetic feature (codebook, spaCy, cache may fail): fall back to the origin's words
            self._compiled = None

    def spans(self, item: ReviewItem) -> list[tuple[int, int]]:
        if not self.enabled:
            return []
        if item.coder == RULES_CODER and item.turn is not None:
            if not self._ready:
                self._setup()
            if self._compiled is not None and item.code in self._paths:
                try:
                    found = self._explain(item)
                except Exception:  # noqa: BLE001 - stale cache, changed turns …: cosmetic, fall back
                    found = []
                if found:
                    return found
        return origin_spans(item)

    def _explain(self, item: ReviewItem) -> list[tuple[int, int]]:
        # spans() calls this for a rules coding in a turn, once the codebook is compiled
        assert self._compiled is not None and self._pipeline is not None and item.turn is not None
        store = self.project.store
        if item.document_id not in self._annotations:
            doc = select_documents(self.project, [item.document], suggest_names=False)[0]
            anns, _, _ = load_annotations(self.project, [doc], self._pipeline, write=False)
            self._annotations[item.document_id] = anns[doc.id]
        roles = [t.role for t in store.documents.turns(item.document_id)]
        ex = explain(self._compiled, self._annotations[item.document_id], item.turn - 1, roles,
                     include_interviewer=True)
        return sorted({(m.start, m.end) for h in ex.hits
                       if h.code_path == item.code and not h.exclude and not h.blocked
                       for m in h.matches if item.start <= m.start and m.end <= item.end})


def context(project: Project, coding: ReviewItem | int, *, highlighter: Highlighter | None = None) -> Context:
    """The unit, its turn, the previous and next turns, the matched words and the code."""
    item = coding if isinstance(coding, ReviewItem) else get_item(project, coding)
    store = project.store
    text = store.documents.text(item.document_id)
    turns = store.documents.turns(item.document_id)

    def turn_text(i: int) -> TurnText | None:
        if not 0 <= i < len(turns):
            return None
        t = turns[i]
        return TurnText(t.idx, t.speaker, t.role, t.start, t.end, text[t.start:t.end])

    turn = prev = nxt = None
    if item.turn is not None:
        turn, prev, nxt = turn_text(item.turn - 1), turn_text(item.turn - 2), turn_text(item.turn)
    hl = highlighter if highlighter is not None else Highlighter(project)
    others = [{"code": k.code, "coder": k.coder, "status": k.status}
              for k in store.codings.select(document_ids=[item.document_id], span=(item.start, item.end))
              if k.id != item.coding_id]
    return Context(item=item, turn=turn, previous=prev, next=nxt, matches=hl.spans(item),
                   code=code_info(project, item.code), others=others)


# --------------------------------------------------------------------------- codes


def code_tree(project: Project, include_retired: bool = False) -> list[dict]:
    """Codes in codebook (tree) order: path, label, color, depth, status."""
    rows = project.store.codes.all()
    children: dict[int | None, list[Code]] = {}
    ids = {r.id for r in rows}
    for r in rows:
        parent = r.parent_id if r.parent_id in ids else None
        children.setdefault(parent, []).append(r)
    out: list[dict] = []

    def walk(parent: int | None, depth: int) -> None:
        for r in children.get(parent, []):
            if include_retired or r.status == "active":
                out.append({"path": r.path, "label": r.label, "color": r.color, "depth": depth,
                            "status": r.status})
            walk(r.id, depth + 1)

    walk(None, 0)
    return out


def find_codes(project: Project, query: str = "") -> list[dict]:
    """Active codes whose path or label contains every word of ``query`` (ignoring case
    and accents), in tree order; an empty query gives every code."""
    words = fold(query).split()
    return [c for c in code_tree(project)
            if all(w in fold(f"{c['path']} {c['label']}") for w in words)]


def _code_id(project: Project, path: str) -> int:
    row = project.store.codes.by_path(path)
    if row is None:
        paths = project.store.codes.paths()
        raise QualcodeError(f"no code {path!r}{did_you_mean(path, paths)}")
    if row.status != "active":
        raise QualcodeError(f"code {path!r} is retired")
    return row.id


# --------------------------------------------------------------------------- decisions


@dataclass
class Decision:
    log_id: int
    action: str
    coding_id: int | None
    from_status: str | None
    to_status: str | None
    from_code: str | None
    to_code: str | None
    created_coding_id: int | None = None

    def describe(self) -> str:
        what = {"accept": "accepted", "reject": "rejected", "skip": "skipped",
                "recode": f"rejected, recoded as {self.to_code}", "add": f"added {self.to_code}",
                "assign": f"assigned to {self.to_code}"}.get(self.action, self.action)
        return f"#{self.coding_id} {self.from_code}: {what}"


def _log(project: Project, coding_id: int | None, action: str, from_status, to_status, from_code, to_code,
         created: int | None, user: str) -> int:
    return project.store.review.log(coding_id=coding_id, action=action, from_status=from_status,
                                    to_status=to_status, from_code=from_code, to_code=to_code, user=user,
                                    created_coding_id=created)


def decide(project: Project, coding_id: int, action: str, *, to_code: str | None = None,
           user: str | None = None) -> Decision:
    """Apply one review decision, in its own transaction, and log it in review_log.

    action: ``accept`` | ``reject`` | ``recode`` (needs ``to_code``) | ``add`` (needs
    ``to_code``) | ``skip`` for proposals; ``assign`` (needs ``to_code``) | ``skip`` for
    codings waiting in the review queue.
    """
    if action not in DECISIONS:
        raise QualcodeError(f"unknown decision {action!r} (choose from {', '.join(DECISIONS)})")
    user = user or project.user
    store = project.store
    with store.transaction():
        item = get_item(project, coding_id)
        if action == "assign":
            return _assign(project, item, to_code, user)
        if action == "skip":
            if not item.pending:
                raise QualcodeError(f"coding {coding_id} is not pending any more ({item.status})")
            log_id = _log(project, coding_id, "skip", item.status, item.status, item.code, item.code, None, user)
            return Decision(log_id, "skip", coding_id, item.status, item.status, item.code, item.code)
        if item.queued:
            raise QualcodeError(f"coding {coding_id} waits for a code after a split ({item.queue_reason}):"
                                " assign it one of " + ", ".join(item.choices or []) + " first")
        if item.status != "proposed":
            raise QualcodeError(f"coding {coding_id} is not pending any more ({item.status})")
        ts = now()
        if action in ("accept", "reject"):
            to_status = "accepted" if action == "accept" else "rejected"
            store.codings.set_status([coding_id], to_status, at=ts)
            log_id = _log(project, coding_id, action, "proposed", to_status, item.code, item.code, None, user)
            return Decision(log_id, action, coding_id, "proposed", to_status, item.code, item.code)
        # recode / add: a coding of another code on the same span, by the reviewer
        if not to_code:
            raise QualcodeError(f"{action} needs a code")
        if to_code == item.code:
            raise QualcodeError(f"coding {coding_id} already has code {to_code!r}"
                                + (": accept it instead" if action == "recode" else ""))
        code_id = _code_id(project, to_code)
        existing = store.codings.find(document_id=item.document_id, code_id=code_id, coder=user, start=item.start,
                                      end=item.end)
        created = None
        if existing is None:
            created = store.codings.add(document_id=item.document_id, code_id=code_id, start=item.start,
                                        end=item.end, coder=user, origin=REVIEW_ORIGIN, status="accepted",
                                        unit=item.unit, at=ts)
        elif action == "add":
            raise QualcodeError(f"{user} already coded this span with {to_code!r}")
        to_status = "proposed"
        if action == "recode":
            to_status = "rejected"
            store.codings.set_status([coding_id], "rejected", at=ts)
        log_id = _log(project, coding_id, action, "proposed", to_status, item.code, to_code, created, user)
        return Decision(log_id, action, coding_id, "proposed", to_status, item.code, to_code, created)


def _assign(project: Project, item: ReviewItem, to_code: str | None, user: str) -> Decision:
    store = project.store
    queue = store.review.queued(item.coding_id)
    if queue is None:
        raise QualcodeError(f"coding {item.coding_id} is not waiting for a code")
    if not to_code:
        raise QualcodeError("assign needs a code")
    code_id = _code_id(project, to_code)
    clash = store.codings.find(document_id=item.document_id, code_id=code_id, coder=item.coder, start=item.start,
                               end=item.end)
    if clash is not None and clash.id != item.coding_id:
        raise QualcodeError(f"{item.coder} already has a {to_code!r} coding on this span (#{clash.id})")
    store.codings.move(item.coding_id, code_id=code_id)
    store.review.dequeue(item.coding_id)
    log_id = _log(project, item.coding_id, "assign", item.status, item.status, item.code, to_code, None, user)
    # review_log has no room for the queue entry: keep it in the history, for undo.
    store.history.log(user, "review", "review-assign", f"coding {item.coding_id}: {item.code} -> {to_code}",
              {"review_log_id": log_id, "coding_id": item.coding_id, "from_code": item.code, "to_code": to_code,
               "reason": queue.reason, "choices": queue.choices,
               "queued_at": queue.created_at})
    return Decision(log_id, "assign", item.coding_id, item.status, item.status, item.code, to_code)


def undo(project: Project, user: str | None = None) -> Decision | None:
    """Reverse the last decision of ``user`` (default: the project user) not undone yet.

    Restores the coding's status (and code, and queue entry, for ``assign``), deletes the
    coding the decision created (``recode``, ``add``), marks the decision undone and logs
    an ``undo`` row. Returns the decision undone, or None when there is nothing to undo.
    """
    user = user or project.user
    store = project.store
    with store.transaction():
        row = store.review.last_undoable(user)
        if row is None:
            return None
        action, cid, ts = row.action, row.coding_id, now()
        alive = cid if cid is not None and store.codings.exists(ids=[cid]) else None  # the coding, if not deleted
        if alive is not None and action in ("accept", "reject", "recode"):
            assert row.from_status is not None  # these decisions log the status they changed
            store.codings.set_status([alive], row.from_status, at=ts)
        if action in ("recode", "add") and row.created_coding_id is not None:
            store.codings.delete([row.created_coding_id])
        if action == "assign" and alive is not None:
            code = store.codes.by_path(row.from_code) if row.from_code is not None else None
            if code is None:
                raise QualcodeError(f"cannot undo: code {row.from_code!r} no longer exists")
            store.codings.move(alive, code_id=code.id, at=ts)
            hist = store.history.latest("review-assign", detail="review_log_id", value=row.id)
            details = hist.details if hist else {}
            store.review.enqueue([alive], reason=details.get("reason", f"undo of assign to {row.to_code}"),
                                 choices=details.get("choices", [row.to_code]),
                                 created_at=details.get("queued_at", ts), replace=False)
        store.review.mark_undone(row.id)
        _log(project, cid, "undo", row.to_status, row.from_status, row.to_code, row.from_code,
             None, user)
    return Decision(row.id, action, cid, row.from_status, row.to_status, row.from_code,
                    row.to_code, row.created_coding_id)


def review_log(project: Project, user: str | None = None) -> list[dict]:
    """The decision log (oldest first), optionally for one user."""
    return [d.to_dict() for d in project.store.review.decisions(user=user)]


# --------------------------------------------------------------------------- spreadsheets


@dataclass
class ExportReport:
    path: str
    format: str
    rows: int
    queued_left_out: int  # codings waiting for a code: reviewed interactively only
    text: str | None = None  # the CSV, when path is "-" (standard output): nothing written

    def to_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if k != "text"}


def _export_rows(project: Project, items: list[ReviewItem], pseudo: Pseudonymizer | None = None) -> list[dict]:
    speakers: dict[int, list] = {}
    texts = SheetTexts(project.store, pseudo)
    rows = []
    for it in items:
        if it.document_id not in speakers:
            speakers[it.document_id] = project.store.documents.turns(it.document_id)
        turns = speakers[it.document_id]
        speaker = turns[it.turn - 1].speaker if it.turn else None
        rows.append({"id": it.coding_id, "document": texts.name(it.document), "turn": it.turn,
                     "speaker": texts.text(speaker) or "", "code": it.code, "label": texts.text(it.code_label),
                     "text": texts.slice(it.document_id, it.start, it.end, it.text), "origin": it.origin,
                     "decision": "", "note": ""})
    return rows


def export_review(project: Project, path: str | Path, *, code: str | None = None, doc: str | None = None,
                  coder: str | None = RULES_CODER, force: bool = False, command: str = "qualcode review --export",
                  pseudo: Pseudonymizer | None = None) -> ExportReport:
    """Write the pending proposals to ``path`` (.xlsx or .csv) with empty decision/note columns.
    ``path`` ``"-"``: the CSV is returned in the report's ``text`` instead (standard output).
    ``pseudo``: the pseudonym key applied to the document names, speakers, labels and texts
    (the ids, which the import reads, stay)."""
    p = Path(path)
    to_stdout = str(path) == "-"
    fmt = "csv" if to_stdout else p.suffix.lower().lstrip(".")
    if fmt not in ("xlsx", "csv"):
        raise QualcodeError(f"unsupported review file type {p.suffix!r} (use .xlsx or .csv)")
    items = pending(project, code=code, doc=doc, coder=coder)
    proposals = [it for it in items if not it.queued]
    rows = _export_rows(project, proposals, pseudo)
    prov = provenance_for(project, command, filters={"code": code, "doc": doc, "coder": coder},
                          coders=[coder] if coder else None)
    if to_stdout:
        return ExportReport("-", fmt, len(rows), len(items) - len(proposals),
                            text=decision_csv(EXPORT_COLUMNS, rows, prov, newline="\n"))
    with atomic_write(p, force=force) as tmp:
        if fmt == "csv":
            write_decision_csv(tmp, EXPORT_COLUMNS, rows, prov)
        else:
            write_decision_xlsx(
                tmp, sheet="review", columns=EXPORT_COLUMNS, rows=rows,
                widths={"id": 8, "document": 26, "turn": 6, "speaker": 16, "code": 30, "label": 22, "text": 80,
                        "origin": 32, "decision": 28, "note": 36},
                choices=["accept", "reject", *[c["path"] for c in code_tree(project)]], choices_sheet=True,
                validation={"showDropDown": False, "errorStyle": "warning", "errorTitle": "decision",
                            "error": "accept, reject, or a code path (to recode)", "promptTitle": "decision",
                            "prompt": "accept, reject, a code path to recode, or empty",
                            "showInputMessage": True},
                about=("qualcode review sheet",
                       "Fill the 'decision' column: accept, reject, or a code path (the proposal is rejected and "
                       "its text coded with that code); leave it empty to decide later. Then run: "
                       "qualcode review --import FILE"),
                provenance=prov)
    return ExportReport(str(p), fmt, len(rows), len(items) - len(proposals))


@dataclass
class ImportReport:
    path: str
    rows: int = 0
    accepted: int = 0
    rejected: int = 0
    recoded: int = 0
    unchanged: int = 0
    notes: int = 0
    dry_run: bool = False
    changes: list[dict] = field(default_factory=list)  # id, document, code, decision, to_code

    def to_dict(self) -> dict:
        return asdict(self)


class ReviewImportError(SheetProblems):
    """Problems found in a review file; nothing was imported."""


ACCEPT_WORDS = ("accept", "a", "accepted")
REJECT_WORDS = ("reject", "r", "rejected")


def import_review(project: Project, path: str | Path, *, dry_run: bool = False,
                  command: str = "qualcode review --import") -> ImportReport:
    """Apply the decisions of a filled review sheet (from :func:`export_review`).

    Every row is checked first: unknown id, coding not pending any more, wrong document,
    id twice, bad decision, unknown or retired code path. Any problem raises
    :class:`ReviewImportError` with one line per problem (``FILE:ROW: message``) and
    nothing is applied. Otherwise all decisions are applied in one transaction (each one
    logged in review_log, so ``undo`` works on them too) and non-empty notes are saved as
    memos on the codings. A sheet exported pseudonymized is read the same way: the id
    finds the coding; its document may be named by its pseudonymized name.
    """
    p = Path(path)
    where = str(p)
    rows = read_rows(p, sheet="review")
    header_line, header = rows[0]
    names = [cell_text(header, i).casefold() for i in range(len(header))]

    def col(name: str) -> int | None:
        return names.index(name) if name in names else None

    id_col, dec_col, doc_col, note_col = col("id"), col("decision"), col("document"), col("note")
    missing = [n for n, c in (("id", id_col), ("decision", dec_col)) if c is None]
    if missing:
        raise InputError(f"no {' and '.join(repr(m) for m in missing)} column (columns: "
                         f"{', '.join(n for n in names if n) or 'none'})", path=where, line=header_line)
    store = project.store
    paths = {c.path: c.status for c in store.codes.all()}
    key_file = project_key(project)
    # a sheet exported pseudonymized names its documents by their pseudonymized names
    aliases = SheetTexts(store, key_file.pseudonymizer() if key_file is not None else None)
    problems: list[str] = []
    planned: list[tuple[int, int, str, str | None, str]] = []  # line, id, action, to_code, note
    seen: dict[int, int] = {}
    report = ImportReport(path=where, dry_run=dry_run)
    for line, cells in rows[1:]:
        raw_id, decision, note = cell_text(cells, id_col), cell_text(cells, dec_col), cell_text(cells, note_col)
        if not raw_id and not decision and not note:
            continue
        report.rows += 1

        def problem(msg: str, line: int = line) -> None:
            problems.append(f"{where}:{line}: {msg}")

        parsed = cell_int(raw_id)
        if parsed is None:
            problem(f"id {raw_id[:40]!r} is not a coding id" if raw_id else "empty id")
            continue
        cid = parsed
        if cid in seen:
            problem(f"id {cid} appears twice (first on row {seen[cid]})")
            continue
        seen[cid] = line
        found = store.codings.select_for_review(ids=[cid])
        if not found:
            problem(f"no coding with id {cid} (is this file from another project?)")
            continue
        row, queued = found[0].coding, found[0].queue_choices is not None
        doc_name = cell_text(cells, doc_col)
        if doc_col is not None and doc_name and doc_name not in (row.document, aliases.name(row.document)):
            problem(f"coding {cid} is in document {row.document!r}, not {doc_name!r} "
                    "(is this file from another project?)")
            continue
        key = decision.casefold()
        if not key:
            action, to_code = "", None
        elif key in ACCEPT_WORDS:
            action, to_code = "accept", None
        elif key in REJECT_WORDS:
            action, to_code = "reject", None
        elif decision in paths:
            if paths[decision] != "active":
                problem(f"code {decision!r} is retired")
                continue
            action, to_code = ("accept", None) if decision == row.code else ("recode", decision)
        else:
            if "/" in decision or decision in {p_.split("/")[0] for p_ in paths}:
                problem(f"unknown code path {decision!r}{did_you_mean(decision, list(paths))}")
            else:
                problem(f"bad decision {decision!r}: expected accept, reject or a code path"
                        f"{did_you_mean(decision, ['accept', 'reject', *paths])}")
            continue
        if action and row.status != "proposed":
            problem(f"coding {cid} is not pending any more ({row.status})")
            continue
        if action and queued:
            problem(f"coding {cid} waits for a code after a split: assign it in 'qualcode review'")
            continue
        if not action:
            report.unchanged += 1
        planned.append((line, cid, action, to_code, note))
    if problems:
        raise ReviewImportError(where, problems)

    user = project.user
    counter = {"accept": "accepted", "reject": "rejected", "recode": "recoded"}
    try:
        with store.transaction():
            for _line, cid, action, to_code, note in planned:
                if action:
                    d = decide(project, cid, action, to_code=to_code, user=user)
                    setattr(report, counter[action], getattr(report, counter[action]) + 1)
                    report.changes.append({"id": cid, "decision": action, "from_code": d.from_code,
                                           "to_code": d.to_code if action == "recode" else None})
                if note and not store.memos.exists(target_type="coding", target_id=cid, text=note, author=user):
                    store.memos.add(target_type="coding", target_id=cid, text=note, author=user)
                    report.notes += 1
            if report.accepted + report.rejected + report.recoded + report.notes:
                store.history.log(user, command, "review-import",
                          f"{where}: {report.accepted} accepted, {report.rejected} rejected, "
                          f"{report.recoded} recoded, {report.unchanged} unchanged",
                          {"file": where, "accepted": report.accepted, "rejected": report.rejected,
                           "recoded": report.recoded, "unchanged": report.unchanged, "notes": report.notes})
            if dry_run:
                raise _DryRun  # roll back: the counts are what an import would do
    except _DryRun:
        pass
    return report


class _DryRun(Exception):
    pass
