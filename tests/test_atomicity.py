"""A command that fails or is interrupted leaves the project exactly as it was."""

from __future__ import annotations

import os
import resource
import signal
import sqlite3
import subprocess
import sys
import time

from helpers import INTERVIEW, db_rows, snapshot, write

import qualcode.importers as importers


def test_ctrl_c_during_import_rolls_back_the_whole_batch(cli, project, tmp_path, monkeypatch):
    for i in range(5):
        write(tmp_path / "batch" / f"e{i}.txt", INTERVIEW.replace("Dufour", f"Dufour{i}"))
    assert cli("import", write(tmp_path / "before.txt", INTERVIEW)).exit_code == 0
    before = snapshot(project)
    real = importers.parse_bytes
    calls = []

    def interrupted(data, path, fmt, options=None):
        calls.append(path)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(data, path, fmt, options)

    monkeypatch.setattr("qualcode.ingest.parse_bytes", interrupted)
    res = cli("import", tmp_path / "batch")
    assert res.exit_code == 130
    assert "interrupted: nothing was changed" in res.stderr
    assert len(calls) == 3  # two files were already imported inside the transaction…
    assert snapshot(project) == before  # …and rolled back


def test_ctrl_c_while_workers_annotate_rolls_back_autocode(cli, project, tmp_path, monkeypatch):
    """Rules are applied to each document while worker processes annotate the next ones:
    an interruption then stops the workers and leaves the project as it was."""
    import multiprocessing

    import qualcode.autocode as autocode_mod
    import qualcode.nlp as nlp

    for i in range(4):
        write(tmp_path / "batch" / f"e{i}.txt", INTERVIEW.replace("Dufour", f"Dufour{i}"))
    assert cli("import", tmp_path / "batch").exit_code == 0
    write(project.root / "codebooks" / "cb.yaml",
          "title: T\nlanguage: fr\ncodes:\n  - code: mine\n    label: Mine\n"
          "    rules:\n      - terms: [fosse, mineur]\n")
    before = snapshot(project)
    monkeypatch.setattr(nlp, "LARGE_INPUT_WORDS_FORK", 0)  # 2 worker processes however small
    monkeypatch.setattr(nlp, "_GROUP_CHARS", 1)  # one document per worker job
    real, seen = autocode_mod.apply, []  # the rules engine, as autocode calls it

    def interrupted(*a, **kw):
        seen.append(1)
        if len(seen) == 2:
            raise KeyboardInterrupt
        return real(*a, **kw)

    monkeypatch.setattr(autocode_mod, "apply", interrupted)
    res = cli("autocode")
    assert res.exit_code == 130, res.output
    assert "interrupted: nothing was changed" in res.stderr
    assert len(seen) == 2
    assert snapshot(project) == before
    assert db_rows(project, "SELECT COUNT(*) FROM annotations") == [(0,)]
    assert db_rows(project, "SELECT COUNT(*) FROM term_analyses") == [(0,)]
    for child in multiprocessing.active_children():  # the pool was shut down
        child.join(timeout=10)
        assert not child.is_alive()
    monkeypatch.setattr(autocode_mod, "apply", real)
    assert cli("autocode").exit_code == 0
    assert db_rows(project, "SELECT COUNT(*) FROM annotations") == [(4,)]


def test_unexpected_error_is_one_line_and_debug_shows_traceback(cli, project, tmp_path, monkeypatch):
    f = write(tmp_path / "e.txt", INTERVIEW)

    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("qualcode.cli.documents.import_paths", boom)  # the name the command calls
    res = cli("import", f)
    assert res.exit_code == 1
    assert res.stderr.strip() == ("error: internal error: RuntimeError: disk on fire "
                                  "(run with --debug for details)")
    res = cli("--debug", "import", f)
    assert isinstance(res.exception, RuntimeError)  # re-raised: Python prints the traceback


def test_killed_import_is_all_or_nothing(project, tmp_path):
    """kill -9 in the middle of a large import leaves no document of the batch."""
    n = 150
    long_text = INTERVIEW * 400
    for i in range(n):
        write(tmp_path / "many" / f"doc{i:03d}.txt", long_text.replace("Dufour", f"Dufour{i}"))
    wal = project.root / ".qualcode" / "project.db-wal"
    wal_before = wal.stat().st_size if wal.exists() else 0
    env = dict(os.environ, QUALCODE_USER="tester")
    proc = subprocess.Popen([sys.executable, "-m", "qualcode", "import", str(tmp_path / "many")],
                            cwd=project.root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # Wait until the import's transaction is writing pages (the WAL grows), then kill it.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if wal.exists() and wal.stat().st_size > wal_before + 2_000_000:
            break
        time.sleep(0.01)
    killed_midway = proc.poll() is None
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    conn = sqlite3.connect(project.root / ".qualcode" / "project.db")
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    docs = conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
    turns = conn.execute("SELECT COUNT(*) FROM turns").fetchone()[0]
    conn.close()
    assert killed_midway, "the import finished before it could be killed: make the batch larger"
    assert (docs, turns) == (0, 0)


def test_atomic_write_keeps_usual_permissions_and_refuses_to_overwrite(tmp_path):
    import pytest

    from qualcode.errors import QualcodeError
    from qualcode.exporters.base import atomic_write

    umask = os.umask(0o022)
    try:
        target = tmp_path / "out.txt"
        with atomic_write(target) as tmp:
            tmp.write_text("one")
        assert target.read_text() == "one"
        assert target.stat().st_mode & 0o777 == 0o644
        with pytest.raises(QualcodeError, match="already exists"), atomic_write(target) as tmp:
            tmp.write_text("two")
        with pytest.raises(RuntimeError), atomic_write(target, force=True) as tmp:
            tmp.write_text("half written")
            raise RuntimeError("crash while writing")
        assert target.read_text() == "one"
        assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]  # no temp file left behind
    finally:
        os.umask(umask)


def _limit_file_size(limit: int):
    """A preexec_fn: the child may not write any file beyond ``limit`` bytes (``ulimit -f``),
    so that writing the database fails the way a full disk makes it fail."""
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def test_write_failure_mid_import_fails_the_command_and_changes_nothing(project, tmp_path):
    """Issue 16 D0: an I/O error while the database is written (here a file size limit, as
    with a full disk) makes SQLite roll the transaction back by itself. The import must
    then stop with one line naming the cause and leave the project exactly as before — not
    skip the file, go on in autocommit mode and save part of the batch."""
    env = dict(os.environ, QUALCODE_USER="tester")
    env.pop("QUALCODE_DEBUG", None)
    first = subprocess.run([sys.executable, "-m", "qualcode", "import",
                            str(write(tmp_path / "before.txt", INTERVIEW))],
                           cwd=project.root, env=env, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    n = 62
    for i in range(n):  # ~2 MB of text, stored with its turns: far beyond the limit below
        write(tmp_path / "many" / f"doc{i:03d}.txt", (INTERVIEW * 60).replace("Dufour", f"Dufour{i}"))
    before = snapshot(project)
    assert len(before["documents"]) == 1 and len(before["history"]) == 1
    files = [project.root / ".qualcode" / f"project.db{s}" for s in ("", "-wal")]
    limit = max(f.stat().st_size for f in files if f.exists()) + 100_000
    res = subprocess.run([sys.executable, "-m", "qualcode", "import", str(tmp_path / "many")],
                         cwd=project.root, env=env, capture_output=True, text=True,
                         preexec_fn=_limit_file_size(limit))
    assert res.returncode == 1, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr  # one line, no traceback, no list of "skipped" files
    assert lines[0].startswith("error: disk full")
    assert "file too large" in lines[0] and "while writing the project" in lines[0]
    assert lines[0].endswith(": nothing was changed")
    assert "internal error" not in res.stderr
    assert snapshot(project) == before  # no document, turn, speaker or history row of the batch
    assert db_rows(project, "PRAGMA integrity_check") == [("ok",)]
    # The files were fine and the project is intact: without the limit the same import works.
    again = subprocess.run([sys.executable, "-m", "qualcode", "import", str(tmp_path / "many")],
                           cwd=project.root, env=env, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert db_rows(project, "SELECT COUNT(*) FROM documents") == [(n + 1,)]


def test_an_error_that_ends_the_transaction_ends_the_command(project):
    """The same failure through the library, with SQLite ending the transaction on its own
    (a trigger's RAISE(ROLLBACK), as a full disk or an I/O error does): a caller that
    swallows the error (as ``import_paths`` did) can neither go on writing in autocommit
    mode nor commit; the command fails with a StorageError and nothing is saved."""
    import pytest

    from qualcode.errors import StorageError

    store = project.store
    store.execute("CREATE TEMP TRIGGER abort_on_history BEFORE INSERT ON history"
                  " WHEN NEW.summary = 'abort' BEGIN SELECT RAISE(ROLLBACK, 'aborted by SQLite'); END")
    store.history.log("tester", "init", "init", "kept")
    before = snapshot(project)
    with pytest.raises(StorageError, match=r"ended the transaction .*aborted by SQLite") as failed, \
            store.transaction():
        store.history.log("tester", "x", "x", "first step")
        try:
            with store.transaction():  # a savepoint, as each file of an import
                store.history.log("tester", "x", "x", "abort")
        except Exception as exc:  # the old import_paths swallowed it and went on
            assert isinstance(exc, StorageError)  # not the failed ROLLBACK TO's error
        with pytest.raises(StorageError):  # would have been committed on its own
            store.history.log("tester", "x", "x", "after the failure")
        with pytest.raises(StorageError), store.transaction():  # would have begun a new one
            pass
    assert str(failed.value).endswith(": nothing was changed")
    assert snapshot(project) == before
    assert not store.in_transaction
    with store.transaction():  # the next command works as usual
        store.history.log("tester", "x", "x", "next")
    assert len(snapshot(project)["history"]) == len(before["history"]) + 1
