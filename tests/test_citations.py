"""Citation templates: fields chosen by the author, no document names by default.

The fixture project's first interview is named after who the participant is
(``entretien_01_elue_loos``); no export may print that name unless asked to.
"""

from __future__ import annotations

import csv
import io

import pytest
from helpers.outputs import build_outputs_project

from qualcode.errors import UsageError
from qualcode.exporters.citations import check_template, render

NB = "\u00a0"
LABELS = """\
[labels]
group.local_actor = "acteurs locaux"
group.resident = "habitants"
"""


def md_quotes(path) -> list[str]:
    return [line[2:] for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("> ")]


@pytest.fixture
def out(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


# ------------------------------------------------------------------ the template language


def test_render_drops_the_parts_without_a_value():
    assert render("{pseudonym}, {role}, {age} ans", {"pseudonym": "Josiane", "role": None, "age": "71"}) \
        == "(Josiane, 71 ans)"
    assert render("{pseudonym} – {age} ans", {"pseudonym": "Kévin", "age": ""}) == "(Kévin)"
    assert render("[{case}; tour {turn}]", {"case": "P01", "turn": 3}) == "[P01; tour 3]"
    assert render("{case}", {"case": None}) == ""


def test_unknown_fields_and_malformed_templates_are_usage_errors():
    with pytest.raises(UsageError, match=r"unknown citation field \{ages\}.*fields: case, pseudonym"):
        check_template("{pseudonym}, {ages} ans", ["age", "group"])
    with pytest.raises(UsageError, match="citation template"):
        check_template("{pseudonym", [])
    with pytest.raises(UsageError, match="format specification"):
        check_template("{age:>3}", ["age"])
    assert check_template("{pseudonym}, {age} ans, {document}", ["age"])


# ------------------------------------------------------------------ through the exports


def test_default_citation_has_no_document_name(project, tmp_path, out):
    cli = build_outputs_project(project, tmp_path, labels=LABELS)
    for suffix in ("md", "docx", "tex"):
        res = cli("export", "excerpts", "-o", out / f"x.{suffix}")
        assert res.exit_code == 0, res.output
    quotes = md_quotes(out / "x.md")
    assert f"«{NB}Le bassin minier, c'est l'Unesco maintenant.{NB}» (P01, Mme Dufour, acteurs locaux, tour{NB}4)" \
        in quotes
    assert any(q.endswith(f"(P07, Josiane, habitants, tour{NB}2, 00:14:32)") for q in quotes)
    from docx import Document

    body = "\n".join(p.text for p in Document(str(out / "x.docx")).paragraphs)
    for text in ((out / "x.md").read_text(encoding="utf-8"), (out / "x.tex").read_text(encoding="utf-8"), body):
        assert "elue_loos" not in text.replace("\\_", "_")


def test_cite_option_any_attribute_and_builtins(project, tmp_path, out):
    cli = build_outputs_project(project, tmp_path, labels=LABELS)
    res = cli("export", "excerpts", "--cite", "{pseudonym}, {role}, {age} ans, {group}, {time}", "-o", out / "x.md")
    assert res.exit_code == 0, res.output
    quotes = md_quotes(out / "x.md")
    assert any(q.endswith("(Mme Dufour, élue, 52 ans, acteurs locaux)") for q in quotes)
    assert any(q.endswith("(Josiane, retraitée, 71 ans, habitants, 00:14:32)") for q in quotes)
    # the command recorded in the file says how to write it again
    assert "--cite '{pseudonym}, {role}, {age} ans, {group}, {time}'" in (out / "x.md").read_text(encoding="utf-8")
    res = cli("export", "excerpts", "--cite", "{document}, {turn}", "-o", out / "y.md")
    assert res.exit_code == 0, res.output
    assert f"«{NB}Oui.{NB}» (entretien_01_elue_loos, 4)" in md_quotes(out / "y.md")


def test_unknown_field_names_the_field(project, tmp_path, out):
    cli = build_outputs_project(project, tmp_path)
    res = cli("export", "excerpts", "--cite", "{pseudonym}, {agee} ans", "-o", out / "x.md")
    assert res.exit_code == 2
    assert "unknown citation field {agee}" in res.output and "age" in res.output
    assert not (out / "x.md").exists()


def test_project_default_in_qualcode_toml(project, tmp_path, out):
    cli = build_outputs_project(project, tmp_path, export='[export]\ncite = "{pseudonym}, {age} ans"')
    res = cli("export", "excerpts", "-o", out / "x.md")
    assert res.exit_code == 0, res.output
    assert any(q.endswith("(Josiane, 71 ans)") for q in md_quotes(out / "x.md"))
    # --cite wins over the project's default
    res = cli("export", "excerpts", "--cite", "{case}", "-o", out / "y.md")
    assert res.exit_code == 0, res.output
    assert any(q.endswith("(P07)") for q in md_quotes(out / "y.md"))


def test_unknown_field_in_qualcode_toml_names_the_file(project, tmp_path, out):
    cli = build_outputs_project(project, tmp_path, export='[export]\ncite = "{pseudo}"')
    res = cli("export", "excerpts", "-o", out / "x.md")
    assert res.exit_code == 2
    assert "qualcode.toml: [export] cite: unknown citation field {pseudo}" in res.output


def test_docx_citation_in_its_own_character_style(project, tmp_path, out):
    from docx import Document

    cli = build_outputs_project(project, tmp_path)
    res = cli("export", "excerpts", "--cite", "{pseudonym}, {age} ans", "-o", out / "x.docx")
    assert res.exit_code == 0, res.output
    doc = Document(str(out / "x.docx"))
    quotes = [p for p in doc.paragraphs if p.style.name == "Quote"]
    assert quotes
    for p in quotes:
        cited = [r for r in p.runs if r.style is not None and r.style.name == "Excerpt Citation"]
        assert len(cited) == 1 and cited[0].text.startswith("(") and cited[0].text.endswith(" ans)")
        assert not p.runs[0].text.startswith("(")  # the quotation itself is not in that style
    assert doc.styles["Excerpt Citation"].type == 2  # WD_STYLE_TYPE.CHARACTER


def test_report_uses_the_template(project, tmp_path, out):
    from docx import Document

    cli = build_outputs_project(project, tmp_path, labels=LABELS)
    res = cli("export", "report", "--cite", "{pseudonym}, {commune}", "-o", out / "r.docx")
    assert res.exit_code == 0, res.output
    quotes = [p.text for p in Document(str(out / "r.docx")).paragraphs if p.style.name == "Quote"]
    assert any(q.endswith("(Mme Dufour, Loos-en-Gohelle)") for q in quotes)
    res = cli("export", "report", "-o", out / "d.docx")
    assert res.exit_code == 0, res.output
    body = "\n".join(p.text for p in Document(str(out / "d.docx")).paragraphs)
    assert "elue_loos" not in body


def test_csv_keeps_the_data_columns(project, tmp_path, out):
    """The spreadsheet is data for the author, not a quotation: its document column stays."""
    cli = build_outputs_project(project, tmp_path)
    res = cli("export", "excerpts", "-o", out / "x.csv")
    assert res.exit_code == 0, res.output
    rows = list(csv.reader(io.StringIO((out / "x.csv").read_text(encoding="utf-8-sig").split("\n", 1)[1])))
    assert "document" in rows[0]
