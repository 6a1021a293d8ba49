"""A damaged project database is refused with one line, never re-created or changed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import INTERVIEW, Runner, write

from qualcode.project import Project


def _damage(root: Path, kind: str, tmp_path: Path) -> Path:
    db = root / ".qualcode" / "project.db"
    if kind == "empty":
        db.write_bytes(b"")
    elif kind == "random":
        db.write_bytes(os.urandom(8192))
    else:  # a real project database cut after its first page
        db.write_bytes(db.read_bytes()[:4096])
    return db


@pytest.fixture
def real_project(tmp_path) -> Path:
    proj = Project.init(tmp_path / "proj", language="fr")
    proj.close()
    runner = Runner(proj.root)
    for i in range(40):  # enough rows for the database to span many pages
        write(tmp_path / "in" / f"e{i}.txt", INTERVIEW.replace("Dufour", f"Dufour{i}"))
    assert runner("import", tmp_path / "in").exit_code == 0
    assert (proj.root / ".qualcode" / "project.db").stat().st_size > 4096
    return proj.root


@pytest.mark.parametrize("kind", ["empty", "random", "truncated"])
@pytest.mark.parametrize("command", ["docs", "import"])
def test_a_damaged_database_is_refused_in_one_line_and_left_untouched(real_project, tmp_path, kind, command):
    db = _damage(real_project, kind, tmp_path)
    before = db.read_bytes()
    args = ["docs"] if command == "docs" else ["import", write(tmp_path / "new.txt", INTERVIEW)]
    res = Runner(real_project)(*args)
    assert res.exit_code == 1, res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert "Traceback" not in res.output and "internal error" not in res.stderr
    assert str(db) in lines[0]
    assert "damaged" in lines[0] or "empty" in lines[0]
    assert "qualcode backups restore ID" in lines[0]  # how to restore
    assert db.read_bytes() == before
    assert not Path(f"{db}-wal").exists() or kind == "truncated"
