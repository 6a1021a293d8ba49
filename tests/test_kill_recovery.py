"""A codebook revision or a ``backups restore`` killed between its two steps (the codebook
file and the database) leaves a journal that the next command completes or rolls back
(issue 16, D1): the project is then in the state before or after the command, the next
command works, and the command can be run again.

Real processes (``python -m qualcode``) kill themselves with SIGKILL at the named points
of the sequence (``QUALCODE_TEST_KILL_AT``, a test hook)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import db_rows, per_code
from helpers.revision import CODEBOOK, build

import qualcode
from qualcode.project import Project

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")

OLD, NEW = "identity/stigma", "identity/shame"


def run(root: Path, *args: str, kill_at: str | None = None, **extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(Path(qualcode.__file__).parents[1]), "QUALCODE_USER": "tester", **extra}
    env.pop("QUALCODE_TEST_KILL_AT", None)
    if kill_at:
        env["QUALCODE_TEST_KILL_AT"] = kill_at
    return subprocess.run([sys.executable, "-m", "qualcode", *args], cwd=root, env=env, capture_output=True,
                          text=True, timeout=300)


@pytest.fixture(scope="module")
def coded_template(tmp_path_factory) -> Path:
    """A coded project (codebook, one interview, rule codings), built once."""
    base = tmp_path_factory.mktemp("kill")
    project = Project.init(base / "proj", language="fr")
    try:
        build(project, base / "src")
    finally:
        project.close()
    return base / "proj"


@pytest.fixture
def root(coded_template, tmp_path) -> Path:
    dest = tmp_path / "proj"
    shutil.copytree(coded_template, dest)
    return dest


def state(root: Path) -> tuple[str, frozenset[str]]:
    """(the codebook text, the codes of the database that have codings)."""
    book = (root / "codebooks" / "test.yaml").read_text(encoding="utf-8")
    return book, frozenset(per_code(root))


def leftovers(root: Path) -> list[str]:
    found = []
    for folder in (root / ".qualcode", root / ".qualcode" / "backups", root / "codebooks"):
        found += [p.name for p in folder.iterdir() if p.name.startswith(".") or p.name == "journal.json"]
    return found


@pytest.mark.parametrize(("point", "expected"), [
    ("revision-journaled", "before"),
    ("revision-yaml-replaced", "before"),
    ("revision-committed", "after"),
])
def test_a_revision_killed_inside_its_window_is_completed_or_rolled_back(root, point, expected):
    before = state(root)
    assert OLD in before[1] and NEW not in before[1]
    killed = run(root, "codebook", "rename", OLD, NEW, kill_at=point)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert (root / ".qualcode" / "journal.json").exists()
    torn = state(root)
    # the next command (a read) repairs the pair first, and works
    nxt = run(root, "codings", "--json")
    assert nxt.returncode == 0, nxt.stderr
    assert "Traceback" not in nxt.stderr
    now = state(root)
    if expected == "before":
        assert now == before
        assert "rolled back" in nxt.stderr or torn == before
    else:
        assert now[0] != before[0] and f"code: {NEW.split('/')[1]}" in now[0]
        assert NEW in now[1] and OLD not in now[1]
        assert len(db_rows(root, "SELECT 1 FROM history WHERE command = 'codebook rename'")) == 1
    assert leftovers(root) == []
    # the revision can be run again (before) or is done (after): either way, the project ends renamed
    again = run(root, "codebook", "rename", OLD, NEW)
    if expected == "before":
        assert again.returncode == 0, again.stderr
    else:
        assert again.returncode == 1 and "Traceback" not in again.stderr and "internal error" not in again.stderr
    final = state(root)
    assert NEW in final[1] and OLD not in final[1] and "code: shame" in final[0]
    assert len(db_rows(root, "SELECT 1 FROM history WHERE command = 'codebook rename'")) == 1
    assert run(root, "autocode").returncode == 0  # and the project goes on
    assert state(root)[1] == final[1]


@pytest.mark.parametrize(("point", "expected"), [
    ("restore-journaled", "before"),
    ("restore-db-swapped", "after"),
    ("restore-yaml-replaced", "after"),
])
def test_a_restore_killed_between_its_two_swaps_is_completed_or_rolled_back(root, point, expected):
    renamed = run(root, "codebook", "rename", OLD, NEW)
    assert renamed.returncode == 0, renamed.stderr
    before = state(root)
    backup_id = next(p.stem for p in (root / ".qualcode" / "backups").glob("*-rename.db"))
    killed = run(root, "backups", "restore", backup_id, kill_at=point)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    nxt = run(root, "docs")
    assert nxt.returncode == 0, nxt.stderr
    now = state(root)
    if expected == "before":
        assert now == before
    else:
        assert now[0] == CODEBOOK and OLD in now[1] and NEW not in now[1]
    assert leftovers(root) == []
    again = run(root, "backups", "restore", backup_id)
    assert again.returncode == 0, again.stderr
    assert state(root)[0] == CODEBOOK and OLD in state(root)[1]
    assert run(root, "autocode").returncode == 0


def test_a_journal_whose_codebook_was_edited_since_is_left_alone(root):
    killed = run(root, "codebook", "rename", OLD, NEW, kill_at="revision-yaml-replaced")
    assert killed.returncode == -signal.SIGKILL
    book = root / "codebooks" / "test.yaml"
    edited = book.read_text(encoding="utf-8").replace("# Test codebook", "# Edited by hand")
    book.write_text(edited, encoding="utf-8")
    nxt = run(root, "docs")
    assert nxt.returncode == 0, nxt.stderr
    assert "edited since" in nxt.stderr
    assert book.read_text(encoding="utf-8") == edited
    assert not (root / ".qualcode" / "journal.json").exists()


def test_a_live_writers_journal_is_not_touched(root):
    """A journal whose process is alive belongs to a command still running: left alone."""
    from qualcode import journal

    book = root / "codebooks" / "test.yaml"
    journal.begin(root, journal.Journal(id="x", pid=os.getpid(), command="codebook rename", operation="codebook",
                                        codebook=book, before=b"old", after=book.read_bytes()))
    project = Project.open(root)
    try:
        assert project.recovered is None
        assert (root / ".qualcode" / "journal.json").exists()
    finally:
        project.close()


def dead_pid() -> int:
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(proc.stdout)


@pytest.mark.parametrize(("restore", "point"), [
    (False, "backup-copied"),
    (False, "revision-tmp-written"),
    (True, "restore-staged"),
    (True, "backup-copied"),
])
def test_the_temporary_files_of_a_killed_command_are_removed_by_the_next(root, tmp_path, restore, point):
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    args: tuple[str, ...] = ("codebook", "rename", OLD, NEW)
    if restore:
        assert run(root, *args).returncode == 0
        args = ("backups", "restore", next(p.stem for p in (root / ".qualcode" / "backups").glob("*-rename.db")))
    before = state(root)
    killed = run(root, *args, kill_at=point, TMPDIR=str(tmpdir))
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    left = leftovers(root)
    assert left and all(".qualcode-" in name and name.endswith(".tmp") for name in left), left
    # qualcode's scratch folders in TMPDIR: a killed one goes, a live one stays; others' files stay
    gone = tmpdir / f"qualcode-report-{dead_pid()}-abcd"
    alive = tmpdir / f"qualcode-report-{os.getpid()}-abcd"
    for d in (gone, alive):
        d.mkdir()
        (d / "chart.png").write_bytes(b"PNG")
    mine = root / ".qualcode" / ".notes.tmp"
    mine.write_text("not qualcode's")
    nxt = run(root, "docs", TMPDIR=str(tmpdir))
    assert nxt.returncode == 0, nxt.stderr
    assert leftovers(root) == [mine.name]
    assert not gone.exists() and alive.exists()
    assert state(root) == before
    assert run(root, *args).returncode == 0  # and the command can be run again
