"""Documents, their speaker turns and speakers.

A document is stored once, with its normalized text (NFC, ``\\n`` newlines): every offset
in the project (turns, codings, sentences) is a Python ``str`` index into that text. Its
turns are the speaker turns the importer found, numbered from 1 in document order (the
numbers users see in ``qualcode show`` and cite in excerpts); its speakers are the labels
of one document with their role (interviewer, participant, other), which decides whether
rules look at a turn.

:class:`Documents` returns records: :class:`Document` (one document, its text included),
:class:`DocumentSummary` (the listing of ``qualcode docs``), :class:`Turn` and
:class:`Speaker`.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from qualcode.store.connection import Connection, now, placeholders

if TYPE_CHECKING:
    from qualcode.store import Store


@dataclass(frozen=True, slots=True)
class Document:
    """One document as stored: its text, where it came from and its metadata."""

    id: int
    name: str
    source_path: str | None
    format: str
    encoding: str | None
    content_hash: str  # sha256 of the raw file bytes
    text: str  # normalized: \n newlines, NFC
    meta: dict[str, Any]
    version: int
    imported_at: str
    updated_at: str


@dataclass(frozen=True, slots=True)
class DocumentSummary:
    """A row of ``qualcode docs``: a document with its counts, speakers and cases."""

    id: int
    name: str
    format: str
    encoding: str | None
    source_path: str | None
    imported_at: str
    turns: int
    words: int
    characters: int
    speakers: dict[str, str]  # label -> role, in the order the speakers were found
    cases: list[str]  # in name order
    codings: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "format": self.format,
            "encoding": self.encoding,
            "source_path": self.source_path,
            "imported_at": self.imported_at,
            "turns": self.turns,
            "words": self.words,
            "characters": self.characters,
            "speakers": [{"label": label, "role": role} for label, role in self.speakers.items()],
            "cases": list(self.cases),
            "codings": self.codings,
        }


@dataclass(frozen=True, slots=True)
class Turn:
    """A speaker turn: ``text[start:end]`` of its document, said by ``speaker``."""

    idx: int  # 1-based, in document order (the number 'qualcode show' prints)
    speaker: str | None  # the speaker's label, None when the importer found none
    role: str  # the speaker's role; 'other' without a speaker
    start: int
    end: int
    time_start: float | None  # seconds from the start of the recording
    time_end: float | None
    case_id: int | None = None  # the speaker's own case (focus groups), if linked


@dataclass(frozen=True, slots=True)
class Speaker:
    """A speaker of one document, with its role, case and number of turns."""

    id: int
    label: str
    role: str  # interviewer | participant | other
    case: str | None  # the name of the speaker's case, if linked
    turns: int

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label, "role": self.role, "case": self.case, "turns": self.turns}


_TURN_SQL = """
    SELECT t.document_id, t.idx, s.label AS speaker, COALESCE(s.role, 'other') AS role, t.start, t."end",
           t.time_start, t.time_end, s.case_id
    FROM turns t LEFT JOIN speakers s ON s.id = t.speaker_id
"""


def _rowid(rowid: int | None) -> int:
    """The id of the row an INSERT just added (always set after one)."""
    assert rowid is not None
    return rowid


def _turn(r: Any) -> Turn:
    return Turn(idx=r["idx"], speaker=r["speaker"], role=r["role"], start=r["start"], end=r["end"],
                time_start=r["time_start"], time_end=r["time_end"], case_id=r["case_id"])


def _document(r: Any) -> Document:
    return Document(id=r["id"], name=r["name"], source_path=r["source_path"], format=r["format"],
                    encoding=r["encoding"], content_hash=r["content_hash"], text=r["text"],
                    meta=json.loads(r["meta"]), version=r["version"], imported_at=r["imported_at"],
                    updated_at=r["updated_at"])


class Documents:
    """The ``documents``, ``turns`` and ``speakers`` tables."""

    def __init__(self, db: Connection):
        self.db = db

    # -- documents ------------------------------------------------------------------
    def get(self, doc_id: int) -> Document | None:
        """The document with this id, or None."""
        row = self.db.execute("SELECT * FROM documents WHERE id = ?", (doc_id,)).fetchone()
        return _document(row) if row is not None else None

    def by_name(self, name: str) -> Document | None:
        """The document named ``name``, or None."""
        row = self.db.execute("SELECT * FROM documents WHERE name = ?", (name,)).fetchone()
        return _document(row) if row is not None else None

    def select(self, *, names: Iterable[str] | None = None, ids: Iterable[int] | None = None) -> list[Document]:
        """The documents (all of them, or only those with one of these ``names`` and/or
        ``ids``), in name order. Unknown names and ids are left out: the caller, which
        knows how to word it, says which are missing."""
        sql = "SELECT * FROM documents"
        where: list[str] = []
        params: list[str | int] = []
        if names is not None:
            wanted_names = list(dict.fromkeys(names))
            where.append(f"name IN ({placeholders(len(wanted_names))})")
            params += wanted_names
        if ids is not None:
            wanted_ids = list(dict.fromkeys(ids))
            where.append(f"id IN ({placeholders(len(wanted_ids))})")
            params += wanted_ids
        if where:
            sql += " WHERE " + " AND ".join(where)
        return [_document(r) for r in self.db.execute(sql + " ORDER BY name", params)]

    def names(self) -> dict[int, str]:
        """Document id -> name, in name order (without loading the texts)."""
        return {r[0]: r[1] for r in self.db.execute("SELECT id, name FROM documents ORDER BY name")}

    def text(self, doc_id: int) -> str:
        """The text of a document (KeyError if there is none with this id)."""
        row = self.db.execute("SELECT text FROM documents WHERE id = ?", (doc_id,)).fetchone()
        if row is None:
            raise KeyError(doc_id)
        return str(row[0])

    def total_characters(self) -> int:
        """The length of all the texts together (a progress bar's total)."""
        return sum(len(r[0]) for r in self.db.execute("SELECT text FROM documents"))

    def insert(self, *, name: str, source_path: str | None, fmt: str, encoding: str | None,
               content_hash: str, text: str, meta: dict[str, Any], version: int = 1) -> int:
        ts = now()
        cur = self.db.execute(
            "INSERT INTO documents (name, source_path, format, encoding, content_hash, text, meta,"
            " version, imported_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (name, source_path, fmt, encoding, content_hash, text,
             json.dumps(meta, ensure_ascii=False), version, ts, ts),
        )
        return _rowid(cur.lastrowid)

    def delete(self, doc_id: int) -> None:
        """Delete a document with its turns, speakers, case links, annotation cache and
        orphaned codings (its codings first: the caller deletes them, with their memos)."""
        self.db.execute("DELETE FROM documents WHERE id = ?", (doc_id,))

    def rename(self, doc_id: int, name: str) -> None:
        """Give a document another name (the caller checks that no other has it)."""
        self.db.execute("UPDATE documents SET name = ?, updated_at = ? WHERE id = ?", (name, now(), doc_id))

    def replace_text(self, doc_id: int, *, source_path: str | None, fmt: str, encoding: str | None,
                     content_hash: str, text: str, meta: dict[str, Any], version: int) -> None:
        """Put a corrected text in place of a document's, keeping its id (its codings,
        memos and cases stay attached; the caller re-anchors the codings, rebuilds the
        turns and speakers, and drops the annotation cache)."""
        self.db.execute(
            "UPDATE documents SET source_path = ?, format = ?, encoding = ?, content_hash = ?, text = ?, meta = ?,"
            " version = ?, updated_at = ? WHERE id = ?",
            (source_path, fmt, encoding, content_hash, text, json.dumps(meta, ensure_ascii=False), version, now(),
             doc_id))

    def all(self) -> list[DocumentSummary]:
        """One summary per document with counts, speakers and cases, in name order."""
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
                DocumentSummary(
                    id=r["id"],
                    name=r["name"],
                    format=r["format"],
                    encoding=r["encoding"],
                    source_path=r["source_path"],
                    imported_at=r["imported_at"],
                    turns=r["turns"],
                    words=len(r["text"].split()),
                    characters=len(r["text"]),
                    speakers=dict(speakers),
                    cases=r["cases"].split("\x1f") if r["cases"] else [],
                    codings=r["codings"],
                )
            )
        return out

    # -- turns ------------------------------------------------------------------------
    def insert_turns(self, doc_id: int, rows: Iterable[Sequence[Any]]) -> None:
        """rows: (idx, speaker_id, start, end, time_start, time_end)"""
        self.db.executemany(
            'INSERT INTO turns (document_id, idx, speaker_id, start, "end", time_start, time_end)'
            " VALUES (?,?,?,?,?,?,?)",
            [(doc_id, *r) for r in rows],
        )

    def turns(self, doc_id: int) -> list[Turn]:
        """The turns of a document, in order (``turns[i].idx == i + 1``)."""
        rows = self.db.execute(_TURN_SQL + " WHERE t.document_id = ? ORDER BY t.idx", (doc_id,))
        return [_turn(r) for r in rows]

    def turns_by_document(self) -> dict[int, list[Turn]]:
        """Document id -> its turns in order, for every document, in one query."""
        out: dict[int, list[Turn]] = {}
        for r in self.db.execute(_TURN_SQL + " ORDER BY t.document_id, t.start"):
            out.setdefault(r["document_id"], []).append(_turn(r))
        return out

    def clear_turns(self, doc_id: int) -> None:
        """Delete a document's turns and speakers (before the turns of a corrected text)."""
        self.db.execute("DELETE FROM turns WHERE document_id = ?", (doc_id,))
        self.db.execute("DELETE FROM speakers WHERE document_id = ?", (doc_id,))

    # -- speakers ---------------------------------------------------------------------
    def insert_speaker(self, doc_id: int, label: str, role: str, case_id: int | None = None) -> int:
        cur = self.db.execute(
            "INSERT INTO speakers (document_id, label, role, case_id) VALUES (?,?,?,?)",
            (doc_id, label, role, case_id)
        )
        return _rowid(cur.lastrowid)

    def speaker_cases(self, doc_id: int) -> dict[str, int]:
        """Speaker label -> the id of its case, for the speakers linked to one."""
        return {r[0]: r[1] for r in self.db.execute(
            "SELECT label, case_id FROM speakers WHERE document_id = ? AND case_id IS NOT NULL", (doc_id,))}

    def rename_speaker(self, speaker_id: int, label: str) -> None:
        """Give a speaker another label (the caller checks that the document has no other)."""
        self.db.execute("UPDATE speakers SET label = ? WHERE id = ?", (label, speaker_id))

    def merge_speakers(self, sources: Sequence[int], target: int) -> int:
        """Give the turns (and bracketed interjections) of the ``sources`` speakers to
        ``target`` and delete the sources; returns how many turns changed speaker."""
        ids = [s for s in sources if s != target]
        if not ids:
            return 0
        moved = self.db.execute(f"UPDATE turns SET speaker_id = ? WHERE speaker_id IN ({placeholders(len(ids))})",
                                (target, *ids)).rowcount
        self.db.execute(f"UPDATE interjections SET speaker_id = ? WHERE speaker_id IN ({placeholders(len(ids))})",
                        (target, *ids))
        self.db.execute(f"DELETE FROM speakers WHERE id IN ({placeholders(len(ids))})", ids)
        return int(moved)

    def set_speaker_case(self, speaker_id: int, case_id: int | None) -> None:
        self.db.execute("UPDATE speakers SET case_id = ? WHERE id = ?", (case_id, speaker_id))

    def speakers(self, doc_id: int) -> list[Speaker]:
        """The speakers of a document, in the order they were found."""
        rows = self.db.execute(
            """
            SELECT s.id, s.label, s.role, c.name AS "case",
                   (SELECT COUNT(*) FROM turns t WHERE t.speaker_id = s.id) AS turns
            FROM speakers s LEFT JOIN cases c ON c.id = s.case_id
            WHERE s.document_id = ? ORDER BY s.id
            """,
            (doc_id,),
        )
        return [Speaker(id=r["id"], label=r["label"], role=r["role"], case=r["case"], turns=r["turns"])
                for r in rows]

    def set_speaker_role(self, speaker_id: int, role: str) -> None:
        self.db.execute("UPDATE speakers SET role = ? WHERE id = ?", (role, speaker_id))


def turn_at(turns: Sequence[Turn], offset: int, starts: Sequence[int] | None = None) -> Turn | None:
    """The turn (of :meth:`Documents.turns`) whose [start, end) holds ``offset``, or None
    when the offset is outside every turn (a speaker label, a header). ``starts``: the
    turns' start offsets, when the caller already has them."""
    if starts is None:
        starts = [t.start for t in turns]
    i = bisect_right(starts, offset) - 1
    return turns[i] if i >= 0 and offset < turns[i].end else None


class TurnIndex:
    """Finds the turn holding an offset, loading each document's turns once."""

    def __init__(self, store: Store):
        self.store = store
        self._docs: dict[int, tuple[list[Turn], list[int]]] = {}

    def at(self, document_id: int, offset: int) -> Turn | None:
        got = self._docs.get(document_id)
        if got is None:
            turns = self.store.documents.turns(document_id)
            got = self._docs[document_id] = (turns, [t.start for t in turns])
        return turn_at(got[0], offset, got[1])

    def number(self, document_id: int, offset: int) -> int | None:
        """1-based number of the turn holding ``offset`` (as in ``qualcode show``), or None."""
        turn = self.at(document_id, offset)
        return turn.idx if turn else None
