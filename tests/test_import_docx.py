"""Word importer on .docx files built with python-docx: labelled paragraphs, transcript
tables (French/English headers, 2 columns, merged cells), tracked changes, metadata,
corrupt files, and the sample transcripts."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import docx
import openpyxl
import pytest
from docx.oxml import parse_xml
from helpers import sample

from qualcode.errors import InputError
from qualcode.importers import parse_bytes, parse_file

W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def to_bytes(document) -> bytes:
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def save(document, tmp_path: Path, name: str = "t.docx") -> Path:
    path = tmp_path / name
    document.save(path)
    return path


def utterances(doc):
    doc.validate()
    return [(t.speaker, doc.text[t.start:t.end]) for t in doc.turns]


def composed(doc):
    """Table layout: every turn is the paragraph 'Speaker: utterance' of the text."""
    doc.validate()
    paragraphs = doc.text.split("\n\n")
    for t in doc.turns:
        utt = doc.text[t.start:t.end]
        assert (f"{t.speaker}: {utt}" if t.speaker else utt) in paragraphs
    return [(t.speaker, doc.text[t.start:t.end], t.time_start, t.time_end) for t in doc.turns]


def add_xml_paragraph(document, xml: str):
    marker = document.add_paragraph()
    marker._p.addprevious(parse_xml(xml))
    marker._p.getparent().remove(marker._p)


# --------------------------------------------------------------------------------------
# Paragraph layout


PARAGRAPHS = [
    "Entretien n°2 – M. Caron",
    "Entretien réalisé à Lens le 21 mars 2024 – durée : 48 min.",
    "",
    "Q : Alors, pour commencer, vous pouvez me présenter votre poste ?",
    "R : Oui, bien sûr. Je suis chargé de mission patrimoine.",
    "Je suis géographe de formation. [rires]",
    "",
    "Q : D'accord.",
    "R : Voilà : c'est ça.",
]


def test_paragraphs_with_labels(tmp_path):
    d = docx.Document()
    d.add_heading(PARAGRAPHS[0], level=1)
    for p in PARAGRAPHS[1:]:
        d.add_paragraph(p)
    doc = parse_file(save(d, tmp_path))
    assert doc.format == "docx" and doc.encoding is None
    # The text reads like the document: paragraphs joined with \n, empty ones kept.
    assert doc.text == "\n".join(PARAGRAPHS)
    assert utterances(doc) == [
        ("Q", "Alors, pour commencer, vous pouvez me présenter votre poste ?"),
        ("R", "Oui, bien sûr. Je suis chargé de mission patrimoine.\nJe suis géographe de formation. [rires]"),
        ("Q", "D'accord."),
        ("R", "Voilà : c'est ça."),
    ]
    # Title and intro before the first label are not turns.
    s, e = doc.meta["preamble"]
    assert doc.text[s:e] == "\n".join(PARAGRAPHS[:2])
    assert doc.meta["layout"] == "paragraphs"
    assert doc.meta["title"] == "Entretien n°2 – M. Caron"  # first Heading (no core title)
    assert "author" not in doc.meta  # python-docx template defaults are not facts


def test_paragraph_labels_like_the_text_importer(tmp_path):
    lines = [
        "Enquêtrice : Vous êtes d'ici ?",
        "Mme Dufour : Oui. Il m'a dit : « reste ».",
        "E: Et après ?",
        "Mme Dufour : Après, bon.",
    ]
    d = docx.Document()
    d.core_properties.title = "Entretien Dufour"
    d.core_properties.author = "Léa Martin"
    for line in lines:
        d.add_paragraph(line)
    data = to_bytes(d)
    doc = parse_bytes(data, "d.docx", "docx")
    txt = parse_bytes("\n".join(lines).encode(), "d.txt", "txt")
    assert doc.text == txt.text
    assert [(t.speaker, t.start, t.end) for t in doc.turns] == [(t.speaker, t.start, t.end) for t in txt.turns]
    assert utterances(doc)[1] == ("Mme Dufour", "Oui. Il m'a dit : « reste ».")
    assert doc.meta["title"] == "Entretien Dufour" and doc.meta["author"] == "Léa Martin"


def test_paragraphs_without_labels_one_turn_per_paragraph(tmp_path):
    d = docx.Document()
    for p in ["Premier paragraphe.", "", "  Second paragraphe.  ", "Troisième."]:
        d.add_paragraph(p)
    doc = parse_file(save(d, tmp_path))
    assert utterances(doc) == [(None, "Premier paragraphe."), (None, "Second paragraphe."),
                               (None, "Troisième.")]


def test_tracked_changes_hyperlinks_textboxes(tmp_path):
    d = docx.Document()
    d.add_paragraph("Q : Vous travaillez où ?")
    add_xml_paragraph(d, f"""<w:p {W} xmlns:v="urn:schemas-microsoft-com:vml">
      <w:r><w:t xml:space="preserve">R : Je travaille </w:t></w:r>
      <w:del w:id="1" w:author="x"><w:r><w:delText>pas </w:delText></w:r></w:del>
      <w:ins w:id="2" w:author="x"><w:r><w:t xml:space="preserve">vraiment </w:t></w:r></w:ins>
      <w:hyperlink w:anchor="a"><w:r><w:t xml:space="preserve">au Louvre-Lens</w:t></w:r></w:hyperlink>
      <w:r><w:tab/><w:t>depuis 2012.</w:t></w:r>
      <w:r><w:pict><v:shape><v:textbox>
        <w:txbxContent><w:p><w:r><w:t>ZONE DE TEXTE</w:t></w:r></w:p></w:txbxContent>
      </v:textbox></v:shape></w:pict></w:r>
    </w:p>""")
    d.add_paragraph("Q : Et avant ?")
    d.add_paragraph("R : Avant, à Lille.")
    doc = parse_file(save(d, tmp_path))
    assert utterances(doc) == [("Q", "Vous travaillez où ?"),
                               ("R", "Je travaille vraiment au Louvre-Lens\tdepuis 2012."),
                               ("Q", "Et avant ?"), ("R", "Avant, à Lille.")]
    assert "ZONE" not in doc.text and "pas" not in doc.text


def test_non_transcript_table_is_text(tmp_path):
    d = docx.Document()
    d.add_paragraph("Fiche de l'entretien")
    t = d.add_table(rows=3, cols=2)
    for row, (k, v) in zip(t.rows, [("Date", "12 mars 2024"), ("Lieu", "Mairie de Loos"),
                                    ("Durée", "1 h 05")]):
        row.cells[0].text, row.cells[1].text = k, v
    d.add_paragraph("Enquêtrice : Bonjour.")
    d.add_paragraph("Mme Dufour : Bonjour, entrez.")
    doc = parse_file(save(d, tmp_path))
    assert doc.meta["layout"] == "paragraphs"
    assert doc.text.split("\n")[:4] == ["Fiche de l'entretien", "Date\t12 mars 2024",
                                        "Lieu\tMairie de Loos", "Durée\t1 h 05"]
    assert utterances(doc) == [("Enquêtrice", "Bonjour."), ("Mme Dufour", "Bonjour, entrez.")]


# --------------------------------------------------------------------------------------
# Table layout


def fill(table, rows):
    for r, values in zip(table.rows, rows):
        for c, v in zip(r.cells, values):
            c.text = v


def test_table_locuteur_temps_texte(tmp_path):
    d = docx.Document()
    d.add_heading("Entretien 08 – Kévin", level=1)
    d.add_paragraph("Entretien en visioconférence. Transcription orthographique.")
    rows = [
        ("Locuteur", "Temps", "Texte"),
        ("Enquêtrice", "00:00:04", "Bon, ça enregistre. Tu peux te présenter ?"),
        ("Kévin", "00:00:10", "Ouais. Je suis développeur."),
        ("", "", "Et j'ai grandi à Loos-en-Gohelle."),  # empty speaker: continuation
        ("Enquêtrice :", "[00:01:02 - 00:01:05]", "Tu es parti quand ?"),
        ("Kévin", "1:10", "À dix-huit ans."),
        ("Kévin", "01:20", ""),  # empty text: dropped
    ]
    t = d.add_table(rows=len(rows), cols=3)
    fill(t, rows)
    d.add_paragraph("Fin de l'entretien.")
    doc = parse_file(save(d, tmp_path))
    assert composed(doc) == [
        ("Enquêtrice", "Bon, ça enregistre. Tu peux te présenter ?", 4.0, 10.0),
        ("Kévin", "Ouais. Je suis développeur.\nEt j'ai grandi à Loos-en-Gohelle.", 10.0, 62.0),
        ("Enquêtrice", "Tu es parti quand ?", 62.0, 65.0),
        ("Kévin", "À dix-huit ans.", 70.0, 80.0),
    ]
    assert doc.text.startswith("Entretien 08 – Kévin\nEntretien en visioconférence. Transcription "
                               "orthographique.\n\nEnquêtrice: Bon, ça enregistre.")
    assert doc.text.endswith("Kévin: À dix-huit ans.\n\nFin de l'entretien.")
    assert "Locuteur" not in doc.text and "00:00:04" not in doc.text
    assert doc.meta["layout"] == "table" and doc.meta["tables"] == 1
    assert doc.meta["title"] == "Entretien 08 – Kévin"


def test_table_english_headers_merged_cells_repeated_header(tmp_path):
    d = docx.Document()
    rows = [
        ("Speaker", "Time code", "Transcript"),
        ("Interviewer", "00:00:01", "Where did you grow up?"),
        ("Marie", "00:00:05", "In Lens."),
        ("", "00:00:09", "Near the pit."),  # speaker cell merged with the one above
        ("Speaker", "Time code", "Transcript"),  # header repeated on a new page
        ("Interviewer", "00:00:15", "And then?"),
    ]
    t = d.add_table(rows=len(rows), cols=3)
    fill(t, rows)
    merged = t.cell(2, 0).merge(t.cell(3, 0))
    assert merged.text.strip() == "Marie"
    doc = parse_file(save(d, tmp_path))
    assert composed(doc) == [
        ("Interviewer", "Where did you grow up?", 1.0, 5.0),
        ("Marie", "In Lens.\nNear the pit.", 5.0, 15.0),
        ("Interviewer", "And then?", 15.0, None),
    ]
    assert doc.text == ("Interviewer: Where did you grow up?\n\nMarie: In Lens.\nNear the pit."
                        "\n\nInterviewer: And then?")


def test_two_column_header_and_headerless_tables(tmp_path):
    d = docx.Document()
    t = d.add_table(rows=3, cols=2)
    fill(t, [("Intervenant", "Propos"), ("E", "Vous êtes née où ?"), ("Mme Lefèvre", "À Béthune.")])
    doc = parse_file(save(d, tmp_path, "a.docx"))
    assert composed(doc) == [("E", "Vous êtes née où ?", None, None),
                             ("Mme Lefèvre", "À Béthune.", None, None)]

    d = docx.Document()
    d.add_paragraph("Entretien sans en-tête de tableau")
    t = d.add_table(rows=4, cols=2)
    fill(t, [("Q", "Alors, vous êtes arrivée à Lens en quelle année ?"),
             ("R", "En 1975, avec mon mari qui était porion."),
             ("Q", "Et vous y êtes restée ?"),
             ("R", "Toujours, oui, dans la même maison.")])
    doc = parse_file(save(d, tmp_path, "b.docx"))
    assert [(s, u) for s, u, _, _ in composed(doc)] == [
        ("Q", "Alors, vous êtes arrivée à Lens en quelle année ?"),
        ("R", "En 1975, avec mon mari qui était porion."),
        ("Q", "Et vous y êtes restée ?"),
        ("R", "Toujours, oui, dans la même maison."),
    ]
    assert doc.text.startswith("Entretien sans en-tête de tableau\n\nQ: Alors")


def test_table_with_gridspan_header_and_nested_paragraphs(tmp_path):
    d = docx.Document()
    t = d.add_table(rows=3, cols=3)
    fill(t, [("Nom", "Horodatage", "Transcription"), ("Enquêteur", "00:10", ""), ("Jean", "00:20", "")])
    t.cell(1, 2).text = "Première ligne."
    t.cell(1, 2).add_paragraph("Deuxième ligne.")
    t.cell(2, 2).text = "Réponse."
    doc = parse_file(save(d, tmp_path))
    assert composed(doc) == [("Enquêteur", "Première ligne.\nDeuxième ligne.", 10.0, 20.0),
                             ("Jean", "Réponse.", 20.0, None)]


# --------------------------------------------------------------------------------------
# Bad input


def _valid_docx() -> bytes:
    d = docx.Document()
    d.add_paragraph("Q : bonjour")
    return to_bytes(d)


def _rezip(data: bytes, change) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            content = change(info.filename, src.read(info.filename))
            if content is not None:
                dst.writestr(info, content)
    return out.getvalue()


def _zip_with_text() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("notes.txt", "pas un docx")
    return out.getvalue()


@pytest.mark.parametrize(
    "make, reason",
    [
        (lambda: bytes(range(256)) * 8, r"corrupt docx \(not a zip file\)"),
        (lambda: b"Q : ceci est un fichier texte renomme en .docx\n", r"corrupt docx \(not a zip file\)"),
        (lambda: _valid_docx()[: len(_valid_docx()) // 2], r"corrupt docx \(not a zip file or truncated\)"),
        (_zip_with_text, r"corrupt docx \(zip file without \[Content_Types\]\.xml"),
        (lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1024), r"old Word \.doc"),
        (lambda: _rezip(_valid_docx(), lambda n, c: c.replace(b"wordprocessingml.document.main+xml",
                                                               b"spreadsheetml.sheet.main+xml")
                        if n == "[Content_Types].xml" else c), r"not a Word document \(.*spreadsheetml"),
        (lambda: _rezip(_valid_docx(), lambda n, c: c[: len(c) // 2] if n == "word/document.xml" else c),
         r"corrupt docx \(XMLSyntaxError"),
        (lambda: _rezip(_valid_docx(), lambda n, c: None if n == "word/document.xml" else c),
         r"corrupt docx \(missing part"),
        (lambda: to_bytes(docx.Document()), r"empty document"),
    ],
    ids=["random", "text", "truncated", "zip-not-docx", "ole-doc", "xlsx-type", "bad-xml",
         "missing-part", "empty"],
)
def test_corrupt_docx(make, reason):
    with pytest.raises(InputError, match=reason) as info:
        parse_bytes(make(), "bad.docx", "docx")
    assert str(info.value).startswith("bad.docx: ") and "\n" not in str(info.value)


def test_real_xlsx_is_refused(tmp_path):
    wb = openpyxl.Workbook()
    wb.active["A1"] = "Locuteur"
    wb.save(tmp_path / "x.xlsx")
    with pytest.raises(InputError, match="not a Word document"):
        parse_bytes((tmp_path / "x.xlsx").read_bytes(), "x.docx", "docx")


# --------------------------------------------------------------------------------------
# Sample transcripts


def test_sample_entretien_02_paragraphs():
    path = sample("entretien_02*.docx")
    doc = parse_file(path)
    doc.validate()
    assert doc.meta["layout"] == "paragraphs"
    assert set(doc.speakers()) == {"Q", "R"}
    assert doc.turns[0].speaker == "Q"
    # offsets index the paragraph text, labels included, as for a .txt file
    for t in doc.turns:
        line_start = doc.text.rfind("\n", 0, t.start) + 1
        assert doc.text[line_start:t.start].rstrip() in ("Q :", "R :", "Q:", "R:") or \
            doc.text[line_start:t.start].strip() == ""
    source = docx.Document(str(path))
    assert doc.text == "\n".join(p.text for p in source.paragraphs).rstrip()


def test_sample_entretien_08_table():
    path = sample("entretien_08*.docx")
    doc = parse_file(path)
    rows = composed(doc)
    assert doc.meta["layout"] == "table"
    assert len(doc.speakers()) == 2
    source = docx.Document(str(path))
    table = source.tables[0]
    header = [c.text.strip() for c in table.rows[0].cells]
    assert header[0] == "Locuteur"
    body = [[c.text.strip() for c in r.cells] for r in table.rows[1:]]
    # first row's speaker and text come through
    assert rows[0][0] == body[0][0].rstrip(" :")
    assert rows[0][1] == body[0][2]
    assert all(t0 is not None for _, _, t0, _ in rows)
    # paragraphs before the table are in the text, not in turns
    intro = source.paragraphs[0].text.strip()
    assert doc.text.startswith(intro) and doc.turns[0].start > len(intro)


def test_headerless_focus_group_table_and_metadata_table(tmp_path):
    d = docx.Document()
    meta = d.add_table(rows=3, cols=2)
    fill(meta, [("Date", "12 mars 2024, à la médiathèque de Liévin"),
                ("Lieu", "Salle polyvalente de la cité des Provinces à Lens"),
                ("Durée", "une heure et quart environ, enregistrée")])
    d.add_paragraph("")
    t = d.add_table(rows=4, cols=2)
    fill(t, [("Animatrice", "Qu'est-ce que le classement Unesco a changé pour vous ?"),
             ("Mme Dufour", "Pas grand-chose au quotidien, sinon les touristes."),
             ("M. Caron", "Moi je dirais que ça a changé le regard des gens."),
             ("Josiane", "Les enfants, eux, sont fiers maintenant, c'est sûr.")])
    doc = parse_file(save(d, tmp_path))
    assert doc.meta["layout"] == "table" and doc.meta["tables"] == 1
    assert [s for s, _, _, _ in composed(doc)] == ["Animatrice", "Mme Dufour", "M. Caron", "Josiane"]
    assert doc.text.startswith("Date\t12 mars 2024, à la médiathèque de Liévin\nLieu\t")
