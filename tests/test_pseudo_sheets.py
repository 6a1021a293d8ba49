"""The working sheets that go to a second coder (``review --export``, ``reconcile
--export``) are exports like the others: with a pseudonym key they are pseudonymized by
default and audited (a leaking sheet refused, ``--allow-leaks`` writing it, the audit in
the history), and they still round-trip — their import finds the codings by id or by
offsets, never by text, also when two documents get one pseudonymized name."""

from __future__ import annotations

import csv
import io
import json

import pytest
from helpers.db import assert_offsets_sacred, snapshot
from helpers.factory import Coding, add_codings
from helpers.pseudo import LOOKALIKES, build_pseudo_project
from openpyxl import load_workbook

from qualcode.pseudo.key import load_key

# proposals of the rules (to review), and a second coder's codings that disagree with
# camille's on some turns (to reconcile): their texts hold every kind of planted name
RULES = [
    Coding("entretien_vasseur", "Avec les Amis de la Ferme Delcourt on fait des visites", "lieux", coder="rules",
           status="proposed"),
    Coding("entretien_gerard", "Oui, Martine\nVasseur, c'est ma femme.", "lieux", coder="rules", status="proposed"),
    Coding("entretien_vasseur", "M. Blanc, il étend son linge blanc le lundi.", "famille", coder="rules",
           status="proposed"),
    Coding("entretien_gerard", "L'Hénin d'avant, c'était autre chose.", "famille", coder="rules",
           status="proposed"),
]
SECOND = [
    Coding("entretien_vasseur", "J'habite rue Émile-Zola à Hénin-Beaumont", "lieux", coder="bruno"),
    Coding("entretien_vasseur", "Martine, tout simplement.", "lieux", coder="bruno"),
    Coding("entretien_gerard", "Oui, Martine\nVasseur, c'est ma femme.", "lieux", coder="bruno"),
    Coding("entretien_gerard", "À la fosse, avec Jean-Pierre Lefebvre.", "lieux", coder="bruno"),
]
NAMES = ("Martine", "Vasseur", "Gérard", "Hénin", "Delcourt", "Émile-Zola", "Lefebvre", "Noyelles")


@pytest.fixture(autouse=True)
def _data_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))


@pytest.fixture
def run(project, tmp_path):
    runner = build_pseudo_project(project, tmp_path)
    add_codings(project, RULES + SECOND)
    return runner


def sheet_text(path) -> str:
    wb = load_workbook(path)
    return "\n".join(str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row
                     if c is not None)


def audits(run, command: str) -> list[tuple[bool, bool, bool]]:
    history = json.loads(run("history", "--operation", "pseudo", "--json").output)
    return [(h["details"]["refused"], h["details"]["pseudonymized"], h["details"]["allow_leaks"])
            for h in history if h["command"] == command]


def fill(path, sheet: str, decision: str) -> list[dict]:
    """Every row of a sheet decided ``decision``, as a coder would in a spreadsheet."""
    wb = load_workbook(path)
    ws = wb[sheet]
    header = [c.value for c in ws[1]]
    rows = []
    for row in ws.iter_rows(min_row=2):
        row[header.index("decision")].value = decision
        rows.append({h: c.value for h, c in zip(header, row)})
    wb.save(path)
    return rows


def test_a_review_sheet_is_pseudonymized_and_its_import_finds_the_codings(run, project, tmp_path):
    sheet = tmp_path / "revue.xlsx"
    res = run("review", "--export", sheet)
    assert res.exit_code == 0, res.output
    assert "pseudonymized with the key" in res.output and "audit: 0 leaks" in res.output
    text = sheet_text(sheet)
    assert not [n for n in NAMES if n in text], text
    flat = " ".join(text.split())
    for shown in ("entretien_Mme V.", "[une ferme]", "Mme V., c'est ma femme", "[le voisin]", "linge blanc",
                  "[commune du bassin] d'avant"):
        assert shown in flat, shown
    rows = fill(sheet, "review", "accept")
    assert len(rows) == len(RULES)
    before = snapshot(project, ("documents",))
    res = run("review", "--import", sheet)
    assert res.exit_code == 0, res.output
    statuses = project.store.execute("SELECT status FROM codings WHERE coder = 'rules'").fetchall()
    assert [s[0] for s in statuses] == ["accepted"] * len(RULES)
    assert snapshot(project, ("documents",)) == before
    assert assert_offsets_sacred(project) > 0
    assert audits(run, "review --export") == [(False, True, False)]


def test_a_review_sheet_with_names_is_refused_unless_allowed(run, tmp_path):
    sheet = tmp_path / "revue.xlsx"
    res = run("review", "--export", sheet, "--no-pseudo")
    assert res.exit_code == 1 and not sheet.exists()
    assert "export refused" in res.output and f"{sheet}:review!row " in res.output
    assert "leak: Ferme Delcourt" in res.output and "leak: entretien_vasseur" in res.output
    res = run("review", "--export", sheet, "--no-pseudo", "--allow-leaks")
    assert res.exit_code == 0, res.output
    assert "written with leaks (--allow-leaks)" in res.output and "Ferme Delcourt" in sheet_text(sheet)
    assert audits(run, "review --export") == [(True, False, False), (False, False, True)]
    fill(sheet, "review", "reject")  # the sheet with names imports as before
    res = run("review", "--import", sheet)
    assert res.exit_code == 0 and "rejected" in res.output


def test_a_review_sheet_on_standard_output_is_audited(run):
    res = run("review", "--export", "-")
    assert res.exit_code == 0, res.output
    assert "[une ferme]" in res.stdout and "Delcourt" not in res.stdout and "entretien_Mme V." in res.stdout
    res = run("review", "--export", "-", "--no-pseudo")
    assert res.exit_code == 1 and "Delcourt" not in res.stdout and "-:row " in res.stderr


def test_the_sheet_options_go_with_export(run):
    for args in (["--no-pseudo"], ["--allow-leaks"]):
        assert run("review", *args).exit_code == 2
        assert run("reconcile", "--coders", "camille,bruno", *args).exit_code == 2


def reconcile(run, *args):
    return run("reconcile", "--coders", "camille,bruno", "--unit", "turn", *args)


def test_a_reconcile_sheet_is_pseudonymized_and_round_trips(run, project, tmp_path):
    sheet = tmp_path / "accord.xlsx"
    res = reconcile(run, "--export", sheet)
    assert res.exit_code == 0, res.output
    assert "pseudonymized with the key" in res.output and "audit: 0 leaks" in res.output
    text = sheet_text(sheet)
    assert not [n for n in NAMES if n in text], text
    assert "entretien_Mme V." in text and "entretien_[son mari]" in text and "[un collègue]" in text
    rows = fill(sheet, "reconcile", "keep")
    assert rows
    res = reconcile(run, "--import", sheet)
    assert res.exit_code == 0, res.output
    assert f"applied: {len(rows)} kept" in res.output
    kept = project.store.execute("SELECT d.name, k.start, k.end FROM codings k JOIN documents d ON d.id = "
                                 "k.document_id WHERE k.coder = 'consensus' AND k.origin = 'reconcile:kept'"
                                 ).fetchall()
    key = load_key(tmp_path / "keys" / "key.toml").pseudonymizer()
    assert sorted((key.name(d), s, e) for d, s, e in kept) == sorted(
        (r["document"], r["start"], r["end"]) for r in rows)
    assert assert_offsets_sacred(project) > 0
    assert audits(run, "reconcile --export") == [(False, True, False)]


def test_a_leaking_reconcile_sheet_is_refused_and_changes_nothing(run, project, tmp_path):
    before = snapshot(project, ("codings",))
    sheet = tmp_path / "accord.csv"
    res = reconcile(run, "--export", sheet, "--no-pseudo")
    assert res.exit_code == 1 and not sheet.exists() and "leak: Jean-Pierre Lefebvre" in res.output
    assert snapshot(project, ("codings",)) == before  # the agreed part rolled back with the refused file
    assert audits(run, "reconcile --export") == [(True, False, False)]


def test_two_documents_with_one_pseudonymized_name_are_told_apart_by_offsets(run, project, tmp_path):
    """The key gives both interviews' names the same replacement: the sheet names both
    documents ``entretien_[son mari]``; the import finds each row's document by the
    disagreement at its offsets."""
    assert run("pseudo", "add", "Martine Vasseur", "[son mari]").exit_code == 0
    sheet = tmp_path / "accord.csv"
    res = reconcile(run, "--export", sheet)
    assert res.exit_code == 0, res.output
    body = sheet.read_text(encoding="utf-8-sig")
    assert "entretien_[son mari]" in body and "entretien_Mme V." not in body
    rows = list(csv.DictReader(io.StringIO("\n".join(ln for ln in body.splitlines() if not ln.startswith("#")))))
    assert {r["document"] for r in rows} == {"entretien_[son mari]"} and len(rows) > 2
    for r in rows:
        r["decision"] = "keep"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    sheet.write_text(out.getvalue(), encoding="utf-8")
    res = reconcile(run, "--import", sheet)
    assert res.exit_code == 0, res.output
    assert f"applied: {len(rows)} kept" in res.output
    docs = {d for (d,) in project.store.execute(
        "SELECT DISTINCT d.name FROM codings k JOIN documents d ON d.id = k.document_id "
        "WHERE k.origin = 'reconcile:kept'").fetchall()}
    assert docs == {"entretien_vasseur", "entretien_gerard"}
    assert assert_offsets_sacred(project) > 0


def test_lookalikes_survive_in_the_sheets(run, tmp_path):
    sheet = tmp_path / "revue.xlsx"
    assert run("review", "--export", sheet).exit_code == 0
    flat = " ".join(sheet_text(sheet).split())
    assert [w for w in LOOKALIKES if w in flat] == ["linge blanc"]  # the only one among the proposals
