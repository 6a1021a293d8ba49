"""The history of every bulk operation: who, when, what, counts.

Every command that changes many things at once (import, autocode, a codebook revision, a
review session, a reconcile, a restore…) writes one entry, with a one-line summary for
``qualcode history`` and the details as JSON: what a later command needs to undo or
explain it (a retired code's YAML block, a queue entry a review decision removed).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from qualcode.store.connection import Connection, now


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One bulk operation."""

    id: int
    at: str  # UTC, ISO 8601, to the second
    user: str
    command: str  # the command that ran, e.g. 'codebook rename'
    operation: str  # its kind, e.g. 'codebook' (what 'qualcode history --operation' filters)
    summary: str
    details: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """The entry as ``qualcode history --json`` prints it."""
        return {"id": self.id, "at": self.at, "user": self.user, "command": self.command,
                "operation": self.operation, "summary": self.summary, "details": self.details}


def _entry(r: Any) -> HistoryEntry:
    return HistoryEntry(id=r["id"], at=r["at"], user=r["user"], command=r["command"], operation=r["operation"],
                        summary=r["summary"], details=json.loads(r["details"]))


class History:
    """The ``history`` table."""

    def __init__(self, db: Connection):
        self.db = db

    def log(self, user: str, command: str, operation: str, summary: str,
            details: dict[str, Any] | None = None) -> None:
        self.db.execute(
            "INSERT INTO history (at, user, command, operation, summary, details) VALUES (?,?,?,?,?,?)",
            (now(), user, command, operation, summary, json.dumps(details or {}, ensure_ascii=False)),
        )

    def entries(self, operation: str | None = None) -> list[HistoryEntry]:
        """Every entry (or those of one ``operation``), oldest first."""
        sql = "SELECT * FROM history"
        params: tuple[str, ...] = ()
        if operation:
            sql += " WHERE operation = ?"
            params = (operation,)
        return [_entry(r) for r in self.db.execute(sql + " ORDER BY id", params)]

    def latest(self, operation: str, *, detail: str, value: Any) -> HistoryEntry | None:
        """The newest entry of ``operation`` whose details have ``value`` under the key
        ``detail``, or None."""
        row = self.db.execute(
            "SELECT * FROM history WHERE operation = ? AND json_extract(details, ?) = ? ORDER BY id DESC LIMIT 1",
            (operation, f"$.{detail}", value),
        ).fetchone()
        return _entry(row) if row is not None else None
