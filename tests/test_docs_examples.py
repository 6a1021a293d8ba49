"""The Python examples of the documentation run, as written.

Every ```python block of ``docs/python.md`` runs in order in one namespace (each block
goes on from the previous one, as a reader types them into one session), in a folder
that holds the fictional sample interviews as ``entretiens/`` and the sample codebook as
``bassin_minier.yaml``; the README's example runs the same way on its own. A block that
raises fails the test with the file and the block's first line."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from helpers.files import SAMPLES

ROOT = Path(__file__).resolve().parent.parent
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def python_blocks(path: Path) -> list[tuple[int, str]]:
    """(line number, code) of each ```python block of a Markdown file."""
    text = path.read_text(encoding="utf-8")
    return [(text.count("\n", 0, m.start()) + 2, m.group(1)) for m in BLOCK.finditer(text)]


def run_blocks(path: Path, folder: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    shutil.copytree(SAMPLES, folder / "entretiens")
    shutil.copy(ROOT / "codebooks" / "bassin_minier.yaml", folder / "bassin_minier.yaml")
    monkeypatch.chdir(folder)
    namespace: dict = {"__name__": "__docs__"}
    blocks = python_blocks(path)
    assert blocks, f"no python example in {path}"
    for line, code in blocks:
        try:
            exec(compile(code, f"{path.name}:{line}", "exec"), namespace)
        except Exception as exc:  # name the block that failed
            raise AssertionError(f"{path.relative_to(ROOT)}:{line}: {type(exc).__name__}: {exc}") from exc
    return namespace


def test_python_blocks_are_found(tmp_path):
    md = tmp_path / "x.md"
    md.write_text("text\n\n```python\nx = 1\n```\n\n```console\n$ no\n```\n```python\ny = 2\n```\n")
    assert python_blocks(md) == [(4, "x = 1\n"), (11, "y = 2\n")]


@pytest.mark.slow
def test_readme_python_example_runs(tmp_path, monkeypatch, capsys):
    run_blocks(ROOT / "README.md", tmp_path, monkeypatch)
    out = capsys.readouterr().out
    assert "entretien_01_elue_loos" in out  # it lists the imported interviews


@pytest.mark.slow
def test_python_guide_runs(tmp_path, monkeypatch):
    ns = run_blocks(ROOT / "docs" / "python.md", tmp_path, monkeypatch)
    # what the guide says it made is there
    for name in ("codes.svg", "rapport.docx", "tableaux.xlsx", "ch4.docx"):
        assert (tmp_path / name).stat().st_size > 0, name
    with ns["Project"].open(tmp_path / "these") as project:
        assert len(project.documents.all()) == 11, "the guide's project holds the sample interviews"
        assert project.codings.count(coders=["camille"]) == 1  # the one coded by hand
