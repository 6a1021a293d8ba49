"""Documents, their speaker turns and speakers."""

from __future__ import annotations

import json
import sqlite3
from bisect import bisect_right
from typing import Any

from qualcode.store.connection import Connection, now


class Documents:
    """The ``documents``, ``turns`` and ``speakers`` tables."""

    def __init__(self, db: Connection):
        self.db = db

    def by_name(self, name: str) -> sqlite3.Row | None:
        return self.db.execute("SELECT * FROM documents WHERE name = ?", (name,)).fetchone()

    def insert(self, *, name: str, source_path: str | None, fmt: str, encoding: str | None,
                        content_hash: str, text: str, meta: dict, version: int = 1) -> int:
        ts = now()
        cur = self.db.execute(
            "INSERT INTO documents (name, source_path, format, encoding, content_hash, text, meta,"
            " version, imported_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (name, source_path, fmt, encoding, content_hash, text,
             json.dumps(meta, ensure_ascii=False), version, ts, ts),
        )
        return int(cur.lastrowid)

    def delete(self, doc_id: int) -> None:
        self.db.execute("DELETE FROM documents WHERE id = ?", (doc_id,))

    def insert_speaker(self, doc_id: int, label: str, role: str) -> int:
        cur = self.db.execute(
            "INSERT INTO speakers (document_id, label, role) VALUES (?,?,?)", (doc_id, label, role)
        )
        return int(cur.lastrowid)

    def insert_turns(self, doc_id: int, rows: list[tuple]) -> None:
        """rows: (idx, speaker_id, start, end, time_start, time_end)"""
        self.db.executemany(
            'INSERT INTO turns (document_id, idx, speaker_id, start, "end", time_start, time_end)'
            " VALUES (?,?,?,?,?,?,?)",
            [(doc_id, *r) for r in rows],
        )

    def all(self) -> list[dict]:
        """One row per document with counts, speakers and cases, in name order."""
        rows = self.db.execute(
            """
            SELECT d.id, d.name, d.format, d.encoding, d.source_path, d.imported_at, d.text,
                   (SELECT COUNT(*) FROM turns t WHERE t.document_id = d.id) AS turns,
                   (SELECT group_concat(label || '=' || role, char(31)) FROM
                        (SELECT label, role FROM speakers s WHERE s.document_id = d.id ORDER BY s.id))
                        AS speakers,
                   (SELECT group_concat(name, char(31)) FROM
                        (SELECT c.name FROM case_documents cd JOIN cases c ON c.id = cd.case_id
                         WHERE cd.document_id = d.id ORDER BY c.name)) AS cases,
                   (SELECT COUNT(*) FROM codings k WHERE k.document_id = d.id) AS codings
            FROM documents d ORDER BY d.name
            """
        ).fetchall()
        out = []
        for r in rows:
            speakers = [s.split("=", 1) for s in r["speakers"].split("\x1f")] if r["speakers"] else []
            out.append(
                {
                    "id": r["id"],
                    "name": r["name"],
                    "format": r["format"],
                    "encoding": r["encoding"],
                    "source_path": r["source_path"],
                    "imported_at": r["imported_at"],
                    "turns": r["turns"],
                    "words": len(r["text"].split()),
                    "characters": len(r["text"]),
                    "speakers": [{"label": s, "role": role} for s, role in speakers],
                    "cases": r["cases"].split("\x1f") if r["cases"] else [],
                    "codings": r["codings"],
                }
            )
        return out

    def turns(self, doc_id: int) -> list[dict]:
        rows = self.db.execute(
            """
            SELECT t.idx, s.label AS speaker, COALESCE(s.role, 'other') AS role, t.start, t."end",
                   t.time_start, t.time_end
            FROM turns t LEFT JOIN speakers s ON s.id = t.speaker_id
            WHERE t.document_id = ? ORDER BY t.idx
            """,
            (doc_id,),
        ).fetchall()
        return [dict(r) for r in rows]

    def speakers(self, doc_id: int) -> list[dict]:
        rows = self.db.execute(
            """
            SELECT s.id, s.label, s.role, c.name AS "case",
                   (SELECT COUNT(*) FROM turns t WHERE t.speaker_id = s.id) AS turns
            FROM speakers s LEFT JOIN cases c ON c.id = s.case_id
            WHERE s.document_id = ? ORDER BY s.id
            """,
            (doc_id,),
        ).fetchall()
        return [dict(r) for r in rows]

    def set_speaker_role(self, speaker_id: int, role: str) -> None:
        self.db.execute("UPDATE speakers SET role = ? WHERE id = ?", (role, speaker_id))


def turn_at(turns: list[dict], offset: int, starts: list[int] | None = None) -> dict | None:
    """The turn (a row of :meth:`Store.turns`) whose [start, end) holds ``offset``, or None
    when the offset is outside every turn (a speaker label, a header). ``starts``: the
    turns' start offsets, when the caller already has them."""
    if starts is None:
        starts = [t["start"] for t in turns]
    i = bisect_right(starts, offset) - 1
    return turns[i] if i >= 0 and offset < turns[i]["end"] else None


class TurnIndex:
    """Finds the turn holding an offset, loading each document's turns once."""

    def __init__(self, store: Any):
        self.store = store
        self._docs: dict[int, tuple[list[dict], list[int]]] = {}

    def at(self, document_id: int, offset: int) -> dict | None:
        got = self._docs.get(document_id)
        if got is None:
            turns = self.store.documents.turns(document_id)
            got = self._docs[document_id] = (turns, [t["start"] for t in turns])
        return turn_at(got[0], offset, got[1])

    def number(self, document_id: int, offset: int) -> int | None:
        """1-based number of the turn holding ``offset`` (as in ``qualcode show``), or None."""
        turn = self.at(document_id, offset)
        return turn["idx"] if turn else None
