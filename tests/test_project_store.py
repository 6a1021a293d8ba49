"""Project creation, discovery and the store's schema and transactions."""

from __future__ import annotations

import sqlite3

import pytest

from qualcode.errors import ProjectNotFound, QualcodeError
from qualcode.project import DB_RELATIVE, Project
from qualcode.store import MIGRATIONS, SCHEMA_VERSION, Store


def test_init_creates_config_and_database(tmp_path):
    proj = Project.init(tmp_path / "p", language="fr", name="Bassin minier")
    assert (tmp_path / "p" / "qualcode.toml").is_file()
    assert (tmp_path / "p" / DB_RELATIVE).is_file()
    assert proj.name == "Bassin minier" and proj.language == "fr"
    conn = proj.store.conn
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert proj.store.schema_version == SCHEMA_VERSION == len(MIGRATIONS)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"documents", "turns", "speakers", "cases", "case_attributes", "case_documents",
            "codes", "codings", "memos", "history"} <= tables
    proj.close()


def test_init_refuses_existing_project_and_bad_language(tmp_path):
    Project.init(tmp_path).close()
    with pytest.raises(QualcodeError, match="already exists"):
        Project.init(tmp_path)
    with pytest.raises(QualcodeError, match="unsupported language"):
        Project.init(tmp_path / "other", language="klingon")
    assert not (tmp_path / "other" / "qualcode.toml").exists()


def test_find_searches_upward(project):
    deep = project.root / "a" / "b"
    deep.mkdir(parents=True)
    assert Project.find(deep) == project.root
    with Project.open(deep) as again:
        assert again.root == project.root


def test_find_fails_outside_a_project(tmp_path):
    with pytest.raises(ProjectNotFound, match="no qualcode project"):
        Project.find(tmp_path)


def test_user_from_config_then_env(project, monkeypatch):
    assert project.user == "tester"  # from QUALCODE_USER (conftest)
    cfg = project.config_path.read_text(encoding="utf-8").replace('# name = "your name"', 'name = "Camille"')
    project.config_path.write_text(cfg, encoding="utf-8")
    with Project.open(project.root) as p:
        assert p.user == "Camille"


def test_transaction_rolls_back_everything_on_error(project):
    store = project.store
    with pytest.raises(RuntimeError), store.transaction():
        store.cases.ensure("P01")
        with store.transaction():  # nested: a savepoint
            store.cases.ensure("P02")
        raise RuntimeError("boom")
    assert store.cases.all() == []


def test_savepoint_failure_keeps_outer_work(project):
    store = project.store
    with store.transaction():
        store.cases.ensure("P01")
        with pytest.raises(KeyboardInterrupt), store.transaction():
            store.cases.ensure("P02")
            raise KeyboardInterrupt
    assert [c.name for c in store.cases.all()] == ["P01"]


def test_codings_enforce_offsets_and_foreign_keys(project):
    store = project.store
    with store.transaction():
        doc = store.documents.insert(name="d", source_path=None, fmt="txt", encoding="utf-8",
                                    content_hash="x", text="abc", meta={})
    with pytest.raises(sqlite3.IntegrityError), store.transaction():
        store.execute(
            "INSERT INTO codings (document_id, code_id, start, \"end\", text, coder, origin,"
            " created_at, updated_at) VALUES (?, 999, 0, 1, 'a', 'me', 'manual', '', '')", (doc,))
    with pytest.raises(sqlite3.IntegrityError), store.transaction():
        store.execute("INSERT INTO turns (document_id, idx, start, \"end\") VALUES (?, 1, 2, 1)", (doc,))


def test_newer_schema_is_refused(tmp_path):
    db = tmp_path / "x.db"
    Store(db, create=True).close()
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(QualcodeError, match="newer than this qualcode"):
        Store(db)


def test_migrations_upgrade_an_old_database(tmp_path):
    """A database at version 0 (no tables) is brought to the current version. (A 0-byte
    file is refused as damaged: tests/test_damaged_project.py.)"""
    db = tmp_path / "old.db"
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode = WAL")  # writes the header: a real, empty database
    conn.close()
    store = Store(db)
    assert store.schema_version == SCHEMA_VERSION
    store.close()


def test_turn_at_finds_the_turn_holding_an_offset():
    from qualcode.store import turn_at
    from qualcode.store.documents import Turn

    # "E: Bonjour.\nM: Oui.": turn 1 = [3, 11), label "M: " = [12, 15), turn 2 = [15, 19)
    turns = [Turn(idx=1, speaker="E", role="interviewer", start=3, end=11, time_start=None, time_end=None),
             Turn(idx=2, speaker="M", role="participant", start=15, end=19, time_start=None, time_end=None)]
    assert [(o, t.idx if (t := turn_at(turns, o)) else None) for o in (0, 3, 10, 11, 13, 15, 18, 19)] == [
        (0, None), (3, 1), (10, 1), (11, None), (13, None), (15, 2), (18, 2), (19, None)]
    assert turn_at([], 5) is None
