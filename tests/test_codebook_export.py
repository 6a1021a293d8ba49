"""`qualcode codebook export`: the codebook as a thesis annex (md, docx, csv, xlsx) with counts."""

from __future__ import annotations

import csv
import io

import pytest
from helpers import Coding, Runner, add_codings, assert_offsets_sacred, build_project, db_rows, set_status, write

from qualcode.codebook import parse_codebook_text

CODEBOOK = """\
title: Annex test
language: fr
unit: sentence
version: "1.0"
description: Codebook for the test.
authors: [Camille]
codes:
  - code: identity
    label: Identity
    definition: Identité.
    full_definition: Tout ce qui touche à l'identité.
    when_to_use: Quand on parle de soi.
    when_not_to_use: Quand un sous-code convient.
    color: "#1f77b4"
    children:
      - code: mining_memory
        label: Mining memory
        definition: Mémoire de la mine.
        examples: ["Mon père était mineur.", "Je descendais à la fosse."]
        rules:
          - terms: [mineur, fosse]
        children:
          - code: family
            label: Family
            definition: Famille de mineurs.
            rules:
              - terms: [père]
      - code: pride
        label: Pride
        definition: Fierté.
        rules:
          - terms: [fierté]
  - code: heritage
    label: Heritage | sites
    definition: Patrimoine.
    unit: turn
    rules:
      - terms: [unesco]
        # a comment
"""

DOC_A = """\
Enquêtrice : Bonjour.
Mme Dufour : Mon père était mineur. C'est une fierté.
Enquêtrice : Et l'Unesco ?
Mme Dufour : Le classement Unesco, c'est bien.
"""
DOC_B = """\
Enquêtrice : Bonjour.
M. Caron : Je descendais à la fosse. Quelle fierté !
"""
DOC_C = """\
Enquêtrice : Bonjour.
M. Xavier : La fosse est fermée.
"""
PARTICIPANTS = "case;document;group\nP01;doc_a;local_actor\nP02;doc_b;resident\n"

# Hand count. Rule codings: mining_memory A1 "Mon père était mineur.", B1 "Je descendais à
# la fosse.", C1 "La fosse est fermée."; family A1; pride A2 "C'est une fierté.", B2
# "Quelle fierté !" (rejected below); heritage: turn 4 of A. Plus a manual accepted
# coding of mining_memory on A1 (the same unit again). doc_c belongs to no case.
EXPECTED = {  # path: (number, depth, coded units, participants)
    "identity": ("1", 0, 4, 2),  # A1, B1, C1, A2
    "identity/mining_memory": ("1.1", 1, 3, 2),  # A1, B1, C1 (+ family A1)
    "identity/mining_memory/family": ("1.1.1", 2, 1, 1),
    "identity/pride": ("1.2", 1, 1, 1),  # B2 rejected
    "heritage": ("2", 0, 1, 1),
}


def snapshot(project):
    return {t: db_rows(project, f"SELECT * FROM {t} ORDER BY rowid")
            for t in ("codings", "codes", "history", "annotations", "codebook_versions", "cases")}


@pytest.fixture
def coded(project, tmp_path):
    cli = build_project(project, tmp_path, codebook=CODEBOOK, codebook_name="annex",
                        documents={"doc_a": DOC_A, "doc_b": DOC_B, "doc_c": DOC_C}, participants=PARTICIPANTS,
                        autocode=True)
    rules = {(r[0], r[1]) for r in db_rows(project, "SELECT c.path, k.text FROM codings k JOIN codes c"
                                                    " ON c.id = k.code_id")}
    assert rules == {("identity/mining_memory", "Mon père était mineur."),
                     ("identity/mining_memory", "Je descendais à la fosse."),
                     ("identity/mining_memory", "La fosse est fermée."),
                     ("identity/mining_memory/family", "Mon père était mineur."),
                     ("identity/pride", "C'est une fierté."), ("identity/pride", "Quelle fierté !"),
                     ("heritage", "Le classement Unesco, c'est bien.")}
    set_status(project, "identity/pride", "Quelle fierté !", "rejected")
    add_codings(project, [Coding("doc_a", "Mon père était mineur.", "identity/mining_memory")])
    assert_offsets_sacred(project)
    return cli


def test_markdown_to_stdout_with_counts(coded, project):
    before = snapshot(project)
    res = coded("codebook", "export", "--rules", "--lang", "en")
    assert res.exit_code == 0, res.output
    md = res.stdout
    assert snapshot(project) == before  # an export writes nothing to the project
    lines = md.splitlines()
    assert lines[0] == "# Annex test"
    assert f"- Version: 1.0 (content hash {parse_codebook_text(CODEBOOK).version})" in lines
    assert "- Authors: Camille" in lines and "- Codes: 5" in lines
    for path, (number, _depth, units, people) in EXPECTED.items():
        label = {"identity": "Identity", "identity/mining_memory": "Mining memory",
                 "identity/mining_memory/family": "Family", "identity/pride": "Pride",
                 "heritage": "Heritage \\| sites"}[path]
        assert f"| {number} | `{path}` | {label} | {units} | {people} |" in lines
    headings = [line for line in lines if line.startswith("#") and not line.startswith("# ")]
    assert headings == ["## Summary", "## 1 Identity", "### 1.1 Mining memory", "#### 1.1.1 Family",
                        "### 1.2 Pride", "## 2 Heritage \\| sites"]  # | escaped everywhere
    assert "**Definition.** Identité." in lines and "**When not to use.** Quand un sous-code convient." in lines
    assert "> Mon père était mineur." in lines and "> Je descendais à la fosse." in lines
    assert "**In the project.** 4 coded units, 2 participants." in lines
    assert "**In the project.** 1 coded unit, 1 participant." in lines
    assert "`identity`  ·  unit: sentence  ·  colour: #1f77b4" in lines
    assert "`heritage`  ·  unit: turn" in lines
    assert "- `rules[0] terms: [mineur, fosse]`" in lines
    # 7 rule codings, one rejected, plus the manual one: 7 counted, 6 still proposed
    assert "*6 of the 7 counted codings are proposals not yet reviewed.*" in lines
    assert lines[-1].startswith("<!-- project: proj; command: qualcode codebook export --format md --rules --lang en;")
    # without --rules, no rules
    assert "**Rules.**" not in coded("codebook", "export", "--lang", "en").stdout


def test_docx(coded, project):
    import docx

    res = coded("codebook", "export", "--format", "docx", "--output", "annex.docx", "--rules", "--lang", "en")
    assert res.exit_code == 0, res.output
    assert "wrote annex.docx (docx, 5 codes, with counts from the project)" in res.stdout
    d = docx.Document(str(project.root / "annex.docx"))
    paras = [(p.style.name, p.text) for p in d.paragraphs]
    assert paras[0] == ("Title", "Annex test")
    assert [p for p in paras if p[0].startswith("Heading")] == [
        ("Heading 1", "1 Identity"), ("Heading 2", "1.1 Mining memory"), ("Heading 3", "1.1.1 Family"),
        ("Heading 2", "1.2 Pride"), ("Heading 1", "2 Heritage | sites")]
    assert [t for s, t in paras if s == "Quote"] == ["Mon père était mineur.", "Je descendais à la fosse."]
    assert ("Normal", "Full definition. Tout ce qui touche à l'identité.") in paras
    assert ("Normal", "In the project. 3 coded units, 2 participants.") in paras
    assert ("List Bullet", "rules[0] terms: [père]") in paras
    assert paras[-1][1].startswith("project: proj; command: qualcode codebook export --format docx --rules --lang en;")
    (table,) = d.tables
    assert table.style.name == "Table Grid"
    header = table.rows[0]
    assert [c.text for c in header.cells] == ["No.", "Code", "Label", "Coded units", "Participants"]
    assert all(run.bold for c in header.cells for run in c.paragraphs[0].runs)
    assert header._tr.trPr.xpath("./w:tblHeader")  # repeated on each page
    body = {r.cells[1].text: (r.cells[0].text, int(r.cells[3].text), int(r.cells[4].text)) for r in table.rows[1:]}
    assert body == {p: (n, u, c) for p, (n, _, u, c) in EXPECTED.items()}
    # refuse to overwrite without --force; no temporary file left behind
    before = (project.root / "annex.docx").read_bytes()
    res = coded("codebook", "export", "-o", "annex.docx")
    assert res.exit_code == 1 and "already exists (use --force" in res.output
    assert (project.root / "annex.docx").read_bytes() == before
    assert coded("codebook", "export", "-o", "annex.docx", "--force").exit_code == 0
    d2 = docx.Document(str(project.root / "annex.docx"))  # format from the suffix; no --rules
    assert not [p for p in d2.paragraphs if p.style.name == "List Bullet"]
    assert sorted(p.name for p in project.root.iterdir() if p.name.startswith(".annex")) == []


def test_csv(coded, project):
    res = coded("codebook", "export", "-o", "annex.csv")
    assert res.exit_code == 0, res.output
    raw = (project.root / "annex.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf# project: proj; command: qualcode codebook export --format csv;")
    text = raw.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text.split("\n", 1)[1])))
    assert [r["path"] for r in rows] == list(EXPECTED)
    for r in rows:
        number, depth, units, people = EXPECTED[r["path"]]
        assert (r["number"], int(r["depth"]), int(r["units"]), int(r["participants"])) == (number, depth, units, people)
    mm = rows[1]
    assert mm["examples"] == "Mon père était mineur.\nJe descendais à la fosse."
    assert (mm["parent"], mm["unit"], mm["rules"], mm["exclude"]) == ("identity", "sentence", "1", "0")
    assert rows[4]["unit"] == "turn" and rows[4]["label"] == "Heritage | sites"
    # to stdout too
    res = coded("codebook", "export", "--format", "csv", "--rules")
    assert res.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(res.stdout.split("\n", 1)[1])))
    assert rows[2]["rules"] == "rules[0] terms: [père]"


def test_xlsx(coded, project):
    from openpyxl import load_workbook

    res = coded("codebook", "export", "--format", "xlsx", "--output", "annex.xlsx")
    assert res.exit_code == 0, res.output
    wb = load_workbook(project.root / "annex.xlsx")
    assert wb.sheetnames == ["Codebook", "Provenance"]
    ws = wb["Codebook"]
    header = [c.value for c in ws[1]]
    assert header[:6] == ["number", "path", "code", "parent", "depth", "label"]
    assert header[-2:] == ["units", "participants"]
    assert all(c.font.bold for c in ws[1]) and ws.freeze_panes == "A2"
    got = {}
    for row in ws.iter_rows(min_row=2, values_only=True):
        r = dict(zip(header, row))
        got[r["path"]] = (r["number"], r["depth"], r["units"], r["participants"])
    assert got == EXPECTED
    assert ws.cell(4, header.index("label") + 1).alignment.indent == 2  # family: depth 2
    prov = {r[0]: r[1] for r in wb["Provenance"].iter_rows(values_only=True) if r[0] != "note"}
    assert prov["project"] == "proj" and prov["command"] == "qualcode codebook export --format xlsx"
    assert prov["codebook"] == f"Annex test (version {parse_codebook_text(CODEBOOK).version})"


def test_export_of_another_version_and_without_project(coded, project, tmp_path):
    v1 = parse_codebook_text(CODEBOOK).version
    # a revised codebook file, not applied: the counts still come from the project's codings
    revised = CODEBOOK.replace("label: Pride", "label: Pride and belonging")
    write(project.root / "revised.yaml", revised)
    res = coded("codebook", "export", "--codebook", "revised.yaml", "--lang", "en")
    assert res.exit_code == 0, res.output
    assert "| 1.2 | `identity/pride` | Pride and belonging | 1 | 1 |" in res.stdout
    assert f"*The codebook last applied to the project is version {v1}; this is version " \
           f"{parse_codebook_text(revised).version}.*" in res.stdout
    # a recorded version by id
    res = coded("codebook", "export", "--codebook", v1)
    assert res.exit_code == 0, res.output
    assert "| 1.2 | `identity/pride` | Pride | 1 | 1 |" in res.stdout and "last applied" not in res.stdout
    # outside a project: a file exports without counts; a version id or no codebook cannot
    outside = Runner(tmp_path)
    write(tmp_path / "cb.yaml", CODEBOOK)
    res = outside("codebook", "export", "--codebook", "cb.yaml", "--lang", "en")
    assert res.exit_code == 0, res.output
    assert "| No. | Code | Label |" in res.stdout and "In the project" not in res.stdout
    assert "<!-- project: -;" in res.stdout
    res = outside("codebook", "export", "--codebook", "cb.yaml", "-o", "cb.xlsx")
    assert res.exit_code == 0 and "without counts (no project)" in res.stdout
    from openpyxl import load_workbook

    ws = load_workbook(tmp_path / "cb.xlsx")["Codebook"]
    assert [c.value for c in ws[2]][-2:] == [None, None]
    res = outside("codebook", "export", "--codebook", v1)
    assert res.exit_code == 1 and "needs a project" in res.output
    res = outside("codebook", "export")
    assert res.exit_code == 1 and "no qualcode project" in res.output


def test_usage_errors(coded, project):
    res = coded("codebook", "export", "--format", "pdf")
    assert res.exit_code == 2 and "unknown format 'pdf'" in res.output
    res = coded("codebook", "export", "--format", "docx")
    assert res.exit_code == 2 and "pass --output FILE" in res.output
    res = coded("codebook", "export", "-o", "annex.txt")
    assert res.exit_code == 2 and "cannot tell the format" in res.output
    res = coded("codebook", "export", "-o", "missing/annex.md")
    assert res.exit_code == 1 and "does not exist" in res.output
    assert not (project.root / "annex.txt").exists()
    res = coded("codebook", "export", "--codebook", "nope.yaml")
    assert res.exit_code == 1 and "no such codebook file: nope.yaml" in res.output
    assert "Traceback" not in res.output


def test_french_words_and_proofing_language(coded):
    """A French project's codebook annex speaks French: field names, counts, headers."""
    from docx import Document
    from docx.oxml.ns import qn

    res = coded("codebook", "export")
    assert res.exit_code == 0, res.output
    out = res.stdout
    for english in ("Definition.", "When to use", "Coded units", "In the project", "## Summary", "Language:"):
        assert english not in out, english
    assert "## Sommaire" in out and "| N° | Code | Libellé | Unités codées | Participants |" in out
    assert "**Dans le projet.**" in out and "- Langue\u00a0: fr" in out
    res = coded("codebook", "export", "-o", "annexe.docx")
    assert res.exit_code == 0, res.output
    doc = Document(str(coded.cwd / "annexe.docx"))
    lang = doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr")).find(qn("w:lang"))
    assert lang.get(qn("w:val")) == "fr-FR"
    assert any(p.text.startswith("Définition complète. ") for p in doc.paragraphs)
