"""The codes of the codebook as mirrored in the project (path, label, definitions, colour, status).

The codebook file is the researcher's text; the ``codes`` table is the project's copy of
it, which codings point to by id. :meth:`Codes.sync` brings the table up to date with a
codebook (``autocode``, every revision, manual coding of a code only in the file); codes
that left the codebook keep their row, because their codings must not be lost: only the
revision commands rename (:meth:`Codes.set_paths`), retire (:meth:`Codes.set_status`) or
delete them. Paths are materialized (``identity/stigma``), so a subtree is a path prefix.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from qualcode.store.connection import Connection, now

_COLUMNS = ("id, path, label, parent_id, definition, full_definition, when_to_use, when_not_to_use,"
            " examples, color, status, created_at, updated_at")
_C_COLUMNS = ", ".join("c." + c.strip() for c in _COLUMNS.split(","))  # the same, of ``codes c``


@dataclass(frozen=True, slots=True)
class Code:
    """A row of the ``codes`` table; ``examples`` decoded from its JSON column."""

    id: int
    path: str
    label: str
    parent_id: int | None
    definition: str | None
    full_definition: str | None
    when_to_use: str | None
    when_not_to_use: str | None
    examples: list[str]
    color: str | None
    status: str  # active | retired
    created_at: str
    updated_at: str

    @property
    def active(self) -> bool:
        return self.status == "active"


@dataclass(frozen=True, slots=True)
class CodeSpec:
    """A code as the codebook defines it, to be written by :meth:`Codes.sync`.
    ``parent``: the parent's path (None at the top level)."""

    path: str
    label: str
    parent: str | None = None
    definition: str | None = None
    full_definition: str | None = None
    when_to_use: str | None = None
    when_not_to_use: str | None = None
    examples: list[str] = field(default_factory=list)
    color: str | None = None


@dataclass(frozen=True, slots=True)
class CodeSync:
    """What :meth:`Codes.sync` did: the id of every synced path, and which rows it
    inserted or updated (the paths, in codebook order)."""

    ids: dict[str, int]
    added: list[str]
    updated: list[str]

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated)


@dataclass(frozen=True, slots=True)
class CodeUsage:
    """A code and the number of its codings made or reviewed by people."""

    code: Code
    people: int


def _code(row: sqlite3.Row) -> Code:
    return Code(row["id"], row["path"], row["label"], row["parent_id"], row["definition"],
                row["full_definition"], row["when_to_use"], row["when_not_to_use"],
                json.loads(row["examples"] or "[]"), row["color"], row["status"], row["created_at"],
                row["updated_at"])


class Codes:
    """The ``codes`` table."""

    def __init__(self, db: Connection):
        self.db = db

    # -- reading ----------------------------------------------------------------------
    def all(self) -> list[Code]:
        """Every code, active and retired, in the order they were created (id order)."""
        return [_code(r) for r in self.db.execute(f"SELECT {_COLUMNS} FROM codes ORDER BY id")]

    def get(self, code_id: int) -> Code | None:
        row = self.db.execute(f"SELECT {_COLUMNS} FROM codes WHERE id = ?", (code_id,)).fetchone()
        return _code(row) if row else None

    def by_path(self, path: str) -> Code | None:
        row = self.db.execute(f"SELECT {_COLUMNS} FROM codes WHERE path = ?", (path,)).fetchone()
        return _code(row) if row else None

    def paths(self) -> list[str]:
        """Every code path (active and retired), sorted: for "did you mean" suggestions."""
        return [r[0] for r in self.db.execute("SELECT path FROM codes ORDER BY path")]

    def ids_by_path(self) -> dict[str, int]:
        """Path -> id of every code, in id order."""
        return {r[0]: int(r[1]) for r in self.db.execute("SELECT path, id FROM codes ORDER BY id")}

    def colors(self) -> dict[str, str | None]:
        """Path -> the colour the codebook gave it (None if none, not checked), in id order."""
        return {r[0]: r[1] for r in self.db.execute("SELECT path, color FROM codes ORDER BY id")}

    def subtree(self, path: str) -> list[Code]:
        """``path`` and its descendants, in path order (empty if ``path`` is unknown)."""
        rows = self.db.execute(
            f"SELECT {_COLUMNS} FROM codes WHERE path = ? OR substr(path, 1, ?) = ? ORDER BY path",
            (path, len(path) + 1, path + "/"))
        return [_code(r) for r in rows]

    def children(self, path: str) -> list[Code]:
        """The codes whose parent is ``path``, in id order."""
        rows = self.db.execute(
            f"SELECT {_C_COLUMNS}"
            " FROM codes c JOIN codes p ON p.id = c.parent_id WHERE p.path = ? ORDER BY c.id", (path,))
        return [_code(r) for r in rows]

    def coded_paths(self) -> set[str]:
        """The paths of the codes that have at least one coding (any coder, any status)."""
        rows = self.db.execute("SELECT DISTINCT c.path FROM codes c JOIN codings k ON k.code_id = c.id")
        return {r[0] for r in rows}

    def active_with_usage(self, *, machine_coder: str) -> list[CodeUsage]:
        """The active codes, each with the number of its codings made or reviewed by people
        (coder other than ``machine_coder``, or status other than ``proposed``), in id order."""
        rows = self.db.execute(
            f"SELECT {_C_COLUMNS}, (SELECT COUNT(*) FROM codings k"
            "  WHERE k.code_id = c.id AND (k.coder != ? OR k.status != 'proposed'))"
            " AS people FROM codes c WHERE c.status = 'active' ORDER BY c.id", (machine_coder,))
        return [CodeUsage(_code(r), int(r["people"])) for r in rows]

    def in_use(self, code_id: int) -> bool:
        """Whether a coding or a memo refers to the code (else it is an empty shell that a
        revision may delete)."""
        # reads codings and memos: a question about a code, asked before deleting it
        row = self.db.execute(
            "SELECT EXISTS (SELECT 1 FROM codings WHERE code_id = ?)"
            " OR EXISTS (SELECT 1 FROM memos WHERE target_type = 'code' AND target_id = ?)",
            (code_id, code_id)).fetchone()
        return bool(row[0])

    # -- writing ----------------------------------------------------------------------
    def sync(self, specs: Iterable[CodeSpec]) -> CodeSync:
        """Insert or update the codes ``specs`` (parents before their children, as a
        codebook walks them); path -> id of each in :attr:`CodeSync.ids`.

        A code written in the codebook is active (retired codes are commented out), so a
        synced code that was retired becomes active again. Rows whose values are already
        those of the spec are not written. Codes absent from ``specs`` are left as they are.
        Set-based: one read, one insert and one update statement whatever the number of codes.
        """
        specs = list(specs)
        ts = now()
        have = {r["path"]: r for r in self.db.execute(
            "SELECT id, path, label, parent_id, definition, full_definition, when_to_use, when_not_to_use,"
            " examples, color, status FROM codes")}
        new = [s for s in specs if s.path not in have]
        synced = {s.path for s in specs}
        # executemany runs in order: a parent inserted by an earlier row is found by the subquery
        self.db.executemany(
            "INSERT INTO codes (path, label, parent_id, definition, full_definition, when_to_use,"
            " when_not_to_use, examples, color, created_at, updated_at)"
            " VALUES (?,?,(SELECT id FROM codes WHERE path = ?),?,?,?,?,?,?,?,?)",
            [(s.path, s.label, s.parent if s.parent in synced else None, s.definition, s.full_definition,
              s.when_to_use, s.when_not_to_use, json.dumps(s.examples, ensure_ascii=False), s.color, ts, ts)
             for s in new])
        ids = {s.path: int(have[s.path]["id"]) for s in specs if s.path in have}
        if new:
            ids |= self.ids_by_path()
        ids = {s.path: ids[s.path] for s in specs}
        changes: list[tuple] = []
        updated: list[str] = []
        for s in specs:
            row = have.get(s.path)
            if row is None:
                continue
            values = (s.label, ids.get(s.parent) if s.parent else None, s.definition, s.full_definition,
                      s.when_to_use, s.when_not_to_use, json.dumps(s.examples, ensure_ascii=False), s.color)
            if tuple(row)[2:-1] != values or row["status"] != "active":
                changes.append((*values, ts, row["id"]))
                updated.append(s.path)
        self.db.executemany(
            "UPDATE codes SET label = ?, parent_id = ?, definition = ?, full_definition = ?,"
            " when_to_use = ?, when_not_to_use = ?, examples = ?, color = ?, status = 'active',"
            " updated_at = ? WHERE id = ?", changes)
        return CodeSync(ids, [s.path for s in new], updated)

    def set_paths(self, paths: Mapping[int, str]) -> None:
        """Give the codes (id -> new path) their new paths, together: two phases, so that
        paths swapped or shifted within the set never clash on the UNIQUE constraint."""
        ts = now()
        self.db.executemany("UPDATE codes SET path = ? WHERE id = ?", [(f"\x00{i}", i) for i in paths])
        self.db.executemany("UPDATE codes SET path = ?, updated_at = ? WHERE id = ?",
                            [(p, ts, i) for i, p in paths.items()])

    def set_status(self, code_ids: Iterable[int], status: str) -> None:
        """Mark the codes ``active`` or ``retired``."""
        ts = now()
        self.db.executemany("UPDATE codes SET status = ?, updated_at = ? WHERE id = ?",
                            [(status, ts, i) for i in code_ids])

    def delete(self, code_ids: Sequence[int]) -> None:
        """Delete the codes, in the order given (children before their parents: a parent
        that still has children cannot be deleted)."""
        self.db.executemany("DELETE FROM codes WHERE id = ?", [(i,) for i in code_ids])
