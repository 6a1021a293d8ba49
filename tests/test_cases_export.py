"""`qualcode cases export`: the table of interviewees, in every table format."""

from __future__ import annotations

import csv
import io
import json

import pytest
from helpers.outputs import build_outputs_project

NB = "\u00a0"
LABELS = """\
[labels]
group.local_actor = "acteurs locaux"
group.resident = "habitants"

[labels.attributes]
commune = "commune de résidence"
"""


@pytest.fixture
def fr(project, tmp_path):
    return build_outputs_project(project, tmp_path, labels=LABELS)


def test_csv_chosen_attributes_in_order_typed(fr, tmp_path):
    res = fr("cases", "export", tmp_path / "e.csv", "--attributes", "pseudonym,age,group")
    assert res.exit_code == 0, res.output
    assert "3 cases, 3 columns" in res.stdout
    lines = (tmp_path / "e.csv").read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("# qualcode: ") and "--attributes pseudonym,age,group" in lines[0]
    rows = list(csv.reader(io.StringIO("\n".join(line for line in lines if not line.startswith("#")))))
    assert rows == [["case", "pseudonym", "age", "group"],
                    ["P01", "Mme Dufour", "52", "local_actor"],
                    ["P07", "Josiane", "71", "resident"],
                    ["P09", "Kévin", "24", "resident"]]


def test_documents_only_when_asked(fr, tmp_path):
    res = fr("cases", "export", tmp_path / "all.json")
    assert res.exit_code == 0, res.output
    table = json.loads((tmp_path / "all.json").read_text(encoding="utf-8"))["tables"][0]
    assert table["columns"] == ["case", "pseudonym", "group", "role", "age", "commune"]
    assert table["rows"][2] == {"case": "P09", "pseudonym": "Kévin", "group": "resident", "role": None, "age": 24,
                                "commune": "Lens"}
    res = fr("cases", "export", tmp_path / "d.json", "-a", "group", "-a", "documents")
    assert res.exit_code == 0, res.output
    rows = json.loads((tmp_path / "d.json").read_text(encoding="utf-8"))["tables"][0]["rows"]
    assert rows[0]["documents"] == "entretien_01_elue_loos" and rows[2]["documents"] is None


def test_xlsx_through_the_formula_guard(fr, tmp_path, project):
    from openpyxl import load_workbook

    # a value a spreadsheet would run as a formula
    src = tmp_path / "more.csv"
    src.write_text("case;role\nP09;=HYPERLINK(\"http://x\")\n", encoding="utf-8")
    assert fr("cases", "import", src).exit_code == 0
    res = fr("cases", "export", tmp_path / "e.xlsx", "-a", "age,role")
    assert res.exit_code == 0, res.output
    ws = load_workbook(tmp_path / "e.xlsx")["cases"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == ("case", "age", "role") and rows[1] == ("P01", 52, "élue")
    assert isinstance(rows[1][1], int)
    assert ws.cell(row=4, column=3).data_type == "s" and "HYPERLINK" in str(rows[3][2])


def test_documents_formats_use_labels_in_french(fr, tmp_path):
    res = fr("cases", "export", tmp_path / "e.md", "-a", "pseudonym,group,age,commune")
    assert res.exit_code == 0, res.output
    md = (tmp_path / "e.md").read_text(encoding="utf-8")
    assert "## Tableau des enquêtés" in md
    assert "| Enquêté | Pseudonyme | Groupe | Âge | Commune de résidence |" in md
    assert "| P01 | Mme Dufour | acteurs locaux | 52 | Loos-en-Gohelle |" in md
    assert "*3 enquêtés*" in md and "local_actor" not in md.split("\n", 1)[1]
    res = fr("cases", "export", tmp_path / "e.tex", "-a", "group")
    assert res.exit_code == 0, res.output
    tex = (tmp_path / "e.tex").read_text(encoding="utf-8")
    assert "\\caption{Tableau des enquêtés}" in tex and "P07 & habitants \\\\" in tex
    res = fr("cases", "export", tmp_path / "e.docx", "-a", "group,age")
    assert res.exit_code == 0, res.output
    from docx import Document
    from docx.oxml.ns import qn

    doc = Document(str(tmp_path / "e.docx"))
    cells = [[c.text for c in row.cells] for row in doc.tables[0].rows]
    assert cells[0] == ["Enquêté", "Groupe", "Âge"] and cells[1] == ["P01", "acteurs locaux", "52"]
    rpr = doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    assert rpr.find(qn("w:lang")).get(qn("w:val")) == "fr-FR"
    res = fr("cases", "export", tmp_path / "en.md", "-a", "group", "--lang", "en")
    assert "## Interviewees" in (tmp_path / "en.md").read_text(encoding="utf-8")


def test_missing_numbers_stay_numbers(fr, tmp_path):
    src = tmp_path / "more.csv"
    src.write_text("case;age;score\nP09;;2,5\nP01;52;3\n", encoding="utf-8")
    assert fr("cases", "import", src).exit_code == 0
    res = fr("cases", "export", tmp_path / "n.json", "-a", "age,score")
    assert res.exit_code == 0, res.output
    rows = json.loads((tmp_path / "n.json").read_text(encoding="utf-8"))["tables"][0]["rows"]
    assert [r["age"] for r in rows] == [52, 71, 24] and [r["score"] for r in rows] == [3.0, None, 2.5]
    res = fr("cases", "export", tmp_path / "n.md", "-a", "score")
    md = (tmp_path / "n.md").read_text(encoding="utf-8")
    assert "| Enquêté | Score |" in md and "|:---|---:|" in md and "| P09 | 2,5 |" in md


def test_errors(fr, tmp_path):
    res = fr("cases", "export", tmp_path / "e.csv", "-a", "agee")
    assert res.exit_code == 2 and "no case attribute 'agee'" in res.output and "age" in res.output
    assert not (tmp_path / "e.csv").exists()
    (tmp_path / "e.csv").write_text("mine", encoding="utf-8")
    res = fr("cases", "export", tmp_path / "e.csv")
    assert res.exit_code == 1 and (tmp_path / "e.csv").read_text(encoding="utf-8") == "mine"
    assert fr("cases", "export", tmp_path / "e.csv", "--force").exit_code == 0
    assert fr("cases", "export", tmp_path / "e.pdf").exit_code == 2
