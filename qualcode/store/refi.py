"""REFI-QDA identifiers of the project's things (``refi_ids``).

A ``.qdpx`` file names every user, code, source, case, variable, note and coding by a GUID.
An import records the GUID of each thing it creates, under the thing's kind and its local
key (a code's path; a document's, case's, coder's or attribute's name; a coding's or
memo's id as text), so that a later export can write the same identifiers back. GUIDs are stored lower case without
braces.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from qualcode.store.connection import Connection

#: The kinds of things whose GUIDs are kept.
KINDS = ("project", "user", "code", "document", "case", "variable", "note", "selection", "coding")


@dataclass(frozen=True, slots=True)
class RefiId:
    """One row of ``refi_ids``."""

    kind: str
    local_key: str
    guid: str


class RefiIds:
    """The ``refi_ids`` table."""

    def __init__(self, db: Connection):
        self.db = db

    def set(self, kind: str, local_key: str, guid: str) -> None:
        """Record (or replace) the GUID of one thing."""
        self.set_many([RefiId(kind, local_key, guid)])

    def set_many(self, ids: Iterable[RefiId]) -> None:
        rows = []
        for r in ids:
            if r.kind not in KINDS:
                raise ValueError(f"unknown REFI-QDA kind {r.kind!r}")
            rows.append((r.kind, r.local_key, r.guid))
        self.db.executemany(
            "INSERT INTO refi_ids (kind, local_key, guid) VALUES (?,?,?)"
            " ON CONFLICT (kind, local_key) DO UPDATE SET guid = excluded.guid", rows)

    def get(self, kind: str, local_key: str) -> str | None:
        row = self.db.execute("SELECT guid FROM refi_ids WHERE kind = ? AND local_key = ?",
                              (kind, local_key)).fetchone()
        return str(row[0]) if row else None

    def of_kind(self, kind: str) -> dict[str, str]:
        """local key -> GUID for one kind."""
        return {r[0]: r[1] for r in self.db.execute(
            "SELECT local_key, guid FROM refi_ids WHERE kind = ? ORDER BY local_key", (kind,))}

    def all(self) -> list[RefiId]:
        return [RefiId(r[0], r[1], r[2]) for r in self.db.execute(
            "SELECT kind, local_key, guid FROM refi_ids ORDER BY kind, local_key")]
