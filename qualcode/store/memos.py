"""Memos on the project, a document, a case, a code or a coding.

A memo has one target: ``target_type`` (project | document | case | code | coding) and
the target's id (None for the project). There is no foreign key from a memo to its
target (the target lives in one of five tables), so the modules that delete or merge
targets move or delete their memos through :meth:`Memos.retarget` and
:meth:`Memos.delete_on`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from qualcode.store.connection import Connection, now, placeholders


@dataclass(frozen=True, slots=True)
class Memo:
    """One row of ``memos``."""

    id: int
    target_type: str  # project | document | case | code | coding
    target_id: int | None  # None for a project memo
    text: str
    author: str
    created_at: str
    updated_at: str


def _memo(r: sqlite3.Row) -> Memo:
    return Memo(id=r["id"], target_type=r["target_type"], target_id=r["target_id"], text=r["text"],
                author=r["author"], created_at=r["created_at"], updated_at=r["updated_at"])


class Memos:
    """The ``memos`` table."""

    def __init__(self, db: Connection):
        self.db = db

    def add(self, *, target_type: str, target_id: int | None, text: str, author: str) -> int:
        """Write a memo (now); returns its id."""
        ts = now()
        cur = self.db.execute(
            "INSERT INTO memos (target_type, target_id, text, author, created_at, updated_at) VALUES (?,?,?,?,?,?)",
            (target_type, target_id, text, author, ts, ts))
        return int(cur.lastrowid or 0)

    def get(self, memo_id: int) -> Memo | None:
        row = self.db.execute("SELECT * FROM memos WHERE id = ?", (memo_id,)).fetchone()
        return _memo(row) if row is not None else None

    def select(self, *, target_type: str | None = None, target_ids: Sequence[int] | None = None) -> list[Memo]:
        """Memos in creation order: all, or those on targets of one type (and ids)."""
        sql = "SELECT * FROM memos"
        params: list[str | int] = []
        if target_type is not None:
            sql += " WHERE target_type = ?"
            params.append(target_type)
            if target_ids is not None:
                sql += f" AND target_id IN ({placeholders(len(target_ids))})"
                params.extend(target_ids)
        return [_memo(r) for r in self.db.execute(sql + " ORDER BY id", params)]

    def exists(self, *, target_type: str, target_id: int, text: str | None = None,
               author: str | None = None) -> bool:
        """Whether the target has a memo (with that text, by that author, when given)."""
        sql = "SELECT 1 FROM memos WHERE target_type = ? AND target_id = ?"
        params: list[str | int] = [target_type, target_id]
        for column, value in (("text", text), ("author", author)):
            if value is not None:
                sql += f" AND {column} = ?"
                params.append(value)
        return self.db.execute(sql + " LIMIT 1", params).fetchone() is not None

    def edit(self, memo_id: int, text: str) -> None:
        """Replace a memo's text (and its update time)."""
        self.db.execute("UPDATE memos SET text = ?, updated_at = ? WHERE id = ?", (text, now(), memo_id))

    def delete(self, memo_id: int) -> None:
        self.db.execute("DELETE FROM memos WHERE id = ?", (memo_id,))

    def delete_on(self, target_type: str, target_ids: Sequence[int]) -> None:
        """Delete the memos on these targets (before the targets themselves are deleted)."""
        self.db.execute(
            f"DELETE FROM memos WHERE target_type = ? AND target_id IN ({placeholders(len(target_ids))})",
            [target_type, *target_ids])

    def retarget(self, target_type: str, from_id: int, to_id: int) -> None:
        """Move the memos of one target to another of the same type (targets merged)."""
        self.db.execute("UPDATE memos SET target_id = ? WHERE target_type = ? AND target_id = ?",
                        (to_id, target_type, from_id))
