"""Codings: spans of a document coded with a code by a coder.

The central rule of qualcode lives here: a coding's ``text`` equals the document text
between its offsets, ``text[start:end]``, after every operation. Every feature writes
codings through :meth:`Codings.add` / :meth:`Codings.add_many` and :meth:`Codings.move`,
which take the text from the document itself (a caller cannot give another one; it may
give the text it expects, and is refused if the document says otherwise) and refuse
offsets outside ``0 <= start < end <= len(text)``. The other writes
(:meth:`Codings.set_status`, :meth:`Codings.set_memo`, :meth:`Codings.set_version`,
:meth:`Codings.set_origins`, :meth:`Codings.delete`) cannot touch offsets or text, so the
rule is stated once, in :meth:`Codings._checked`.

Reads go through :meth:`Codings.select`, which returns :class:`Coding` records carrying
the document name and the code path, label and status (every caller wants some of them);
:meth:`Codings.count`, :meth:`Codings.exists`, :meth:`Codings.coders` and
:meth:`Codings.document_ids` take the same filters. The one lean variant,
:meth:`Codings.spans`, is for the paths that read every coding of a project (reports,
agreement, auto-coding): it leaves out the text, memo, code label and timestamps (see its
docstring for the measure).

The ``UNIQUE (document_id, code_id, coder, start, end)`` constraint: a coder codes a span
with a code once. Callers look for an existing coding with :meth:`Codings.find` and decide
(refuse with their own message, or collapse two codings as a codebook merge does); a
write that would break the constraint anyway is refused with a :class:`QualcodeError`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypedDict

from qualcode.errors import QualcodeError
from qualcode.store.connection import Connection, now, placeholders

if TYPE_CHECKING:
    from typing_extensions import Unpack

STATUSES = ("proposed", "accepted", "rejected")
UNITS = ("sentence", "turn", "span")

Order = Literal["position", "document", "id"]

# "position": reading order across the project (document name, offsets, code path, coder);
# a total order, since (document, code, coder, start, end) is unique. "document": by
# document id and offsets, ties by id. "id": creation order.
_ORDER_BY = {
    "position": 'd.name, k.start, k."end", c.path, k.coder',
    "document": 'k.document_id, k.start, k."end", k.id',
    "id": "k.id",
}

_SPAN_COLUMNS = ('k.id, k.document_id, d.name, k.code_id, c.path, c.status, k.start, k."end", k.unit, k.coder,'
                 " k.origin, k.status, k.codebook_version")
_COLUMNS = _SPAN_COLUMNS + ", c.label, k.text, k.memo, k.created_at, k.updated_at"
_FROM = " FROM codings k JOIN documents d ON d.id = k.document_id JOIN codes c ON c.id = k.code_id"


@dataclass(slots=True)
class CodedSpan:
    """A stored coding without its text, memo, code label and timestamps (see
    :meth:`Codings.spans`), with its document's name and its code's path and status.

    Read-only by intent but not frozen: a frozen dataclass is built field by field through
    ``object.__setattr__`` (3 µs a record, against 0.3 µs), which cost 0.12 s for the
    40,000 codings that every report reads."""

    id: int
    document_id: int
    document: str  # the document's name
    code_id: int
    code: str  # the code's path
    code_status: str  # 'active' | 'retired'
    start: int
    end: int
    unit: str  # 'sentence' | 'turn' | 'span'
    coder: str  # 'rules' or a person
    origin: str  # rule id, 'manual', 'review', ...
    status: str  # 'proposed' | 'accepted' | 'rejected'
    codebook_version: str | None


@dataclass(slots=True)
class Coding(CodedSpan):
    """A stored coding, with its document's name and its code's path, label and status."""

    code_label: str
    text: str  # always the document's text[start:end]
    memo: str | None
    created_at: str
    updated_at: str


@dataclass(slots=True)
class NewCoding:
    """A coding to add. ``text``: the text the caller expects at ``start:end`` (optional);
    the stored text is always the document's, and a different expectation is refused.
    Not frozen, for the same reason as :class:`Coding` (auto-coding builds tens of
    thousands)."""

    document_id: int
    code_id: int
    start: int
    end: int
    coder: str
    origin: str
    status: str = "proposed"
    unit: str = "span"
    codebook_version: str | None = None
    memo: str | None = None
    text: str | None = None


@dataclass(frozen=True, slots=True)
class ReviewRow:
    """A coding with its review state (see :meth:`Codings.select_for_review`)."""

    coding: Coding
    queue_reason: str | None  # set when the coding waits in the review queue
    queue_choices: list[str] | None  # the code paths to choose from (queued codings only)
    skipped: bool  # its last decision (not undone) is a skip


def _order_by(order: Order | None) -> str:
    return "" if order is None else " ORDER BY " + _ORDER_BY[order]


def _ids_json(values: Iterable[int]) -> str:
    return json.dumps([int(v) for v in values])


class _Where:
    """The WHERE clause shared by select, count, exists, coders and document_ids."""

    def __init__(self) -> None:
        self.clauses: list[str] = []
        self.params: list[Any] = []

    def ids(self, column: str, values: Iterable[int] | None) -> None:
        if values is not None:  # a JSON array: any number of ids in one parameter
            self.clauses.append(f"{column} IN (SELECT value FROM json_each(?))")
            self.params.append(_ids_json(values))

    def values(self, column: str, values: Iterable[str] | None) -> None:
        if values is not None:
            vs = list(values)
            self.clauses.append(f"{column} IN ({placeholders(len(vs))})" if vs else "0")
            self.params += vs

    def sql(self) -> str:
        return " WHERE " + " AND ".join(self.clauses) if self.clauses else ""


class Filters(TypedDict, total=False):
    """The filters of :meth:`Codings.select` and its siblings (see :class:`Codings`)."""

    ids: Iterable[int] | None
    document_ids: Iterable[int] | None
    documents: Iterable[str] | None
    code_ids: Iterable[int] | None
    codes: Iterable[str] | None
    under: str | None
    coders: Iterable[str] | None
    statuses: Iterable[str] | None
    units: Iterable[str] | None
    active_codes: bool
    span: tuple[int, int] | None
    overlapping: tuple[int, int] | None


def _where(*, ids: Iterable[int] | None = None, document_ids: Iterable[int] | None = None,
           documents: Iterable[str] | None = None, code_ids: Iterable[int] | None = None,
           codes: Iterable[str] | None = None, under: str | None = None,
           coders: Iterable[str] | None = None, statuses: Iterable[str] | None = None,
           units: Iterable[str] | None = None, active_codes: bool = False,
           span: tuple[int, int] | None = None, overlapping: tuple[int, int] | None = None) -> _Where:
    w = _Where()
    w.ids("k.id", ids)
    w.ids("k.document_id", document_ids)
    w.values("d.name", documents)
    w.ids("k.code_id", code_ids)
    w.values("c.path", codes)
    if under is not None:
        w.clauses.append("(c.path = ? OR c.path LIKE ? ESCAPE '\\')")
        w.params += [under, under.replace("_", "\\_").replace("%", "\\%") + "/%"]
    w.values("k.coder", coders)
    w.values("k.status", statuses)
    w.values("k.unit", units)
    if active_codes:
        w.clauses.append("c.status = 'active'")
    if span is not None:
        w.clauses.append('k.start = ? AND k."end" = ?')
        w.params += [span[0], span[1]]
    if overlapping is not None:  # shares at least one character with start:end
        w.clauses.append('k.start < ? AND k."end" > ?')
        w.params += [overlapping[1], overlapping[0]]
    return w


class Codings:
    """The ``codings`` table.

    Filters (keyword arguments of :meth:`select`, :meth:`spans`, :meth:`count`,
    :meth:`exists`, :meth:`coders`, :meth:`document_ids`); ``None`` means "any", an empty
    list "none":

    * ``ids``, ``document_ids``, ``code_ids``: row ids;
    * ``documents``: document names; ``codes``: exact code paths; ``under``: a code path
      and its sub-codes;
    * ``coders``, ``statuses``, ``units``: values of those columns;
    * ``active_codes``: only codings of codes that are not retired;
    * ``span=(start, end)``: exactly these offsets; ``overlapping=(start, end)``: sharing
      at least one character with them.
    """

    def __init__(self, db: Connection):
        self.db = db

    # -- reading ------------------------------------------------------------------
    def select(self, *, order: Order | None = "position", **filters: Unpack[Filters]) -> list[Coding]:
        """The codings matching ``filters`` (see the class), in ``order``: ``"position"``
        (document name, start, end, code path, coder: reading order), ``"document"``
        (document id, start, end, id), ``"id"``, or None (any order)."""
        w = _where(**filters)
        return [Coding(*r) for r in self._tuples(f"SELECT {_COLUMNS}{_FROM}{w.sql()}{_order_by(order)}", w.params)]

    def spans(self, *, order: Order | None = "position", **filters: Unpack[Filters]) -> list[CodedSpan]:
        """:meth:`select` without the text, memo, code label and timestamps: for the paths
        that read every coding (reports, agreement, auto-coding). Measured on 40,000
        codings, the selection behind every report (``analysis.freq.select_codings``)
        takes 0.23 s with full records and 0.17 s with these (0.14 s with the query
        tailored to it before this API): SQLite sorts, and Python builds, every column,
        and the text is the largest."""
        return list(self.iter_spans(order=order, **filters))

    def iter_spans(self, *, order: Order | None = "position", **filters: Unpack[Filters]) -> Iterator[CodedSpan]:
        """:meth:`spans` one at a time, for a caller that keeps only some of each (the
        counts of a report)."""
        w = _where(**filters)
        for r in self._tuples(f"SELECT {_SPAN_COLUMNS}{_FROM}{w.sql()}{_order_by(order)}", w.params):
            yield CodedSpan(*r)

    def get(self, coding_id: int) -> Coding | None:
        """The coding with this id, or None."""
        found = self.select(ids=[coding_id])
        return found[0] if found else None

    def find(self, *, document_id: int, code_id: int, coder: str, start: int, end: int) -> Coding | None:
        """The coding of this document, code, coder and span if there is one: the key the
        table keeps unique, looked up before adding or moving a coding onto it."""
        found = self.select(document_ids=[document_id], code_ids=[code_id], coders=[coder], span=(start, end))
        return found[0] if found else None

    def count(self, **filters: Unpack[Filters]) -> int:
        """How many codings match ``filters``."""
        w = _where(**filters)
        return int(self.db.execute(f"SELECT COUNT(*){_FROM}{w.sql()}", w.params).fetchone()[0])

    def exists(self, **filters: Unpack[Filters]) -> bool:
        """Whether some coding matches ``filters``."""
        w = _where(**filters)
        return self.db.execute(f"SELECT 1{_FROM}{w.sql()} LIMIT 1", w.params).fetchone() is not None

    def count_for_document(self, doc_id: int) -> int:
        """How many codings the document has (a coded document cannot be replaced)."""
        return self.count(document_ids=[doc_id])

    def coders(self, **filters: Unpack[Filters]) -> list[str]:
        """The distinct coders of the codings matching ``filters``, sorted."""
        w = _where(**filters)
        return [r[0] for r in self.db.execute(f"SELECT DISTINCT k.coder{_FROM}{w.sql()} ORDER BY k.coder",
                                              w.params)]

    def document_ids(self, **filters: Unpack[Filters]) -> list[int]:
        """The distinct ids of the documents holding codings that match ``filters``, sorted."""
        w = _where(**filters)
        return [int(r[0]) for r in self.db.execute(
            f"SELECT DISTINCT k.document_id{_FROM}{w.sql()} ORDER BY k.document_id", w.params)]

    def select_for_review(self, *, ids: Iterable[int] | None = None, pending: bool = False,
                          coder: str | None = None, document: str | None = None) -> list[ReviewRow]:
        """Codings with their review state, in one query: the review queue entry (reason
        and code paths to choose from, an unreadable list of choices read as empty) and
        whether the last decision on it not undone is a skip. ``pending``: only the
        codings waiting in the queue (whatever their coder) and the proposals of
        ``coder`` (None: any coder). No particular order.

        It reads ``review_queue`` and ``review_log`` too: the review needs them together
        with the codings, for every pending item at once."""
        sql = (f"SELECT {_COLUMNS}, q.reason, q.choices,"
               " (SELECT l.action FROM review_log l WHERE l.coding_id = k.id AND l.undone = 0"
               "  AND l.action != 'undo' ORDER BY l.id DESC LIMIT 1) = 'skip'"
               f"{_FROM} LEFT JOIN review_queue q ON q.coding_id = k.id")
        w = _where(ids=ids, documents=None if document is None else [document])
        if pending:
            w.clauses.append("(q.id IS NOT NULL OR (k.status = 'proposed' AND (? IS NULL OR k.coder = ?)))")
            w.params += [coder, coder]
        out = []
        for r in self.db.execute(sql + w.sql(), w.params).fetchall():
            choices = None
            if r[19] is not None:
                try:
                    choices = [str(c) for c in json.loads(r[19])]
                except (ValueError, TypeError):
                    choices = []
            out.append(ReviewRow(Coding(*r[:18]), r[18], choices, bool(r[20])))
        return out

    def _tuples(self, sql: str, params: Sequence[Any]) -> Iterator[tuple]:
        """Rows as plain tuples (no ``sqlite3.Row`` to build and unpack: reports read every
        coding), one at a time: the caller builds its records as they come, without a list
        of every row beside them."""
        cur = self.db.conn.cursor()
        cur.row_factory = None
        try:
            yield from cur.execute(sql, params)
        finally:
            cur.close()

    # -- writing --------------------------------------------------------------------
    def add(self, *, document_id: int, code_id: int, start: int, end: int, coder: str, origin: str,
            status: str = "proposed", unit: str = "span", codebook_version: str | None = None,
            memo: str | None = None, text: str | None = None, at: str | None = None) -> int:
        """Add one coding; its text is the document's ``text[start:end]`` (``text``, if
        given, must be that). Refuses bad offsets, an unknown document or code, and a
        coding the coder already has (same document, code and span). ``at``: the
        timestamp (default now). Returns the new id."""
        new = NewCoding(document_id, code_id, start, end, coder, origin, status, unit, codebook_version, memo, text)
        (row,) = self._checked([new], at or now())
        try:
            cur = self.db.execute(_INSERT, row)
        except sqlite3.IntegrityError as exc:
            raise self._refused(exc, new) from None
        return int(cur.lastrowid or 0)

    def add_many(self, codings: Iterable[NewCoding], *, at: str | None = None) -> int:
        """Add codings in one set-based statement (``executemany``), under the rules of
        :meth:`add`: every one is checked before any is written. Returns how many."""
        rows = self._checked(list(codings), at or now())
        try:
            self.db.executemany(_INSERT, rows)
        except sqlite3.IntegrityError as exc:
            raise self._refused(exc, None) from None
        return len(rows)

    def move(self, coding_id: int, *, code_id: int | None = None, start: int | None = None,
             end: int | None = None, at: str | None = None) -> None:
        """Give a coding another code and/or other offsets; its text is taken again from
        the document (offsets are checked as in :meth:`add`). Refused if the coder already
        has a coding of that code on that span (see :meth:`find`)."""
        row = self.db.execute('SELECT document_id, code_id, coder, start, "end" FROM codings WHERE id = ?',
                              (coding_id,)).fetchone()
        if row is None:
            raise QualcodeError(f"no coding with id {coding_id}")
        new = NewCoding(row[0], row[1] if code_id is None else code_id, row[3] if start is None else start,
                        row[4] if end is None else end, row[2], "")
        ts = at or now()
        try:
            if (new.start, new.end) == (row[3], row[4]):  # same span, same text: no need to read the document
                self.db.execute("UPDATE codings SET code_id = ?, updated_at = ? WHERE id = ?",
                                (new.code_id, ts, coding_id))
                return
            (checked,) = self._checked([new], ts)
            self.db.execute('UPDATE codings SET code_id = ?, start = ?, "end" = ?, text = ?, updated_at = ?'
                            " WHERE id = ?", (new.code_id, new.start, new.end, checked[4], ts, coding_id))
        except sqlite3.IntegrityError as exc:
            raise self._refused(exc, new) from None

    def relocate(self, moves: Mapping[int, tuple[int, int]], *, at: str | None = None) -> int:
        """Give many codings of one document new offsets at once (a corrected text, see
        :mod:`qualcode.reanchor`); their texts are taken again from the document, offsets
        checked as in :meth:`add`. Two phases, so that codings trading places never meet
        on the unique key midway; refused (nothing changed) if two would end on the same
        key. Returns how many codings moved."""
        if not moves:
            return 0
        ts = at or now()
        rows = self.db.execute('SELECT id, document_id, code_id, coder, start, "end" FROM codings'
                               " WHERE id IN (SELECT value FROM json_each(?))", (_ids_json(moves),)).fetchall()
        if len(rows) != len(moves):
            raise QualcodeError("no coding with some of these ids")
        news = [NewCoding(r[1], r[2], moves[r[0]][0], moves[r[0]][1], r[3], "") for r in rows]
        checked = self._checked(news, ts)
        shift = 1 << 40  # beyond any text: phase 1 parks the codings there, keys kept distinct
        try:
            with self.db.transaction():  # a refusal undoes phase 1 too
                self.db.execute('UPDATE codings SET start = start + ?, "end" = "end" + ?'
                                " WHERE id IN (SELECT value FROM json_each(?))", (shift, shift, _ids_json(moves)))
                self.db.executemany('UPDATE codings SET start = ?, "end" = ?, text = ?, updated_at = ?'
                                    " WHERE id = ?", [(c[2], c[3], c[4], ts, r[0]) for r, c in zip(rows, checked)])
        except sqlite3.IntegrityError as exc:
            raise self._refused(exc, None) from None
        return len(rows)

    def delete(self, ids: Iterable[int]) -> int:
        """Delete the codings with these ids (one statement); returns how many were.
        Memos on them are the memos' business: delete those first."""
        return int(self.db.execute("DELETE FROM codings WHERE id IN (SELECT value FROM json_each(?))",
                                   (_ids_json(ids),)).rowcount)

    def set_status(self, ids: Iterable[int], status: str, *, at: str | None = None) -> int:
        """Set the status of these codings (a review decision, its undo); returns how many."""
        if status not in STATUSES:
            raise QualcodeError(f"unknown coding status {status!r} (choose from {', '.join(STATUSES)})")
        return int(self.db.execute(
            "UPDATE codings SET status = ?, updated_at = ? WHERE id IN (SELECT value FROM json_each(?))",
            (status, at or now(), _ids_json(ids))).rowcount)

    def set_memo(self, coding_id: int, memo: str | None, *, at: str | None = None) -> None:
        """Replace a coding's memo (its own field, not a row of the memos table)."""
        self.db.execute("UPDATE codings SET memo = ?, updated_at = ? WHERE id = ?", (memo, at or now(), coding_id))

    def set_version(self, ids: Sequence[int], codebook_version: str, *, at: str | None = None) -> None:
        """Record that these codings were made again by ``codebook_version`` (one
        set-based statement: auto-coding after a codebook edit restamps most proposals)."""
        if ids:
            self.db.execute("UPDATE codings SET codebook_version = ?, updated_at = ?"
                            " WHERE id IN (SELECT value FROM json_each(?))",
                            (codebook_version, at or now(), _ids_json(ids)))

    def set_origins(self, origins: Mapping[int, str], codebook_version: str, *, at: str | None = None) -> None:
        """Record that these codings (id -> origin) were made again by ``codebook_version``,
        with another rule as origin (``executemany``)."""
        ts = at or now()
        self.db.executemany("UPDATE codings SET origin = ?, codebook_version = ?, updated_at = ? WHERE id = ?",
                            [(origin, codebook_version, ts, cid) for cid, origin in origins.items()])

    # -- the offsets rule -----------------------------------------------------------
    def _checked(self, codings: Sequence[NewCoding], ts: str) -> list[tuple]:
        """The INSERT parameters of ``codings``, text taken from their documents; a
        :class:`QualcodeError` for the first one that breaks a rule."""
        wanted = {c.document_id for c in codings}
        docs: dict[int, tuple[str, str]] = {}
        if wanted:
            for r in self.db.execute("SELECT id, name, text FROM documents WHERE id IN (SELECT value FROM"
                                     " json_each(?))", (_ids_json(wanted),)):
                docs[r[0]] = (r[1], r[2])
        rows = []
        for c in codings:
            doc = docs.get(c.document_id)
            if doc is None:
                raise QualcodeError(f"no document with id {c.document_id}")
            name, text = doc
            if type(c.start) is not int or type(c.end) is not int:
                raise QualcodeError(f"coding offsets must be integers, not {c.start!r}:{c.end!r}")
            if not 0 <= c.start < c.end <= len(text):
                raise QualcodeError(f"coding offsets {c.start}:{c.end} are not a span of {name} "
                                    f"(0 <= start < end <= {len(text)})")
            chunk = text[c.start:c.end]
            if c.text is not None and c.text != chunk:
                raise QualcodeError(f"coding text {c.text!r} is not the text of {name} at {c.start}:{c.end} "
                                    f"({chunk!r})")
            if c.status not in STATUSES:
                raise QualcodeError(f"unknown coding status {c.status!r} (choose from {', '.join(STATUSES)})")
            if c.unit not in UNITS:
                raise QualcodeError(f"unknown coding unit {c.unit!r} (choose from {', '.join(UNITS)})")
            rows.append((c.document_id, c.code_id, c.start, c.end, chunk, c.unit, c.coder, c.origin, c.status,
                         c.codebook_version, c.memo, ts, ts))
        return rows

    def _refused(self, exc: sqlite3.IntegrityError, new: NewCoding | None) -> QualcodeError:
        msg = str(exc)
        if "UNIQUE" in msg:
            where = f" (coder {new.coder}, span {new.start}:{new.end})" if new else ""
            return QualcodeError(f"the coder already has a coding of this code on this span{where}")
        if "FOREIGN KEY" in msg:
            return QualcodeError("no such code" + (f" (id {new.code_id})" if new else ""))
        return QualcodeError(f"coding refused: {msg}")


_INSERT = ('INSERT INTO codings (document_id, code_id, start, "end", text, unit, coder, origin, status,'
           " codebook_version, memo, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)")
