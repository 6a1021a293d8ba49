"""Rejected candidates are remembered: in the key file (never in the project), with who
rejected them and when; ``pseudo suggest``/``review`` skip them (``--all`` shows them),
the audit does not list them as unknown names, ``pseudo remove``/``add`` undo a
rejection, the history records every change without the names, and a key file of the
first format still loads."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from helpers.pseudo import build_pseudo_project
from openpyxl import load_workbook
from rich.console import Console

from qualcode.cli.pseudo import review_candidates
from qualcode.errors import QualcodeError
from qualcode.project import Project
from qualcode.pseudo.key import load_key
from qualcode.pseudo.suggest import suggest


def key_path(project) -> str:
    return tomllib.loads((project.root / "qualcode.toml").read_text(encoding="utf-8"))["pseudo"]["key"]


def history(run) -> list[dict]:
    return json.loads(run("history", "--operation", "pseudo", "--json").output)


def suggested(run, *args: str) -> dict:
    res = run("pseudo", "suggest", "--json", "--no-ner", *args)
    assert res.exit_code == 0, res.output
    return json.loads(res.output)


# ---------------------------------------------------------------------------- the file


def test_rejections_are_written_and_read_back_with_who_and_when(project, tmp_path):
    run = build_pseudo_project(project, tmp_path, key=False)
    assert run("pseudo", "add", "Martine Vasseur", "Mme V.").exit_code == 0
    res = run("pseudo", "reject", "Blanchard", "--kind", "person", "--note", "le boulanger, public")
    assert res.exit_code == 0 and "rejected: Blanchard" in res.output
    assert "already rejected" in run("pseudo", "reject", "blanchard").output  # case ignored, kept once
    path = key_path(project)
    text = Path(path).read_text(encoding="utf-8")
    data = tomllib.loads(text)
    assert data["version"] == 2
    assert data["entry"][0]["name"] == "Martine Vasseur"
    assert [(r["name"], r["kind"], r["rejected_by"], r["note"]) for r in data["rejected"]] == [
        ("Blanchard", "person", "tester", "le boulanger, public")]
    key = load_key(path)
    assert [e.name for e in key.entries] == ["Martine Vasseur"]
    assert key.find_rejected("BLANCHARD") is key.rejected[0] and key.rejected[0].rejected_at.endswith("+00:00")
    key.save()  # written again: the same text
    assert Path(path).read_text(encoding="utf-8") == text
    listed = json.loads(run("pseudo", "list", "--json").output)
    assert [r["name"] for r in listed["rejected"]] == ["Blanchard"]
    shown = run("pseudo", "list").output
    assert "Blanchard" in shown and "1 rejected name" in shown
    # a name of the key cannot be rejected
    res = run("pseudo", "reject", "Martine Vasseur")
    assert res.exit_code == 2 and "is in the pseudonym key" in res.output


def test_a_key_file_of_the_first_format_still_loads(project, tmp_path):
    run = build_pseudo_project(project, tmp_path, key=False)
    old = tmp_path / "keys" / "ancienne.toml"
    old.parent.mkdir()
    old.write_text('# qualcode pseudonym key\nformat = "qualcode-pseudonym-key"\nversion = 1\n\n'
                   '[[entry]]\nname = "Gérard"\nreplacement = "[son mari]"\nadded_by = "alice"\n'
                   'added_at = "2026-11-02T10:00:00+00:00"\n', encoding="utf-8")
    key = load_key(old)
    assert [(e.name, e.replacement, e.added_by) for e in key.entries] == [("Gérard", "[son mari]", "alice")]
    assert key.rejected == []
    # used by a project, then changed: written in the new format, the entry kept as it was
    assert run("pseudo", "add", "Noyelles-Godault", "[commune voisine]", "--key", str(old)).exit_code == 0
    assert run("pseudo", "reject", "Blanchard").exit_code == 0
    data = tomllib.loads(old.read_text(encoding="utf-8"))
    assert data["version"] == 2 and data["entry"][0]["added_by"] == "alice"
    assert [r["name"] for r in data["rejected"]] == ["Blanchard"]


@pytest.mark.parametrize("body, error", [
    ('version = 3\n', "version 3, newer than this qualcode reads (2)"),
    ('[[rejected]]\nkind = "other"\n', "rejected 1 needs a name"),
    ('[[rejected]]\nname = "Ferme"\nwho = "x"\n', "rejected 1 (Ferme): unknown field 'who'"),
    ('rejected = "Ferme"\n', "'rejected' must be a list"),
])
def test_a_damaged_rejected_list_is_named(tmp_path, body, error):
    path = tmp_path / "key.toml"
    path.write_text('format = "qualcode-pseudonym-key"\n' + body, encoding="utf-8")
    with pytest.raises(QualcodeError) as exc:
        load_key(path)
    assert error in str(exc.value) and str(path) in str(exc.value)


# ---------------------------------------------------------------------------- review in the terminal


class Script:
    def __init__(self, *answers: str):
        self.answers = list(answers)

    def _next(self, prompt: str) -> str:
        if not self.answers:
            raise EOFError
        return self.answers.pop(0)

    key = line = _next


def review(project, *answers: str, rejected: bool = False):
    project = Project.open(project.root)
    candidates = suggest(project, ner=False, rejected=rejected)
    out = Console(record=True, width=160, color_system=None)
    result = review_candidates(project, candidates, reader=Script(*answers), out=out)
    return candidates, result, out.export_text()


def test_a_rejection_in_the_terminal_is_not_proposed_again_until_shown_and_accepted(project, tmp_path):
    run = build_pseudo_project(project, tmp_path, key=False)
    first, _, _ = review(project, "r", "a", "q")
    rejected, accepted = first[0], first[1]
    key = load_key(key_path(project))
    assert [r.name for r in key.rejected] == [rejected.name] and [e.name for e in key.entries] == [accepted.name]
    # the next session starts after them, and says how many rejected candidates it skipped
    again, _, _ = review(project, "q")
    assert rejected.name not in {c.name for c in again} and again.skipped_rejected == 1
    res = run("pseudo", "review", "--no-ner", input="q\n")
    assert "1 skipped as rejected before (--all shows them)" in res.output
    # --all shows it again, marked, with who rejected it and when; accepting it now un-rejects it
    everything, result, shown = review(project, "a", "q", rejected=True)
    assert everything[0].name == rejected.name and everything.skipped_rejected == 0
    assert "rejected before by tester on 20" in shown
    assert result.saved["unrejected"] == 1 and result.saved["added"] == 1
    key = load_key(key_path(project))
    assert key.rejected == [] and key.find(rejected.name) is not None
    # the history: who changed the key, the counts, never the names
    entries = history(run)
    assert [(h["command"], h["details"]["remembered"], h["details"]["unrejected"]) for h in entries] == [
        ("pseudo review", 1, 0), ("pseudo review", 0, 1)]
    assert entries[0]["details"]["rejected_names"] == 1 and entries[1]["details"]["rejected_names"] == 0
    assert "1 rejected" in entries[0]["summary"]
    assert rejected.name not in json.dumps(entries, ensure_ascii=False)


# ---------------------------------------------------------------------------- the spreadsheet round trip


def test_the_sheet_remembers_rejected_rows_and_leaves_empty_ones_for_later(project, tmp_path):
    run = build_pseudo_project(project, tmp_path, key=False)
    sheet = tmp_path / "keys" / "candidats.xlsx"
    sheet.parent.mkdir()
    assert run("pseudo", "suggest", "-o", sheet, "--no-ner").exit_code == 0
    wb = load_workbook(sheet)
    ws = wb["candidates"]
    total = ws.max_row - 1
    for row in ws.iter_rows(min_row=2):
        if row[1].value == "Martine Vasseur":
            row[0].value, row[2].value = "accept", "Mme V."
        elif row[1].value in ("Anglais", "Liévin"):
            row[0].value = "reject"
    wb.save(sheet)
    res = run("pseudo", "import", sheet)
    assert res.exit_code == 0, res.output
    assert f"accepted 1, rejected 2, removed 0, undecided {total - 3}" in res.output
    assert "2 newly rejected" in res.output
    key = load_key(key_path(project))
    assert sorted(r.name for r in key.rejected) == ["Anglais", "Liévin"]
    assert {r.rejected_by for r in key.rejected} == {"tester"}
    # not proposed again (the empty rows are), counted; --all lists them, marked
    data = suggested(run)
    names = {c["name"] for c in data["candidates"]}
    assert not {"Anglais", "Liévin", "Martine Vasseur"} & names and data["skipped_rejected"] == 2
    assert len(names) == total - 3
    assert "2 skipped as rejected before" in run("pseudo", "suggest", "--no-ner").output
    data = suggested(run, "--all")
    marked = {c["name"]: c["rejected"] for c in data["candidates"] if c["rejected"]}
    assert set(marked) == {"Anglais", "Liévin"} and marked["Liévin"]["by"] == "tester"
    # the sheet of --all has them pre-filled 'reject': imported again, nothing changes
    again = tmp_path / "keys" / "tous.csv"
    assert run("pseudo", "suggest", "-o", again, "--no-ner", "--all").exit_code == 0
    res = run("pseudo", "import", again, "--json")
    result = json.loads(res.output)
    assert result["rejected"] == 2 and result["remembered"] == 0 and result["added"] == 0
    assert [r.name for r in load_key(key_path(project)).rejected] == [r.name for r in key.rejected]
    assert [h["details"]["remembered"] for h in history(run)] == [2, 0]


# ---------------------------------------------------------------------------- undo, and the audit


def test_remove_or_add_undoes_a_rejection(project, tmp_path):
    run = build_pseudo_project(project, tmp_path, key=False)
    assert run("pseudo", "reject", "Anglais").exit_code == 0
    assert run("pseudo", "reject", "Liévin").exit_code == 0
    assert "Anglais" not in {c["name"] for c in suggested(run)["candidates"]}
    res = run("pseudo", "remove", "anglais")
    assert res.exit_code == 0 and "no longer rejected: Anglais (proposed again)" in res.output
    assert "Anglais" in {c["name"] for c in suggested(run)["candidates"]}
    assert run("pseudo", "add", "Liévin", "[commune B]").exit_code == 0  # accepted after all
    key = load_key(key_path(project))
    assert key.rejected == [] and key.find("Liévin") is not None
    res = run("pseudo", "remove", "Anglais")
    assert res.exit_code == 1 and "nor a rejected name" in res.output
    entries = history(run)
    assert [h["details"]["action"] for h in entries] == ["reject", "reject", "unreject", "add"]
    assert entries[-1]["details"]["unrejected"] is True
    assert not {"Anglais", "Liévin"} & set(json.dumps(entries, ensure_ascii=False).split('"'))


def test_the_audit_does_not_list_rejected_names_but_still_the_key_names(project, tmp_path):
    run = build_pseudo_project(project, tmp_path)
    page = tmp_path / "brouillon.md"
    page.write_text("# Brouillon\n\nMartine Vasseur a travaillé avec Jean Dupont à Marseille.\n", encoding="utf-8")
    before = json.loads(run("pseudo", "audit", page, "--json").output)
    unknown = {f["what"] for f in before["findings"] if f["kind"] == "unknown-name"}
    assert {"Jean Dupont", "Marseille"} <= unknown and before["rejected"] == 0
    assert run("pseudo", "reject", "Marseille").exit_code == 0
    res = run("pseudo", "audit", page, "--json")
    assert res.exit_code == 1  # the key's name is still a leak
    after = json.loads(res.output)
    kinds = {(f["kind"], f["what"]) for f in after["findings"]}
    assert ("leak", "Martine Vasseur") in kinds and ("unknown-name", "Jean Dupont") in kinds
    assert ("unknown-name", "Marseille") not in kinds and after["rejected"] == 1
    assert "(1 more skipped as rejected before)" in run("pseudo", "audit", page).output
