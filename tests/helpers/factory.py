"""One factory for the small coded projects the tests build.

Most tests need the same thing: a project with a codebook in ``codebooks/``, a few short
transcripts imported, sometimes a participants file, the rules applied with ``autocode``,
and some codings made by hand on known passages. ``build_project`` does those steps in
that order, through the CLI as a user would (``qualcode import``, ``cases import``,
``autocode``), checking each one succeeds; the codings by hand are written straight into
the database (``add_codings``), so that a test can give them any coder, status, unit or
memo without going through the commands it may be testing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from helpers.cli import Runner
from helpers.db import db_path
from helpers.files import write
from qualcode.project import Project

# The environment of the set-up commands: a known coder name, and none of the variables
# that would point the CLI at another project or change its error output. (The autouse
# fixture sets the same for each test, but module-scoped projects are built before it runs.)
SETUP_ENV = {"QUALCODE_USER": "tester", "QUALCODE_PROJECT": None, "QUALCODE_DEBUG": None}


@dataclass(frozen=True)
class Coding:
    """A coding to add by hand: ``passage`` is found (first occurrence) in ``document``."""

    document: str
    passage: str
    code: str
    coder: str = "camille"
    status: str = "accepted"
    unit: str = "span"
    memo: str | None = None
    origin: str | None = None  # default: "manual" for a person, "<code> terms[0]" for "rules"


def new_project(root: Path, *, name: str | None = None, language: str = "fr") -> Path:
    """Create an empty project in ``root`` (for projects built once per module)."""
    Project.init(root, language=language, name=name).close()
    return root


def build_project(
    project,
    src: Path,
    *,
    codebook: str | None = None,
    codebook_name: str = "test",
    documents: Mapping[str, str] | None = None,
    participants: str | None = None,
    autocode: bool = False,
    codings: Iterable[Coding] = (),
    retire: Iterable[str] = (),
    one_import: bool = False,
) -> Runner:
    """Fill the project (a Project, or its folder); returns a CLI runner in its folder.

    - ``codebook``: written to ``codebooks/<codebook_name>.yaml``;
    - ``documents``: name -> text, written to ``src/<name>.txt`` and imported one file per
      ``qualcode import``, in this order (document ids follow it), or all with one
      ``qualcode import src`` (sorted by file name, one history entry) if ``one_import``;
    - ``participants``: the text of a participants file, imported with ``cases import``;
    - ``autocode``: run ``qualcode autocode`` with the codebook;
    - ``codings``: added by hand after that (``add_codings``);
    - ``retire``: code paths marked retired in the codes table.
    """
    root = db_path(project).parent.parent
    run = Runner(root, env=SETUP_ENV)
    if codebook is not None:
        write(root / "codebooks" / f"{codebook_name}.yaml", codebook)
    files = [write(src / f"{name}.txt", text) for name, text in (documents or {}).items()]
    for target in ([src] if one_import and files else files):
        _ok(run("import", target))
    if participants is not None:
        _ok(run("cases", "import", write(src / "participants.csv", participants)))
    if autocode:
        _ok(run("autocode"))
    add_codings(root, codings)
    retire_codes(root, retire)
    return Runner(root)


def _ok(res):
    assert res.exit_code == 0, res.output
    return res


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def add_codings(project, codings: Iterable[Coding]) -> None:
    """Insert codings as they would be stored, each on the first occurrence of its passage."""
    codings = list(codings)
    if not codings:
        return
    conn = sqlite3.connect(db_path(project))
    try:
        with conn:
            for c in codings:
                found = conn.execute("SELECT id, text FROM documents WHERE name = ?", (c.document,)).fetchone()
                assert found, f"no document {c.document!r}"
                doc_id, text = found
                start = text.index(c.passage)
                code_id = conn.execute("SELECT id FROM codes WHERE path = ?", (c.code,)).fetchone()
                assert code_id, f"no code {c.code!r}"
                origin = c.origin or ("manual" if c.coder != "rules" else f"{c.code} terms[0]")
                ts = _now()
                conn.execute(
                    'INSERT INTO codings (document_id, code_id, start, "end", text, unit, coder, origin,'
                    " status, memo, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                    (doc_id, code_id[0], start, start + len(c.passage), c.passage, c.unit, c.coder,
                     origin, c.status, c.memo, ts, ts))
    finally:
        conn.close()


def set_status(project, code: str, passage: str, status: str) -> None:
    """Set the status of the one rule coding of ``code`` on ``passage``, as a review would."""
    conn = sqlite3.connect(db_path(project))
    try:
        with conn:
            cur = conn.execute("UPDATE codings SET status = ? WHERE coder = 'rules' AND text = ? AND code_id ="
                               " (SELECT id FROM codes WHERE path = ?)", (status, passage, code))
            assert cur.rowcount == 1
    finally:
        conn.close()


def retire_codes(project, paths: Iterable[str]) -> None:
    """Mark codes retired, as a codebook revision that drops them would."""
    paths = list(paths)
    if not paths:
        return
    conn = sqlite3.connect(db_path(project))
    try:
        with conn:
            for path in paths:
                cur = conn.execute("UPDATE codes SET status = 'retired' WHERE path = ?", (path,))
                assert cur.rowcount == 1, f"no code {path!r}"
    finally:
        conn.close()
