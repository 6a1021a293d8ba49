"""Codings put aside: those a corrected transcript could not place.

``qualcode import FILE --replace`` re-anchors a document's codings on its new text
(:mod:`qualcode.reanchor`). A coding whose text was deleted or rewritten beyond
recognition cannot keep offsets into the new text, and must not be lost: it moves here,
with its old offsets, text and context (into the version of the text it was coded on),
its code, coder, status, memo and the memos that were on it. ``qualcode codings
--orphans`` lists them. They go with their document when it is removed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from qualcode.store.connection import Connection, now


@dataclass(frozen=True, slots=True)
class OrphanedCoding:
    """A coding that could not be placed on its document's corrected text."""

    id: int
    document_id: int
    document: str  # the document's name (now)
    document_version: int  # the version of the text it was coded on
    coding_id: int  # the id it had
    code: str
    start: int  # offsets into that older text
    end: int
    text: str
    context_before: str
    context_after: str
    unit: str
    coder: str
    origin: str
    status: str
    codebook_version: str | None
    memo: str | None
    memos: list[dict[str, Any]]  # the memos that were on the coding: text, author, created_at
    reason: str
    created_at: str
    orphaned_at: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_COLUMNS = ("document_id", "document_version", "coding_id", "code", "start", "end", "text", "context_before",
            "context_after", "unit", "coder", "origin", "status", "codebook_version", "memo", "memos", "reason",
            "created_at", "orphaned_at")


def _orphan(r: Any) -> OrphanedCoding:
    return OrphanedCoding(
        id=r["id"], document_id=r["document_id"], document=r["document"], document_version=r["document_version"],
        coding_id=r["coding_id"], code=r["code"], start=r["start"], end=r["end"], text=r["text"],
        context_before=r["context_before"], context_after=r["context_after"], unit=r["unit"], coder=r["coder"],
        origin=r["origin"], status=r["status"], codebook_version=r["codebook_version"], memo=r["memo"],
        memos=json.loads(r["memos"]), reason=r["reason"], created_at=r["created_at"], orphaned_at=r["orphaned_at"])


class Orphans:
    """The ``orphaned_codings`` table."""

    def __init__(self, db: Connection):
        self.db = db

    def add(self, rows: Iterable[dict[str, Any]]) -> int:
        """Keep these codings aside; each row has the keys of :data:`_COLUMNS` (``memos`` a
        list, ``orphaned_at`` optional). Returns how many."""
        ts = now()
        values = [tuple(json.dumps(r.get("memos", []), ensure_ascii=False) if c == "memos"
                        else r.get("orphaned_at", ts) if c == "orphaned_at" else r[c] for c in _COLUMNS)
                  for r in rows]
        cols = ", ".join(f'"{c}"' for c in _COLUMNS)
        self.db.executemany(f"INSERT INTO orphaned_codings ({cols}) VALUES ({','.join('?' * len(_COLUMNS))})",
                            values)
        return len(values)

    def select(self, *, document_ids: Iterable[int] | None = None) -> list[OrphanedCoding]:
        """The orphaned codings (of these documents), by document name, then as put aside."""
        sql = ("SELECT o.*, d.name AS document FROM orphaned_codings o JOIN documents d ON d.id = o.document_id")
        params: list[str] = []
        if document_ids is not None:
            sql += " WHERE o.document_id IN (SELECT value FROM json_each(?))"
            params.append(json.dumps([int(i) for i in document_ids]))
        return [_orphan(r) for r in self.db.execute(sql + " ORDER BY d.name, o.id", params)]

    def count(self, document_id: int) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM orphaned_codings WHERE document_id = ?",
                                   (document_id,)).fetchone()[0])
