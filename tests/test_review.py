"""`qualcode review`: decisions, undo, interactive sessions (CLI runner and a real pty),
spreadsheet export/import, and decisions surviving a re-run of autocode."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import select
import sqlite3
import subprocess
import sys
import time

import pytest
from helpers import assert_offsets_sacred, build_project, write

from qualcode.errors import QualcodeError
from qualcode.review import (
    Highlighter,
    ReviewImportError,
    context,
    decide,
    export_review,
    find_codes,
    import_review,
    pending,
    undo,
)

CODEBOOK = """\
title: Test
language: fr
unit: sentence
codes:
  - code: identity
    label: Identity
    definition: Identité.
    children:
      - code: mining_memory
        label: Mining memory
        definition: Mémoire de la mine.
        when_not_to_use: Simple mention of a place name.
        color: "#08306b"
        rules:
          - terms: [fosse, mineur, "gueule noire"]
        exclude:
          - terms: ["mineur de moins de"]
      - code: stigma
        label: Stigma
        definition: Image négative du territoire.
  - code: heritage
    label: Heritage
    definition: Patrimoine.
    unit: turn
    rules:
      - terms: [unesco, patrimoine]
"""

INTERVIEW = """\
Enquêtrice : Parlez-moi de la fosse, et du patrimoine.
M. Caron : Mon père était mineur. Il descendait à la fosse tous les jours.
Le classement Unesco, c'est une fierté pour nous.
Enquêtrice : Et aujourd'hui ?
M. Caron : Aujourd'hui on parle des gueules noires dans les musées. Un mineur de moins de seize ans ne travaillait pas.
Les jeunes partent, voilà.
"""

MINEUR = "Mon père était mineur."
FOSSE = "Il descendait à la fosse tous les jours."
GUEULES = "Aujourd'hui on parle des gueules noires dans les musées."
JEUNES = "Les jeunes partent, voilà."
TURN2 = MINEUR + " " + FOSSE + "\nLe classement Unesco, c'est une fierté pour nous."


@pytest.fixture
def coded(project, tmp_path):
    return build_project(project, tmp_path, codebook=CODEBOOK, documents={"caron": INTERVIEW}, autocode=True)


def db(project, sql, params=()):
    """Read through a separate connection: only committed data is visible."""
    conn = sqlite3.connect(project.root / ".qualcode" / "project.db")
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def state(project):
    """(text, code, coder, status) of every coding, sorted."""
    return sorted(db(project, "SELECT k.text, c.path, k.coder, k.status FROM codings k"
                              " JOIN codes c ON c.id = k.code_id"))


def ids(project):
    """(code path, text) -> coding id of the rule codings."""
    return {(code, text): i for i, code, text in db(
        project, "SELECT k.id, c.path, k.text FROM codings k JOIN codes c ON c.id = k.code_id"
                 " WHERE k.coder = 'rules'")}


def status_of(project, coding_id):
    return db(project, "SELECT status FROM codings WHERE id = ?", (coding_id,))[0][0]


# --------------------------------------------------------------------------- library


def test_pending_order_and_filters(coded, project):
    items = pending(project)
    # document order, then position: the heritage proposal is the whole turn 2, which
    # starts where "Mon père était mineur." starts and ends after it.
    assert [(it.code, it.text) for it in items] == [
        ("identity/mining_memory", MINEUR), ("heritage", TURN2),
        ("identity/mining_memory", FOSSE), ("identity/mining_memory", GUEULES)]
    assert [it.turn for it in items] == [2, 2, 2, 4]
    assert [it.text for it in pending(project, code="identity")] == [MINEUR, FOSSE, GUEULES]  # sub-codes
    assert pending(project, code="identity/stigma") == []
    assert len(pending(project, doc="caron")) == 4
    assert pending(project, coder="camille") == []
    assert len(pending(project, coder=None)) == 4
    with pytest.raises(QualcodeError, match=r"no code 'identiti'.*did you mean 'identity'"):
        pending(project, code="identiti")
    with pytest.raises(QualcodeError, match="no document named 'nope'"):
        pending(project, doc="nope")


def test_decisions_and_undo(coded, project):
    k = ids(project)
    mineur, heritage = k[("identity/mining_memory", MINEUR)], k[("heritage", TURN2)]
    fosse, gueules = k[("identity/mining_memory", FOSSE)], k[("identity/mining_memory", GUEULES)]
    before = state(project)

    d = decide(project, mineur, "accept")
    assert (d.from_status, d.to_status) == ("proposed", "accepted") and status_of(project, mineur) == "accepted"
    decide(project, fosse, "reject")
    assert status_of(project, fosse) == "rejected"
    d = decide(project, heritage, "recode", to_code="identity/stigma")
    assert status_of(project, heritage) == "rejected"
    created = db(project, 'SELECT c.path, k.coder, k.origin, k.status, k.text, k.unit FROM codings k'
                          " JOIN codes c ON c.id = k.code_id WHERE k.id = ?", (d.created_coding_id,))
    assert created == [("identity/stigma", "tester", "review", "accepted", TURN2, "turn")]
    assert_offsets_sacred(project)
    d = decide(project, gueules, "add", to_code="heritage")
    assert status_of(project, gueules) == "proposed"  # still to accept or reject
    assert db(project, "SELECT c.path, k.text, k.status FROM codings k JOIN codes c ON c.id = k.code_id"
                       " WHERE k.id = ?", (d.created_coding_id,)) == [("heritage", GUEULES, "accepted")]
    decide(project, gueules, "skip")
    assert [it.coding_id for it in pending(project)] == [gueules]
    assert_offsets_sacred(project)

    log = db(project, "SELECT action, from_status, to_status, from_code, to_code, user, undone FROM review_log"
                      " ORDER BY id")
    assert log == [
        ("accept", "proposed", "accepted", "identity/mining_memory", "identity/mining_memory", "tester", 0),
        ("reject", "proposed", "rejected", "identity/mining_memory", "identity/mining_memory", "tester", 0),
        ("recode", "proposed", "rejected", "heritage", "identity/stigma", "tester", 0),
        ("add", "proposed", "proposed", "identity/mining_memory", "heritage", "tester", 0),
        ("skip", "proposed", "proposed", "identity/mining_memory", "identity/mining_memory", "tester", 0)]

    # undo, last decision first, until nothing is left
    assert undo(project).action == "skip"
    assert undo(project).action == "add"
    assert db(project, "SELECT COUNT(*) FROM codings WHERE coder = 'tester' AND code_id ="
                       " (SELECT id FROM codes WHERE path = 'heritage')") == [(0,)]
    assert undo(project).action == "recode"
    assert status_of(project, heritage) == "proposed"
    assert db(project, "SELECT COUNT(*) FROM codings WHERE coder = 'tester'") == [(0,)]
    assert undo(project).action == "reject" and status_of(project, fosse) == "proposed"
    assert undo(project).action == "accept" and status_of(project, mineur) == "proposed"
    assert undo(project) is None
    assert state(project) == before
    assert db(project, "SELECT COUNT(*) FROM review_log WHERE action = 'undo'") == [(5,)]
    assert db(project, "SELECT COUNT(*) FROM review_log WHERE action != 'undo' AND undone = 0") == [(0,)]
    assert_offsets_sacred(project)


def test_undo_is_per_user(coded, project):
    k = ids(project)
    decide(project, k[("identity/mining_memory", MINEUR)], "accept", user="camille")
    assert undo(project) is None  # the project user is "tester"
    assert undo(project, "camille").action == "accept"


def test_decision_errors(coded, project):
    k = ids(project)
    mineur = k[("identity/mining_memory", MINEUR)]
    with pytest.raises(QualcodeError, match="unknown decision"):
        decide(project, mineur, "maybe")
    with pytest.raises(QualcodeError, match=r"no code 'identity/stigm'.*did you mean 'identity/stigma'"):
        decide(project, mineur, "recode", to_code="identity/stigm")
    with pytest.raises(QualcodeError, match=r"already has code.*accept it instead"):
        decide(project, mineur, "recode", to_code="identity/mining_memory")
    with pytest.raises(QualcodeError, match="not waiting for a code"):
        decide(project, mineur, "assign", to_code="identity/stigma")
    with pytest.raises(QualcodeError, match="no coding with id 999"):
        decide(project, 999, "accept")
    decide(project, mineur, "add", to_code="identity/stigma")
    with pytest.raises(QualcodeError, match="already coded this span with 'identity/stigma'"):
        decide(project, mineur, "add", to_code="identity/stigma")
    decide(project, mineur, "accept")
    with pytest.raises(QualcodeError, match=r"not pending any more \(accepted\)"):
        decide(project, mineur, "reject")
    assert db(project, "SELECT COUNT(*) FROM review_log") == [(2,)]  # failed decisions leave no trace


def test_context_turns_matches_and_code(coded, project):
    items = pending(project)
    hl = Highlighter(project)
    doc_text = project.store.documents.by_name("caron").text
    ctx = context(project, items[2], highlighter=hl)  # FOSSE, in turn 2
    assert ctx.turn.index == 2 and ctx.turn.speaker == "M. Caron" and ctx.turn.text == TURN2
    assert ctx.previous.text == "Parlez-moi de la fosse, et du patrimoine." and ctx.previous.role == "interviewer"
    assert ctx.next.text == "Et aujourd'hui ?"
    assert [doc_text[a:b] for a, b in ctx.matches] == ["fosse"]
    assert ctx.code["definition"] == "Mémoire de la mine."
    assert ctx.code["when_not_to_use"] == "Simple mention of a place name."
    assert ctx.others == []
    # a multi-word term; a turn unit
    assert [doc_text[a:b] for a, b in context(project, items[3], highlighter=hl).matches] == ["gueules noires"]
    ctx = context(project, items[1], highlighter=hl)
    assert [doc_text[a:b] for a, b in ctx.matches] == ["Unesco"]
    assert {o["code"] for o in ctx.others} == set()  # no other coding has exactly the turn's span
    last = context(project, items[3], highlighter=hl)
    assert last.next is None and last.previous.text == "Et aujourd'hui ?"


def test_context_falls_back_to_origin_words(coded, project):
    # The rule that made the proposal is gone from the codebook: explain finds nothing,
    # the words quoted in the origin are highlighted.
    write(project.root / "codebooks" / "test.yaml",
          CODEBOOK.replace('terms: [fosse, mineur, "gueule noire"]', 'terms: [fosse, "gueule noire"]'))
    item = pending(project)[0]
    assert item.text == MINEUR and item.origin.endswith('"mineur"')
    doc_text = project.store.documents.by_name("caron").text
    assert [doc_text[a:b] for a, b in context(project, item).matches] == ["mineur"]
    assert context(project, item, highlighter=Highlighter(project, enabled=False)).matches == []


def test_find_codes(coded, project):
    assert [c["path"] for c in find_codes(project, "")] == [
        "identity", "identity/mining_memory", "identity/stigma", "heritage"]
    assert [c["path"] for c in find_codes(project, "STIG")] == ["identity/stigma"]
    assert [c["path"] for c in find_codes(project, "IDENT mémory")] == ["identity/mining_memory"]
    assert [c["depth"] for c in find_codes(project, "identity")] == [0, 1, 1]


# --------------------------------------------------------------------------- interactive (CLI runner)


def test_interactive_accept_change_with_search_undo(coded, project):
    k = ids(project)
    res = coded("review", input="a\nc\nzzz\nstig\n1\nu\nr\nq\n")
    assert res.exit_code == 0, res.output
    out = res.stdout
    assert "4 to review" in out and "1/4  caron · turn 2 · M. Caron (participant)" in out
    assert "Definition: Mémoire de la mine." in out and "Not when: Simple mention of a place name." in out
    assert "no code matches 'zzz'" in out and "1.   identity/stigma  Stigma" in out
    assert "recoded as identity/stigma" in out and "undone: " in out
    assert "This session: 1 accepted, 1 rejected, 0 changed, 0 added, 0 skipped (1 undone)" in out
    assert "2 left to review" in out
    assert status_of(project, k[("identity/mining_memory", MINEUR)]) == "accepted"
    assert status_of(project, k[("heritage", TURN2)]) == "rejected"
    assert db(project, "SELECT COUNT(*) FROM codings WHERE coder = 'tester'") == [(0,)]  # the recode was undone
    assert [it.text for it in pending(project)] == [FOSSE, GUEULES]
    assert db(project, "SELECT summary FROM history WHERE operation = 'review'") == [
        ("review session: 1 accepted, 1 rejected, 0 changed, 0 added, 0 skipped (1 undone)",)]
    assert_offsets_sacred(project)


def test_interactive_add_skip_help_and_unknown_key(coded, project):
    k = ids(project)
    # add a code (the list leaves out the proposal's own code), accept; skip the next; help;
    # unknown key; quit
    res = coded("review", input="+\nidentity\n2\na\ns\n?\nx\nq\n")
    assert res.exit_code == 0, res.output
    out = res.stdout
    assert "added identity/stigma" in out and "this help" in out and "unknown key 'x'" in out
    assert "  1. identity  Identity" in out and "  2.   identity/stigma  Stigma" in out
    assert "identity/mining_memory  Mining memory" not in out  # not offered: it is the proposal's code
    assert "Also on this text: identity/stigma (tester, accepted)" in out
    assert status_of(project, k[("identity/mining_memory", MINEUR)]) == "accepted"
    assert db(project, "SELECT k.text FROM codings k JOIN codes c ON c.id = k.code_id"
                       " WHERE k.coder = 'tester' AND c.path = 'identity/stigma'") == [(MINEUR,)]
    assert "This session: 1 accepted, 0 rejected, 0 changed, 1 added, 1 skipped" in out
    assert "3 left to review (1 skipped)" in out
    # the skipped heritage proposal now comes last; the session starts after it
    assert [it.text for it in pending(project)] == [FOSSE, GUEULES, TURN2]
    res = coded("review", input="q\n")
    assert "3 to review, 1 skipped earlier (at the end)" in res.stdout
    assert "1/3  caron · turn 2" in res.stdout and f"#{k[('identity/mining_memory', FOSSE)]}" in res.stdout
    assert_offsets_sacred(project)


def test_interrupted_session_loses_nothing_and_resumes(coded, project):
    k = ids(project)
    # two accepts, then the input ends (a closed terminal, a killed pipe)
    res = coded("review", input="a\na\n")
    assert res.exit_code == 0, res.output
    assert "This session: 2 accepted" in res.stdout
    assert status_of(project, k[("identity/mining_memory", MINEUR)]) == "accepted"
    assert status_of(project, k[("heritage", TURN2)]) == "accepted"
    assert status_of(project, k[("identity/mining_memory", FOSSE)]) == "proposed"
    # a new session starts at the third proposal
    res = coded("review", input="q\n")
    assert "2 to review" in res.stdout
    first = res.stdout.index("1/2")
    assert f"#{k[('identity/mining_memory', FOSSE)]}" in res.stdout[first:first + 200]


def test_crash_and_ctrl_c_keep_saved_decisions(coded, project):
    from rich.console import Console

    from qualcode.cli.review import SessionStats, review_session

    class Scripted:
        """An injected reader: keys from a list, then an exception."""

        def __init__(self, keys, then):
            self.keys, self.then = list(keys), then

        def key(self, prompt):
            if not self.keys:
                raise self.then
            return self.keys.pop(0)

        line = key

    out = Console(file=io.StringIO(), width=120)
    k = ids(project)
    with pytest.raises(RuntimeError):  # a crash in the middle of the session
        review_session(project, pending(project), reader=Scripted(["a", "r"], RuntimeError("boom")), out=out,
                       highlighter=Highlighter(project, enabled=False))
    assert status_of(project, k[("identity/mining_memory", MINEUR)]) == "accepted"
    assert status_of(project, k[("heritage", TURN2)]) == "rejected"
    stats = review_session(project, pending(project), reader=Scripted(["a"], KeyboardInterrupt()), out=out,
                           highlighter=Highlighter(project, enabled=False))
    assert isinstance(stats, SessionStats) and stats.accepted == 1
    assert status_of(project, k[("identity/mining_memory", FOSSE)]) == "accepted"
    assert [it.text for it in pending(project)] == [GUEULES]


def test_queued_coding_after_split(coded, project, cli):
    k = ids(project)
    gueules = k[("identity/mining_memory", GUEULES)]
    # what 'qualcode codebook split' leaves behind: a coding to assign to one of the new codes
    with project.store.transaction():
        project.store.execute(
            "INSERT INTO review_queue (coding_id, reason, choices, created_at) VALUES (?,?,?,?)",
            (gueules, "split identity/mining_memory", json.dumps(["identity/mining_memory", "identity/stigma"]),
             "2024-01-01T00:00:00+00:00"))
    items = pending(project, code="identity/stigma")  # matches the queued coding by its choices
    assert [(it.coding_id, it.queued) for it in items] == [(gueules, True)]
    with pytest.raises(QualcodeError, match="waits for a code after a split"):
        decide(project, gueules, "accept")
    # 2 assigns the second choice; the coding, still a proposal, is shown again: accept it
    res = cli("review", "--code", "identity/stigma", input="2\na\nq\n")
    assert res.exit_code == 0, res.output
    assert "waits for a code: split identity/mining_memory" in res.stdout
    assert "[1] identity/mining_memory  [2] identity/stigma" in res.stdout
    assert "assigned to identity/stigma" in res.stdout
    assert "This session: 1 accepted, 0 rejected, 1 changed" in res.stdout
    assert db(project, "SELECT c.path, k.status, k.text FROM codings k JOIN codes c ON c.id = k.code_id"
                       " WHERE k.id = ?", (gueules,)) == [("identity/stigma", "accepted", GUEULES)]
    assert db(project, "SELECT COUNT(*) FROM review_queue") == [(0,)]
    assert db(project, "SELECT operation FROM history WHERE operation = 'review-assign'") == [("review-assign",)]
    assert_offsets_sacred(project)
    # undo both: the accept, then the assignment (code and queue entry restored)
    assert f"undone: #{gueules} identity/stigma: accepted" in cli("review", "--undo").stdout
    res = cli("review", "--undo", "--json")
    assert json.loads(res.stdout)["action"] == "assign"
    assert db(project, "SELECT c.path, k.status FROM codings k JOIN codes c ON c.id = k.code_id WHERE k.id = ?",
              (gueules,)) == [("identity/mining_memory", "proposed")]
    assert db(project, "SELECT coding_id, reason, choices, created_at FROM review_queue") == [
        (gueules, "split identity/mining_memory", '["identity/mining_memory", "identity/stigma"]',
         "2024-01-01T00:00:00+00:00")]
    assert cli("review", "--undo").stdout.startswith("nothing to undo")


def test_list_and_usage_errors(coded, project):
    res = coded("review", "--list", "--json")
    assert res.exit_code == 0
    rows = json.loads(res.stdout)
    assert [r["text"] for r in rows] == [MINEUR, TURN2, FOSSE, GUEULES] and rows[0]["queued"] is False
    res = coded("review", "--list", "--code", "heritage")
    assert res.exit_code == 0 and "1 to review" in res.stdout
    for args, message in [(("--export", "x.csv", "--import", "y.csv"), "cannot be combined"),
                          (("--json",), "--json goes with"), (("--force",), "--force goes with --export"),
                          (("--dry-run",), "--dry-run goes with --import")]:
        res = coded("review", *args)
        assert res.exit_code == 2 and message in res.stderr, res.output
    res = coded("review", "--code", "nope")
    assert res.exit_code == 1 and "no code 'nope'" in res.stderr
    decide(project, ids(project)[("identity/mining_memory", MINEUR)], "accept")
    res = coded("review", "--code", "heritage", input="r\n")
    assert "Nothing left to review." in res.stdout
    assert coded("review", "--code", "heritage").stdout.strip() == "Nothing to review."


# --------------------------------------------------------------------------- spreadsheets


def test_export_xlsx_fill_import(coded, project, tmp_path):
    from openpyxl import load_workbook

    out = tmp_path / "review.xlsx"
    res = coded("review", "--export", out)
    assert res.exit_code == 0, res.output and "4 proposals to review" in res.stdout
    wb = load_workbook(out)
    assert wb.sheetnames == ["review", "choices", "about"] and wb["choices"].sheet_state == "hidden"
    ws = wb["review"]
    assert [c.value for c in ws[1]] == ["id", "document", "turn", "speaker", "code", "label", "text", "origin",
                                        "decision", "note"]
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
    assert [r[6] for r in rows] == [MINEUR, TURN2, FOSSE, GUEULES]
    assert rows[0][1:6] == ["caron", 2, "M. Caron", "identity/mining_memory", "Mining memory"]
    assert [r[8] for r in rows] == [None] * 4
    dv = ws.data_validations.dataValidation
    assert len(dv) == 1 and str(dv[0].sqref) == "I2:I5" and dv[0].formula1 == "=choices!$A$1:$A$6"
    assert [r[0].value for r in wb["choices"].iter_rows()] == [
        "accept", "reject", "identity", "identity/mining_memory", "identity/stigma", "heritage"]
    assert any(r[0].value == "codebook" for r in wb["about"].iter_rows())
    # a colleague fills the sheet
    ws["I2"], ws["I3"], ws["I4"] = "accept", "identity/stigma", "Reject"
    ws["J4"], ws["J5"] = "pas la mine ici", "à discuter"
    wb.save(out)
    k = ids(project)

    res = coded("review", "--import", out, "--dry-run")
    assert res.exit_code == 0, res.output
    assert "would apply: 1 accepted, 1 rejected, 1 recoded; 1 unchanged (dry run" in res.stdout
    assert {status_of(project, i) for i in k.values()} == {"proposed"}

    res = coded("review", "--import", out)
    assert res.exit_code == 0, res.output
    assert f"#{k[('heritage', TURN2)]} heritage: recoded as identity/stigma" in res.stdout
    assert "4 rows; applied: 1 accepted, 1 rejected, 1 recoded; 1 unchanged; 2 notes saved as memos" in res.stdout
    assert status_of(project, k[("identity/mining_memory", MINEUR)]) == "accepted"
    assert status_of(project, k[("heritage", TURN2)]) == "rejected"
    assert status_of(project, k[("identity/mining_memory", FOSSE)]) == "rejected"
    assert status_of(project, k[("identity/mining_memory", GUEULES)]) == "proposed"
    assert db(project, "SELECT c.path, k.text, k.status FROM codings k JOIN codes c ON c.id = k.code_id"
                       " WHERE k.coder = 'tester'") == [("identity/stigma", TURN2, "accepted")]
    assert sorted(db(project, "SELECT target_id, text FROM memos WHERE target_type = 'coding'")) == sorted([
        (k[("identity/mining_memory", FOSSE)], "pas la mine ici"),
        (k[("identity/mining_memory", GUEULES)], "à discuter")])
    assert db(project, "SELECT summary FROM history WHERE operation = 'review-import'") == [
        (f"{out}: 1 accepted, 1 rejected, 1 recoded, 1 unchanged",)]
    assert_offsets_sacred(project)
    # importing the same file again is refused row by row
    res = coded("review", "--import", out)
    assert res.exit_code == 1
    assert f"{out}:2: coding {k[('identity/mining_memory', MINEUR)]} is not pending any more (accepted)" \
        in res.stderr
    # an imported decision can be undone like any other
    assert "undone:" in coded("review", "--undo").stdout


def test_export_csv_roundtrip_semicolon_cp1252(coded, project, tmp_path):
    out = tmp_path / "review.csv"
    assert coded("review", "--export", out, "--code", "identity").exit_code == 0
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM, for Excel
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("# project: proj; command: qualcode review --export")
    rows = list(csv.reader(lines[1:]))
    assert rows[0][:2] == ["id", "document"] and [r[6] for r in rows[1:]] == [MINEUR, FOSSE, GUEULES]
    res = coded("review", "--export", out)
    assert res.exit_code == 1 and "already exists (use --force" in res.stderr
    assert coded("review", "--export", out, "--force", "--code", "identity").exit_code == 0
    # as French Excel saves it: semicolons, cp1252
    rows[1][8], rows[2][8] = "rejected", "heritage"
    text = "\r\n".join(";".join(f'"{c}"' if (";" in c or '"' in c) else c for c in
                                [x.replace('"', '""') for x in r]) for r in rows) + "\r\n"
    filled = write(tmp_path / "filled.csv", text, encoding="cp1252")
    res = coded("review", "--import", filled, "--json")
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert (report["accepted"], report["rejected"], report["recoded"], report["unchanged"]) == (0, 1, 1, 1)
    k = ids(project)
    assert status_of(project, k[("identity/mining_memory", MINEUR)]) == "rejected"
    assert status_of(project, k[("identity/mining_memory", FOSSE)]) == "rejected"
    assert db(project, "SELECT c.path, k.text FROM codings k JOIN codes c ON c.id = k.code_id"
                       " WHERE k.coder = 'tester'") == [("heritage", FOSSE)]
    assert_offsets_sacred(project)


def test_import_validation_errors_apply_nothing(coded, project, tmp_path):
    k = ids(project)
    mineur, heritage = k[("identity/mining_memory", MINEUR)], k[("heritage", TURN2)]
    fosse, gueules = k[("identity/mining_memory", FOSSE)], k[("identity/mining_memory", GUEULES)]
    mine = decide(project, gueules, "add", to_code="identity/stigma").created_coding_id
    decide(project, gueules, "accept")
    before = state(project), db(project, "SELECT COUNT(*) FROM review_log")
    rows = [["id", "document", "decision", "note"],
            [str(mineur), "caron", "accept", ""],      # 2: fine
            ["999", "caron", "accept", ""],            # 3: unknown id
            [str(gueules), "caron", "reject", ""],     # 4: decided already
            [str(fosse), "caron", "acept", ""],        # 5: bad decision
            [str(heritage), "caron", "identity/stigm", ""],  # 6: unknown code path
            [str(mineur), "caron", "reject", ""],      # 7: id twice
            [str(mine), "other_doc", "", "x"],         # 8: wrong document
            ["abc", "caron", "accept", ""],            # 9: not an id
            ["", "", "", ""]]                          # blank line: ignored
    f = tmp_path / "bad.csv"
    with f.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    res = coded("review", "--import", f)
    assert res.exit_code == 1
    assert res.stderr.splitlines() == [
        f"{f}:3: no coding with id 999 (is this file from another project?)",
        f"{f}:4: coding {gueules} is not pending any more (accepted)",
        f"{f}:5: bad decision 'acept': expected accept, reject or a code path (did you mean 'accept'?)",
        f"{f}:6: unknown code path 'identity/stigm' (did you mean 'identity/stigma'?)",
        f"{f}:7: id {mineur} appears twice (first on row 2)",
        f"{f}:8: coding {mine} is in document 'caron', not 'other_doc' (is this file from another project?)",
        f"{f}:9: id 'abc' is not a coding id",
        f"error: 7 problems in {f}: nothing imported"]
    assert (state(project), db(project, "SELECT COUNT(*) FROM review_log")) == before
    with pytest.raises(ReviewImportError) as exc:
        import_review(project, f)
    assert len(exc.value.problems) == 7
    # missing columns, unsupported file type
    write(tmp_path / "nocol.csv", "id,verdict\n1,accept\n")
    res = coded("review", "--import", tmp_path / "nocol.csv")
    assert res.exit_code == 1 and "nocol.csv:1: no 'decision' column" in res.stderr
    write(tmp_path / "x.ods", "")
    assert "unsupported file type '.ods'" in coded("review", "--import", tmp_path / "x.ods").stderr


def test_xlsx_row_numbers_in_errors(coded, project, tmp_path):
    from openpyxl import load_workbook

    out = tmp_path / "r.xlsx"
    report = export_review(project, out)
    assert report.rows == 4 and report.format == "xlsx"
    wb = load_workbook(out)
    wb["review"]["I5"] = "heritag"
    wb.save(out)
    with pytest.raises(ReviewImportError) as exc:
        import_review(project, out)
    assert exc.value.problems == [f"{out}:5: bad decision 'heritag': expected accept, reject or a code path"
                                  " (did you mean 'heritage'?)"]


def test_export_to_stdout_is_the_csv_sheet(coded, project, tmp_path):
    res = coded("review", "--export", "-")
    assert res.exit_code == 0, res.output
    assert res.stdout.startswith("# ") and "wrote" not in res.stdout
    body = [ln for ln in res.stdout.splitlines() if not ln.startswith("#")]
    rows = list(csv.DictReader(io.StringIO("\n".join(body))))
    assert len(rows) == export_review(project, tmp_path / "same.csv").rows == 4
    assert rows[0]["decision"] == "" and {r["id"] for r in rows} == {str(i) for i in ids(project).values()}
    assert not (coded.cwd / "-").exists()
    res = coded("review", "--export", "-", "--json")
    assert res.exit_code == 2 and "give --export a file name" in res.stderr


# --------------------------------------------------------------------------- autocode again


def test_decisions_survive_autocode_with_edited_codebook(coded, project):
    k = ids(project)
    mineur, heritage = k[("identity/mining_memory", MINEUR)], k[("heritage", TURN2)]
    fosse, gueules = k[("identity/mining_memory", FOSSE)], k[("identity/mining_memory", GUEULES)]
    decide(project, fosse, "reject")   # the new codebook still matches this unit
    decide(project, mineur, "accept")  # the new codebook no longer matches this unit
    decide(project, heritage, "recode", to_code="identity/stigma")
    # edit the codebook: drop the term "mineur", add "jeune"
    write(project.root / "codebooks" / "test.yaml",
          CODEBOOK.replace('terms: [fosse, mineur, "gueule noire"]', 'terms: [fosse, "gueule noire", jeune]'))
    res = coded("autocode")
    assert res.exit_code == 0, res.output
    after = {(code, text): (cid, status) for cid, code, text, status in db(
        project, "SELECT k.id, c.path, k.text, k.status FROM codings k JOIN codes c ON c.id = k.code_id"
                 " WHERE k.coder = 'rules'")}
    assert after[("identity/mining_memory", FOSSE)] == (fosse, "rejected")   # not proposed again
    assert after[("identity/mining_memory", MINEUR)] == (mineur, "accepted")  # kept though unmatched
    assert after[("heritage", TURN2)] == (heritage, "rejected")
    assert after[("identity/mining_memory", GUEULES)] == (gueules, "proposed")
    assert after[("identity/mining_memory", JEUNES)][1] == "proposed"  # new proposal
    assert len(after) == 5
    assert db(project, "SELECT c.path, k.text, k.status FROM codings k JOIN codes c ON c.id = k.code_id"
                       " WHERE k.coder = 'tester'") == [("identity/stigma", TURN2, "accepted")]
    assert [it.text for it in pending(project)] == [GUEULES, JEUNES]
    # and the decisions can still be undone afterwards
    assert undo(project).action == "recode" and status_of(project, heritage) == "proposed"
    assert_offsets_sacred(project)


# --------------------------------------------------------------------------- a real terminal


@pytest.mark.slow  # a real qualcode process on a pseudo-terminal: starts Python and spaCy
@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_terminal_session_reads_single_keys(coded, project):
    """On a terminal the review reads one key press at a time (no Enter)."""
    import pty
    import termios

    k = ids(project)
    master, slave = pty.openpty()
    env = {**os.environ, "QUALCODE_USER": "tester", "NO_COLOR": "1", "COLUMNS": "120", "LINES": "40",
           "TERM": "xterm"}
    proc = subprocess.Popen([sys.executable, "-m", "qualcode", "review"], cwd=project.root, stdin=slave,
                            stdout=slave, stderr=slave, env=env, start_new_session=True)
    os.close(slave)
    buf = ""

    def expect(text: str, limit: float = 180) -> None:
        """Read the terminal until ``text`` shows (the limit only guards against a hang)."""
        nonlocal buf
        deadline = time.monotonic() + limit
        while text not in re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", buf):
            ready, _, _ = select.select([master], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                raise AssertionError(f"{text!r} never appeared; terminal shows:\n{buf[-3000:]}")
            try:
                data = os.read(master, 65536)
            except OSError:  # the child closed the terminal
                data = b""
            if not data:
                raise AssertionError(f"{text!r} never appeared; terminal shows:\n{buf[-3000:]}")
            buf += data.decode("utf-8", "replace")

    def press(key: bytes, limit: float = 180) -> None:
        """Press a key once the review waits for one: the terminal is in raw mode
        (keys typed before the item is shown are discarded, as getchar flushes them)."""
        deadline = time.monotonic() + limit
        while termios.tcgetattr(master)[3] & termios.ICANON:
            if time.monotonic() > deadline:
                raise AssertionError(f"the review never waited for a key; terminal shows:\n{buf[-3000:]}")
            time.sleep(0.05)
        os.write(master, key)

    try:
        expect("1/4  caron")
        expect("? help >")
        press(b"a")  # no Enter
        expect("2/4  caron")
        expect(f"saved: #{k[('identity/mining_memory', MINEUR)]} identity/mining_memory: accepted")
        press(b"s")
        expect("3/4  caron")
        press(b"q")
        expect("This session: 1 accepted, 0 rejected, 0 changed, 0 added, 1 skipped")
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    assert status_of(project, k[("identity/mining_memory", MINEUR)]) == "accepted"
    assert [it.text for it in pending(project)] == [FOSSE, GUEULES, TURN2]
