"""Coding by hand: `qualcode code`, `qualcode uncode` and the coding margin of `qualcode show`.

Real project, real transcript, real spaCy pipeline (for --sentence). Expected offsets are
computed with ``str.index`` on the transcript written here, never by the code under test.
"""

from __future__ import annotations

import json
import os
import sqlite3

import pytest
from helpers import assert_offsets_sacred, build_project, write
from typer.testing import CliRunner

from qualcode.cli import app
from qualcode.cli.render import code_colors, initials, rich_color
from qualcode.manual import Locus, locate, quote_matches
from qualcode.project import Project

CODEBOOK = """\
title: Test
language: fr
unit: sentence
codes:
  - code: identity
    label: Identity
    color: "#d62728"
    children:
      - code: mining_memory
        label: Mining memory
        rules:
          - terms: [fosse, mineur]
  - code: heritage
    label: Heritage
    color: "#1f77b4"
    unit: turn
    rules:
      - terms: [unesco, patrimoine]
  - code: future
    label: Future
"""

# 4 turns: 1 Enquêtrice, 2 M. Caron (three sentences, a typographic apostrophe, a newline),
# 3 Enquêtrice, 4 M. Caron. "la fosse" occurs in turns 1 and 2, "La fosse" in turn 4.
INTERVIEW = (
    "Enquêtrice : Parlez-moi de la fosse.\n"
    "M. Caron : Mon père était mineur. Il descendait à la fosse tous les jours.\n"
    "C’était dur, vous savez.\n"
    "Enquêtrice : Et le patrimoine ?\n"
    "M. Caron : Le classement Unesco, c'est une fierté. La fosse, on en parle encore.\n"
)
TURN2 = "Mon père était mineur. Il descendait à la fosse tous les jours.\nC’était dur, vous savez."
TURN4 = "Le classement Unesco, c'est une fierté. La fosse, on en parle encore."


def span_of(s: str) -> tuple[int, int]:
    """Offsets of a substring that occurs once in INTERVIEW (the stored text: a .txt file)."""
    assert INTERVIEW.count(s) == 1, s
    a = INTERVIEW.index(s)
    return a, a + len(s)


@pytest.fixture
def coded(project, tmp_path):
    return build_project(project, tmp_path, codebook=CODEBOOK, documents={"caron": INTERVIEW}, autocode=True)


def db(project, sql, params=()):
    conn = sqlite3.connect(project.root / ".qualcode" / "project.db")
    try:
        with conn:
            return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def manual(project, coder=None):
    sql = ('SELECT c.path, k.start, k."end", k.unit, k.coder, k.origin, k.status, k.text, k.memo, k.id'
           " FROM codings k JOIN codes c ON c.id = k.code_id WHERE k.origin = 'manual'")
    if coder:
        sql += f" AND k.coder = '{coder}'"
    return db(project, sql + ' ORDER BY k.start, c.path')


def count_codings(project):
    return db(project, "SELECT COUNT(*) FROM codings")[0][0]


def ok(res):
    assert res.exit_code == 0, res.output
    return res


def fail(res, code=1):
    assert res.exit_code == code, res.output
    assert "Traceback" not in res.output
    return res.output


# --------------------------------------------------------------------------- locators


def test_turn_range_codes_each_turn(coded, project):
    before = count_codings(project)
    res = ok(coded("code", "caron", "future", "--turn", "2-4", "--json"))
    created = json.loads(res.stdout)
    assert [(r["turn"], r["unit"]) for r in created] == [(2, "turn"), (3, "turn"), (4, "turn")]
    assert [(r["start"], r["end"]) for r in created] == [span_of(TURN2), span_of("Et le patrimoine ?"),
                                                         span_of(TURN4)]
    assert count_codings(project) == before + 3
    rows = manual(project)
    assert {(r[0], r[4], r[5], r[6]) for r in rows} == {("future", "tester", "manual", "accepted")}
    assert_offsets_sacred(project)
    hist = db(project, "SELECT user, command, operation, details FROM history WHERE operation = 'code'")
    assert len(hist) == 1 and hist[0][:3] == ("tester", "code", "code")
    details = json.loads(hist[0][3])
    assert details["code"] == "future" and len(details["codings"]) == 3


def test_single_turn_text_output(coded, project):
    out = ok(coded("code", "caron", "future", "--turn", "4")).output
    a, b = span_of(TURN4)
    assert f"coded caron turn 4 ({a}:{b}) with future by tester" in out
    assert_offsets_sacred(project)


def test_sentence(coded, project):
    ok(coded("code", "caron", "identity", "--sentence", "2.2"))
    a, b = span_of("Il descendait à la fosse tous les jours.")
    assert [(r[0], r[1], r[2], r[3]) for r in manual(project)] == [("identity", a, b, "sentence")]
    ok(coded("code", "caron", "identity", "--sentence", "4.2"))
    assert manual(project)[-1][7] == "La fosse, on en parle encore."
    assert_offsets_sacred(project)


def test_quote_exact(coded, project):
    ok(coded("code", "caron", "heritage", "--quote", "classement Unesco"))
    a, b = span_of("classement Unesco")
    assert [(r[1], r[2], r[3], r[7]) for r in manual(project)] == [(a, b, "span", "classement Unesco")]
    assert_offsets_sacred(project)


def test_quote_tolerates_apostrophes_and_newlines(coded, project):
    # typed with a straight apostrophe and a space where the text has ’ and a newline
    ok(coded("code", "caron", "identity", "--quote", "tous les jours. C'était dur"))
    a, b = span_of("tous les jours.\nC’était dur")
    rows = manual(project)
    assert [(r[1], r[2]) for r in rows] == [(a, b)]
    assert rows[0][7] == "tous les jours.\nC’était dur"
    assert_offsets_sacred(project)


def test_quote_case_is_last_resort(coded, project):
    # "la fosse, on" only occurs as "La fosse, on" (turn 4)
    ok(coded("code", "caron", "identity", "--quote", "la fosse, on"))
    a, b = span_of("La fosse, on")
    assert [(r[1], r[2], r[7]) for r in manual(project)] == [(a, b, "La fosse, on")]
    assert_offsets_sacred(project)


def test_ambiguous_quote_lists_candidates(coded, project):
    before = count_codings(project)
    out = fail(coded("code", "caron", "identity", "--quote", "la fosse"))
    assert "ambiguous: 2 matches in caron" in out
    a1, _ = span_of("la fosse.")
    a2, _ = span_of("la fosse tous")
    assert f"turn 1 [{a1}:{a1 + 8}]" in out and f"turn 2 [{a2}:{a2 + 8}]" in out
    assert "descendait à [la fosse] tous" in out  # the candidate in its context
    assert "--span" in out
    assert count_codings(project) == before


def test_missing_quote_suggests_close_passages(coded, project):
    before = count_codings(project)
    out = fail(coded("code", "caron", "identity", "--quote", "Il descendait a la fosse tout les jours"))
    assert "not found in caron" in out
    assert "closest: turn 2" in out and "«Il descendait à la fosse tous les jours.»" in out
    out = fail(coded("code", "caron", "identity", "--quote", "zzz qqq xxx"))
    assert "not found in caron" in out and "closest" not in out
    assert count_codings(project) == before


def test_span(coded, project):
    a, b = span_of("une fierté")
    ok(coded("code", "caron", "heritage", "--span", f"{a}:{b}"))
    assert [(r[1], r[2], r[3], r[7]) for r in manual(project)] == [(a, b, "span", "une fierté")]
    assert_offsets_sacred(project)


@pytest.mark.parametrize("span, message", [
    (f"10:{len(INTERVIEW) + 1}", f"is outside caron (offsets 0 to {len(INTERVIEW)})"),
    ("20:10", "ends before it starts"),
    ("12:12", "is empty"),
    (f"{INTERVIEW.index(' : ')}:{INTERVIEW.index(' : ') + 1}", "only whitespace"),
])
def test_bad_span(coded, project, span, message):
    before = count_codings(project)
    assert message in fail(coded("code", "caron", "heritage", "--span", span))
    assert count_codings(project) == before


@pytest.mark.parametrize("args, message, code", [
    (["--turn", "5"], "caron has turns 1 to 4, not 5", 1),
    (["--turn", "0"], "caron has turns 1 to 4, not 0", 1),
    (["--turn", "3-9"], "caron has turns 1 to 4, not 9", 1),
    (["--turn", "4-2"], "the range ends before it starts", 2),
    (["--turn", "two"], "--turn expects N or N-M", 2),
    (["--sentence", "2.4"], "turn 2 of caron has 3 sentences, not 4", 1),
    (["--sentence", "3.0"], "turn 3 of caron has 1 sentence, not 0", 1),
    (["--sentence", "7.1"], "caron has turns 1 to 4, not 7", 1),
    (["--sentence", "2"], "--sentence expects TURN.SENTENCE", 2),
    (["--span", "5-9"], "--span expects START:END", 2),
    (["--quote", "  "], "--quote is empty", 2),
    ([], "give exactly one of --turn, --sentence, --quote, --span", 2),
    (["--turn", "2", "--quote", "fierté"], "(got --turn, --quote)", 2),
])
def test_locator_errors(coded, project, args, message, code):
    before = count_codings(project)
    assert message in fail(coded("code", "caron", "future", *args), code)
    assert count_codings(project) == before


def test_locate_library(coded, project):
    assert locate(project, "caron", span="3:9") == [Locus(3, 9, "span")]
    a, b = span_of("Il descendait à la fosse tous les jours.")
    assert locate(project, "caron", sentence=(2, 2)) == [(a, b, "sentence")]
    assert [loc.unit for loc in locate(project, "caron", turn="1-2")] == ["turn", "turn"]


def test_quote_matches_unit():
    text = "Il a dit : c’est  fini.\nC'est fini, oui. aaa"
    assert quote_matches(text, "c’est  fini") == [(11, 22)]                    # exact first
    assert quote_matches(text, "c'est fini") == [(11, 22)]                     # tolerant, case-sensitive
    assert quote_matches(text, "C'EST FINI") == [(11, 22), (24, 34)]          # then ignoring case
    assert quote_matches(text, "aa") == [(41, 43), (42, 44)]                   # overlapping exact matches
    assert quote_matches(text, "nothing") == []


# --------------------------------------------------------------------------- codes


def test_unknown_code_suggests(coded, project):
    out = fail(coded("code", "caron", "mining_memory", "--turn", "2"))
    assert "unknown code 'mining_memory' (did you mean 'identity/mining_memory'?)" in out
    out = fail(coded("code", "caron", "heritag", "--turn", "2"))
    assert "did you mean 'heritage'" in out


def test_code_only_in_codebook_is_synced(coded, project):
    # a code added to the codebook after the last autocode run
    write(project.root / "codebooks" / "test.yaml", CODEBOOK + "  - code: memory_places\n    color: teal\n")
    ok(coded("code", "caron", "memory_places", "--turn", "4"))
    assert db(project, "SELECT color FROM codes WHERE path = 'memory_places'") == [("teal",)]
    assert manual(project)[0][0] == "memory_places"
    assert_offsets_sacred(project)


def test_retired_code_refused(coded, project):
    db(project, "UPDATE codes SET status = 'retired' WHERE path = 'future'")
    before = count_codings(project)
    assert "code 'future' is retired" in fail(coded("code", "caron", "future", "--turn", "2"))
    assert count_codings(project) == before


def test_project_without_codebook_or_codes(cli, project, tmp_path):
    ok(cli("import", write(tmp_path / "caron.txt", INTERVIEW)))
    out = fail(cli("code", "caron", "future", "--turn", "2"))
    assert "unknown code 'future'" in out and "no codes yet" in out


# --------------------------------------------------------------------------- coders, duplicates


def test_already_coded(coded, project):
    ok(coded("code", "caron", "future", "--turn", "2"))
    before = count_codings(project)
    out = fail(coded("code", "caron", "future", "--turn", "2"))
    assert "already coded: turn 2 of caron is already coded future by tester" in out
    # a range with one turn already coded changes nothing at all
    out = fail(coded("code", "caron", "future", "--turn", "1-3"))
    assert "already coded: turn 2" in out
    assert count_codings(project) == before
    # the same span by another coder is a different coding
    ok(coded("code", "caron", "future", "--turn", "2", "--coder", "Léa"))
    assert count_codings(project) == before + 1
    assert_offsets_sacred(project)


def test_coder_default_from_config(coded, project):
    cfg = project.config_path.read_text(encoding="utf-8")
    project.config_path.write_text(cfg.replace('# name = "your name"', 'name = "Camille Dupont"'),
                                   encoding="utf-8")
    ok(coded("code", "caron", "future", "--turn", "2", "--memo", "père mineur"))
    rows = manual(project)
    assert [(r[4], r[8]) for r in rows] == [("Camille Dupont", "père mineur")]
    assert db(project, "SELECT user FROM history WHERE operation = 'code'") == [("Camille Dupont",)]
    ok(coded("code", "caron", "future", "--turn", "4", "--coder", "Léa"))
    assert [r[4] for r in manual(project)] == ["Camille Dupont", "Léa"]


def test_rules_coder_refused(coded, project):
    assert "reserved for auto-coding" in fail(coded("code", "caron", "future", "--turn", "2", "--coder", "rules"), 2)


# --------------------------------------------------------------------------- uncode


def rule_coding(project, path, start, end):
    return db(project, 'SELECT k.id, k.status FROM codings k JOIN codes c ON c.id = k.code_id'
                       ' WHERE c.path = ? AND k.coder = \'rules\' AND k.start = ? AND k."end" = ?',
              (path, start, end))


def test_uncode_removes_only_my_coding(coded, project):
    a, b = span_of("Il descendait à la fosse tous les jours.")
    assert rule_coding(project, "identity/mining_memory", a, b)  # proposed by the rules
    ok(coded("code", "caron", "identity/mining_memory", "--sentence", "2.2"))
    ok(coded("code", "caron", "identity/mining_memory", "--sentence", "2.2", "--coder", "Léa"))
    before = count_codings(project)
    res = ok(coded("uncode", "caron", "identity/mining_memory", "--sentence", "2.2", "--json"))
    assert [(r["coder"], r["start"], r["end"]) for r in json.loads(res.stdout)["removed"]] == [("tester", a, b)]
    assert count_codings(project) == before - 1
    assert [r[4] for r in manual(project)] == ["Léa"]
    assert rule_coding(project, "identity/mining_memory", a, b)  # untouched
    out = fail(coded("uncode", "caron", "identity/mining_memory", "--sentence", "2.2"))
    assert "no coding of identity/mining_memory by tester on sentence 2.2 of caron" in out
    assert "(coded there by Léa, rules: pass --coder NAME)" in out
    hist = db(project, "SELECT details FROM history WHERE operation = 'uncode'")
    assert len(hist) == 1 and json.loads(hist[0][0])["codings"][0]["start"] == a
    assert_offsets_sacred(project)


def test_uncode_rules_only_explicitly(coded, project):
    a, b = span_of("Il descendait à la fosse tous les jours.")
    fail(coded("uncode", "caron", "identity/mining_memory", "--span", f"{a}:{b}"))
    assert rule_coding(project, "identity/mining_memory", a, b)
    ok(coded("uncode", "caron", "identity/mining_memory", "--span", f"{a}:{b}", "--coder", "rules"))
    assert not rule_coding(project, "identity/mining_memory", a, b)
    assert_offsets_sacred(project)


def test_uncode_range_reports_turns_left_alone(coded, project):
    ok(coded("code", "caron", "future", "--turn", "2"))
    ok(coded("code", "caron", "future", "--turn", "4"))
    out = ok(coded("uncode", "caron", "future", "--turn", "2-4")).output
    assert "left alone: turn 3" in out
    assert "uncoded caron turn 2" in out and "uncoded caron turn 4" in out
    assert manual(project) == []
    assert_offsets_sacred(project)


def test_uncode_needs_exact_span(coded, project):
    ok(coded("code", "caron", "future", "--quote", "une fierté"))
    out = fail(coded("uncode", "caron", "future", "--quote", "fierté"))
    assert "no coding of future by tester" in out
    assert len(manual(project)) == 1


def test_uncode_deletes_coding_memos_into_history(coded, project):
    res = ok(coded("code", "caron", "future", "--turn", "4", "--json"))
    cid = json.loads(res.stdout)[0]["id"]
    ok(coded("memo", "add", "--coding", str(cid), "à relire"))
    out = ok(coded("uncode", "caron", "future", "--turn", "4")).output
    assert "and its 1 memo" in out
    assert db(project, "SELECT COUNT(*) FROM memos") == [(0,)]
    details = json.loads(db(project, "SELECT details FROM history WHERE operation = 'uncode'")[0][0])
    assert details["deleted_memos"][0]["text"] == "à relire"


# --------------------------------------------------------------------------- show


def show_json(cli, *args):
    return json.loads(ok(cli("show", "caron", "--json", *args)).stdout)


def test_show_json_margins(coded, project):
    ok(coded("code", "caron", "future", "--quote", "C'était dur", "--coder", "Léa"))
    shown = show_json(coded)
    # the existing shape is kept
    # + the interjections (issue 12), and whether the key replaced names (issue 15)
    assert set(shown) == {"document", "format", "turns", "interjections", "pseudonymized"}
    assert shown["pseudonymized"] is False  # no --pseudo
    assert set(shown["turns"][0]) == {"index", "speaker", "role", "start", "end", "time_start", "time_end",
                                      "text", "codes"}
    turn2 = shown["turns"][1]
    a, b = span_of("C’était dur")
    (lea_id,) = db(project, "SELECT id FROM codings WHERE coder = 'Léa'")[0]
    assert [c for c in turn2["codes"] if c["coder"] == "Léa"] == [
        {"id": lea_id, "code": "future", "coder": "Léa", "status": "accepted", "start": a, "end": b}]
    # rule proposals: mining_memory on sentences 2.1 and 2.2 (mineur, fosse); nothing on turn 3
    mm = [(c["start"], c["end"]) for c in turn2["codes"] if c["code"] == "identity/mining_memory"]
    assert mm == [span_of("Mon père était mineur."), span_of("Il descendait à la fosse tous les jours.")]
    assert shown["turns"][2]["codes"] == []
    # interviewer turn 1 is not auto-coded
    assert shown["turns"][0]["codes"] == []
    # every listed coding overlaps its turn
    for t in shown["turns"]:
        for c in t["codes"]:
            assert c["start"] < t["end"] and t["start"] < c["end"]


def test_show_coding_across_turns_appears_in_both(coded, project):
    a, _ = span_of("vous savez.")
    _, b = span_of("Et le patrimoine")
    ok(coded("code", "caron", "future", "--span", f"{a}:{b}"))
    shown = show_json(coded, "--coder", "tester")
    assert [[c["code"] for c in t["codes"]] for t in shown["turns"]] == [[], ["future"], ["future"], []]
    assert_offsets_sacred(project)


def test_show_filters_coder_and_rejected(coded, project):
    ok(coded("code", "caron", "future", "--turn", "4"))
    coders = {c["coder"] for t in show_json(coded)["turns"] for c in t["codes"]}
    assert coders == {"rules", "tester"}
    only = show_json(coded, "--coder", "tester")
    assert [[c["code"] for c in t["codes"]] for t in only["turns"]] == [[], [], [], ["future"]]
    both = show_json(coded, "--coder", "tester", "--coder", "rules")
    assert sum(len(t["codes"]) for t in both["turns"]) == sum(len(t["codes"]) for t in show_json(coded)["turns"])
    # rejected codings are hidden unless --all
    a, b = span_of("Mon père était mineur.")
    db(project, "UPDATE codings SET status = 'rejected' WHERE coder = 'rules' AND start = ?", (a,))
    assert (a, b) not in [(c["start"], c["end"]) for c in show_json(coded)["turns"][1]["codes"]]
    statuses = {(c["start"], c["status"]) for c in show_json(coded, "--all")["turns"][1]["codes"]}
    assert (a, "rejected") in statuses


def test_show_text_margin(coded, project):
    ok(coded("code", "caron", "future", "--turn", "4", "--coder", "Camille Dupont"))
    out = ok(coded("show", "caron")).output
    lines = out.splitlines()
    row4 = next(i for i, line in enumerate(lines) if line.lstrip().startswith("4 "))
    block = "\n".join(lines[row4:])
    assert "▌future CD" in block                  # a person's coding, with initials (two coders)
    assert "▌heritage? R" in block               # a rule proposal (coder 'rules')
    assert "coders: CD = Camille Dupont, R = rules" in out
    assert "? = proposed" in out
    row1 = next(line for line in lines if line.lstrip().startswith("1 "))
    assert "▌" not in row1                         # interviewer turn: no codes


def test_show_text_without_codings_has_no_margin(cli, project, tmp_path):
    ok(cli("import", write(tmp_path / "caron.txt", INTERVIEW)))
    out = ok(cli("show", "caron")).output
    assert "codes" not in out.splitlines()[1] and "▌" not in out


def test_show_margin_colours(coded, project, monkeypatch):
    ok(coded("code", "caron", "future", "--turn", "4"))
    runner = CliRunner()
    old = os.getcwd()
    os.chdir(project.root)
    try:
        res = runner.invoke(app, ["show", "caron"],
                            env={"COLUMNS": "200", "FORCE_COLOR": "1", "COLORTERM": "truecolor",
                                 "NO_COLOR": None})
    finally:
        os.chdir(old)
    ok(res)
    # identity/mining_memory has no colour: it takes its parent's #d62728 = rgb(214, 39, 40)
    assert "\x1b[38;2;214;39;40m▌" in res.output
    # heritage #1f77b4 = rgb(31, 119, 180)
    assert "\x1b[38;2;31;119;180m▌" in res.output


def test_code_colors_and_initials(coded, project):
    colors = code_colors(project)
    assert colors["identity"] == "#d62728"
    assert colors["identity/mining_memory"] == "#d62728"  # inherited
    assert colors["future"].startswith("#") and colors["future"] == code_colors(project)["future"]
    assert rich_color("#AbC") == "#aabbcc" and rich_color("#1F77B4") == "#1f77b4"
    assert rich_color(None) is None and rich_color("Red") == "red"
    assert rich_color("notacolour") is None and rich_color("#12") is None
    assert initials(["Camille Dupont", "rules", "Léa"]) == {"Camille Dupont": "CD", "rules": "R", "Léa": "L"}
    assert initials(["rules", "root"]) == {"rules": "rules", "root": "root"}  # clash: full names


def test_library_code_and_uncode(coded, project):
    from qualcode.manual import code, uncode

    proj = Project.open(project.root)
    try:
        rows = code(proj, "caron", "future", quote="une fierté", coder="Léa", memo="m")
        assert [(r["coder"], r["unit"], r["text"], r["memo"]) for r in rows] == [("Léa", "span", "une fierté", "m")]
        result = uncode(proj, "caron", "future", quote="une fierté", coder="Léa")
        assert [r["id"] for r in result["removed"]] == [rows[0]["id"]] and result["not_found"] == []
    finally:
        proj.close()
    assert_offsets_sacred(project)
