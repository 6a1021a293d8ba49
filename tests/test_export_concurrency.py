"""Exports read a snapshot and hold no write lock while they gather (issue 17).

``export excerpts`` and ``export report`` read the project through
:meth:`~qualcode.store.connection.Connection.read`: a deferred transaction on the
write-ahead log, so that a command that writes, or a second export, runs meanwhile instead
of failing with "the project is busy"; the export sees the project as it was when it
started reading. The write lock is taken only when a cache must be filled (sentence
co-occurrence without cached annotations). Real processes stop at a named point through
:mod:`qualcode.testhooks`; in-process tests use a second connection with no busy wait.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import build_project, db_rows, per_code
from helpers.revision import CODEBOOK, INTERVIEW

import qualcode
from qualcode.errors import ProjectBusy
from qualcode.project import Project
from qualcode.store import Store
from qualcode.store.connection import BUSY_TIMEOUT_ENV, WriteNeeded

OLD, NEW = "identity/stigma", "identity/shame"


def env(**extra: str) -> dict[str, str]:
    out = {**os.environ, "PYTHONPATH": str(Path(qualcode.__file__).parents[1]), "QUALCODE_USER": "tester"}
    for key in ("QUALCODE_TEST_PAUSE_AT", "QUALCODE_TEST_KILL_AT", BUSY_TIMEOUT_ENV):
        out.pop(key, None)
    return out | extra


def run(root: Path, *args: str, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "qualcode", *args], cwd=root, env=env(**extra),
                          capture_output=True, text=True, timeout=300)


def paused(root: Path, point: str, base: Path, *args: str) -> subprocess.Popen:
    """Start a command that stops at ``point`` until ``<base>.go`` exists."""
    proc = subprocess.Popen([sys.executable, "-m", "qualcode", *args], cwd=root,
                            env=env(QUALCODE_TEST_PAUSE_AT=point, QUALCODE_TEST_PAUSE_FILE=str(base)),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not Path(f"{base}.reached").exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the command never reached its pause point"
        time.sleep(0.05)
    return proc


def resume(proc: subprocess.Popen, base: Path) -> tuple[int, str, str]:
    Path(f"{base}.go").write_text("go", encoding="utf-8")
    out, err = proc.communicate(timeout=300)
    return proc.returncode, out, err


@pytest.fixture(scope="module")
def coded_template(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("exconc")
    project = Project.init(base / "proj", language="fr")
    try:
        build_project(project, base / "src", codebook=CODEBOOK, documents={"caron": INTERVIEW},
                      participants="case;document;group\nP01;caron;resident\n", autocode=True)
    finally:
        project.close()
    return base / "proj"


@pytest.fixture
def root(coded_template, tmp_path) -> Path:
    dest = tmp_path / "proj"
    shutil.copytree(coded_template, dest)
    return dest


def _codes(summary: str) -> list[str]:
    return [c["code"] for c in json.loads(summary)["codes"]]


def test_a_write_and_a_second_export_run_while_an_export_gathers(root, tmp_path):
    base = tmp_path / "gather"
    first = paused(root, "export-gathering", base, "export", "excerpts", "-o", "first.md", "--json")
    try:  # the first export holds its snapshot: no waiting allowed for the others
        renamed = run(root, "codebook", "rename", OLD, NEW, QUALCODE_BUSY_TIMEOUT="0")
        second = run(root, "export", "excerpts", "-o", "second.md", "--json", QUALCODE_BUSY_TIMEOUT="0")
    finally:
        rc, out, err = resume(first, base)
    assert renamed.returncode == 0, renamed.stderr
    assert second.returncode == 0, second.stderr
    assert rc == 0, err
    # each export saw one consistent state: the first the project before the rename
    # (read before it), the second after it
    assert OLD in _codes(out) and NEW not in _codes(out)
    assert NEW in _codes(second.stdout) and OLD not in _codes(second.stdout)
    assert json.loads(out)["total"] == json.loads(second.stdout)["total"] > 0
    codes = per_code(root)
    assert NEW in codes and OLD not in codes  # the rename is kept
    assert not (root / ".qualcode" / "project.db.writer").exists()


def test_a_write_runs_while_a_report_gathers(root, tmp_path):
    base = tmp_path / "report"
    report = paused(root, "export-gathering", base, "export", "report", "-o", "report.docx", "--json")
    try:
        renamed = run(root, "codebook", "rename", OLD, NEW, QUALCODE_BUSY_TIMEOUT="0")
    finally:
        rc, out, err = resume(report, base)
    assert renamed.returncode == 0, renamed.stderr
    assert rc == 0, err
    assert json.loads(out)["excerpts"] > 0 and (root / "report.docx").stat().st_size > 0


def test_a_report_fills_a_missing_annotation_cache_under_the_write_lock(root, tmp_path):
    """Sentence co-occurrence needs the annotations: missing from the cache, the report
    gathers again inside a write transaction, which caches them."""
    project = Project.open(root)
    try:
        docs = db_rows(root, "SELECT id FROM documents")
        with project.store.transaction():
            for (doc_id,) in docs:
                project.store.annotations.drop(doc_id)
    finally:
        project.close()
    assert db_rows(root, "SELECT COUNT(*) FROM annotations") == [(0,)]
    res = run(root, "export", "report", "-o", "report.docx", "--json")
    assert res.returncode == 0, res.stderr
    assert db_rows(root, "SELECT COUNT(*) FROM annotations") == [(len(docs),)]
    again = run(root, "export", "report", "-o", "again.docx", "--json")  # from the cache, in a snapshot
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["excerpts"] == json.loads(res.stdout)["excerpts"]


def test_read_holds_no_write_lock_and_sees_its_snapshot(root, monkeypatch):
    """In one process: while read() runs, another connection writes at once (no busy
    wait), and read() goes on seeing the project as it was when it started reading."""
    monkeypatch.setenv(BUSY_TIMEOUT_ENV, "0")
    project = Project.open(root)
    other = Store(project.store.path)
    try:
        store = project.store
        before = len(store.history.entries())

        def work() -> tuple[int, int]:
            first = len(store.history.entries())  # the snapshot starts here
            with other.transaction():  # ProjectBusy at once if read() held the write lock
                other.history.log("tester", "test", "test", "a write during an export", {})
            return first, len(store.history.entries())

        assert store.read(work) == (before, before)
        assert len(store.history.entries()) == before + 1  # once the snapshot is let go
        # the converse, to show the test can fail: a write transaction makes the other wait
        with store.transaction(), pytest.raises(ProjectBusy), other.transaction():
            pass
    finally:
        other.close()
        project.close()


def test_read_runs_again_under_the_write_lock_when_the_work_must_write(root):
    project = Project.open(root)
    try:
        store = project.store
        calls: list[bool] = []

        def writes() -> int:
            calls.append(store.reading)
            store.history.log("tester", "test", "test", "a write inside read()", {})
            return len(calls)

        assert store.read(writes) == 2
        assert calls == [True, False]  # refused in the snapshot (query_only), done under the lock

        def asks() -> str:
            calls.append(store.reading)
            if store.reading:
                raise WriteNeeded("a cache to fill")
            return "filled"

        calls.clear()
        assert store.read(asks) == "filled" and calls == [True, False]
        # errors other than WriteNeeded are not retried, and nothing stays locked
        with pytest.raises(ZeroDivisionError):
            store.read(lambda: 1 / 0)
        assert not store.in_transaction and not store.reading
    finally:
        project.close()
    assert db_rows(root, "SELECT COUNT(*) FROM history WHERE summary = 'a write inside read()'") == [(1,)]


def test_exports_run_while_another_command_holds_the_write_lock(root, tmp_path):
    """autocode stops inside its write transaction: excerpts, the report and a REFI-QDA
    package (whose first export stores the project's uid, so it takes the write lock
    then) are written meanwhile without waiting, as is the pseudonymized folder."""
    assert run(root, "export", "qdpx", "first.qdpx").returncode == 0  # stores the uid
    assert len(db_rows(root, "SELECT value FROM project_meta WHERE key = 'uid'")) == 1
    base = tmp_path / "hold"
    holder = paused(root, "autocode-locked", base, "autocode")
    try:
        results = [run(root, *args, QUALCODE_BUSY_TIMEOUT="0") for args in (
            ("export", "excerpts", "-o", "x.docx"), ("export", "excerpts", "-o", "x.xlsx"),
            ("export", "report", "-o", "r.docx"), ("export", "qdpx", "second.qdpx"))]
        busy = run(root, "codebook", "rename", OLD, NEW, QUALCODE_BUSY_TIMEOUT="0")  # a writer still waits
    finally:
        rc, _, err = resume(holder, base)
    assert rc == 0, err
    assert [r.returncode for r in results] == [0, 0, 0, 0], [r.stderr for r in results]
    assert busy.returncode == 1 and "the project is busy" in busy.stderr
    assert (root / "second.qdpx").stat().st_size == (root / "first.qdpx").stat().st_size


def test_the_first_refi_export_stores_the_uid_under_the_write_lock(root):
    assert db_rows(root, "SELECT value FROM project_meta WHERE key = 'uid'") == []
    first = run(root, "export", "qdpx", "a.qdpx")
    assert first.returncode == 0, first.stderr
    uid = db_rows(root, "SELECT value FROM project_meta WHERE key = 'uid'")
    assert len(uid) == 1
    assert run(root, "export", "qdpx", "b.qdpx").returncode == 0
    assert db_rows(root, "SELECT value FROM project_meta WHERE key = 'uid'") == uid  # read, not made again
    assert (root / "a.qdpx").read_bytes() == (root / "b.qdpx").read_bytes()
