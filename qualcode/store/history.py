"""The history of every bulk operation: who, when, what, counts."""

from __future__ import annotations

import json
import sqlite3
from bisect import bisect_right
from typing import Any

from qualcode.store.connection import Connection, now


class History:
    """The ``history`` table."""

    def __init__(self, db: Connection):
        self.db = db

    def log(self, user: str, command: str, operation: str, summary: str, details: dict | None = None) -> None:
        self.db.execute(
            "INSERT INTO history (at, user, command, operation, summary, details) VALUES (?,?,?,?,?,?)",
            (now(), user, command, operation, summary, json.dumps(details or {}, ensure_ascii=False)),
        )

    def entries(self, operation: str | None = None) -> list[dict]:
        sql = "SELECT * FROM history"
        params: tuple = ()
        if operation:
            sql += " WHERE operation = ?"
            params = (operation,)
        rows = self.db.execute(sql + " ORDER BY id", params).fetchall()
        return [dict(r) | {"details": json.loads(r["details"])} for r in rows]
