"""Backups (`qualcode backups`, `qualcode backups restore ID`) and qualcode.backups."""

from __future__ import annotations

import json
import sqlite3

import pytest
from helpers import Coding, per_code, snapshot
from helpers import db_rows as rows
from helpers.revision import CODEBOOK, build

from qualcode import backups as bk


@pytest.fixture
def coded(project, tmp_path):
    return build(project, tmp_path, [Coding("caron", "Avant c'était la misère, on avait honte.", "identity/stigma"),
                                     Coding("caron", "Mon père était mineur.", "identity/mining_memory")])


def listed(cli):
    res = cli("backups", "--json")
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_no_backups_yet(cli, project):
    res = cli("backups")
    assert res.exit_code == 0 and "No backups yet." in res.stdout
    assert listed(cli) == []


def test_revisions_take_backups_and_restore_brings_old_codings_back(coded, project):
    book = project.root / "codebooks" / "test.yaml"
    before = per_code(project)
    before_codings = rows(project, "SELECT c.path, k.coder, k.start, k.\"end\", k.status FROM codings k"
                                   " JOIN codes c ON c.id = k.code_id ORDER BY 1, 2, 3")
    assert coded("codebook", "merge", "identity/stigma", "identity/pride", "--into", "identity/self",
                 "--label", "Self").exit_code == 0
    assert coded("codebook", "retire", "heritage").exit_code == 0
    assert "identity/stigma" not in per_code(project)
    found = listed(coded)
    assert [b["reason"] for b in found] == ["merge", "retire"]
    first = found[0]
    assert first["user"] == "tester" and first["codebook"] == "codebooks/test.yaml" and first["has_codebook"]
    assert first["size"] == (project.root / ".qualcode" / "backups" / f"{first['id']}.db").stat().st_size > 0
    assert (project.root / ".qualcode" / "backups" / f"{first['id']}.yaml").read_text(encoding="utf-8") == CODEBOOK
    res = coded("backups")
    assert first["id"] in res.stdout and "merge" in res.stdout

    project.store.close()  # the test's own connection: restore refuses while another is open
    res = coded("backups", "restore", first["id"][:-3])  # a unique prefix is enough
    assert res.exit_code == 0, res.output
    assert f"restored backup {first['id']} (database and codebooks/test.yaml)" in res.stdout
    conn = sqlite3.connect(project.root / ".qualcode" / "project.db")
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    assert per_code(project) == before
    assert rows(project, "SELECT c.path, k.coder, k.start, k.\"end\", k.status FROM codings k"
                         " JOIN codes c ON c.id = k.code_id ORDER BY 1, 2, 3") == before_codings
    assert book.read_text(encoding="utf-8") == CODEBOOK
    # the state before the restore was saved first, and the restore is in the history
    found = listed(coded)
    assert [b["reason"] for b in found] == ["merge", "retire", f"before restoring {first['id']}"]
    assert found[-1]["id"].endswith("-before-restore")
    hist = json.loads(coded("history", "--json").stdout)
    assert hist[-1]["operation"] == "backups" and hist[-1]["details"]["saved_as"] == found[-1]["id"]
    assert [h["operation"] for h in hist] == ["import", "autocode", "backups"]  # the revisions are undone
    # and the restore can itself be undone
    res = coded("backups", "restore", found[-1]["id"])
    assert res.exit_code == 0, res.output
    assert "identity/self" in per_code(project) and "identity/stigma" not in per_code(project)
    assert "# qualcode: retired heritage" in book.read_text(encoding="utf-8")


def test_restore_refuses_a_damaged_backup(coded, project):
    assert coded("codebook", "add", "identity/x", "--label", "X").exit_code == 0
    ident = listed(coded)[0]["id"]
    path = project.root / ".qualcode" / "backups" / f"{ident}.db"
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])  # a truncated copy (disk full, interrupted copy…)
    before = snapshot(project)
    project.store.close()
    res = coded("backups", "restore", ident)
    assert res.exit_code == 1
    assert "damaged" in res.stderr or "not a readable database" in res.stderr
    assert snapshot(project) == before
    assert [b["reason"] for b in listed(coded)] == ["add"]  # no "before-restore" backup either


def test_restore_refuses_while_another_connection_is_open(coded, project):
    assert coded("codebook", "add", "identity/x", "--label", "X").exit_code == 0
    ident = listed(coded)[0]["id"]
    before = snapshot(project)
    # project.store (the fixture's connection) is still open: another process, in effect
    res = coded("backups", "restore", ident)
    assert res.exit_code == 1 and "open in another qualcode process" in res.stderr
    assert snapshot(project) == before
    assert project.store.execute("SELECT COUNT(*) FROM codes WHERE path = 'identity/x'").fetchone()[0] == 1


def test_unknown_and_ambiguous_ids(coded, project):
    assert coded("codebook", "add", "identity/x", "--label", "X").exit_code == 0
    assert coded("codebook", "add", "identity/y", "--label", "Y").exit_code == 0
    res = coded("backups", "restore", "nope")
    assert res.exit_code == 1 and "no backup 'nope'" in res.stderr
    res = coded("backups", "restore", "2")  # every id starts with the year
    assert res.exit_code == 1 and "2 backups start with '2'" in res.stderr


def test_only_the_last_20_are_kept(project):
    ids = [bk.backup(project, f"test {i}") for i in range(23)]
    assert len(set(ids)) == 23  # unique even within one second
    kept = [b.id for b in bk.list_backups(project)]
    assert kept == ids[3:]
    folder = project.root / ".qualcode" / "backups"
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [f"{i}.db" for i in ids[3:]] + [f"{i}.json" for i in ids[3:]])  # no codebook in this project


def test_backup_inside_a_transaction_is_a_bug(project):
    with pytest.raises(RuntimeError), project.store.transaction():
        bk.backup(project, "inside")


def test_library_restore_reopens_the_store(coded, project):
    ident = bk.backup(project, "manual")
    project.store.execute("SELECT 1")
    with project.store.transaction():
        project.store.execute("DELETE FROM codings WHERE coder != 'rules'")
    assert per_code(project)["identity/stigma"][0] == 0
    report = bk.restore_backup(project, ident)
    assert report.restored == ident and report.codebook == "codebooks/test.yaml"
    # project.store is usable and sees the restored database
    assert project.store.execute("SELECT COUNT(*) FROM codings WHERE coder != 'rules'").fetchone()[0] == 2
