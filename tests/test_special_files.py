"""Import reads regular files only: symlinks in folders, FIFOs, devices and over-size files
are skipped with a reason, quickly, and the regular files are imported (issue 16, D12).

Each import runs in a subprocess with a timeout and a memory limit, so that a FIFO that
blocks or a /dev/zero read without end fails the test instead of hanging the suite."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import INTERVIEW, write

import qualcode
from qualcode.importers import MAX_FILE_BYTES

SOURCE = str(Path(qualcode.__file__).resolve().parents[1])  # the subprocess runs this code

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs FIFOs and /dev/zero (POSIX)")


def _limit_memory() -> None:
    import resource  # POSIX only, like the whole module

    limit = 2 * 1024 ** 3
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def run_import(project, *args) -> subprocess.CompletedProcess:
    return run_qualcode(project, "import", *args)


def run_qualcode(project, *args) -> subprocess.CompletedProcess:
    env = dict(os.environ, QUALCODE_USER="tester",
               PYTHONPATH=os.pathsep.join(filter(None, [SOURCE, os.environ.get("PYTHONPATH")])))
    try:
        return subprocess.run([sys.executable, "-m", "qualcode", *map(str, args)],
                              cwd=project.root, env=env, capture_output=True, text=True,
                              timeout=30, preexec_fn=_limit_memory)
    except subprocess.TimeoutExpired:
        pytest.fail(f"qualcode {args[0]} hung (a FIFO or a device was opened)")


def skipped(res) -> dict[str, str]:
    out = {}
    for line in res.stderr.splitlines():
        if line.startswith("skipped "):
            path, _, reason = line[len("skipped "):].partition(": ")
            out[os.path.basename(path)] = reason
    return out


def special_files(folder):
    """A folder with one good transcript and every kind of file that must not be read."""
    write(folder / "entretien_01.txt", INTERVIEW)
    secret = write(folder.parent / "secret.txt", INTERVIEW.replace("Dufour", "Secret"))
    (folder / "lien_dehors.txt").symlink_to(secret)
    os.mkfifo(folder / "tube.txt")
    (folder / "zero.txt").symlink_to("/dev/zero")
    with open(folder / "enorme.txt", "wb") as f:  # sparse: takes no disk space
        f.truncate(MAX_FILE_BYTES + 1)
    return folder


def test_folder_imports_regular_files_and_skips_the_rest(project, tmp_path):
    folder = special_files(tmp_path / "entretiens")
    res = run_import(project, folder)
    assert res.returncode == 1, res.stderr
    assert "Traceback" not in res.stderr
    assert "1 imported, 0 unchanged, 4 skipped" in res.stdout, res.stdout + res.stderr
    reasons = skipped(res)
    assert reasons["lien_dehors.txt"].startswith("symbolic link: not followed"), reasons
    assert reasons["zero.txt"].startswith("symbolic link: not followed"), reasons
    assert reasons["tube.txt"] == "not a regular file (a FIFO (named pipe)): not imported"
    assert reasons["enorme.txt"] == "file too large (50 MB; the limit is 50 MB)"
    assert project.store.documents.by_name("secret") is None
    assert project.store.documents.by_name("lien_dehors") is None
    assert project.store.documents.by_name("entretien_01") is not None


def test_named_special_files_are_refused_without_being_read(project, tmp_path):
    folder = special_files(tmp_path / "entretiens")
    names = ["tube.txt", "zero.txt", "enorme.txt", "entretien_01.txt"]
    res = run_import(project, *(folder / n for n in names))
    assert res.returncode == 1, res.stderr
    assert "1 imported, 0 unchanged, 3 skipped" in res.stdout, res.stdout + res.stderr
    reasons = skipped(res)
    assert reasons["tube.txt"] == "not a regular file (a FIFO (named pipe)): not imported"
    assert reasons["zero.txt"] == "not a regular file (a character device): not imported"
    assert reasons["enorme.txt"].startswith("file too large")


def test_symlink_named_on_the_command_line_is_followed(project, tmp_path):
    folder = special_files(tmp_path / "entretiens")
    res = run_import(project, folder / "lien_dehors.txt")
    assert res.returncode == 0, res.stderr
    assert "1 imported" in res.stdout
    assert project.store.documents.by_name("lien_dehors") is not None


def test_pattern_does_not_follow_symlinks_or_open_fifos(project, tmp_path):
    folder = special_files(tmp_path / "entretiens")
    res = run_import(project, f"{folder}/*.txt")
    assert "1 imported, 0 unchanged, 4 skipped" in res.stdout, res.stdout + res.stderr
    reasons = skipped(res)
    assert set(reasons) == {"lien_dehors.txt", "zero.txt", "tube.txt", "enorme.txt"}


def test_symlinked_folder_is_not_walked(project, tmp_path):
    outside = tmp_path / "ailleurs"
    write(outside / "autre.txt", INTERVIEW)
    folder = tmp_path / "entretiens"
    write(folder / "entretien_01.txt", INTERVIEW)
    (folder / "lien").symlink_to(outside, target_is_directory=True)
    res = run_import(project, folder)
    assert "1 imported, 0 unchanged, 1 skipped" in res.stdout, res.stdout + res.stderr
    assert skipped(res)["lien"].startswith("symbolic link: not followed")
    assert project.store.documents.by_name("autre") is None


@pytest.mark.parametrize("kind", ["fifo", "zero", "huge"])
@pytest.mark.parametrize("command", ["cases import", "review --import", "codebook check", "codebook import",
                                     "codebook import --like", "autocode --codebook", "import .qdpx"])
def test_every_file_a_command_reads_is_a_regular_file(project, tmp_path, kind, command):
    """Not only import: sheets, codebooks (YAML and REFI-QDA .qdc) are read through the same
    check; a FIFO, a link to /dev/zero or a file over 50 MB is one line naming the file
    (codebook check, codebook import, --codebook and import of a .qdpx hung on a FIFO or
    /dev/zero before)."""
    suffix = {"cases import": ".csv", "review --import": ".xlsx", "codebook import": ".qdc",
              "import .qdpx": ".qdpx"}.get(command, ".yaml")
    bad = tmp_path / f"bad{suffix}"
    if kind == "fifo":
        os.mkfifo(bad)
    elif kind == "zero":
        bad.symlink_to("/dev/zero")
    else:
        with open(bad, "wb") as f:
            f.truncate(MAX_FILE_BYTES + 1)
    good_qdc = write(tmp_path / "good.qdc", '<?xml version="1.0"?><CodeBook xmlns="urn:QDA-XML:codebook:1.0">'
                                            '<Codes><Code guid="a" name="A" isCodable="true"/></Codes></CodeBook>')
    args = {"cases import": ["cases", "import", bad], "review --import": ["review", "--import", bad],
            "codebook check": ["codebook", "check", bad],
            "codebook import": ["codebook", "import", bad, "-o", tmp_path / "out.yaml"],
            "codebook import --like": ["codebook", "import", good_qdc, "--like", bad, "-o", tmp_path / "out.yaml"],
            "autocode --codebook": ["autocode", "--codebook", bad], "import .qdpx": ["import", bad]}[command]
    res = run_qualcode(project, *args)
    assert res.returncode == 1, (res.stdout, res.stderr)
    err = res.stderr.strip().splitlines()
    assert err[-1].startswith(f"error: {bad}: "), res.stderr
    assert "Traceback" not in res.stderr and "internal error" not in res.stderr
    reason = {"fifo": "not a regular file (a FIFO (named pipe))", "zero": "not a regular file (a character device)",
              "huge": "file too large"}[kind]
    if kind == "huge" and command == "import .qdpx":  # a package is read by parts: its size is not capped
        reason = "corrupt qdpx"
    assert reason in err[-1], err
    assert not (tmp_path / "out.yaml").exists()


def test_a_codebook_nested_without_end_is_one_line(project, tmp_path):
    """A .qdc nesting its codes 5,000 levels deep was 'internal error: RecursionError'."""
    depth = 5_000
    qdc = write(tmp_path / "deep.qdc", '<?xml version="1.0"?><CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>'
                + '<Code guid="g" name="c" isCodable="true">' * depth + "</Code>" * depth + "</Codes></CodeBook>")
    res = run_qualcode(project, "codebook", "import", qdc, "-o", tmp_path / "out.yaml")
    assert res.returncode == 1
    assert res.stderr.strip() == f"error: {qdc}: codes nested more than 50 levels deep"
