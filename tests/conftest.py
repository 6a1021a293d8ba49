"""Shared fixtures: a fresh project in a temporary folder and a CLI runner."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qualcode.cli import app
from qualcode.project import Project

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "transcripts_sample"

INTERVIEW = (
    "Entretien fictif – test\n"
    "\n"
    "Enquêtrice : Vous pouvez me parler du Louvre-Lens ?\n"
    "Mme Dufour : Alors euh, le musée, ça a changé l'image du bassin minier.\n"
    "Les touristes viennent, mais les mineurs, eux, [Enquêtrice : mhm] ils se sentent oubliés.\n"
    "Enquêtrice : Et le classement Unesco ?\n"
    "Mme Dufour : C'est une fierté. [rires] Mon père descendait à la fosse.\n"
)


@pytest.fixture(autouse=True)
def _user(monkeypatch):
    monkeypatch.setenv("QUALCODE_USER", "tester")
    monkeypatch.delenv("QUALCODE_PROJECT", raising=False)
    monkeypatch.delenv("QUALCODE_DEBUG", raising=False)


@pytest.fixture
def project(tmp_path) -> Project:
    proj = Project.init(tmp_path / "proj", language="fr")
    yield proj
    proj.close()


class Runner:
    """Runs the CLI in-process from a given folder; returns click's Result."""

    def __init__(self, cwd: Path):
        self.cwd = cwd
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None):
        old = Path.cwd()
        os.chdir(self.cwd)
        try:
            return self.runner.invoke(app, [str(a) for a in args], input=input, env={"COLUMNS": "200"})
        finally:
            os.chdir(old)


@pytest.fixture
def cli(project) -> Runner:
    """CLI runner whose current folder is the test project."""
    return Runner(project.root)


def write(path: Path, content: str | bytes, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        content = content.encode(encoding)
    path.write_bytes(content)
    return path


def db_rows(project_or_root, sql: str, params=()) -> list[tuple]:
    """Rows of a query on the project database, through a fresh connection."""
    import sqlite3

    # a Project, or its folder (careful: pathlib.Path has a .root attribute of its own)
    root = project_or_root if isinstance(project_or_root, (str, os.PathLike)) else project_or_root.root
    conn = sqlite3.connect(Path(root) / ".qualcode" / "project.db")
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def assert_offsets_sacred(project_or_root, *, allow_empty: bool = False) -> int:
    """Every coding's text equals the document text between its offsets; returns how many
    codings were checked (there must be some unless ``allow_empty``)."""
    rows = db_rows(project_or_root, 'SELECT k.text, d.text, k.start, k."end" FROM codings k'
                                    " JOIN documents d ON d.id = k.document_id")
    assert rows or allow_empty, "no codings to check"
    for coded, text, start, end in rows:
        assert text[start:end] == coded
    return len(rows)
