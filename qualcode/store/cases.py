"""Cases (participants), their typed attributes and their documents.

A case is a participant of the study (``P07``), with attributes read from a spreadsheet
(``group``, ``commune``, ``age``…) kept with their type (str, int, float, bool) so that
``age`` sorts as a number and ``True`` comes back as a boolean. A document belongs to one
or more cases (an interview, a focus group); in focus groups a speaker may belong to its
own case (``speakers.case_id``, in :mod:`qualcode.store.documents`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from qualcode.store.connection import Connection, now

AttributeValue = str | int | float | bool


@dataclass(frozen=True, slots=True)
class Case:
    """A case with its attributes (in the order they were first set) and its documents
    (in name order)."""

    id: int
    name: str
    attributes: dict[str, AttributeValue]
    documents: list[str]

    def to_dict(self) -> dict[str, Any]:
        """The case as ``qualcode cases --json`` prints it."""
        return {"case": self.name, "attributes": dict(self.attributes), "documents": list(self.documents)}


class Cases:
    """The ``cases``, ``case_attributes`` and ``case_documents`` tables."""

    def __init__(self, db: Connection):
        self.db = db

    def id(self, name: str) -> int | None:
        """The id of the case named ``name``, or None if there is none."""
        row = self.db.execute("SELECT id FROM cases WHERE name = ?", (name,)).fetchone()
        return int(row[0]) if row else None

    def ensure(self, name: str) -> int:
        """The id of the case named ``name``, created if it does not exist yet."""
        found = self.id(name)
        if found is not None:
            return found
        rowid = self.db.execute("INSERT INTO cases (name, created_at) VALUES (?,?)", (name, now())).lastrowid
        assert rowid is not None  # set by every INSERT
        return rowid

    def names(self) -> dict[int, str]:
        """Case id -> name, in name order."""
        return {r[0]: r[1] for r in self.db.execute("SELECT id, name FROM cases ORDER BY name")}

    def set_attribute(self, case_id: int, name: str, value: AttributeValue) -> None:
        kind = {bool: "bool", int: "int", float: "float"}.get(type(value), "str")
        self.db.execute(
            "INSERT INTO case_attributes (case_id, name, value, type) VALUES (?,?,?,?)"
            " ON CONFLICT (case_id, name) DO UPDATE SET value = excluded.value, type = excluded.type",
            (case_id, name, value, kind),
        )

    def link_document(self, case_id: int, doc_id: int) -> bool:
        """Link a document to a case; False if it already was."""
        cur = self.db.execute(
            "INSERT OR IGNORE INTO case_documents (case_id, document_id) VALUES (?,?)", (case_id, doc_id)
        )
        return cur.rowcount > 0

    def case_ids_by_document(self) -> dict[int, set[int]]:
        """Document id -> the ids of its cases (documents without a case left out)."""
        out: dict[int, set[int]] = {}
        for r in self.db.execute("SELECT case_id, document_id FROM case_documents"):
            out.setdefault(r["document_id"], set()).add(r["case_id"])
        return out

    def all(self) -> list[Case]:
        """Every case with its attributes and documents, in name order."""
        cases = self.db.execute("SELECT id, name FROM cases ORDER BY name").fetchall()
        out = []
        for c in cases:
            attrs: dict[str, AttributeValue] = {}
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
            out.append(Case(id=c["id"], name=c["name"], attributes=attrs, documents=docs))
        return out
