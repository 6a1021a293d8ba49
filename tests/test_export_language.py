"""Exported files in the project's language: words, labels, numbers, proofing language.

A French project (the outputs fixture, with display labels in qualcode.toml) must not
leave English words or raw identifiers in what a reader sees, and must write its
numbers the French way (decimal comma, no-break space before %, n = 5).
"""

from __future__ import annotations

import re

import pytest
from helpers.outputs import build_outputs_project

from qualcode.i18n import Labels, n_equals, number, percent

NB = "\u00a0"
LABELS = """\
[labels]
group.local_actor = "acteurs locaux"
group.resident = "habitants"
"""
# what a French reader must not find in an exported report (English, or raw identifiers)
ENGLISH = ("Codes by", "Counted:", "All codes", "Cells:", "Table ", "Heat map", "participants who mention",
           "Excerpts", "coded units", "(no case)", "Unreviewed", "proposed", "accepted", "turn ",
           "local_actor", "resident", "Codes par group ", "statuses", "Jaccard index")


@pytest.fixture
def fr(project, tmp_path):
    return build_outputs_project(project, tmp_path, labels=LABELS)


def docx_text(path) -> str:
    from docx import Document

    doc = Document(str(path))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts += [c.text for c in row.cells]
    return "\n".join(parts)


def docx_lang(path) -> str:
    from docx import Document
    from docx.oxml.ns import qn

    styles = Document(str(path)).styles.element
    lang = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr")).find(qn("w:lang"))
    return lang.get(qn("w:val"))


def test_numbers_for_the_language():
    assert number(83.3, "fr", 1) == "83,3" and number(83.3, "en", 1) == "83.3"
    assert percent(83.3, "fr", 1) == f"83,3{NB}%" and percent(83.3, "en", 1) == "83.3%"
    assert number(12345, "fr") == f"12{NB}345" and number(0.049, "fr") == "0,049"
    assert n_equals(5, "fr") == f"n{NB}={NB}5"


def test_labels_from_the_project_and_the_catalogue():
    labels = Labels.from_config({"labels": {"group": {"local_actor": "acteurs locaux"},
                                            "attributes": {"commune": "ville"},
                                            "status": {"proposed": "à revoir"}}}, "fr")
    assert labels.value("group", "local_actor") == "acteurs locaux"
    assert labels.value("group", "local_actor/resident") == "acteurs locaux/resident"
    assert labels.attribute("group") == "groupe" and labels.attribute("commune") == "ville"
    assert labels.status("proposed") == "à revoir" and labels.status("accepted") == "accepté"
    assert Labels("en").attribute("group") == "group" and Labels("en").status("accepted") == "accepted"


def test_french_report_has_no_english_and_french_numbers(fr, tmp_path):
    out = tmp_path / "rapport.docx"
    res = fr("export", "report", "-o", out)
    assert res.exit_code == 0, res.output
    text = docx_text(out).split("\n", 2)[2]  # after the title and the provenance (a command line)
    assert "Table des matières" in text  # the TOC's title: French, not the English "Table "
    for phrase in ENGLISH:
        assert phrase not in text.replace("Table des matières", ""), phrase
    assert "Codes par groupe" in text and "Tous les codes" in text
    assert f"acteurs locaux (n{NB}={NB}1)" in text and f"habitants (n{NB}={NB}2)" in text
    assert re.search(rf"\d+ / \d+ \(\d+{NB}%\)", text)
    assert f"groupe{NB}: acteurs locaux" in text
    assert "Décompte" in text and "au statut proposé ou accepté" in text
    assert docx_lang(out) == "fr-FR"


def test_lang_option_gives_english(fr, tmp_path):
    out = tmp_path / "report.docx"
    res = fr("export", "report", "--lang", "en", "-o", out)
    assert res.exit_code == 0, res.output
    text = docx_text(out)
    assert "Codes by group" in text and "Counted:" in text and f"local_actor (n{NB}={NB}1)" not in text
    assert "acteurs locaux (n" in text  # the labels are the project's, whatever the language
    assert docx_lang(out) == "en-GB"
    assert fr("export", "report", "--lang", "de", "-o", tmp_path / "x.docx").exit_code == 2


def test_report_tables_decimal_commas_in_documents_points_in_data(fr, tmp_path):
    res = fr("report", "cooccurrence", "--jaccard", "--unit", "doc", "-o", tmp_path / "j.md")
    assert res.exit_code == 0, res.output
    md = (tmp_path / "j.md").read_text(encoding="utf-8")
    assert "## Indice de Jaccard des codes (unités : documents)" in md
    assert re.search(r"\| 0,\d+ \|", md) and not re.search(r"\| 0\.\d+ \|", md)
    assert "Cells:" not in md and "Cellules" in md
    res = fr("report", "freq", "--by", "group", "-o", tmp_path / "f.csv")
    assert res.exit_code == 0, res.output
    csv_text = (tmp_path / "f.csv").read_text(encoding="utf-8-sig")
    assert "# Codes par groupe" in csv_text and re.search(r",\d+\.\d,", csv_text)  # data: 66.7
    res = fr("report", "freq", "--by", "group", "-o", tmp_path / "f.docx")
    assert res.exit_code == 0, res.output
    assert docx_lang(tmp_path / "f.docx") == "fr-FR" and re.search(r"\d,\d", docx_text(tmp_path / "f.docx"))


def test_chart_words_in_french(fr, tmp_path):
    out = tmp_path / "codes.svg"
    res = fr("chart", "freq", "--by", "group", "-o", out)
    assert res.exit_code == 0, res.output
    svg = out.read_text(encoding="utf-8")
    assert "<!-- participants qui mentionnent le code" in svg and "participants who mention" not in svg
    assert "<!-- acteurs locaux (n" in svg and "local_actor" not in svg.split("<metadata>")[0]
    assert re.search(r"<!-- \d+\u00a0% -->", svg)
    out = tmp_path / "cooc.svg"
    res = fr("chart", "cooccurrence", "--jaccard", "--unit", "doc", "-o", out)
    assert res.exit_code == 0, res.output
    svg = out.read_text(encoding="utf-8")
    assert "<!-- indice de Jaccard -->" in svg and re.search(r"<!-- 0,\d+ -->", svg)


def test_excerpts_in_french_with_labels(fr, tmp_path):
    out = tmp_path / "x.docx"
    res = fr("export", "excerpts", "--by", "group", "-o", out)
    assert res.exit_code == 0, res.output
    text = docx_text(out)
    assert "Nombre d'extraits par code et par groupe" in text
    assert "(statuts : proposé, accepté)" in text.replace(NB, " ")
    for phrase in ("local_actor", "resident", "proposed", "entretien_01_elue_loos"):
        assert phrase not in text.split("\n", 1)[1], phrase
    assert docx_lang(out) == "fr-FR"


def test_matrix_title_and_notes_in_french(fr, tmp_path):
    res = fr("report", "matrix", "--cols", "group", "-o", tmp_path / "m.md")
    assert res.exit_code == 0, res.output
    md = (tmp_path / "m.md").read_text(encoding="utf-8")
    assert "## Codes × valeurs de groupe (unités codées)" in md
    assert "Cellules" in md and "Cells:" not in md and "Counted:" not in md
