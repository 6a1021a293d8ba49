"""Damaged and unusual spreadsheets (issue 16, D3, D9 and the DTD): ``cases import``,
``review --import`` and ``reconcile --import`` read them through one function
(``qualcode.sheets.read_rows``); every damage found in the stress campaign ends in one
line ``error: FILE[:ROW]: reason``, exit 1, the project unchanged — never an internal
error, a traceback or a message without the file. Each fixture is built here: an XLSX
saved by openpyxl whose parts are then cut, removed or re-encoded inside the zip."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from helpers import Coding, Runner, add_codings, build_project, db_rows, snapshot

from qualcode.project import Project

TEXT = "Enquêtrice : Vous avez travaillé à la mine ?\nPaul : Oui, trente ans au fond, à Carmaux.\n"
CODEBOOK = "title: T\nlanguage: fr\ncodes:\n  - code: mine\n  - code: work\n"
SHEET = "xl/worksheets/sheet1.xml"
LAUGHS = ('<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">'
          + "".join(f'<!ENTITY {n} "{("&" + p + ";") * 10}">' for p, n in zip("abcdef", "bcdefg", strict=True))
          + "]>")


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("sheets")
    Project.init(base / "proj", language="fr").close()
    build_project(base / "proj", base / "src", codebook=CODEBOOK, documents={"entretien": TEXT}, autocode=True)
    add_codings(base / "proj", [Coding("entretien", "trente ans", "work", coder="ana"),
                                Coding("entretien", "trente ans", "mine", coder="ben")])
    return base / "proj"


def xlsx(rows: list[list[object]]) -> dict[str, bytes]:
    """The parts of an XLSX file holding ``rows`` (inline strings), as openpyxl writes it."""
    from openpyxl import Workbook

    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    with zipfile.ZipFile(buf) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def rezip(path: Path, parts: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return path


def damaged(tmp_path: Path, kind: str) -> Path:
    parts = xlsx([["case", "age", "decision"], ["P1", 42, "keep"]])
    sheet = parts[SHEET]
    if kind == "truncated-sheet":
        parts[SHEET] = sheet[: len(sheet) // 2]
    elif kind == "missing-sheet":
        del parts[SHEET]
    elif kind == "unknown-encoding":  # D3: was "internal error: LookupError: unknown encoding"
        parts[SHEET] = b'<?xml version="1.0" encoding="x-no-such-codec"?>' + sheet
    elif kind == "wrong-encoding":
        parts[SHEET] = b'<?xml version="1.0" encoding="UTF-8"?>' + sheet.decode().encode("utf-16-le")
    elif kind == "entities":  # a "billion laughs" in the sheet: refused, not expanded
        parts[SHEET] = LAUGHS.encode() + sheet.replace(b"<t>P1</t>", b"<t>&g;</t>")
    elif kind == "not-a-zip":
        return _write(tmp_path / f"{kind}.xlsx", b"PK\x03\x04" + b"\x00" * 200)
    elif kind == "cut-zip":
        data = (rezip(tmp_path / "whole.xlsx", parts)).read_bytes()
        return _write(tmp_path / f"{kind}.xlsx", data[: len(data) * 2 // 3])
    else:
        raise AssertionError(kind)
    return rezip(tmp_path / f"{kind}.xlsx", parts)


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def commands(path: Path) -> dict[str, tuple[str, ...]]:
    return {"cases": ("cases", "import", str(path)), "review": ("review", "--import", str(path)),
            "reconcile": ("reconcile", "--coders", "ana,ben", "--import", str(path))}


def assert_named_error(root: Path, args: tuple[str, ...], path: Path, *, row: int | None = None) -> str:
    before = snapshot(root)
    res = Runner(root)(*args)
    err = res.stderr.strip()
    assert res.exit_code == 1, (args, res.output)
    assert len(err.splitlines()) == 1, err  # one line, no traceback
    prefix = f"error: {path}:{row}: " if row else f"error: {path}: "
    assert err.startswith(prefix), err
    assert "internal error" not in err and "Traceback" not in err
    assert snapshot(root) == before
    return err


@pytest.mark.parametrize("kind", ["truncated-sheet", "missing-sheet", "unknown-encoding", "wrong-encoding",
                                  "entities", "not-a-zip", "cut-zip"])
@pytest.mark.parametrize("command", ["cases", "review", "reconcile"])
def test_a_damaged_xlsx_is_one_line_naming_the_file(root, tmp_path, kind, command):
    path = damaged(tmp_path, kind)
    err = assert_named_error(root, commands(path)[command], path)
    if kind == "entities":
        assert "DTD" in err and "save it again" in err
    if kind == "missing-sheet":
        assert "without a worksheet" in err


@pytest.mark.parametrize("command", ["cases", "review", "reconcile"])
@pytest.mark.parametrize("case", ["undecodable", "unclosed-quote", "empty", "fifo", "missing", "too-wide"])
def test_a_bad_csv_is_one_line_naming_the_file(root, tmp_path, command, case):
    import os

    path = tmp_path / "sheet.csv"
    row = None
    if case == "undecodable":
        path.write_bytes(b"case;age\nP1;\xff\xfe\x00\x81\x00\xd8\n" * 3 + bytes(range(256)))
    elif case == "unclosed-quote":  # a quote never closed: the rest of the file is one cell
        path.write_text('case;note\nP1;"ok"\nP2;"open\n', encoding="utf-8")
    elif case == "empty":
        path.write_bytes(b"\n\n  \n")
    elif case == "fifo":
        os.mkfifo(path)  # never opened: it would block
    elif case == "too-wide":  # Excel's limit; 50,007 columns took over 300 s before (D9)
        path.write_text(";".join(["case", *(f"a{i}" for i in range(50_006))]) + "\nP1\n", encoding="utf-8")
        row = 1
    if case == "unclosed-quote":
        if command == "cases":  # the csv module reads the rest of the file as the cell: valid
            res = Runner(root)(*commands(path)[command])
            assert res.exit_code == 0 and "2 cases" in res.stdout, res.output
            return
        row = 1  # not a review or reconcile sheet (no id/decision columns)
    assert_named_error(root, commands(path)[command], path, row=row)


def test_a_cell_over_the_csv_modules_limit_is_read(tmp_path):
    """The csv module refuses fields over 131,072 characters by default ("field larger than
    field limit"): a long passage in a sheet is legitimate, so the limit is lifted while
    reading (the file itself is capped at 50 MB), and put back afterwards."""
    import csv

    project = Project.init(tmp_path / "long", language="fr")
    project.close()
    root = project.root
    limit = csv.field_size_limit()
    note = "é" * 140_000
    path = tmp_path / "long.csv"
    path.write_text(f"case;note\nP1;{note}\n", encoding="utf-8")
    res = Runner(root)("cases", "import", str(path))
    assert res.exit_code == 0, res.output
    assert db_rows(root, "SELECT value FROM case_attributes WHERE name = 'note'") == [(note,)]
    assert csv.field_size_limit() == limit


def test_a_sheet_of_excels_width_imports_every_column_and_duplicates_are_named(tmp_path):
    """D9: cases import was quadratic in the number of columns (a list.count per column);
    a sheet as wide as Excel allows (16,384 columns) is imported whole, and a repeated
    column is named once on row 1. (Time: bench, not here.)"""
    project = Project.init(tmp_path / "wide", language="fr")
    project.close()
    width = 16_383
    names = [f"q{i:05d}" for i in range(width)]
    path = tmp_path / "wide.csv"
    path.write_text(";".join(["case", *names]) + "\n" + ";".join(["P1", *map(str, range(width))]) + "\n",
                    encoding="utf-8")
    res = Runner(project.root)("cases", "import", str(path))
    assert res.exit_code == 0, res.output
    stored = dict(db_rows(project.root, "SELECT name, value FROM case_attributes"))
    assert len(stored) == width and stored["q16382"] == 16_382 and stored["q00000"] == 0
    names[9_000] = names[12_000]
    path.write_text(";".join(["case", *names]) + "\nP2;1\n", encoding="utf-8")
    before = snapshot(project.root)
    res = Runner(project.root)("cases", "import", str(path))
    assert res.exit_code == 1
    assert res.stderr.strip() == f"error: {path}:1: duplicate column 'q12000'"
    assert snapshot(project.root) == before


def test_numbers_too_large_for_the_database_stay_text(tmp_path):
    """D5: a 21-digit number in a participants file was an internal error (SQLite's
    integers are 64-bit); it is kept as text, as an identifier would be."""
    project = Project.init(tmp_path / "num", language="fr")
    project.close()
    path = tmp_path / "p.csv"
    path.write_text("case;ref;small;huge_float;inf\nP1;123456789012345678901;-42;1e400;inf\n", encoding="utf-8")
    res = Runner(project.root)("cases", "import", str(path))
    assert res.exit_code == 0, res.output
    stored = dict(db_rows(project.root, "SELECT name, value FROM case_attributes"))
    assert stored == {"ref": "123456789012345678901", "small": -42, "huge_float": "1e400", "inf": "inf"}


@pytest.mark.parametrize("kind", ["truncated-sheet", "unknown-encoding", "entities", "cut-zip", "cut-docx", "fifo",
                                  "device"])
def test_pseudo_audit_of_a_damaged_or_special_file_is_one_line(root, tmp_path, kind):
    """``pseudo audit FILE`` (issue 15) reads DOCX, XLSX and QDPX too: a damaged one was
    'internal error: XMLSyntaxError/LookupError/ParseError', a DTD three lines."""
    import os

    if kind == "cut-docx":
        import docx

        d = docx.Document()
        d.add_paragraph("Bonjour Marie Dupont")
        buf = io.BytesIO()
        d.save(buf)
        with zipfile.ZipFile(buf) as zf:
            parts = {i.filename: zf.read(i) for i in zf.infolist()}
        parts["word/document.xml"] = parts["word/document.xml"][:300]
        path = rezip(tmp_path / "cut.docx", parts)
    elif kind == "fifo":
        path = tmp_path / "tube.xlsx"
        os.mkfifo(path)
    elif kind == "device":
        path = tmp_path / "zero.csv"
        path.symlink_to("/dev/zero")
    else:
        path = damaged(tmp_path, kind)
    err = assert_named_error(root, ("pseudo", "audit", str(path)), path)
    if kind == "entities":
        assert "DTD" in err
    if kind in ("fifo", "device"):
        assert "not a regular file" in err and err.endswith("not audited")
