"""Control characters in transcripts (issue 16, D2).

At import, every control character other than tab and newline (U+0000–U+0008, U+000B,
U+000C, U+000E–U+001F, U+007F–U+009F), lone surrogates, U+FFFE and U+FFFF become U+FFFD,
one for one, with one warning per document naming the file, the first line and the
count. The exporters replace what XML 1.0 cannot hold in any stored text (a project
imported before this rule, text from the Python API), so that every DOCX and XLSX export
succeeds. Files are built by the tests: bytes, python-docx documents.
"""

from __future__ import annotations

import io
import sqlite3
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest
from docx import Document
from helpers import Runner, assert_offsets_sacred, db_path, db_rows, new_project, write
from helpers.figures import build
from openpyxl import load_workbook

from qualcode.textnorm import normalize_text, xml_safe

# Every character the import replaces, as they can appear in a file's text.
CONTROLS = "".join(map(chr, [*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)]))
XML_INVALID = "\x01\x08\x0b\x0c\x0e\x1f\ufffe\uffff\ud800"


def test_normalize_text_replaces_control_characters_one_for_one():
    text = f"a{CONTROLS}b\tc\nd\ufffe\uffff\udc00e"
    out = normalize_text(text)
    assert out == "a" + "\ufffd" * len(CONTROLS) + "b\tc\nd\ufffd\ufffd\ufffde"
    assert normalize_text(out) == out


def test_xml_safe_replaces_what_xml_cannot_hold():
    assert xml_safe(f"a{XML_INVALID}\t\n\r\x85b") == "a" + "\ufffd" * len(XML_INVALID) + "\t\n\r\x85b"
    assert xml_safe(3) == 3 and xml_safe(None) is None


@pytest.fixture
def project(tmp_path) -> Runner:
    return Runner(new_project(tmp_path / "proj"))


def _import(run: Runner, path: Path):
    res = run("import", path)
    assert res.exit_code == 0, res.output
    (text,) = db_rows(run.cwd, "SELECT text FROM documents")[0]
    turns = db_rows(run.cwd, 'SELECT start, "end" FROM turns ORDER BY idx')
    return res, text, turns


def _no_controls(text: str) -> None:
    assert normalize_text(text) == text
    assert not any(c in text for c in CONTROLS + "\ufffe\uffff")


def test_txt_import_replaces_and_warns_with_file_and_line(project, tmp_path):
    data = ("Enquêtrice : Bonjour\x01 et bienvenue.\r\n"
            "Mme Dufour : Bonjour.\r\n"
            "Enquêtrice : Vous habitez ici\x1f\x0b ?\r\n"
            "Mme Dufour : Oui, \ufffe depuis \x85toujours\x0c.\r\n").encode("utf-8")
    src = tmp_path / "entretien.txt"
    src.write_bytes(data)
    res, text, turns = _import(project, src)
    assert text == ("Enquêtrice : Bonjour\ufffd et bienvenue.\n"
                    "Mme Dufour : Bonjour.\n"
                    "Enquêtrice : Vous habitez ici\ufffd\ufffd ?\n"
                    "Mme Dufour : Oui, \ufffd depuis \ufffdtoujours\ufffd.\n")
    _no_controls(text)
    assert f"{src}:1: 6 control characters replaced by U+FFFD (lines 1, 3, 4)" in res.output
    # offsets index the stored text, and the turns are those of the clean file
    assert [text[s:e] for s, e in turns] == ["Bonjour\ufffd et bienvenue.", "Bonjour.",
                                             "Vous habitez ici\ufffd\ufffd ?",
                                             "Oui, \ufffd depuis \ufffdtoujours\ufffd."]
    history = db_rows(project.cwd, "SELECT details FROM history WHERE command = 'import'")
    assert "control characters replaced" in history[0][0]


def test_clean_file_imports_without_warning(project, tmp_path):
    src = write(tmp_path / "propre.txt", "Enquêtrice : Bonjour.\nMme Dufour : Bonjour.\n")
    res, text, _ = _import(project, src)
    assert "warning" not in res.output and "\ufffd" not in text


def test_vtt_import_replaces_and_warns(project, tmp_path):
    src = tmp_path / "reunion.vtt"
    src.write_bytes(("WEBVTT\n\n"
                     "00:00:01.000 --> 00:00:03.000\n<v Marie>Bonjour\x02 à tous.</v>\n\n"
                     "00:00:04.000 --> 00:00:06.000\n<v Paul>On com\x1bmence ?</v>\n").encode())
    res, text, turns = _import(project, src)
    assert text == "Marie: Bonjour\ufffd à tous.\n\nPaul: On com\ufffdmence ?"
    assert f"{src}:4: 2 control characters replaced by U+FFFD (lines 4, 7)" in res.output
    assert [text[s:e] for s, e in turns] == ["Bonjour\ufffd à tous.", "On com\ufffdmence ?"]


def test_srt_import_replaces_and_warns(project, tmp_path):
    src = tmp_path / "interview.srt"
    src.write_bytes(("1\r\n00:00:01,000 --> 00:00:03,000\r\nMarie: Bonjour.\r\n\r\n"
                     "2\r\n00:00:04,000 --> 00:00:06,000\r\nPaul: Oui\x07\x07, bien s\x03r.\r\n").encode("cp1252"))
    res, text, _ = _import(project, src)
    assert text == "Marie: Bonjour.\n\nPaul: Oui\ufffd\ufffd, bien s\ufffdr."
    assert f"{src}:7: 3 control characters replaced by U+FFFD (line 7)" in res.output


def _docx_bytes(paragraphs: list[str], raw: tuple[str, str] | None = None) -> bytes:
    doc = Document()
    for p in paragraphs:
        doc.add_paragraph(p)
    buf = io.BytesIO()
    doc.save(buf)
    if raw is None:
        return buf.getvalue()
    # put characters python-docx refuses straight into word/document.xml
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zin, zipfile.ZipFile(out, "w") as zout:
        for name in zin.namelist():
            data = zin.read(name)
            if name == "word/document.xml":
                data = data.replace(raw[0].encode(), raw[1].encode())
            zout.writestr(name, data)
    return out.getvalue()


def test_docx_import_replaces_the_control_characters_xml_allows(project, tmp_path):
    # XML 1.0 allows U+007F–U+009F (python-docx writes them); they are replaced like in text
    src = tmp_path / "entretien.docx"
    src.write_bytes(_docx_bytes(["Enquêtrice : Bonjour.", "Mme Dufour : Oui\x85 bien\x7f.",
                                 "Enquêtrice : Merci.", "Mme Dufour : De rien\x9f."]))
    res, text, _ = _import(project, src)
    _no_controls(text)
    assert "Mme Dufour : Oui\ufffd bien\ufffd." in text and "De rien\ufffd." in text
    assert f"{src}: paragraph 2: 3 control characters replaced by U+FFFD (paragraphs 2, 4)" in res.output


def test_docx_with_characters_xml_refuses_is_refused_naming_the_file(project, tmp_path):
    # U+0001 cannot be in an XML 1.0 file, raw or as a reference: the docx is malformed
    for i, raw in enumerate(["a\x01b", "a&#x1;b"]):
        src = tmp_path / f"abime{i}.docx"
        src.write_bytes(_docx_bytes(["Enquêtrice : MARK", "Mme Dufour : Oui."], ("MARK", raw)))
        res = project("import", src)
        assert res.exit_code == 1
        assert f"{src}: corrupt docx" in res.output
    assert db_rows(project.cwd, "SELECT COUNT(*) FROM documents") == [(0,)]


# --------------------------------------------------------------------------- exports


@pytest.fixture(scope="module")
def old_project(tmp_path_factory) -> Path:
    """The coded project of helpers.figures, with control characters written straight
    into the database, as a project imported before the rule (or text from the Python
    API) may hold: in a document's text and its codings (one for one, so the offsets
    still hold), a speaker label, a pseudonym, a case attribute value, a code label."""
    root = build(tmp_path_factory.mktemp("old"))
    conn = sqlite3.connect(db_path(root))
    with conn:
        for table in ("documents", "codings"):
            conn.execute(f"UPDATE {table} SET text = replace(replace(text, 'fosse numéro neuf',"
                         " 'fosse' || char(1) || 'numéro' || char(65534) || 'neuf'),"
                         " 'toute la ville', 'toute' || char(11) || 'la' || char(31) || 'ville')")
        conn.execute("UPDATE speakers SET label = 'Mar' || char(2) || 'cel' WHERE label = 'Marcel'")
        conn.execute("UPDATE case_attributes SET value = 'resi' || char(3) || 'dent' WHERE value = 'resident'")
        conn.execute("UPDATE case_attributes SET value = 'K' || char(4) || 'vin' WHERE value = 'Kévin'")
        conn.execute("UPDATE codes SET label = 'Emp' || char(5) || 'loi' WHERE label = 'Emploi'")
    conn.close()
    assert assert_offsets_sacred(root)
    (text,) = db_rows(root, "SELECT text FROM documents WHERE name = 'a'")[0]
    assert "fosse\x01numéro\ufffeneuf" in text
    return root


def _docx_text(path: Path) -> str:
    doc = Document(str(path))
    parts = [p.text for p in doc.paragraphs]
    parts += [c.text for t in doc.tables for r in t.rows for c in r.cells]
    return "\n".join(parts)


def _xlsx_text(path: Path) -> str:
    wb = load_workbook(path)
    return "\n".join(str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row
                     if c.value is not None)


EXPORTS = [
    ("excerpts.docx", ("export", "excerpts", "--by", "group", "--status", "proposed", "-o")),
    ("excerpts.xlsx", ("export", "excerpts", "--by", "group", "--status", "proposed", "-o")),
    ("report.docx", ("export", "report", "--by", "group", "-o")),
    ("freq.xlsx", ("report", "freq", "--by", "group", "-o")),
    ("freq.docx", ("report", "freq", "--by", "group", "-o")),
    ("review.xlsx", ("review", "--export")),
    ("freq.svg", ("chart", "freq", "--by", "group", "-o")),
    ("cooc.svg", ("chart", "cooccurrence", "-o")),
]


@pytest.mark.parametrize(("name", "command"), EXPORTS, ids=[n for n, _ in EXPORTS])
def test_every_export_succeeds_on_stored_control_characters(old_project, tmp_path, name, command):
    out = tmp_path / name
    res = Runner(old_project)(*command, out)
    assert res.exit_code == 0, res.output
    if name.endswith(".svg"):  # an SVG is XML: it must parse, and the label shows U+FFFD
        text = "".join(ElementTree.parse(out).getroot().itertext())
        assert "Emp\ufffdloi" in out.read_text(encoding="utf-8") or "Emp\ufffdloi" in text
        return
    text = _docx_text(out) if name.endswith(".docx") else _xlsx_text(out)
    _no_xml_invalid(text)
    if not name.startswith(("freq", "report")):  # tables have no excerpt text
        assert "fosse\ufffdnuméro\ufffdneuf" in text
    if name.startswith("excerpts") or name == "report.docx":
        assert "resi\ufffddent" in text  # the --by value
    if name.startswith("freq"):
        assert "resi\ufffddent" in text and "Emp\ufffdloi" in text


def _no_xml_invalid(text: str) -> None:
    assert xml_safe(text) == text


def test_codebook_export_with_control_characters(tmp_path):
    # YAML double-quoted strings can hold control characters as escapes ("\x01")
    root = new_project(tmp_path / "proj")
    write(root / "codebooks" / "cb.yaml",
          'title: "Livre\\x01 de codes"\nlanguage: fr\nunit: turn\ncodes:\n'
          '  - code: emploi\n    label: "Emp\\x02loi"\n    definition: "Le travail\\x1f."\n'
          '    rules:\n      - terms: [emploi]\n')
    run = Runner(root)
    for name in ("cb.docx", "cb.xlsx"):
        res = run("codebook", "export", "-o", tmp_path / name)
        assert res.exit_code == 0, res.output
        text = _docx_text(tmp_path / name) if name.endswith(".docx") else _xlsx_text(tmp_path / name)
        _no_xml_invalid(text)
        assert "Emp\ufffdloi" in text
