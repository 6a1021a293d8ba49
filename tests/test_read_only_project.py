"""A project that cannot be written (issue 16, D13): the commands that only read work
(the database is opened read-only, without creating the write-ahead log's files), and a
command that writes says in one line that the project is read-only, changing nothing.

Run as a user who cannot write the folder: the test's own user, or (as root, who may
write anywhere) the user ``nobody``."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from helpers import INTERVIEW, write

import qualcode
from qualcode.project import Project

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions and users")


def _as_other_user() -> list[str]:
    """The command prefix to run as a user who cannot write the project: none (the test's
    own user), or, when the tests run as root, util-linux's ``setpriv`` to become
    ``nobody`` (uid 65534), which keeps the interpreter reachable."""
    if os.geteuid() != 0:
        return []
    return [shutil.which("setpriv") or "/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


@pytest.fixture
def read_only_root():
    prefix = _as_other_user()
    base = Path(tempfile.mkdtemp(prefix="qc-ro-"))
    base.chmod(0o755)  # others may read what is inside (as a shared folder would be)
    root = base / "proj"
    Project.init(root, language="fr").close()
    project = Project.open(root)
    try:
        project.import_paths([write(base / "in" / "caron.txt", INTERVIEW)])
    finally:
        project.close()
    for path in (root, root / ".qualcode"):
        path.chmod(0o555)
    (root / ".qualcode" / "project.db").chmod(0o444)
    yield prefix, root
    for path in (root, root / ".qualcode"):
        path.chmod(0o755)
    shutil.rmtree(base)


def run(prefix: list[str], root: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(Path(qualcode.__file__).parents[1]), "QUALCODE_USER": "tester",
           "HOME": str(root.parent)}
    return subprocess.run([*prefix, sys.executable, "-m", "qualcode", *args], cwd=root, env=env,
                          capture_output=True, text=True, timeout=120)


def test_read_commands_work_and_writes_are_refused_in_one_line(read_only_root):
    prefix, root = read_only_root
    db = root / ".qualcode" / "project.db"
    before = db.read_bytes()
    docs = run(prefix, root, "docs", "--json")
    assert docs.returncode == 0, docs.stderr
    assert [d["name"] for d in json.loads(docs.stdout)] == ["caron"]
    for read in (["show", "caron"], ["history"], ["codings"], ["backups"], ["kwic", "mineur"]):
        res = run(prefix, root, *read)
        assert res.returncode == 0, (read, res.stderr)
    res = run(prefix, root, "import", str(write(root.parent / "in2" / "b.txt", INTERVIEW.replace("Caron", "B"))))
    assert res.returncode == 1
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "read-only" in lines[0] and "internal error" not in lines[0], res.stderr
    assert db.read_bytes() == before
    assert sorted(p.name for p in (root / ".qualcode").iterdir()) == ["project.db"]  # no -wal, no -shm
    assert stat.S_IMODE(db.stat().st_mode) == 0o444
