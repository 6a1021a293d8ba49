"""Reading the project database behind qualcode's back, to check what a command stored.

Each function opens its own ``sqlite3`` connection on ``.qualcode/project.db`` and closes
it: it sees what was committed, whatever the open ``Project`` of the test holds, and it
does not depend on the store API it checks."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path


def db_path(project_or_root) -> Path:
    """The database of a Project, or of the project in a folder."""
    # careful: pathlib.Path has a .root attribute of its own
    root = project_or_root if isinstance(project_or_root, (str, os.PathLike)) else project_or_root.root
    return Path(root) / ".qualcode" / "project.db"


def db_rows(project_or_root, sql: str, params=()) -> list[tuple]:
    """Rows of a query on the project database, through a fresh connection."""
    conn = sqlite3.connect(db_path(project_or_root))
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def assert_offsets_sacred(project_or_root, *, allow_empty: bool = False) -> int:
    """Every coding's text equals the document text between its offsets; returns how many
    codings were checked (there must be some unless ``allow_empty``)."""
    rows = db_rows(project_or_root, 'SELECT k.text, d.text, k.start, k."end" FROM codings k'
                                    " JOIN documents d ON d.id = k.document_id")
    assert rows or allow_empty, "no codings to check"
    for coded, text, start, end in rows:
        assert text[start:end] == coded
    return len(rows)


def snapshot(project_or_root, tables: tuple[str, ...] | None = None) -> dict[str, list[tuple]]:
    """Every row of every table (or of ``tables``), each table ordered by its first column:
    to prove that a failed command changed nothing, or that a restore brought it all back."""
    if tables is None:
        tables = tuple(r[0] for r in db_rows(project_or_root,
                                             "SELECT name FROM sqlite_master WHERE type = 'table'"))
    return {t: db_rows(project_or_root, f"SELECT * FROM {t} ORDER BY 1") for t in tables}


def per_code(project_or_root) -> dict[str, tuple[int, int]]:
    """code path -> (manual codings, rule codings)"""
    out: dict[str, tuple[int, int]] = {}
    for path, coder, n in db_rows(project_or_root,
                                  "SELECT c.path, k.coder = 'rules', COUNT(*) FROM codings k"
                                  " JOIN codes c ON c.id = k.code_id GROUP BY 1, 2"):
        m, r = out.get(path, (0, 0))
        out[path] = (m, r + n) if coder else (m + n, r)
    return out
