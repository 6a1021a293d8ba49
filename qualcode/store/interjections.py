"""Inline interjections: another speaker's bracketed words inside a turn
(``[E: Hum hum.]``), see :mod:`qualcode.importers.interjections`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from qualcode.store.connection import Connection, placeholders


@dataclass(frozen=True, slots=True)
class Interjection:
    """One row of ``interjections``: ``text[start:end]`` of its document (the whole
    bracket) is said by ``speaker``, inside another speaker's turn."""

    id: int
    document_id: int
    speaker: str
    role: str  # the speaker's role: interviewer | participant | other
    start: int
    end: int

    def to_dict(self) -> dict[str, Any]:
        return {"speaker": self.speaker, "role": self.role, "start": self.start, "end": self.end}


class Interjections:
    """The ``interjections`` table."""

    def __init__(self, db: Connection):
        self.db = db

    def add(self, doc_id: int, rows: Iterable[tuple[int, int, int]]) -> None:
        """rows: (speaker_id, start, end)."""
        self.db.executemany(
            'INSERT INTO interjections (document_id, speaker_id, start, "end") VALUES (?,?,?,?)',
            [(doc_id, *r) for r in rows])

    def of_documents(self, doc_ids: Sequence[int]) -> dict[int, list[Interjection]]:
        """Document id -> its interjections in text order (documents without any are absent)."""
        out: dict[int, list[Interjection]] = {}
        ids = list(doc_ids)
        if not ids:
            return out
        rows = self.db.execute(
            f"""SELECT i.id, i.document_id, s.label, s.role, i.start, i."end"
                FROM interjections i JOIN speakers s ON s.id = i.speaker_id
                WHERE i.document_id IN ({placeholders(len(ids))}) ORDER BY i.document_id, i.start""", ids)
        for r in rows:
            out.setdefault(r["document_id"], []).append(Interjection(
                id=r["id"], document_id=r["document_id"], speaker=r["label"], role=r["role"],
                start=r["start"], end=r["end"]))
        return out

    def of_document(self, doc_id: int) -> list[Interjection]:
        return self.of_documents([doc_id]).get(doc_id, [])
