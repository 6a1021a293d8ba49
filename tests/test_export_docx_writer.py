"""The DOCX body writer (qualcode.exporters.docx_util.BodyWriter): the XML python-docx's
own add_paragraph/add_heading would write, in constant time per paragraph (issue 17)."""

from __future__ import annotations

import io
import random
import zipfile

import pytest
from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.shared import Pt

from qualcode.exporters.docx_util import body_writer
from qualcode.exporters.layout import docx_toc, fill_toc

STYLES = [None, "Normal", "Quote", "Caption", "Title", "List Bullet", "Heading 3"]


def _document_xml(doc) -> bytes:
    buf = io.BytesIO()
    doc.save(buf)
    with zipfile.ZipFile(buf) as z:
        return z.read("word/document.xml")


def _build(steps, fast: bool):
    """The same document twice: through python-docx's API, or through the writer; tables,
    section breaks and runs interleaved (they stay python-docx's in both)."""
    doc = Document()
    w = body_writer(doc)
    for kind, arg, text in steps:
        if kind == "p":
            p = w.paragraph(text, style=arg) if fast else doc.add_paragraph(text, style=arg)
            run = w.run(p, " suite ") if fast else p.add_run(" suite ")
            run.italic = True
            run.font.size = Pt(9)
            if fast:
                w.run(p, text, w.style_id("Strong", WD_STYLE_TYPE.CHARACTER))
            else:
                p.add_run(text, style="Strong")
        elif kind == "h":
            _ = w.heading(text, level=arg) if fast else doc.add_heading(text, level=arg)
        elif kind == "table":
            doc.add_table(rows=1, cols=2).cell(0, 0).text = text
        else:
            doc.add_section(WD_SECTION.NEW_PAGE)
    return doc


def test_same_xml_as_python_docx():
    rng = random.Random(17)
    steps = []
    for i in range(300):
        kind = rng.choice(["p"] * 6 + ["h"] * 2 + ["table", "section"])
        arg = rng.choice(STYLES) if kind == "p" else rng.randrange(0, 10)
        steps.append((kind, arg, rng.choice(["", f"texte {i}", " espaces ", "a\tb\nc « d »", "x\r\ny"])))
    fast, slow = _document_xml(_build(steps, True)), _document_xml(_build(steps, False))
    assert fast.count(b"<w:p>") > 200 and b"<w:tbl>" in fast and fast.count(b"<w:sectPr") > 10
    assert fast == slow


def test_styles_refused_as_python_docx_refuses_them():
    doc = Document()
    w = body_writer(doc)
    with pytest.raises(KeyError):
        doc.add_paragraph("x", style="No Such Style")
    with pytest.raises(KeyError):
        w.paragraph("x", style="No Such Style")
    with pytest.raises(ValueError):  # a character style is not a paragraph style
        w.paragraph("x", style="Default Paragraph Font")
    with pytest.raises(ValueError):
        w.heading("x", level=10)
    assert w.style_id("Normal") is None  # the default style: no w:pStyle, as python-docx


def test_paragraph_before_and_style_names():
    doc = Document()
    w = body_writer(doc)
    first = w.paragraph("un")
    w.heading("deux", level=2)
    w.paragraph("avant", before=first)
    w.paragraph("citation", style="Quote")
    assert [p.text for p in doc.paragraphs] == ["avant", "un", "deux", "citation"]
    assert [w.style_name(p) for p in doc.paragraphs] == [p.style.name for p in doc.paragraphs] \
        == ["Normal", "Normal", "Heading 2", "Quote"]


def test_table_of_contents_lists_the_headings_as_before():
    """fill_toc reads style names through the writer: the entries python-docx's lookups give."""
    doc = Document()
    end = docx_toc(doc, "Table des matières", levels="1-2")
    for i in range(5):
        body_writer(doc).heading(f"Partie {i}", level=1)
        doc.add_heading(f"Section {i}", level=2)
        doc.add_heading(f"Détail {i}", level=3)  # deeper than the TOC's levels
        doc.add_paragraph("texte")
    assert fill_toc(doc, end, (1, 2)) == 10
    texts = [p.text for p in doc.paragraphs]
    start = texts.index("Partie 0")
    assert texts[start:start + 4] == ["Partie 0", "Section 0", "Partie 1", "Section 1"]
    entries = doc.paragraphs[start:start + 10]
    assert {round(p.paragraph_format.left_indent.cm, 1) for p in entries[1::2]} == {0.6}
