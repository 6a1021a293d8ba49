"""The project database: SQLite schema, migrations, transactions and queries.

This module is the only place that writes SQL. The database uses foreign keys, WAL
journaling and a schema version (``PRAGMA user_version``) upgraded by the ordered
``MIGRATIONS``. Every command runs inside :meth:`Store.transaction`: either all of its
writes are committed or none (an exception, Ctrl-C or a killed process leaves the
database exactly as before, SQLite guarantees the last case).
"""

from __future__ import annotations

import json
import sqlite3
from bisect import bisect_right
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from qualcode.errors import QualcodeError

# Each entry upgrades the schema from version i to i+1. Never edit a released entry:
# append a new one.
MIGRATIONS: list[str] = [
    # 0 -> 1: the foundation
    """
    CREATE TABLE documents (
        id           INTEGER PRIMARY KEY,
        name         TEXT NOT NULL UNIQUE,
        source_path  TEXT,
        format       TEXT NOT NULL,
        encoding     TEXT,
        content_hash TEXT NOT NULL,           -- sha256 of the raw file bytes
        text         TEXT NOT NULL,           -- normalized: \\n newlines, NFC
        meta         TEXT NOT NULL DEFAULT '{}',
        version      INTEGER NOT NULL DEFAULT 1,
        imported_at  TEXT NOT NULL,
        updated_at   TEXT NOT NULL
    );
    CREATE TABLE cases (
        id         INTEGER PRIMARY KEY,
        name       TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL
    );
    CREATE TABLE case_attributes (
        case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
        name    TEXT NOT NULL,
        value,
        type    TEXT NOT NULL CHECK (type IN ('str', 'int', 'float', 'bool')),
        PRIMARY KEY (case_id, name)
    );
    CREATE TABLE case_documents (
        case_id     INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
        document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        PRIMARY KEY (case_id, document_id)
    );
    CREATE TABLE speakers (
        id          INTEGER PRIMARY KEY,
        document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        label       TEXT NOT NULL,
        role        TEXT NOT NULL CHECK (role IN ('interviewer', 'participant', 'other')),
        case_id     INTEGER REFERENCES cases(id) ON DELETE SET NULL,
        UNIQUE (document_id, label)
    );
    CREATE TABLE turns (
        id          INTEGER PRIMARY KEY,
        document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        idx         INTEGER NOT NULL,         -- 1-based, in document order
        speaker_id  INTEGER REFERENCES speakers(id) ON DELETE CASCADE,
        start       INTEGER NOT NULL,
        "end"       INTEGER NOT NULL,
        time_start  REAL,
        time_end    REAL,
        UNIQUE (document_id, idx),
        CHECK (0 <= start AND start < "end")
    );
    CREATE INDEX turns_doc_start ON turns(document_id, start);
    CREATE TABLE codes (
        id              INTEGER PRIMARY KEY,
        path            TEXT NOT NULL UNIQUE,
        label           TEXT NOT NULL,
        parent_id       INTEGER REFERENCES codes(id) ON DELETE RESTRICT,
        definition      TEXT,
        full_definition TEXT,
        when_to_use     TEXT,
        when_not_to_use TEXT,
        examples        TEXT NOT NULL DEFAULT '[]',
        color           TEXT,
        status          TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'retired')),
        created_at      TEXT NOT NULL,
        updated_at      TEXT NOT NULL
    );
    CREATE TABLE codings (
        id               INTEGER PRIMARY KEY,
        document_id      INTEGER NOT NULL REFERENCES documents(id) ON DELETE RESTRICT,
        code_id          INTEGER NOT NULL REFERENCES codes(id) ON DELETE RESTRICT,
        start            INTEGER NOT NULL,
        "end"            INTEGER NOT NULL,
        text             TEXT NOT NULL,       -- always equals documents.text[start:end]
        unit             TEXT NOT NULL DEFAULT 'span' CHECK (unit IN ('sentence', 'turn', 'span')),
        coder            TEXT NOT NULL,       -- 'rules' or a person
        origin           TEXT NOT NULL,       -- rule id, or 'manual'
        status           TEXT NOT NULL DEFAULT 'proposed'
                         CHECK (status IN ('proposed', 'accepted', 'rejected')),
        codebook_version TEXT,
        memo             TEXT,
        created_at       TEXT NOT NULL,
        updated_at       TEXT NOT NULL,
        CHECK (0 <= start AND start < "end"),
        UNIQUE (document_id, code_id, coder, start, "end")
    );
    CREATE INDEX codings_doc ON codings(document_id, start);
    CREATE INDEX codings_code ON codings(code_id);
    CREATE TABLE memos (
        id          INTEGER PRIMARY KEY,
        target_type TEXT NOT NULL CHECK (target_type IN ('project', 'document', 'case', 'code', 'coding')),
        target_id   INTEGER,
        text        TEXT NOT NULL,
        author      TEXT NOT NULL,
        created_at  TEXT NOT NULL,
        updated_at  TEXT NOT NULL
    );
    CREATE TABLE history (
        id        INTEGER PRIMARY KEY,
        at        TEXT NOT NULL,
        user      TEXT NOT NULL,
        command   TEXT NOT NULL,
        operation TEXT NOT NULL,
        summary   TEXT NOT NULL,
        details   TEXT NOT NULL DEFAULT '{}'
    );
    """,
    # 1 -> 2: annotation cache and recorded codebook versions (auto-coding)
    """
    CREATE TABLE annotations (
        document_id INTEGER PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
        cache_key   TEXT NOT NULL,            -- nlp.cache_key(text, turns, pipeline)
        pipeline    TEXT NOT NULL,
        data        BLOB NOT NULL,            -- nlp.AnnotatedDoc.to_bytes()
        created_at  TEXT NOT NULL
    );
    CREATE TABLE codebook_versions (
        version      TEXT PRIMARY KEY,        -- short content hash, recorded on codings
        content_hash TEXT NOT NULL,
        title        TEXT NOT NULL,
        source       TEXT,
        content      TEXT NOT NULL,           -- the YAML file as applied
        recorded_at  TEXT NOT NULL
    );
    CREATE INDEX codings_coder ON codings(coder, document_id);
    """,
    # 2 -> 3: review (decision log for undo/audit) and the queue of codings to reassign
    """
    CREATE TABLE review_log (
        id          INTEGER PRIMARY KEY,
        coding_id   INTEGER REFERENCES codings(id) ON DELETE SET NULL,
        action      TEXT NOT NULL,            -- accept | reject | recode | add | assign | undo
        from_status TEXT,
        to_status   TEXT,
        from_code   TEXT,                     -- code paths, for the audit trail
        to_code     TEXT,
        created_coding_id INTEGER,            -- a coding this decision created (add, recode)
        user        TEXT NOT NULL,
        at          TEXT NOT NULL,
        undone      INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE review_queue (
        id         INTEGER PRIMARY KEY,
        coding_id  INTEGER NOT NULL UNIQUE REFERENCES codings(id) ON DELETE CASCADE,
        reason     TEXT NOT NULL,             -- e.g. 'split identity/x'
        choices    TEXT NOT NULL,             -- JSON list of code paths to choose from
        created_at TEXT NOT NULL
    );
    """,
    # 3 -> 4: the review's "skipped items last" ordering looks decisions up by coding
    """
    CREATE INDEX review_log_coding ON review_log(coding_id, id);
    """,
    # 4 -> 5: the codebook terms' analyses (tokens, lemmas), so that re-coding after a
    # codebook edit runs the pipeline on new terms only
    """
    CREATE TABLE term_analyses (
        cache_key TEXT NOT NULL,              -- qualcode.rules.term_cache_key(pipeline)
        text      TEXT NOT NULL,              -- the term (or the word before a '*')
        tokens    TEXT NOT NULL,              -- JSON [[token, lemma], ...]
        PRIMARY KEY (cache_key, text)
    ) WITHOUT ROWID;
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Store:
    """A connection to one project database."""

    def __init__(self, path: str | Path, *, create: bool = False):
        self.path = Path(path)
        if not create and not self.path.exists():
            raise QualcodeError(f"project database missing: {self.path}")
        # isolation_level=None: we issue BEGIN/COMMIT ourselves.
        self.conn = sqlite3.connect(str(self.path), isolation_level=None, timeout=10)
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("PRAGMA foreign_keys = ON")
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA synchronous = NORMAL")
        self._depth = 0
        self.migrate()

    # -- schema -----------------------------------------------------------------
    @property
    def schema_version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    def migrate(self) -> None:
        current = self.schema_version
        if current > SCHEMA_VERSION:
            raise QualcodeError(
                f"project database has schema version {current}, newer than this qualcode "
                f"({SCHEMA_VERSION}): upgrade qualcode"
            )
        for version in range(current, SCHEMA_VERSION):
            with self.transaction():
                for statement in _split_sql(MIGRATIONS[version]):
                    self.conn.execute(statement)
                self.conn.execute(f"PRAGMA user_version = {version + 1}")

    def close(self) -> None:
        self.conn.close()

    # -- transactions -------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic unit of work; nested calls become savepoints."""
        if self._depth:
            name = f"sp{self._depth}"
            self.conn.execute(f"SAVEPOINT {name}")
            self._depth += 1
            try:
                yield self.conn
            except BaseException:
                self.conn.execute(f"ROLLBACK TO {name}")
                self.conn.execute(f"RELEASE {name}")
                raise
            else:
                self.conn.execute(f"RELEASE {name}")
            finally:
                self._depth -= 1
            return
        self.conn.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")
        finally:
            self._depth = 0

    def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, params)

    # -- history ----------------------------------------------------------------
    def log(self, user: str, command: str, operation: str, summary: str, details: dict | None = None) -> None:
        self.execute(
            "INSERT INTO history (at, user, command, operation, summary, details) VALUES (?,?,?,?,?,?)",
            (now(), user, command, operation, summary, json.dumps(details or {}, ensure_ascii=False)),
        )

    def history(self, operation: str | None = None) -> list[dict]:
        sql = "SELECT * FROM history"
        params: tuple = ()
        if operation:
            sql += " WHERE operation = ?"
            params = (operation,)
        rows = self.execute(sql + " ORDER BY id", params).fetchall()
        return [dict(r) | {"details": json.loads(r["details"])} for r in rows]

    # -- documents ----------------------------------------------------------------
    def document_by_name(self, name: str) -> sqlite3.Row | None:
        return self.execute("SELECT * FROM documents WHERE name = ?", (name,)).fetchone()

    def insert_document(self, *, name: str, source_path: str | None, fmt: str, encoding: str | None,
                        content_hash: str, text: str, meta: dict, version: int = 1) -> int:
        ts = now()
        cur = self.execute(
            "INSERT INTO documents (name, source_path, format, encoding, content_hash, text, meta,"
            " version, imported_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (name, source_path, fmt, encoding, content_hash, text,
             json.dumps(meta, ensure_ascii=False), version, ts, ts),
        )
        return int(cur.lastrowid)

    def delete_document(self, doc_id: int) -> None:
        self.execute("DELETE FROM documents WHERE id = ?", (doc_id,))

    def count_codings(self, doc_id: int) -> int:
        return self.execute("SELECT COUNT(*) FROM codings WHERE document_id = ?", (doc_id,)).fetchone()[0]

    def insert_speaker(self, doc_id: int, label: str, role: str) -> int:
        cur = self.execute(
            "INSERT INTO speakers (document_id, label, role) VALUES (?,?,?)", (doc_id, label, role)
        )
        return int(cur.lastrowid)

    def insert_turns(self, doc_id: int, rows: list[tuple]) -> None:
        """rows: (idx, speaker_id, start, end, time_start, time_end)"""
        self.conn.executemany(
            'INSERT INTO turns (document_id, idx, speaker_id, start, "end", time_start, time_end)'
            " VALUES (?,?,?,?,?,?,?)",
            [(doc_id, *r) for r in rows],
        )

    def documents(self) -> list[dict]:
        """One row per document with counts, speakers and cases, in name order."""
        rows = self.execute(
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
        rows = self.execute(
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
        rows = self.execute(
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
        self.execute("UPDATE speakers SET role = ? WHERE id = ?", (role, speaker_id))

    # -- cases --------------------------------------------------------------------
    def case_id(self, name: str, create: bool = False) -> int | None:
        row = self.execute("SELECT id FROM cases WHERE name = ?", (name,)).fetchone()
        if row:
            return int(row[0])
        if not create:
            return None
        return int(self.execute("INSERT INTO cases (name, created_at) VALUES (?,?)", (name, now())).lastrowid)

    def set_case_attribute(self, case_id: int, name: str, value: Any) -> None:
        kind = {bool: "bool", int: "int", float: "float"}.get(type(value), "str")
        self.execute(
            "INSERT INTO case_attributes (case_id, name, value, type) VALUES (?,?,?,?)"
            " ON CONFLICT (case_id, name) DO UPDATE SET value = excluded.value, type = excluded.type",
            (case_id, name, value, kind),
        )

    def link_case_document(self, case_id: int, doc_id: int) -> bool:
        cur = self.execute(
            "INSERT OR IGNORE INTO case_documents (case_id, document_id) VALUES (?,?)", (case_id, doc_id)
        )
        return cur.rowcount > 0

    def cases(self) -> list[dict]:
        cases = self.execute("SELECT id, name FROM cases ORDER BY name").fetchall()
        out = []
        for c in cases:
            attrs = {}
            for a in self.execute(
                "SELECT name, value, type FROM case_attributes WHERE case_id = ? ORDER BY rowid", (c["id"],)
            ):
                value = a["value"]
                if a["type"] == "bool":
                    value = bool(value)
                attrs[a["name"]] = value
            docs = [
                r[0]
                for r in self.execute(
                    "SELECT d.name FROM case_documents cd JOIN documents d ON d.id = cd.document_id"
                    " WHERE cd.case_id = ? ORDER BY d.name",
                    (c["id"],),
                )
            ]
            out.append({"case": c["name"], "attributes": attrs, "documents": docs})
        return out


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

    def __init__(self, store: Store):
        self.store = store
        self._docs: dict[int, tuple[list[dict], list[int]]] = {}

    def at(self, document_id: int, offset: int) -> dict | None:
        got = self._docs.get(document_id)
        if got is None:
            turns = self.store.turns(document_id)
            got = self._docs[document_id] = (turns, [t["start"] for t in turns])
        return turn_at(got[0], offset, got[1])

    def number(self, document_id: int, offset: int) -> int | None:
        """1-based number of the turn holding ``offset`` (as in ``qualcode show``), or None."""
        turn = self.at(document_id, offset)
        return turn["idx"] if turn else None


def _split_sql(script: str) -> list[str]:
    """Split a migration script into statements (no semicolons inside our literals)."""
    statements, buf = [], []
    for line in script.splitlines():
        code = line.split("--", 1)[0]
        buf.append(code)
        if code.rstrip().endswith(";"):
            stmt = "\n".join(buf).strip()
            if stmt.strip(";").strip():
                statements.append(stmt)
            buf = []
    rest = "\n".join(buf).strip()
    if rest:
        statements.append(rest)
    return statements
