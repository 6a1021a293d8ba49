"""The table of interviewees (``cases export``) goes through the privacy path of every
export when the project has a pseudonym key: the key's names replaced in case ids,
attribute values and document names, the file audited before it is written — a name of
the key, or a row whose attribute combination fits fewer than k participants, refuses
it with the list of rows — ``--allow-leaks`` writing it with the report, the audit in the
history; the working copy (``--no-pseudo``) still round-trips through ``cases import``,
and a pseudonymized sheet is refused there rather than overwriting the stored values."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from docx import Document
from helpers.db import snapshot
from helpers.pseudo import build_pseudo_project
from openpyxl import load_workbook


@pytest.fixture
def run(project, tmp_path):
    runner = build_pseudo_project(project, tmp_path)
    # a case whose id is a real name, a value that names a commune of the key, and three
    # participants who share group and commune: the only k-anonymous combination
    src = tmp_path / "more.csv"
    src.write_text("case;document;group;commune;age\n"
                   "Vasseur;entretien_vasseur;resident;Hénin-Beaumont;61\n", encoding="utf-8")
    assert runner("cases", "import", src).exit_code == 0
    return runner


def csv_rows(path) -> list[list[str]]:
    lines = [line for line in path.read_text(encoding="utf-8-sig").splitlines() if not line.startswith("#")]
    return list(csv.reader(io.StringIO("\n".join(lines))))


def audits(run) -> list[dict]:
    history = json.loads(run("history", "--operation", "pseudo", "--json").output)
    return [h["details"] for h in history if h["command"] == "cases export"]


def test_a_k_anonymous_table_is_pseudonymized_and_written(run, tmp_path):
    """group alone: residents are 4, local actors 2 — refused; group and commune of the
    residents only after dropping the local actors' rows is not possible, so the table of
    groups is allowed with k = 2 in qualcode.toml."""
    out = tmp_path / "enquetes.csv"
    res = run("cases", "export", out, "-a", "pseudonym,group,documents", "--no-ner")
    assert res.exit_code == 1, res.output  # local_actor fits 2 participants
    assert not out.exists()
    assert re.search(re.escape(str(out)) + r":row \d+: k-anonymity: group=local_actor \(fits 2 participants",
                     res.output)
    assert "--attributes" in res.output and "coarser values" in res.output  # the remedy
    config = run.cwd / "qualcode.toml"
    config.write_text(config.read_text(encoding="utf-8").replace("[pseudo]\n", "[pseudo]\nk = 2\n"),
                      encoding="utf-8")
    res = run("cases", "export", out, "-a", "pseudonym,group,documents", "--no-ner")
    assert res.exit_code == 0, res.output
    assert "pseudonymized with the key" in res.output and "audit: 0 leaks" in res.output
    rows = csv_rows(out)
    assert rows[0] == ["case", "pseudonym", "group", "documents"]
    by_case = {r[0]: r for r in rows[1:]}
    # the case named after a person comes out as her pseudonym; so do the documents' names
    assert "Vasseur" not in by_case and by_case["Mme V."][3] == "entretien_Mme V."
    assert by_case["P02"][3] == "entretien_[son mari]"
    assert "vasseur" not in out.read_text(encoding="utf-8").casefold().replace("# qualcode", "")
    assert [(a["refused"], a["pseudonymized"], a["k"]) for a in audits(run)] == [(True, True, 3), (False, True, 2)]


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "docx", "md", "tex", "json"])
def test_a_unique_combination_is_refused_then_written_with_allow_leaks(run, project, tmp_path, fmt):
    """commune and age: P03 is the only participant aged 61 in Liévin — in every format,
    data files and documents alike (display labels in DOCX, Markdown and LaTeX)."""
    before = snapshot(project, ("cases", "case_attributes"))
    out = tmp_path / f"enquetes.{fmt}"
    res = run("cases", "export", out, "-a", "group,commune,age", "--no-ner")
    assert res.exit_code == 1, res.output
    assert not out.exists() and not list(tmp_path.glob(f".enquetes.{fmt}*"))
    assert "export refused, it would identify participants" in res.output
    assert "age=61, commune=Liévin, group=resident (fits 1 participant)" in res.output
    assert "age=45, commune=Liévin, group=local_actor (fits 1 participant)" in res.output
    res = run("cases", "export", out, "-a", "group,commune,age", "--no-ner", "--allow-leaks")
    assert res.exit_code == 0, res.output
    assert "written with leaks (--allow-leaks)" in res.output and "k-anonymity" in res.output
    if fmt == "xlsx":
        text = "\n".join(str(c) for row in load_workbook(out)["cases"].iter_rows(values_only=True) for c in row)
    elif fmt == "docx":
        text = "\n".join(c.text for t in Document(str(out)).tables for r in t.rows for c in r.cells)
    else:  # without Markdown's and LaTeX's escapes
        text = out.read_text(encoding="utf-8").replace("\\[", "[").replace("\\]", "]").replace("{[}", "[")
        text = text.replace("{]}", "]")
    assert "Liévin" in text and "Hénin-Beaumont" not in text and "[commune du bassin]" in text
    assert [(a["refused"], a["allow_leaks"], a["counts"][0]["k-anonymity"] > 0) for a in audits(run)] == [
        (True, False, True), (False, True, True)]
    assert snapshot(project, ("cases", "case_attributes")) == before  # an export changes nothing stored


def test_standard_output_is_audited_too(run):
    res = run("cases", "export", "-", "--format", "md", "-a", "commune,age", "--no-ner")
    assert res.exit_code == 1 and "| P03" not in res.stdout
    assert "-:line" in res.stderr and "k-anonymity: age=61, commune=Liévin" in res.stderr
    res = run("cases", "export", "-", "--format", "csv", "-a", "commune", "--no-ner")
    assert res.exit_code == 0, res.output  # three participants in each commune
    assert "[commune du bassin]" in res.stdout and "Hénin" not in res.stdout and "audit: 0 leaks" in res.stderr


def test_the_working_copy_round_trips_and_a_pseudonymized_sheet_is_refused(run, project, tmp_path):
    """The sheet to edit and import again keeps the stored ids and values only with
    --no-pseudo (still audited: --allow-leaks, recorded); a pseudonymized sheet imported
    by mistake is refused instead of renaming cases or replacing values by pseudonyms."""
    work = tmp_path / "travail.xlsx"
    res = run("cases", "export", work, "--no-pseudo", "--no-ner")
    assert res.exit_code == 1 and not work.exists()  # names of the key and rows under k: refused
    assert "leak: Hénin-Beaumont" in res.output
    res = run("cases", "export", work, "--no-pseudo", "--allow-leaks", "--no-ner")
    assert res.exit_code == 0, res.output
    assert "not pseudonymized (--no-pseudo)" in res.output
    wb = load_workbook(work)
    ws = wb["cases"]
    header = [c.value for c in ws[1]]
    rows = {r[0].value: r for r in ws.iter_rows(min_row=2)}
    assert header == ["case", "pseudonym", "group", "commune", "age"] and "Vasseur" in rows
    assert rows["Vasseur"][3].value == "Hénin-Beaumont"
    rows["P03"][4].value = 62  # the researcher corrects an age
    wb.save(work)
    res = run("cases", "import", work)
    assert res.exit_code == 0, res.output
    stored = {c.name: c.attributes for c in project.store.cases.all()}
    assert stored["P03"]["age"] == 62 and stored["Vasseur"]["commune"] == "Hénin-Beaumont"
    assert "Mme V." not in stored
    assert [(a["pseudonymized"], a["allow_leaks"], a["refused"]) for a in audits(run)] == [
        (False, False, True), (False, True, False)]

    published = tmp_path / "publie.xlsx"
    assert run("cases", "export", published, "--allow-leaks", "--no-ner").exit_code == 0
    before = snapshot(project, ("cases", "case_attributes", "case_documents"))
    res = run("cases", "import", published)
    assert res.exit_code == 1
    assert f"{published}:7: case 'Mme V.' is the pseudonymized id of case 'Vasseur'" in res.output
    assert "was exported pseudonymized" in res.output and "--no-pseudo" in res.output
    assert snapshot(project, ("cases", "case_attributes", "case_documents")) == before
    # a value replaced by the key on a case whose id is not a name
    ws = (wb := load_workbook(published))["cases"]
    for row in list(ws.iter_rows(min_row=2)):
        if row[0].value == "Mme V.":
            ws.delete_rows(row[0].row)
    wb.save(published)
    res = run("cases", "import", published)
    assert res.exit_code == 1 and "commune '[commune du bassin]' is the pseudonymized form of the stored " \
                                  "'Hénin-Beaumont'" in res.output
    assert snapshot(project, ("cases", "case_attributes", "case_documents")) == before


def test_names_the_key_does_not_know_are_listed(run, tmp_path):
    """The recogniser's names in the table that are not in the key: warnings to review
    (a contact person written in an attribute), the file still written."""
    src = tmp_path / "contact.csv"
    src.write_text("case;contact\nP01;Jean Dupont\nP02;Jean Dupont\nP03;Jean Dupont\nP04;Jean Dupont\n"
                   "P05;Jean Dupont\nVasseur;Jean Dupont\n", encoding="utf-8")
    assert run("cases", "import", src).exit_code == 0
    out = tmp_path / "contacts.docx"
    res = run("cases", "export", out, "-a", "contact")
    assert res.exit_code == 0, res.output
    assert "not in the pseudonym key" in res.output
    assert re.search(re.escape(str(out)) + r":table 1 row \d+: unknown-name: Jean Dupont", res.output)
    cells = [c.text for t in Document(str(out)).tables for r in t.rows for c in r.cells]
    assert "Mme V." in cells and "Vasseur" not in cells
    assert audits(run)[-1]["counts"][0]["unknown-name"] >= 1
