"""Two commands on one project at the same time (issue 16, D7/D8), with real processes.

A command that finds the project's write lock taken waits (``QUALCODE_BUSY_TIMEOUT``
seconds, shortened here), then says in one line which command holds it; ``autocode``
checks the codebook again under the lock, so that a ``codebook rename`` made while it
was reading is not undone. The processes stop at named points through the test hook of
:mod:`qualcode.testhooks` (``QUALCODE_TEST_PAUSE_AT``)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import db_rows, per_code
from helpers.revision import build

import qualcode
from qualcode.project import Project

OLD, NEW = "identity/stigma", "identity/shame"


def env(**extra: str) -> dict[str, str]:
    out = {**os.environ, "PYTHONPATH": str(Path(qualcode.__file__).parents[1]), "QUALCODE_USER": "tester"}
    for key in ("QUALCODE_TEST_PAUSE_AT", "QUALCODE_TEST_KILL_AT", "QUALCODE_BUSY_TIMEOUT"):
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
    base = tmp_path_factory.mktemp("conc")
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


def test_a_command_that_waits_too_long_names_the_command_holding_the_project(root, tmp_path):
    base = tmp_path / "hold"
    holder = paused(root, "autocode-locked", base, "autocode")  # inside its write transaction
    try:
        started = time.monotonic()
        res = run(root, "codebook", "rename", OLD, NEW, QUALCODE_BUSY_TIMEOUT="1")
        waited = time.monotonic() - started
    finally:
        rc, _, err = resume(holder, base)
    assert rc == 0, err
    assert res.returncode == 1
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert "internal error" not in lines[0] and "database is locked" not in lines[0]
    assert "the project is busy" in lines[0]
    assert f"'qualcode autocode' (pid {holder.pid}" in lines[0]
    assert waited >= 1.0
    # nothing of the refused rename was written, and it works once the project is free
    assert "code: stigma" in (root / "codebooks" / "test.yaml").read_text(encoding="utf-8")
    assert OLD in per_code(root)
    assert run(root, "codebook", "rename", OLD, NEW).returncode == 0
    assert not (root / ".qualcode" / "project.db.writer").exists()


def test_a_stale_writer_record_is_ignored(root):
    """The record of a killed writer (its process is gone) names nobody and blocks nothing."""
    (root / ".qualcode" / "project.db.writer").write_text('{"pid": 999999999, "command": "qualcode import"}')
    res = run(root, "codebook", "rename", OLD, NEW, QUALCODE_BUSY_TIMEOUT="1")
    assert res.returncode == 0, res.stderr


def test_a_rename_made_while_autocode_reads_the_codebook_is_not_undone(root, tmp_path):
    base = tmp_path / "read"
    auto = paused(root, "autocode-codebook-read", base, "autocode")  # codebook read, no lock yet
    try:
        renamed = run(root, "codebook", "rename", OLD, NEW)
    finally:
        rc, _out, err = resume(auto, base)
    assert renamed.returncode == 0, renamed.stderr
    assert rc == 0, err
    book = (root / "codebooks" / "test.yaml").read_text(encoding="utf-8")
    assert "code: shame" in book and "code: stigma" not in book
    codes = per_code(root)
    assert NEW in codes and OLD not in codes  # the old code did not come back with proposals
    assert db_rows(root, "SELECT status FROM codes WHERE path = ?", (OLD,)) == []
    # the autocode run that followed used the renamed codebook: nothing left to change
    again = run(root, "autocode", "--json")
    assert again.returncode == 0, again.stderr
    assert per_code(root) == codes
