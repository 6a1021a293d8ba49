"""`qualcode demo DIR --force` deletes only a folder that the demo made and that holds only
what the demo writes (issue 16, D14): a real project, a folder of other files, a demo folder
with a file added by hand are refused, one line, exit 1, and left byte-identical.

The refusals come before any work, so these tests are fast; the rebuild of a real demo
folder is in test_demo.py (slow)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from docx import Document
from helpers import INTERVIEW, REPO, Runner, write
from openpyxl import Workbook

from qualcode.backups import backup
from qualcode.demo import prepare_folder
from qualcode.errors import QualcodeError
from qualcode.project import Project

MARKER = ".qualcode-demo"


def tree(root: Path) -> dict[str, bytes | None]:
    """Every file (its bytes) and folder (None) under ``root``, by relative path."""
    out: dict[str, bytes | None] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for d in dirnames:
            out[os.path.relpath(os.path.join(dirpath, d), root)] = None
        for f in filenames:
            out[os.path.relpath(os.path.join(dirpath, f), root)] = Path(dirpath, f).read_bytes()
    return out


def real_project(root: Path) -> Path:
    """A researcher's project: two transcripts imported, a chapter, a backup."""
    Project.init(root, name="Thèse bassin minier").close()
    write(root / "transcripts" / "entretien_01.txt", INTERVIEW)
    write(root / "transcripts" / "entretien_02.txt", INTERVIEW.replace("Dufour", "Lemaire"))
    res = Runner(root)("import", "transcripts")
    assert res.exit_code == 0, res.output
    chapter = Document()
    chapter.add_heading("Chapitre 3 : la mémoire de la mine", 1)
    chapter.add_paragraph("Trois ans de terrain.")
    chapter.save(str(root / "chapitre_3.docx"))
    with Project.open(root) as project:
        backup(project, "before chapter 3")
    return root


def demo_like(root: Path, *, marker: bool = True) -> Path:
    """A folder with what `qualcode demo` writes (without running it): the marker (or not:
    a demo folder of a qualcode older than the marker), the project, the codebook, the exports."""
    Project.init(root, name="Bassin minier (demo)").close()
    shutil.copyfile(REPO / "codebooks" / "bassin_minier.yaml", write(root / "codebooks" / "bassin_minier.yaml", ""))
    Document().save(str(root / "report.docx"))
    Workbook().save(root / "tables.xlsx")
    if marker:
        write(root / MARKER, "made by qualcode demo\n")
    return root


def refused(tmp_path: Path, name: str, *args: str) -> str:
    res = Runner(tmp_path)("demo", name, *args)
    assert res.exit_code == 1, res.output
    lines = res.output.strip().splitlines()
    assert lines[-1].startswith("error: ") and name in lines[-1], res.output
    return lines[-1]


@pytest.mark.parametrize("force", [True, False])
def test_real_project_is_never_deleted(tmp_path, force):
    root = real_project(tmp_path / "these")
    before = tree(root)
    assert "chapitre_3.docx" in before and any(p.startswith(".qualcode/backups/") for p in before)
    msg = refused(tmp_path, "these", *(["--force"] if force else []))
    assert "was not made by qualcode demo" in msg and MARKER in msg
    assert tree(root) == before


def test_folder_of_other_files_is_never_deleted(tmp_path):
    root = tmp_path / "papiers"
    write(root / "notes.txt", "mes notes")
    write(root / "sub" / "photo.jpg", b"\xff\xd8\xff\xe0")
    before = tree(root)
    msg = refused(tmp_path, "papiers", "--force")
    assert "was not made by qualcode demo" in msg
    assert tree(root) == before


@pytest.mark.parametrize("extra", ["chapitre_3.docx", "codebooks/mon_codebook.yaml", "transcripts/e1.txt"])
def test_demo_folder_with_a_file_added_by_hand_is_not_deleted(tmp_path, extra):
    root = demo_like(tmp_path / "qualcode-demo")
    write(root / extra, "à moi")
    before = tree(root)
    msg = refused(tmp_path, "qualcode-demo", "--force")
    first = Path(extra).parts[0] if extra.startswith("transcripts") else extra
    assert f"holds {first}, which qualcode demo did not write" in msg
    assert tree(root) == before


def test_demo_folder_is_replaced(tmp_path):
    root = demo_like(tmp_path / "qualcode-demo")
    write(root / ".report.docx.x1y2z3.tmp", b"half a report")  # an interrupted export
    prepare_folder(root, force=True)
    assert tree(root) == {MARKER: (root / MARKER).read_bytes()}
    assert b"qualcode demo --force" in (root / MARKER).read_bytes()


def test_demo_folder_without_marker_from_an_older_qualcode_is_replaced(tmp_path):
    root = demo_like(tmp_path / "qualcode-demo", marker=False)
    with pytest.raises(QualcodeError, match="already holds a project"):
        prepare_folder(root, force=False)
    prepare_folder(root, force=True)
    assert sorted(p.name for p in root.iterdir()) == [MARKER]


def test_demo_folder_without_marker_and_with_other_files_is_refused(tmp_path):
    root = demo_like(tmp_path / "qualcode-demo", marker=False)
    write(root / "chapitre_3.docx", "à moi")
    before = tree(root)
    refused(tmp_path, "qualcode-demo", "--force")
    assert tree(root) == before


def test_empty_folder_is_used_and_marked(tmp_path):
    root = tmp_path / "vide"
    root.mkdir()
    prepare_folder(root, force=False)
    assert sorted(p.name for p in root.iterdir()) == [MARKER]
    prepare_folder(tmp_path / "neuf", force=False)
    assert (tmp_path / "neuf" / MARKER).is_file()


def test_file_or_link_in_place_of_the_folder_is_refused(tmp_path):
    write(tmp_path / "fichier", "texte")
    assert "is not a folder" in refused(tmp_path, "fichier", "--force")
    target = demo_like(tmp_path / "ailleurs")
    (tmp_path / "lien").symlink_to(target)
    before = tree(target)
    assert "is not a folder" in refused(tmp_path, "lien", "--force")
    assert tree(target) == before and (tmp_path / "lien").is_symlink()
