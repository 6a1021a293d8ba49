"""Decompression bombs (issue 16, D4): DOCX, XLSX and REFI-QDA ``.qdpx`` packages are
checked from the sizes their zip directory declares before any XML parser sees them
(``qualcode.ziplimits``), since python-docx and openpyxl need ~27 times the XML's size in
memory (a 1.5 MB docx reached 4 GB). Each bomb is built here, streamed into the zip so
that the test itself stays small: an XML part just over its limit, a part that inflates
more than 500 times, too many parts, and a directory that lies about a part's size."""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

import pytest
from helpers import INTERVIEW, snapshot, write

from qualcode.errors import InputError
from qualcode.ziplimits import DOCX, MB, QDPX, XLSX, ZipLimits, check_zip

CONTENT_TYPES = (b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                 b'content-types"/>')


def package(path: Path, parts: dict[str, bytes | int], *, extra_parts: int = 0) -> Path:
    """A zip at ``path``: a part given as an int is that many bytes of spaces, streamed
    (a few hundred kB on disk for tens of MB declared)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            if isinstance(data, int):
                with zf.open(name, "w", force_zip64=data > 2**31) as f:
                    chunk = b" " * MB
                    for _ in range(data // MB):
                        f.write(chunk)
                    f.write(b" " * (data % MB))
            else:
                zf.writestr(name, data)
        for i in range(extra_parts):
            zf.writestr(f"customXml/item{i}.bin", b"x")
    return path


def real_docx() -> bytes:
    import docx

    d = docx.Document()
    for line in INTERVIEW.splitlines():
        d.add_paragraph(line)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def with_parts(data: bytes, path: Path, more: dict[str, bytes | int]) -> Path:
    """The package ``data`` with the parts ``more`` added or replaced, written to ``path``."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        parts: dict[str, bytes | int] = {i.filename: zf.read(i) for i in zf.infolist()}
    return package(path, parts | more)


@pytest.mark.parametrize(("limits", "xml"), [(DOCX, "word/document.xml"), (XLSX, "xl/worksheets/sheet1.xml"),
                                             (QDPX, "project.qde")])
def test_an_xml_part_over_its_limit_is_refused_before_parsing(tmp_path, limits, xml):
    path = package(tmp_path / f"bomb.{limits.kind}", {"[Content_Types].xml": CONTENT_TYPES,
                                                       xml: limits.max_xml + 1})
    assert path.stat().st_size < limits.max_xml // 100  # a bomb: tiny on disk
    with pytest.raises(InputError) as err:
        check_zip(path, limits)
    assert str(err.value).startswith(f"{path}: {limits.kind} part '{xml}' too large once uncompressed")
    assert "possible zip bomb" in str(err.value)
    # one byte less is within the limit (the limit, not the ratio, decided): a big part of
    # repeated spaces inflates ~1,000 times, so the ratio check is loosened here to see it
    lenient = ZipLimits(limits.kind, limits.max_member, limits.max_total, limits.max_xml, max_ratio=10**6)
    ok = package(tmp_path / f"ok.{limits.kind}", {xml: limits.max_xml})
    assert len(check_zip(ok, lenient)) == 1


def test_a_part_that_inflates_too_much_is_refused(tmp_path):
    path = package(tmp_path / "media.docx", {"[Content_Types].xml": CONTENT_TYPES, "word/media/image1.png": 8 * MB})
    with pytest.raises(InputError, match=r"word/media/image1.png' inflates [0-9,]+ times \(at most 500\)"):
        check_zip(path, DOCX)


def test_too_many_parts_and_too_much_in_all(tmp_path):
    path = package(tmp_path / "many.xlsx", {"[Content_Types].xml": CONTENT_TYPES}, extra_parts=XLSX.max_members)
    with pytest.raises(InputError, match=r"xlsx package with 10,001 parts \(at most 10,000\)"):
        check_zip(path, XLSX)
    small = ZipLimits("docx", max_member=3 * MB, max_total=4 * MB, max_xml=3 * MB, max_ratio=10**6)
    path = package(tmp_path / "total.docx", {"a.xml": 2 * MB, "b.xml": 2 * MB + 1})
    with pytest.raises(InputError, match=r"docx file too large once uncompressed "
                                         r"\(4,194,305 bytes, at most 4,194,304\)"):
        check_zip(path, small)


def lie_about_size(path: Path, member: str, declared: int) -> None:
    """Rewrite the uncompressed size of ``member`` in the zip's central directory (and its
    local header) to ``declared``: a bomb that hides its size from a size check."""
    data = bytearray(path.read_bytes())
    name = member.encode()
    for sig, offset in ((b"PK\x01\x02", 24), (b"PK\x03\x04", 22)):
        at = data.find(sig)
        while at != -1:
            start = at + (46 if sig == b"PK\x01\x02" else 30)
            if data[start:start + len(name)] == name:
                struct.pack_into("<I", data, at + offset, declared)
            at = data.find(sig, at + 4)
    path.write_bytes(bytes(data))


def test_a_part_whose_declared_size_lies_is_never_read_beyond_it(project, cli, tmp_path):
    """zipfile stops at the declared size and checks the CRC: a part declaring 1 kB that
    inflates to 20 MB is a corrupt file, named in one line, never 20 MB in memory."""
    path = with_parts(real_docx(), tmp_path / "liar.docx", {"word/document.xml": 20 * MB})
    lie_about_size(path, "word/document.xml", 1000)
    assert check_zip(path, DOCX)  # the declared sizes pass…
    before = snapshot(project)
    res = cli("import", path)
    assert res.exit_code == 1, res.output
    assert f"skipped {path}: corrupt docx" in res.output
    assert "internal error" not in res.output and "Traceback" not in res.output
    assert snapshot(project) == before


def test_import_skips_a_docx_bomb_and_imports_the_others(project, cli, tmp_path):
    folder = tmp_path / "in"
    write(folder / "a.txt", INTERVIEW)
    folder.joinpath("b.docx").write_bytes(real_docx())
    bomb = with_parts(real_docx(), folder / "c.docx", {"word/document.xml": DOCX.max_xml + 1})
    res = cli("import", folder)
    assert res.exit_code == 1, res.output  # a file was skipped
    assert (f"skipped {bomb}: docx part 'word/document.xml' too large once uncompressed "
            "(16,777,217 bytes, at most 16,777,216): refused as a possible zip bomb") in res.output
    assert "2 imported" in res.output


@pytest.mark.parametrize("command", [("cases", "import"), ("review", "--import")])
def test_sheet_commands_refuse_an_xlsx_bomb_in_one_line(project, cli, tmp_path, command):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["case", "id", "decision"])
    buf = io.BytesIO()
    wb.save(buf)
    bomb = with_parts(buf.getvalue(), tmp_path / "bomb.xlsx", {"xl/sharedStrings.xml": XLSX.max_xml + 1})
    before = snapshot(project)
    res = cli(*command, bomb)
    assert res.exit_code == 1
    assert res.stderr.strip() == (f"error: {bomb}: xlsx part 'xl/sharedStrings.xml' too large once uncompressed "
                                  "(33,554,433 bytes, at most 33,554,432): refused as a possible zip bomb")
    assert snapshot(project) == before


def test_import_refuses_a_qdpx_bomb_in_one_line(project, cli, tmp_path):
    path = package(tmp_path / "bomb.qdpx", {"project.qde": QDPX.max_xml + 1})
    before = snapshot(project)
    res = cli("import", path)
    assert res.exit_code == 1
    assert res.stderr.strip() == (f"error: {path}: qdpx part 'project.qde' too large once uncompressed "
                                  "(67,108,865 bytes, at most 67,108,864): refused as a possible zip bomb")
    assert snapshot(project) == before
