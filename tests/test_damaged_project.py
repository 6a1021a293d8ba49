"""A damaged project database is refused with one line, never re-created or changed."""

from __future__ import annotations

import json
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


@pytest.mark.parametrize("kind", ["empty", "random", "truncated"])
def test_backups_restore_repairs_a_damaged_project_and_keeps_the_damaged_file(real_project, tmp_path, kind):
    from qualcode import backups

    project = Project.open(real_project)
    try:
        backup_id = backups.backup(project, "before the accident")
    finally:
        project.close()
    db = _damage(real_project, kind, tmp_path)
    damaged = db.read_bytes()
    runner = Runner(real_project)
    listed = runner("backups", "--json")
    assert listed.exit_code == 0, listed.output
    assert [b["id"] for b in json.loads(listed.stdout)] == [backup_id]
    res = runner("backups", "restore", backup_id)
    assert res.exit_code == 0, res.output
    assert f"restored backup {backup_id}" in res.stdout
    docs = runner("docs", "--json")
    assert docs.exit_code == 0, docs.output
    assert len(json.loads(docs.stdout)) == 40
    # the damaged file is kept among the backups, byte for byte
    kept = list((real_project / ".qualcode" / "backups").glob("*-damaged.db"))
    assert len(kept) == 1 and kept[0].read_bytes() == damaged
    history = runner("history", "--json")
    assert "backups restore" in history.stdout
