"""qualcode disagreements and reconcile: listing, automatic agreement, interactive and
spreadsheet decisions, resuming, stale automatic codings, errors."""

from __future__ import annotations

import csv
import io
import json

import pytest
from helpers import assert_offsets_sacred, write
from helpers.agreement import agreement_project, interview, mark

from qualcode.errors import QualcodeError
from qualcode.manual import code, uncode
from qualcode.reconcile import decide, disagreements, plan, start


@pytest.fixture
def pair(project, cli, tmp_path):
    """Ten answers (answer i = turn 2i). same: agreed on 1, 5, 7; apart: A 1, 2 / B 3, 4;
    silent: A 2, 4, 6. A document 'other' that only A coded."""
    agreement_project(project, tmp_path, {"ten": interview(10), "other": interview(2)})
    mark(project, "ten", "same", "A", [1, 5, 7])
    mark(project, "ten", "same", "B", [1, 5, 7])
    mark(project, "ten", "apart", "A", [1, 2])
    mark(project, "ten", "apart", "B", [3, 4])
    mark(project, "ten", "silent", "A", [2, 4, 6])
    mark(project, "other", "same", "A", [1])
    return project


# The pending disagreements, in document, position, codebook order: (answer, code, coded by)
PENDING = [(1, "apart", "A"), (2, "apart", "A"), (2, "silent", "A"), (3, "apart", "B"), (4, "apart", "B"),
           (4, "silent", "A"), (6, "silent", "A")]

OPTS = {"unit": "turn"}


def consensus_codings(project, coder="consensus"):
    rows = project.store.execute(
        'SELECT c.path, k.start, k."end", k.unit, k.origin, k.status, d.name FROM codings k'
        " JOIN codes c ON c.id = k.code_id JOIN documents d ON d.id = k.document_id WHERE k.coder = ?"
        ' ORDER BY d.name, k.start, c.path', (coder,)).fetchall()
    return [dict(r) for r in rows]


def answer_span(project, doc, i):
    t = project.store.documents.turns(project.store.documents.by_name(doc).id)[2 * i - 1]
    return t.start, t.end


def pending_keys(p):
    return [(it.turn // 2, it.code, ",".join(it.coded_by)) for it in p.pending]


def test_disagreements_listing(pair, cli):
    items, cmp = disagreements(pair, ["A", "B"], **OPTS)
    assert [(it.turn // 2, it.code, ",".join(it.coded_by)) for it in items] == PENDING
    assert cmp.skipped == {"other": ["B"]}
    first = items[0]
    a, b = answer_span(pair, "ten", 1)
    assert (first.document, first.turn, first.speaker, first.start, first.end) == ("ten", 2, "Paul", a, b)
    assert first.text == "Réponse numéro 1, voilà."
    assert first.not_coded_by == ["B"]
    assert first.codes == {"A": ["apart", "same"], "B": ["same"]}

    res = cli("disagreements", "--coders", "A,B", "--unit", "turn", "--json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert [(d["turn"] // 2, d["code"], d["coded_by"]) for d in data["disagreements"]] == \
        [(i, c, [who]) for i, c, who in PENDING]
    assert data["skipped_documents"] == {"other": ["B"]}

    res = cli("disagreements", "--coders", "A,B", "--unit", "turn", "--code", "silent")
    assert res.exit_code == 0, res.output
    assert res.stdout.startswith("silent (3)")
    assert "ten:4 Paul  coded by A · not by B" in res.stdout
    assert "Réponse numéro 4, voilà." in res.stdout
    assert "skipped other: not coded by B" in res.stdout
    assert "3 disagreements between A, B (turns, codes as applied)" in res.stdout


def test_agreed_units_go_in_automatically_once(pair, cli):
    # --list writes nothing: it says what the other modes would add
    res = cli("reconcile", "--coders", "A,B", "--unit", "turn", "--list", "--json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert (data["agreed"], data["to_add"], data["decided"]) == (3, 3, 0)
    assert [(d["turn"] // 2, d["code"]) for d in data["pending"]] == [(i, c) for i, c, _ in PENDING]
    assert consensus_codings(pair) == []
    res = cli("reconcile", "--coders", "A,B", "--unit", "turn", input="q\n")
    assert res.exit_code == 0, res.output
    assert "consensus: 3 agreed codings added" in res.stdout and "skipped other: not coded by B" in res.stdout
    assert "7 disagreements to decide (0 decided before)" in res.stdout
    rows = consensus_codings(pair)
    # both coders coded the whole turn: the consensus has that span (unit turn)
    assert [(r["path"], (r["start"], r["end"]), r["unit"], r["origin"], r["status"]) for r in rows] == [
        ("same", answer_span(pair, "ten", i), "turn", "reconcile:agreed", "accepted") for i in (1, 5, 7)]
    assert all(r["name"] == "ten" for r in rows)  # 'other' (not coded by B) is left out
    history = pair.store.history.entries("reconcile")
    assert len(history) == 1 and history[0].details["added"] == 3
    assert_offsets_sacred(pair)
    # again: nothing new, no new history row
    report, p = start(pair, ["A", "B"], **OPTS)
    assert (report.added, report.removed, len(p.pending)) == (0, 0, 7)
    assert len(pair.store.history.entries("reconcile")) == 1


def test_interactive_session_saves_each_decision_and_resumes(pair, cli):
    res = cli("reconcile", "--coders", "A,B", "--unit", "turn", input="k\nd\ns\nq\n")
    assert res.exit_code == 0, res.output
    assert "saved: keep apart for consensus" in res.stdout
    assert "saved: drop apart for consensus" in res.stdout
    assert "This session: 1 kept, 1 dropped, 1 skipped" in res.stdout
    assert "5 left to decide" in res.stdout
    rows = {(r["path"], r["start"]): r for r in consensus_codings(pair)}
    kept = rows[("apart", answer_span(pair, "ten", 1)[0])]
    dropped = rows[("apart", answer_span(pair, "ten", 2)[0])]
    assert (kept["origin"], kept["status"], kept["unit"]) == ("reconcile:kept", "accepted", "turn")
    assert (dropped["origin"], dropped["status"]) == ("reconcile:dropped", "rejected")
    details = pair.store.history.entries("reconcile-session")[-1].details
    assert {k: details[k] for k in ("kept", "dropped", "skipped", "left")} == \
        {"kept": 1, "dropped": 1, "skipped": 1, "left": 5}
    assert_offsets_sacred(pair)

    # a new session starts with what is left (the skipped item first)
    p = plan(pair, ["A", "B"], **OPTS)
    assert pending_keys(p) == PENDING[2:]
    res = cli("reconcile", "--coders", "A,B", "--unit", "turn", input="?\nx\nk\n")  # then end of input
    assert res.exit_code == 0, res.output
    assert "keep: the consensus codes this unit" in res.stdout and "unknown key 'x'" in res.stdout
    assert pending_keys(plan(pair, ["A", "B"], **OPTS)) == PENDING[3:]
    # the dropped decision is not counted by reports (status rejected)
    res = cli("report", "freq", "--coder", "consensus", "--json")
    assert res.exit_code == 0, res.output
    units = {r["code"]: r["total units"] for r in json.loads(res.stdout)["tables"][0]["rows"]}
    assert units["apart"] == 1 and units["silent"] == 1 and units["same"] == 3

    with pytest.raises(QualcodeError, match="already decided"):
        decide(pair, p.pending[0], "keep")


def test_csv_round_trip(pair, cli, tmp_path):
    sheet = tmp_path / "decide.csv"
    res = cli("reconcile", "--coders", "A,B", "--unit", "turn", "--export", sheet)
    assert res.exit_code == 0, res.output
    assert "7 disagreements to decide" in res.stdout
    text = sheet.read_text(encoding="utf-8-sig")
    assert text.startswith("# ")
    body = [ln for ln in text.splitlines() if not ln.startswith("#")]
    rows = list(csv.DictReader(io.StringIO("\n".join(body))))
    assert [(int(r["turn"]) // 2, r["code"], r["coded_by"]) for r in rows] == PENDING
    # decide four of them (two keep, two drop) with a note, leave the others empty
    decisions = {0: ("keep", "clearly about it"), 1: ("drop", ""), 3: ("k", ""), 6: ("non", "")}
    for i, (d, note) in decisions.items():
        rows[i]["decision"], rows[i]["note"] = d, note
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]))
    w.writeheader()
    w.writerows(rows)
    sheet.write_text(buf.getvalue(), encoding="utf-8")
    before = consensus_codings(pair)
    assert [r["origin"] for r in before] == ["reconcile:agreed"] * 3  # the export applied the agreed part
    res = cli("reconcile", "--coders", "A,B", "--unit", "turn", "--import", sheet, "--dry-run")
    assert res.exit_code == 0, res.output
    assert "would apply: 2 kept, 2 dropped; 3 without decision" in res.stdout
    assert consensus_codings(pair) == before
    res = cli("reconcile", "--coders", "A,B", "--unit", "turn", "--import", sheet)
    assert res.exit_code == 0, res.output
    assert "applied: 2 kept, 2 dropped; 3 without decision; 0 decided before" in res.stdout
    got = {(r["path"], r["start"]): (r["origin"], r["status"]) for r in consensus_codings(pair)}
    assert got[("apart", answer_span(pair, "ten", 1)[0])] == ("reconcile:kept", "accepted")
    assert got[("apart", answer_span(pair, "ten", 2)[0])] == ("reconcile:dropped", "rejected")
    assert got[("apart", answer_span(pair, "ten", 3)[0])] == ("reconcile:kept", "accepted")
    assert got[("silent", answer_span(pair, "ten", 6)[0])] == ("reconcile:dropped", "rejected")
    memo = pair.store.execute("SELECT text FROM memos WHERE target_type = 'coding'").fetchall()
    assert [m[0] for m in memo] == ["clearly about it"]
    assert pair.store.history.entries("reconcile-import")[-1].details["kept"] == 2
    assert pending_keys(plan(pair, ["A", "B"], **OPTS)) == [PENDING[i] for i in (2, 4, 5)]
    # importing the same sheet again changes nothing
    res = cli("reconcile", "--coders", "A,B", "--unit", "turn", "--import", sheet)
    assert res.exit_code == 0 and "0 kept, 0 dropped; 3 without decision; 4 decided before" in res.stdout
    assert_offsets_sacred(pair)


def test_xlsx_round_trip(pair, cli, tmp_path):
    from openpyxl import load_workbook

    sheet = tmp_path / "decide.xlsx"
    assert cli("reconcile", "--coders", "A,B", "--unit", "turn", "--export", sheet).exit_code == 0
    wb = load_workbook(sheet)
    ws = wb["reconcile"]
    header = [c.value for c in ws[1]]
    assert header[-2:] == ["decision", "note"]
    assert ws.max_row == 1 + len(PENDING)
    for r in range(2, ws.max_row + 1):
        ws.cell(r, header.index("decision") + 1).value = "keep"
    wb.save(sheet)
    res = cli("reconcile", "--coders", "A,B", "--unit", "turn", "--import", sheet, "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["kept"] == 7
    assert plan(pair, ["A", "B"], **OPTS).pending == []
    # now the consensus has every code someone used, on every unit
    kept = [r for r in consensus_codings(pair) if r["origin"] == "reconcile:kept"]
    assert len(kept) == 7 and all(r["status"] == "accepted" for r in kept)
    assert_offsets_sacred(pair)


def test_import_problems_apply_nothing(pair, cli, tmp_path):
    sheet = tmp_path / "bad.csv"
    assert cli("reconcile", "--coders", "A,B", "--unit", "turn", "--export", sheet).exit_code == 0
    before = len(consensus_codings(pair))
    # meanwhile both coders code answer 10 'same': the next run would add it automatically,
    # but a failed import leaves the project as it was, agreed part included
    mark(pair, "ten", "same", "A", [10])
    mark(pair, "ten", "same", "B", [10])
    lines = sheet.read_text(encoding="utf-8-sig").splitlines()
    rows = list(csv.reader(lines[1:]))
    header = rows[0]
    d, doc, start_col = header.index("decision"), header.index("document"), header.index("start")
    rows[1][d] = "keep"  # fine on its own
    rows[2][d] = "maybe"  # line 4 of the file
    rows[3][doc] = "nowhere"  # line 5
    rows[4][d], rows[4][start_col] = "drop", "0"  # line 6: not a disagreement
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    sheet.write_text(lines[0] + "\n" + buf.getvalue(), encoding="utf-8")
    res = cli("reconcile", "--coders", "A,B", "--unit", "turn", "--import", sheet)
    assert res.exit_code == 1
    err = res.stderr
    assert f"{sheet}:4: bad decision 'maybe'" in err
    assert f"{sheet}:5: no document named 'nowhere'" in err
    assert f"{sheet}:6: ten 0:" in err and "is not a disagreement" in err
    assert "3 problems" in err and "nothing imported" in err
    assert len(consensus_codings(pair)) == before
    assert "Traceback" not in res.output


def test_span_rule_and_stale_automatic_codings(pair, cli):
    a8, _ = answer_span(pair, "ten", 8)
    # answer 8: A and B code the same words -> the consensus gets those words;
    # answer 9: A codes the turn, B a few words of it -> agreed, spans differ -> the turn
    code(pair, "ten", "same", span=(a8, a8 + 7), coder="A")
    code(pair, "ten", "same", span=(a8, a8 + 7), coder="B")
    code(pair, "ten", "same", turn=18, coder="A")
    a9, b9 = answer_span(pair, "ten", 9)
    code(pair, "ten", "same", span=(a9 + 8, a9 + 14), coder="B")
    report, p = start(pair, ["A", "B"], **OPTS)
    assert report.added == 5
    spans = {(r["start"], r["end"]): r["unit"] for r in consensus_codings(pair) if r["path"] == "same"}
    assert spans[(a8, a8 + 7)] == "span" and spans[(a9, b9)] == "turn"
    assert_offsets_sacred(pair)
    # B takes back answer 5: the automatic coding goes, and answer 5 becomes a disagreement
    uncode(pair, "ten", "same", turn=10, coder="B")
    report, p = start(pair, ["A", "B"], **OPTS)
    assert (report.added, report.removed) == (0, 1)
    assert (5, "same", "A") in pending_keys(p)
    assert answer_span(pair, "ten", 5) not in {(r["start"], r["end"]) for r in consensus_codings(pair)
                                               if r["path"] == "same"}
    # a decision is never undone automatically: keep it, then B codes it again -> agreed, kept as is
    item = next(it for it in p.pending if it.code == "same")
    decide(pair, item, "keep")
    code(pair, "ten", "same", turn=10, coder="B")
    report, p = start(pair, ["A", "B"], **OPTS)
    assert (report.added, report.removed) == (0, 0)
    assert pair.store.history.entries("reconcile")[-1].details["removed"] == 1
    assert_offsets_sacred(pair)


def test_sentence_units(project, cli, tmp_path):
    agreement_project(project, tmp_path, {"s": "Enquêtrice : Et alors ?\n"
                                               "Paul : Je suis né ici. Mon père était mineur. Voilà tout.\n"
                                               "Enquêtrice : Et aujourd'hui ?\n"
                                               "Paul : Tout a changé. Les jeunes partent.\n"})
    code(project, "s", "same", quote="était mineur", coder="A")
    code(project, "s", "same", sentence="2.2", coder="B")
    code(project, "s", "apart", sentence="4.2", coder="B")
    _, p = start(project, ["A", "B"], consensus="Consensus 1")
    rows = consensus_codings(project, "Consensus 1")
    assert [(r["path"], project.store.documents.by_name("s").text[r["start"]:r["end"]], r["unit"])
            for r in rows] == [("same", "Mon père était mineur.", "sentence")]
    assert [(it.code, it.text, it.unit_kind) for it in p.pending] == [("apart", "Les jeunes partent.", "sentence")]
    res = cli("reconcile", "--coders", "A,B", "--as", "Consensus 1", input="k\n")
    assert res.exit_code == 0, res.output
    assert [r["unit"] for r in consensus_codings(project, "Consensus 1")] == ["sentence", "sentence"]
    # the consensus coder is a coder like any other
    res = cli("agreement", "--coders", "B,Consensus 1", "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["pooled"]["kappa"] == pytest.approx(1.0)
    assert_offsets_sacred(project)


def test_cli_usage_errors(pair, cli):
    for args, code_, message in [
        (["--as", "A"], 2, "one of the compared coders"),
        (["--as", "rules"], 2, "reserved"),
        (["--json"], 2, "--json goes with"),
        (["--force"], 2, "--force goes with --export"),
        (["--dry-run"], 2, "--dry-run goes with --import"),
        (["--list", "--export", "x.csv"], 2, "cannot be combined"),
        (["--unit", "char"], 2, "unknown unit 'char'"),
        (["--export", "x.txt"], 1, "use .xlsx or .csv"),
    ]:
        res = cli("reconcile", "--coders", "A,B", *args)
        assert res.exit_code == code_, (args, res.output)
        assert message in res.output, (args, res.output)
    res = cli("disagreements", "--coders", "A,Nobody")
    assert res.exit_code == 1 and "no codings by coder 'Nobody'" in res.output
    assert consensus_codings(pair) == [] or all(r["origin"] == "reconcile:agreed" for r in consensus_codings(pair))


def test_export_to_stdout_is_the_csv_sheet_and_imports_back(pair, cli, tmp_path):
    res = cli("reconcile", "--coders", "A,B", "--unit", "turn", "--export", "-")
    assert res.exit_code == 0, res.output
    assert res.stdout.startswith("# ") and not res.stdout.startswith("\ufeff")
    body = [ln for ln in res.stdout.splitlines() if not ln.startswith("#")]
    rows = list(csv.DictReader(io.StringIO("\n".join(body))))
    assert [(int(r["turn"]) // 2, r["code"], r["coded_by"]) for r in rows] == PENDING
    assert "7 disagreements" not in res.stdout  # what it did goes to the error output
    assert not (tmp_path / "-").exists()
    sheet = write(tmp_path / "from_stdout.csv", res.stdout)
    res = cli("reconcile", "--coders", "A,B", "--unit", "turn", "--import", sheet, "--dry-run")
    assert res.exit_code == 0 and "would apply: 0 kept, 0 dropped; 7 without decision" in res.stdout, res.output
    res = cli("reconcile", "--coders", "A,B", "--unit", "turn", "--export", "-", "--json")
    assert res.exit_code == 2 and "give --export a file name" in res.stderr
