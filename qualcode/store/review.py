"""The review's decision log (undo, audit) and the queue of codings to reassign.

``review_log`` keeps every decision of ``qualcode review`` — who, when, the coding, its
status and code before and after, the coding the decision created — so that a decision
can be undone and a project audited. A decision is never deleted: undoing it marks it
``undone`` and logs an ``undo`` decision of its own.

``review_queue`` holds the codings that wait for a code after ``qualcode codebook split``:
one entry per coding (the reason, e.g. ``split identity/x``, and the code paths to choose
from). Assigning a code dequeues the coding; undoing the assignment queues it again.

The review items themselves (a coding with its document, code, queue entry and whether
its last decision is a skip) are a query over codings, in :mod:`qualcode.store.codings`'s
province; this module owns the statements whose main table is one of the two above.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from qualcode.store.connection import Connection, now


@dataclass(frozen=True, slots=True)
class Decision:
    """One row of ``review_log``: a review decision (or the undoing of one)."""

    id: int
    coding_id: int | None  # None once the coding is deleted
    action: str  # accept | reject | recode | add | assign | skip | undo
    from_status: str | None
    to_status: str | None
    from_code: str | None  # code paths, for the audit trail
    to_code: str | None
    created_coding_id: int | None  # a coding this decision created (add, recode)
    user: str
    at: str
    undone: bool

    def to_dict(self) -> dict[str, Any]:
        """The row as a dict, in column order (``undone`` as 0/1, as stored)."""
        return {"id": self.id, "coding_id": self.coding_id, "action": self.action,
                "from_status": self.from_status, "to_status": self.to_status, "from_code": self.from_code,
                "to_code": self.to_code, "created_coding_id": self.created_coding_id, "user": self.user,
                "at": self.at, "undone": int(self.undone)}


@dataclass(frozen=True, slots=True)
class QueueItem:
    """One row of ``review_queue``: a coding waiting for one of ``choices`` (code paths)."""

    id: int
    coding_id: int
    reason: str  # e.g. 'split identity/x'
    choices: list[str]
    created_at: str


def _decision(r: sqlite3.Row) -> Decision:
    return Decision(id=r["id"], coding_id=r["coding_id"], action=r["action"], from_status=r["from_status"],
                    to_status=r["to_status"], from_code=r["from_code"], to_code=r["to_code"],
                    created_coding_id=r["created_coding_id"], user=r["user"], at=r["at"],
                    undone=bool(r["undone"]))


def _queue_item(r: sqlite3.Row) -> QueueItem:
    return QueueItem(id=r["id"], coding_id=r["coding_id"], reason=r["reason"], choices=json.loads(r["choices"]),
                     created_at=r["created_at"])


def _choices(choices: Sequence[str]) -> str:
    return json.dumps(list(choices), ensure_ascii=False)


class Review:
    """The ``review_log`` and ``review_queue`` tables."""

    def __init__(self, db: Connection):
        self.db = db

    # -- the decision log -------------------------------------------------------------
    def log(self, *, coding_id: int | None, action: str, from_status: str | None, to_status: str | None,
            from_code: str | None, to_code: str | None, user: str, created_coding_id: int | None = None) -> int:
        """Log one decision (now); returns its id."""
        cur = self.db.execute(
            "INSERT INTO review_log (coding_id, action, from_status, to_status, from_code, to_code,"
            " created_coding_id, user, at) VALUES (?,?,?,?,?,?,?,?,?)",
            (coding_id, action, from_status, to_status, from_code, to_code, created_coding_id, user, now()))
        return int(cur.lastrowid or 0)

    def last_undoable(self, user: str) -> Decision | None:
        """The last decision of ``user`` that is not undone (nor an undo itself)."""
        row = self.db.execute(
            "SELECT * FROM review_log WHERE user = ? AND undone = 0 AND action != 'undo' ORDER BY id DESC LIMIT 1",
            (user,)).fetchone()
        return _decision(row) if row is not None else None

    def mark_undone(self, decision_id: int) -> None:
        self.db.execute("UPDATE review_log SET undone = 1 WHERE id = ?", (decision_id,))

    def decisions(self, *, user: str | None = None) -> list[Decision]:
        """The decision log, oldest first, optionally of one user."""
        sql = "SELECT * FROM review_log"
        params: list[str] = []
        if user:
            sql, params = sql + " WHERE user = ?", [user]
        return [_decision(r) for r in self.db.execute(sql + " ORDER BY id", params)]

    def delete_for_codings(self, coding_ids: Sequence[int]) -> int:
        """Delete the decisions about these codings (their document is removed); returns how many."""
        return int(self.db.execute(
            "DELETE FROM review_log WHERE coding_id IN (SELECT value FROM json_each(?))"
            " OR created_coding_id IN (SELECT value FROM json_each(?))",
            (json.dumps(list(coding_ids)), json.dumps(list(coding_ids)))).rowcount)

    # -- the queue of codings to reassign -------------------------------------------
    def queued(self, coding_id: int) -> QueueItem | None:
        """The queue entry of a coding, if it waits for a code."""
        row = self.db.execute("SELECT * FROM review_queue WHERE coding_id = ?", (coding_id,)).fetchone()
        return _queue_item(row) if row is not None else None

    def queue(self) -> list[QueueItem]:
        """Every queued coding, in queueing order."""
        return [_queue_item(r) for r in self.db.execute("SELECT * FROM review_queue ORDER BY id")]

    def enqueue(self, coding_ids: Iterable[int], *, reason: str, choices: Sequence[str],
                created_at: str | None = None, replace: bool = True) -> None:
        """Queue codings to wait for one of ``choices``. A coding already queued gets the new
        reason, choices and time (``replace``), or keeps its entry (``replace=False``)."""
        sql = ("INSERT INTO review_queue (coding_id, reason, choices, created_at) VALUES (?,?,?,?)"
               " ON CONFLICT (coding_id) DO UPDATE SET reason = excluded.reason,"
               " choices = excluded.choices, created_at = excluded.created_at" if replace else
               "INSERT OR IGNORE INTO review_queue (coding_id, reason, choices, created_at) VALUES (?,?,?,?)")
        encoded, at = _choices(choices), created_at or now()
        self.db.executemany(sql, [(cid, reason, encoded, at) for cid in coding_ids])

    def dequeue(self, coding_id: int) -> None:
        """The coding no longer waits for a code."""
        self.db.execute("DELETE FROM review_queue WHERE coding_id = ?", (coding_id,))

    def requeue(self, item_id: int, *, reason: str, choices: Sequence[str]) -> None:
        """Change the reason and choices of queue entry ``item_id`` (codes renamed, merged)."""
        self.db.execute("UPDATE review_queue SET choices = ?, reason = ? WHERE id = ?",
                        (_choices(choices), reason, item_id))

    def move_queued(self, from_coding_id: int, to_coding_id: int) -> None:
        """The queue entry of a coding passes to another coding (when two codings collapse
        into one), unless that one is queued already."""
        self.db.execute("UPDATE OR IGNORE review_queue SET coding_id = ? WHERE coding_id = ?",
                        (to_coding_id, from_coding_id))
