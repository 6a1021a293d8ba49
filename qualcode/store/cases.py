"""Cases (participants), their typed attributes and their documents."""

from __future__ import annotations

import json
import sqlite3
from bisect import bisect_right
from typing import Any

from qualcode.store.connection import Connection, now


class Cases:
    """The ``cases``, ``case_attributes`` and ``case_documents`` tables."""

    def __init__(self, db: Connection):
        self.db = db

    def id(self, name: str, create: bool = False) -> int | None:
        row = self.db.execute("SELECT id FROM cases WHERE name = ?", (name,)).fetchone()
        if row:
            return int(row[0])
        if not create:
            return None
        return int(self.db.execute("INSERT INTO cases (name, created_at) VALUES (?,?)", (name, now())).lastrowid)

    def set_attribute(self, case_id: int, name: str, value: Any) -> None:
        kind = {bool: "bool", int: "int", float: "float"}.get(type(value), "str")
        self.db.execute(
            "INSERT INTO case_attributes (case_id, name, value, type) VALUES (?,?,?,?)"
            " ON CONFLICT (case_id, name) DO UPDATE SET value = excluded.value, type = excluded.type",
            (case_id, name, value, kind),
        )

    def link_document(self, case_id: int, doc_id: int) -> bool:
        cur = self.db.execute(
            "INSERT OR IGNORE INTO case_documents (case_id, document_id) VALUES (?,?)", (case_id, doc_id)
        )
        return cur.rowcount > 0

    def all(self) -> list[dict]:
        cases = self.db.execute("SELECT id, name FROM cases ORDER BY name").fetchall()
        out = []
        for c in cases:
            attrs = {}
            for a in self.db.execute(
                "SELECT name, value, type FROM case_attributes WHERE case_id = ? ORDER BY rowid", (c["id"],)
            ):
                value = a["value"]
                if a["type"] == "bool":
                    value = bool(value)
                attrs[a["name"]] = value
            docs = [
                r[0]
                for r in self.db.execute(
                    "SELECT d.name FROM case_documents cd JOIN documents d ON d.id = cd.document_id"
                    " WHERE cd.case_id = ? ORDER BY d.name",
                    (c["id"],),
                )
            ]
            out.append({"case": c["name"], "attributes": attrs, "documents": docs})
        return out
