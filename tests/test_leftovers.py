"""What a killed writer leaves behind is removed by the next run of the same writer (issue
16, D15): the hidden ``.<name>.qualcode-<pid>-….tmp`` next to an output file, and the
``qualcode-<purpose>-<pid>-…`` scratch folder in TMPDIR. Only those of processes that are
gone: a write in progress (a live process) and anything named otherwise are left alone.

The leftovers are made by real processes killed with SIGKILL inside the writer."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile

import pytest

from qualcode.exporters import base
from qualcode.exporters.base import atomic_write

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL and os.kill(pid, 0) are POSIX")


def killed_inside(code: str, env: dict[str, str] | None = None) -> None:
    """Run ``code`` in a new Python process that kills itself (SIGKILL) where it says ``KILL``."""
    script = "import os, signal\n" + code.replace("KILL", "os.kill(os.getpid(), signal.SIGKILL)")
    proc = subprocess.run([sys.executable, "-c", script], env={**os.environ, **(env or {})},
                          capture_output=True, text=True)
    assert proc.returncode == -signal.SIGKILL, proc.stderr


def dead_pid() -> int:
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(proc.stdout)


def test_killed_export_leaves_a_temp_file_that_the_next_export_removes(tmp_path):
    out = tmp_path / "freq.csv"
    killed_inside("from qualcode.exporters.base import atomic_write\n"
                  f"with atomic_write({str(out)!r}) as tmp:\n"
                  "    tmp.write_text('half an export')\n"
                  "    KILL\n")
    left = [p.name for p in tmp_path.iterdir()]
    assert len(left) == 1 and left[0].startswith(".freq.csv.qualcode-") and left[0].endswith(".tmp")
    # not to be touched: a write in progress (this process is alive), another file's
    # leftover, a file named like it by someone else
    in_progress = tmp_path / f".freq.csv.qualcode-{os.getpid()}-abcd.tmp"
    other = tmp_path / f".codes.csv.qualcode-{dead_pid()}-abcd.tmp"
    mine = tmp_path / ".freq.csv.brouillon.tmp"
    for p in (in_progress, other, mine):
        p.write_text("keep")
    with atomic_write(out) as tmp:
        tmp.write_text("a,b\n")
    assert out.read_text() == "a,b\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["freq.csv", in_progress.name, other.name, mine.name])


def test_killed_report_leaves_a_folder_in_tmpdir_that_the_next_report_removes(tmp_path, monkeypatch):
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    killed_inside("from qualcode.exporters.base import temp_folder\n"
                  "with temp_folder('report') as d:\n"
                  "    (d / 'codes_by_group.png').write_bytes(b'PNG')\n"
                  "    KILL\n", env={"TMPDIR": str(tmpdir)})
    left = list(tmpdir.iterdir())
    assert len(left) == 1 and left[0].name.startswith("qualcode-report-") and left[0].is_dir()
    alive = tmpdir / f"qualcode-report-{os.getpid()}-abcd"
    other = tmpdir / f"qualcode-charts-{dead_pid()}-abcd"
    for d in (alive, other):
        d.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmpdir))
    with base.temp_folder("report") as d:
        assert d.parent == tmpdir and d.name.startswith(f"qualcode-report-{os.getpid()}-")
        assert not left[0].exists()
    assert not d.exists()
    assert sorted(p.name for p in tmpdir.iterdir()) == sorted([alive.name, other.name])


def test_leftover_cleaning_never_follows_a_link(tmp_path, monkeypatch):
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.docx").write_bytes(b"three years")
    (tmpdir / f"qualcode-report-{dead_pid()}-abcd").symlink_to(precious)
    monkeypatch.setattr(tempfile, "tempdir", str(tmpdir))
    with base.temp_folder("report"):
        pass
    assert (precious / "thesis.docx").read_bytes() == b"three years"


def test_opening_a_project_cleans_only_qualcodes_own_stale_temp_files(tmp_path, monkeypatch):
    """Project open (issue 16, D15): hidden ``.<name>.qualcode-<pid>-….tmp`` files of gone
    processes next to the database, backups and codebook, and ``qualcode-*-<pid>-…`` folders
    in TMPDIR; never a live process's, never a link, never a file named otherwise."""
    from qualcode import journal
    from qualcode.project import Project

    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmpdir))
    Project.init(tmp_path / "proj").close()
    root = tmp_path / "proj"
    (root / "codebooks").mkdir()
    (root / ".qualcode" / "backups").mkdir()
    dead, alive = dead_pid(), os.getpid()
    precious = tmp_path / "thesis.docx"
    precious.write_bytes(b"three years")
    gone = [root / ".qualcode" / f".project.db.qualcode-{dead}-restore.tmp",
            root / ".qualcode" / f".project.db.qualcode-{dead}-restore.tmp-wal",
            root / ".qualcode" / "backups" / f".20261205-rename.db.qualcode-{dead}-backup.tmp",
            root / "codebooks" / f".c.yaml.qualcode-{dead}-revision.tmp"]
    kept = [root / ".qualcode" / f".project.db.qualcode-{alive}-restore.tmp",
            root / "codebooks" / ".c.yaml.brouillon.tmp",
            root / "codebooks" / f"c.yaml.qualcode-{dead}-revision.tmp"]  # not hidden: not ours
    for p in gone + kept:
        p.write_text("x")
    link = root / "codebooks" / f".d.yaml.qualcode-{dead}-revision.tmp"
    link.symlink_to(precious)
    folders = {"gone": tmpdir / f"qualcode-export-{dead}-ab", "alive": tmpdir / f"qualcode-export-{alive}-ab",
               "other": tmpdir / f"something-{dead}-ab"}
    for d in folders.values():
        d.mkdir()
    Project.open(root).close()
    assert not any(p.exists() for p in gone)
    assert all(p.exists() for p in kept)
    assert link.is_symlink() and precious.read_bytes() == b"three years"
    assert not folders["gone"].exists() and folders["alive"].exists() and folders["other"].exists()
    assert journal.clean_leftovers([root / "codebooks"], tmpdir=False) == []
