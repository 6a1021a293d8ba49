"""`qualcode evaluate`: the rules against a gold coder, on a fixture with known TP/FP/FN.

The fixture (real spaCy pipeline, real autocode) — sentences of the participant turns:

    caron turn 2: 2.1 "Mon père était mineur."                       rules: mining_memory terms[0] "mineur"
                  2.2 "Il descendait à la fosse tous les jours."     rules: mining_memory terms[0] "fosse"
                  2.3 "J'ai mangé un bonbon au charbon hier."        rules: mining_memory terms[1] "charbon"
    caron turn 4: 4.1 "Le classement Unesco, c'est une fierté …"     rules: heritage terms[0] "Unesco",
                                                                            pride terms[0] "fierté"
                  4.2 "Le musée est loin."                           rules: heritage terms[0] "musée"
                  4.3 "Les terrils sont beaux."                      rules: -
                  4.4 "Les jeunes partent."                          rules: -
    roy turn 2:   2.1 "La fosse 9 est devenue un musée."             rules: mining_memory, heritage

Gold (coder "gold", caron only): mining_memory 2.1, 2.2; pride 4.1; heritage 4.1, 4.3; future 4.4.

By hand, sentence units (roy left out: gold never coded it):
    mining_memory  TP 2 (2.1, 2.2)  FP 1 (2.3)  FN 0   P 2/3  R 1    F1 0.8
    pride          TP 1 (4.1)       FP 0        FN 0   P 1    R 1    F1 1
    heritage       TP 1 (4.1)       FP 1 (4.2)  FN 1 (4.3)   P 1/2  R 1/2  F1 1/2
    future         TP 0             FP 0        FN 1 (4.4)   P n/a  R 0    F1 0
    identity, method: used by neither side.
    micro: TP 4 FP 2 FN 2 -> P 4/6, R 4/6, F1 4/6
    macro (4 codes with support): P mean(2/3, 1, 1/2) = 13/18 (future's n/a left out),
           R (1 + 1 + 1/2 + 0)/4 = 5/8, F1 (0.8 + 1 + 0.5 + 0)/4 = 0.575
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from helpers import assert_offsets_sacred, build_project, db_rows, write

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
        rules:
          - terms: [fosse, mineur]
          - terms: [charbon]
      - code: pride
        label: Pride
        definition: Fierté.
        rules:
          - terms: [fierté]
  - code: heritage
    label: Heritage
    definition: Patrimoine.
    rules:
      - terms: [unesco, musée]
  - code: future
    label: Future
    definition: Avenir.
  - code: method
    label: Method
    definition: Méthode.
"""

CARON = """\
Enquêtrice : Parlez-moi de votre famille.
M. Caron : Mon père était mineur. Il descendait à la fosse tous les jours. J'ai mangé un bonbon au charbon hier.
Enquêtrice : Et aujourd'hui ?
M. Caron : Le classement Unesco, c'est une fierté pour nous. Le musée est loin. \
Les terrils sont beaux. Les jeunes partent.
"""

ROY = """\
Enquêtrice : Bonjour.
Mme Roy : La fosse 9 est devenue un musée.
"""

MM, PRIDE, HERITAGE, FUTURE = "identity/mining_memory", "identity/pride", "heritage", "future"


@pytest.fixture
def gold(cli, project, tmp_path):
    """The fixture project: autocoded, then hand coded by 'gold' (CLI and library)."""
    from qualcode.manual import code

    build_project(project, tmp_path, codebook=CODEBOOK, documents={"caron": CARON, "roy": ROY}, autocode=True)
    for sentence in ("2.1", "2.2"):
        res = cli("code", "caron", MM, "--sentence", sentence, "--coder", "gold")
        assert res.exit_code == 0, res.output
    res = cli("code", "caron", PRIDE, "--sentence", "4.1", "--coder", "gold")
    assert res.exit_code == 0, res.output
    code(project, "caron", HERITAGE, sentence="4.1", coder="gold")
    code(project, "caron", HERITAGE, sentence="4.3", coder="gold")
    rows = code(project, "caron", FUTURE, sentence="4.4", coder="gold")
    assert rows[0]["text"] == "Les jeunes partent."
    assert_offsets_sacred(project)
    return cli


def evaluate_json(cli, *args):
    res = cli("evaluate", "--gold", "gold", "--json", *args)
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def rows_by_code(data):
    return {r["code"]: r for r in data["tables"][0]["rows"]}


def counts(scores):
    return {c.path: (c.tp, c.fp, c.fn) for c in scores.codes}


# --------------------------------------------------------------------------- scores


def test_scores_per_code_and_averages(gold, project):
    from qualcode.analysis.evaluate import evaluate

    ev = evaluate(project, "gold")
    assert counts(ev) == {MM: (2, 1, 0), PRIDE: (1, 0, 0), HERITAGE: (1, 1, 1), FUTURE: (0, 0, 1)}
    assert ev.unused == ["identity", "method"]
    assert ev.documents == ["caron"] and ev.left_out == ["roy"]
    assert ev.units == 7  # participant sentences of caron
    by = {c.path: c for c in ev.codes}
    assert by[MM].precision == pytest.approx(2 / 3) and by[MM].recall == 1 and by[MM].f1 == pytest.approx(0.8)
    assert (by[PRIDE].precision, by[PRIDE].recall, by[PRIDE].f1) == (1, 1, 1)
    assert (by[HERITAGE].precision, by[HERITAGE].recall, by[HERITAGE].f1) == (0.5, 0.5, 0.5)
    assert by[FUTURE].precision is None and by[FUTURE].recall == 0 and by[FUTURE].f1 == 0
    assert [by[p].support for p in (MM, PRIDE, HERITAGE, FUTURE)] == [2, 1, 2, 1]
    assert (ev.micro.tp, ev.micro.fp, ev.micro.fn, ev.micro.codes) == (4, 2, 2, 4)
    assert ev.micro.precision == pytest.approx(4 / 6) and ev.micro.recall == pytest.approx(4 / 6)
    assert ev.micro.f1 == pytest.approx(4 / 6)
    assert ev.macro.codes == 4
    assert ev.macro.precision == pytest.approx(13 / 18)
    assert ev.macro.recall == pytest.approx(5 / 8)
    assert ev.macro.f1 == pytest.approx(0.575)

    # The CLI's JSON: the same numbers, undefined precision as null, averages as rows.
    data = evaluate_json(gold)
    rows = rows_by_code(data)
    assert list(rows) == [MM, PRIDE, HERITAGE, FUTURE, "(micro)", "(macro)"]
    assert rows[HERITAGE] == {"code": HERITAGE, "label": "Heritage", "gold": 2, "system": 2, "TP": 1, "FP": 1,
                              "FN": 1, "precision": 0.5, "recall": 0.5, "F1": 0.5}
    assert rows[FUTURE]["precision"] is None and rows[FUTURE]["recall"] == 0
    assert rows["(micro)"]["TP"] == 4 and rows["(micro)"]["FP"] == 2 and rows["(micro)"]["FN"] == 2
    assert rows["(macro)"]["F1"] == pytest.approx(0.575) and rows["(macro)"]["TP"] is None
    meta = data["tables"][0]["meta"]
    assert meta["unused_codes"] == ["identity", "method"] and meta["left_out_documents"] == ["roy"]
    assert data["provenance"]["coders"] == "gold, rules"
    assert data["provenance"]["command"] == "qualcode evaluate --gold gold"
    assert len(data["tables"]) == 1  # lists only with --show

    # The terminal table: n/a where undefined, the averages, the notes.
    res = gold("evaluate", "--gold", "gold")
    assert res.exit_code == 0, res.output
    line = next(x for x in res.stdout.splitlines() if x.startswith("future"))
    assert line.split() == ["future", "1", "0", "0", "0", "1", "n/a", "0.000", "0.000"]
    line = next(x for x in res.stdout.splitlines() if x.startswith("Macro average"))
    assert line.split()[-3:] == ["0.722", "0.625", "0.575"]
    assert "left out, not coded by gold: roy" in res.stdout
    assert "Used by neither side: identity, method." in res.stdout


def test_code_filter_keeps_the_subtree(gold, project):
    data = evaluate_json(gold, "--code", "identity")
    rows = rows_by_code(data)
    # identity has no codings of its own (codes as applied): listed apart
    assert list(rows) == [MM, PRIDE, "(micro)", "(macro)"]
    assert data["tables"][0]["meta"]["unused_codes"] == ["identity"]
    assert (rows["(micro)"]["TP"], rows["(micro)"]["FP"], rows["(micro)"]["FN"]) == (3, 1, 0)
    assert rows["(micro)"]["precision"] == pytest.approx(0.75)
    # repeated or comma-separated
    both = rows_by_code(evaluate_json(gold, "--code", "identity/pride,future"))
    assert list(both) == [PRIDE, FUTURE, "(micro)", "(macro)"]
    assert rows_by_code(evaluate_json(gold, "--code", PRIDE, "--code", FUTURE)) == both


# --------------------------------------------------------------------------- errors shown


def test_false_positives_per_rule_and_lists(gold, project):
    from qualcode.analysis.evaluate import evaluate

    ev = evaluate(project, "gold")
    table = [(r.rule, r.tp, r.fp, r.precision, r.matches_text()) for r in ev.rules]
    # most false positives first, then the least precise, then by rule id
    assert table == [
        (f"{MM} terms[1]", 0, 1, 0.0, '"charbon" 1'),
        (f"{HERITAGE} terms[0]", 1, 1, 0.5, '"musée" 1'),
        (f"{MM} terms[0]", 2, 0, 1.0, ""),
        (f"{PRIDE} terms[0]", 1, 0, 1.0, ""),
    ]
    fps = [(e.code, e.document, e.turn, e.text, e.origins) for e in ev.false_positives]
    assert fps == [
        (MM, "caron", 2, "J'ai mangé un bonbon au charbon hier.", [f'{MM} terms[1] "charbon"']),
        (HERITAGE, "caron", 4, "Le musée est loin.", [f'{HERITAGE} terms[0] "musée"']),
    ]
    fns = [(e.code, e.document, e.turn, e.text) for e in ev.false_negatives]
    assert fns == [(HERITAGE, "caron", 4, "Les terrils sont beaux."), (FUTURE, "caron", 4, "Les jeunes partent.")]
    text = db_rows(project, "SELECT text FROM documents WHERE name = 'caron'")[0][0]
    for e in ev.false_positives + ev.false_negatives:
        assert text[e.start:e.end] == e.text

    data = evaluate_json(gold, "--show", "fp,fn")
    titles = [t["title"] for t in data["tables"]]
    assert titles[1:] == ["False positives per rule (sentence units)",
                          "False positives: proposed by rules, not coded by gold (2)",
                          "False negatives: coded by gold, missed by rules (2)"]
    rules = data["tables"][1]["rows"]
    assert rules[0] == {"rule": f"{MM} terms[1]", "units": 1, "TP": 0, "FP": 1, "precision": 0.0,
                        "FP matches": '"charbon" 1'}
    fp_rows = data["tables"][2]["rows"]
    assert [(r["code"], r["rule"], r["turn"], r["text"]) for r in fp_rows] == [
        (MM, f'{MM} terms[1] "charbon"', 2, "J'ai mangé un bonbon au charbon hier."),
        (HERITAGE, f'{HERITAGE} terms[0] "musée"', 4, "Le musée est loin.")]
    assert [text[r["start"]:r["end"]] for r in fp_rows] == ["J'ai mangé un bonbon au charbon hier.",
                                                           "Le musée est loin."]
    assert "rule" not in data["tables"][3]["columns"]
    # --show rules: the per-rule table only
    assert [t["title"] for t in evaluate_json(gold, "--show", "rules")["tables"]][1:] == [titles[1]]

    res = gold("evaluate", "--gold", "gold", "--show", "fp", "--show", "fn")
    assert res.exit_code == 0, res.output
    out = res.stdout
    assert "caron:2  identity/mining_memory terms[1] \"charbon\"" in out
    assert "J'ai mangé un bonbon au charbon hier." in out
    assert out.index("False negatives") < out.index("Les terrils sont beaux.")
    assert "\"musée\" 1" in out
    cut = gold("evaluate", "--gold", "gold", "--show", "fp", "--width", "12")
    assert "J'ai mangé …" in cut.stdout and "bonbon" not in cut.stdout


# --------------------------------------------------------------------------- scope


def test_documents_not_coded_by_gold_are_left_out(gold, project):
    from qualcode.analysis.evaluate import evaluate

    # roy has proposals of mining_memory and heritage, but gold never coded roy
    assert counts(evaluate(project, "gold")) == counts(evaluate(project, "gold", documents=["caron"]))
    res = gold("evaluate", "--gold", "gold", "--docs", "roy")
    assert res.exit_code == 1
    assert "gold has coded none of the selected documents (roy)" in res.stderr and "--all-seen" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    # --docs naming a document gold has not coded: left out too, and said so
    ev = evaluate(project, "gold", documents=["caron", "roy"])
    assert ev.documents == ["caron"] and ev.left_out == ["roy"]

    # --all-seen: gold read roy and found nothing to code: its proposals are false positives
    ev = evaluate(project, "gold", all_seen=True)
    assert ev.documents == ["caron", "roy"] and ev.units == 8
    assert counts(ev)[MM] == (2, 2, 0) and counts(ev)[HERITAGE] == (1, 2, 1)
    assert [(e.document, e.turn) for e in ev.false_positives if e.code == MM] == [("caron", 2), ("roy", 2)]

    # once gold codes something in roy, roy is in scope by default
    res = gold("code", "roy", MM, "--sentence", "2.1", "--coder", "gold")
    assert res.exit_code == 0, res.output
    assert_offsets_sacred(project)
    ev = evaluate(project, "gold")
    assert ev.documents == ["caron", "roy"] and ev.left_out == []
    # roy 2.1: mining_memory TP (both), heritage FP (rules only)
    assert counts(ev) == {MM: (3, 1, 0), PRIDE: (1, 0, 0), HERITAGE: (1, 2, 1), FUTURE: (0, 0, 1)}


def test_unit_turn_differs_from_sentence(gold, project):
    from qualcode.analysis.evaluate import evaluate

    # Turn units: caron turns 2 and 4. mining_memory: both coded turn 2 (TP 1), the
    # charbon sentence is no longer a unit of its own; heritage: both coded turn 4 (TP 1,
    # the musée FP and terrils FN fall in the same turn); future: gold only (FN 1).
    ev = evaluate(project, "gold", unit="turn")
    assert ev.units == 2
    assert counts(ev) == {MM: (1, 0, 0), PRIDE: (1, 0, 0), HERITAGE: (1, 0, 0), FUTURE: (0, 0, 1)}
    assert (ev.micro.precision, ev.micro.recall) == (1.0, 0.75)
    assert ev.micro.f1 == pytest.approx(6 / 7)
    assert ev.false_positives == []
    # every rule coding falls in a turn gold coded with its code (charbon: turn 2 is mining memory)
    assert [(r.rule, r.tp, r.fp) for r in ev.rules] == [(f"{HERITAGE} terms[0]", 1, 0), (f"{MM} terms[0]", 1, 0),
                                                        (f"{MM} terms[1]", 1, 0), (f"{PRIDE} terms[0]", 1, 0)]
    # a turn unit's FN text is the whole turn
    assert ev.false_negatives[0].text.startswith("Le classement Unesco") and \
        ev.false_negatives[0].text.endswith("Les jeunes partent.")
    rows = rows_by_code(evaluate_json(gold, "--unit", "turn"))
    assert rows["(micro)"]["precision"] == 1.0
    assert rows_by_code(evaluate_json(gold))["(micro)"]["precision"] == pytest.approx(4 / 6)


def test_rollup(gold, project):
    from qualcode.analysis.evaluate import evaluate

    # identity rolled up: rules {2.1, 2.2, 2.3, 4.1}, gold {2.1, 2.2, 4.1} -> TP 3 FP 1 FN 0.
    # micro pools identity with its sub-codes: TP 3+2+1+1 = 7, FP 1+1+1 = 3, FN 1+1 = 2.
    ev = evaluate(project, "gold", rollup=True)
    assert counts(ev) == {"identity": (3, 1, 0), MM: (2, 1, 0), PRIDE: (1, 0, 0), HERITAGE: (1, 1, 1),
                          FUTURE: (0, 0, 1)}
    assert ev.unused == ["method"]
    assert (ev.micro.tp, ev.micro.fp, ev.micro.fn) == (7, 3, 2)
    assert ev.micro.precision == pytest.approx(0.7) and ev.micro.recall == pytest.approx(7 / 9)
    assert ev.micro.f1 == pytest.approx(14 / 19)
    # the identity false positive names the sub-code's rule that fired
    fp = [e for e in ev.false_positives if e.code == "identity"]
    assert [(e.text, e.origins) for e in fp] == [("J'ai mangé un bonbon au charbon hier.",
                                                 [f'{MM} terms[1] "charbon"'])]
    # rules are scored on their own code only
    assert [(r.rule, r.tp, r.fp) for r in ev.rules][:1] == [(f"{MM} terms[1]", 0, 1)]
    assert sum(r.fp for r in ev.rules) == 2


def test_interviewer_turns(gold, project):
    from qualcode.analysis.evaluate import evaluate

    res = gold("code", "caron", FUTURE, "--turn", "1", "--coder", "gold")  # an interviewer turn
    assert res.exit_code == 0, res.output
    ev = evaluate(project, "gold")
    assert counts(ev)[FUTURE] == (0, 0, 1)  # left out with the interviewer's turns
    assert ev.outside == {"gold": 1, "rules": 0}
    assert any("Codings marking no unit" in n and "1 coding by gold" in n for n in ev.notes())
    ev = evaluate(project, "gold", include_interviewer=True)
    assert ev.units == 9  # + "Parlez-moi de votre famille." and "Et aujourd'hui ?"
    assert counts(ev)[FUTURE] == (0, 0, 2)
    assert ("caron", 1, "Parlez-moi de votre famille.") in [(e.document, e.turn, e.text)
                                                            for e in ev.false_negatives]


# --------------------------------------------------------------------------- system statuses


def test_system_statuses_and_stale_rule_codings(gold, project, tmp_path):
    from qualcode.analysis.evaluate import evaluate
    from qualcode.review import decide

    charbon = db_rows(project, "SELECT id FROM codings WHERE coder = 'rules' AND origin LIKE '%charbon%'")
    assert len(charbon) == 1
    decide(project, charbon[0][0], "reject", user="gold")
    # by default the rules are evaluated on everything they proposed, rejected included
    assert counts(evaluate(project, "gold"))[MM] == (2, 1, 0)
    ev = evaluate(project, "gold", statuses=["proposed", "accepted"])
    assert counts(ev)[MM] == (2, 0, 0) and ev.system_codings == 5
    rows = rows_by_code(evaluate_json(gold, "--status", "proposed", "--status", "accepted"))
    assert rows[MM]["FP"] == 0

    # The charbon rule is removed: autocode keeps the rejected coding, but the rules as they
    # are now do not propose it: it is stale and left out unless --include-stale.
    write(project.root / "codebooks" / "test.yaml", CODEBOOK.replace("          - terms: [charbon]\n", ""))
    res = gold("autocode")
    assert res.exit_code == 0, res.output
    assert db_rows(project, "SELECT status FROM codings WHERE id = ?", charbon[0]) == [("rejected",)]
    assert_offsets_sacred(project)
    ev = evaluate(project, "gold")
    assert counts(ev)[MM] == (2, 0, 0) and ev.stale == 1
    assert any("1 stale rule coding left out" in n for n in ev.notes())
    ev = evaluate(project, "gold", include_stale=True)
    assert counts(ev)[MM] == (2, 1, 0) and ev.stale == 0
    assert evaluate_json(gold, "--include-stale")["provenance"]["command"] == \
        "qualcode evaluate --gold gold --include-stale"


def test_system_sets_are_those_of_coded_units(gold, project):
    """The system side (mapped with origins here) marks the same units as units.coded_units."""
    from qualcode.analysis.evaluate import evaluate
    from qualcode.analysis.units import ALL_STATUSES, coded_units, project_units

    for unit in ("sentence", "turn"):
        for rollup in (False, True):
            ev = evaluate(project, "gold", unit=unit, rollup=rollup)
            units = project_units(project, unit, ["caron"])
            sets = coded_units(project, units, "rules", [c.path for c in ev.codes], ALL_STATUSES, rollup=rollup)
            assert {c.path: c.tp + c.fp for c in ev.codes} == {p: len(s) for p, s in sets.items()}


def test_another_coder_as_system(gold, project):
    from qualcode.analysis.evaluate import evaluate
    from qualcode.manual import code

    code(project, "caron", MM, sentence="2.1", coder="lucas")
    code(project, "caron", HERITAGE, sentence="4.2", coder="lucas")
    ev = evaluate(project, "gold", system="lucas", codes=[MM, HERITAGE])
    assert counts(ev) == {MM: (1, 0, 1), HERITAGE: (0, 1, 2)}
    assert [(r.rule, r.tp, r.fp) for r in ev.rules] == [("manual", 0, 1), ("manual", 1, 0)]
    assert [r.code for r in ev.rules] == [HERITAGE, MM]


# --------------------------------------------------------------------------- files


def test_exports(gold, project, tmp_path):
    from docx import Document
    from openpyxl import load_workbook

    out = tmp_path / "eval.xlsx"
    res = gold("evaluate", "--gold", "gold", "--show", "fp,fn", "--output", out)
    assert res.exit_code == 0, res.output
    assert "wrote" in res.stdout and "4 tables" in res.stdout
    wb = load_workbook(out)
    assert wb.sheetnames == ["scores", "rules", "false positives", "false negatives", "provenance"]
    ws = wb["scores"]
    header = [c.value for c in ws[1]]
    assert header == ["code", "label", "gold", "system", "TP", "FP", "FN", "precision", "recall", "F1"]
    rows = {r[0]: r for r in ws.iter_rows(min_row=2, values_only=True)}
    assert rows[HERITAGE][2:] == (2, 2, 1, 1, 1, 0.5, 0.5, 0.5)
    assert rows[FUTURE][7] is None  # undefined precision: an empty cell
    assert rows["(macro)"][9] == pytest.approx(0.575)
    fps = list(wb["false positives"].iter_rows(min_row=2, values_only=True))
    assert [r[-1] for r in fps] == ["J'ai mangé un bonbon au charbon hier.", "Le musée est loin."]
    prov = {r[0]: r[1] for r in wb["provenance"].iter_rows(values_only=True) if r[0]}
    assert prov["command"] == "qualcode evaluate --gold gold --show fp,fn"

    res = gold("evaluate", "--gold", "gold", "--output", out)
    assert res.exit_code == 1 and "already exists" in res.stderr
    assert gold("evaluate", "--gold", "gold", "--output", out, "--force").exit_code == 0
    assert load_workbook(out).sheetnames == ["scores", "provenance"]

    docx = tmp_path / "eval.docx"
    res = gold("evaluate", "--gold", "gold", "--show", "fp", "--output", docx)
    assert res.exit_code == 0, res.output
    doc = Document(str(docx))
    assert len(doc.tables) == 3
    cells = [[c.text for c in r.cells] for r in doc.tables[0].rows]
    # a table for the page: one "Code" column with the label (the path is in the XLSX), then the coders
    assert cells[0][:3] == ["Code", "gold", "system"]
    assert next(r for r in cells if r[0] == "Mining memory")[6:] == ["0.667", "1.000", "0.800"]
    assert any("musée" in c.text for r in doc.tables[2].rows for c in r.cells)

    res = gold("evaluate", "--gold", "gold", "--format", "csv")
    assert res.exit_code == 0, res.output
    lines = [x for x in res.stdout.splitlines() if x and not x.startswith("#")]
    data = list(csv.DictReader(io.StringIO("\n".join(lines))))
    assert {r["code"]: (r["TP"], r["FP"], r["FN"], r["precision"]) for r in data}[MM] == ("2", "1", "0", "0.667")
    assert res.stdout.startswith("# qualcode: ")

    res = gold("evaluate", "--gold", "gold", "--format", "json", "--output", tmp_path / "e.json")
    assert res.exit_code == 0, res.output
    saved = json.loads((tmp_path / "e.json").read_text(encoding="utf-8"))
    assert rows_by_code(saved)[MM]["F1"] == pytest.approx(0.8)


# --------------------------------------------------------------------------- errors


def test_errors(gold, project, tmp_path):
    def err(*args, code=1):
        res = gold("evaluate", *args)
        assert res.exit_code == code, res.output
        assert len(res.stderr.strip().splitlines()) == 1
        return res.stderr

    assert "no codings by gold coder 'nobody' (coders: gold, rules)" in err("--gold", "nobody")
    assert "no codings by system coder 'camille'" in err("--gold", "gold", "--system", "camille")
    assert "same coder 'gold'" in err("--gold", "gold", "--system", "gold", code=2)
    assert "unknown code 'mining'" in err("--gold", "gold", "--code", "mining")
    assert "unknown unit 'doc'" in err("--gold", "gold", "--unit", "doc", code=2)
    assert "unknown --show 'tp'" in err("--gold", "gold", "--show", "tp", code=2)
    assert "unknown status 'pending'" in err("--gold", "gold", "--status", "pending", code=2)
    assert "no document named 'nope'" in err("--gold", "gold", "--docs", "nope")
    assert "--json prints to stdout" in err("--gold", "gold", "--json", "--output", tmp_path / "x.json", code=2)
    assert "needs --output" in err("--gold", "gold", "--format", "xlsx", code=2)
    assert gold("evaluate").exit_code == 2  # --gold is required
    assert not (tmp_path / "x.json").exists()


def test_before_autocode(cli, project, tmp_path):
    from qualcode.manual import code

    write(project.root / "codebooks" / "test.yaml", CODEBOOK)
    assert cli("import", write(tmp_path / "caron.txt", CARON)).exit_code == 0
    code(project, "caron", FUTURE, turn=4, coder="gold")
    res = cli("evaluate", "--gold", "gold")
    assert res.exit_code == 1
    assert "no codings by system coder 'rules' (run 'qualcode autocode' first) (coders: gold)" in res.stderr


def test_evaluate_changes_nothing(gold, project):
    before = db_rows(project, "SELECT * FROM codings ORDER BY id"), db_rows(project, "SELECT * FROM history")
    res = gold("evaluate", "--gold", "gold", "--unit", "turn", "--show", "fp,fn", "--rollup")
    assert res.exit_code == 0, res.output
    after = db_rows(project, "SELECT * FROM codings ORDER BY id"), db_rows(project, "SELECT * FROM history")
    assert before == after
    assert_offsets_sacred(project)


def _sklearn_prf(tp: int, fp: int, fn: int, tn: int):
    import warnings

    import numpy as np
    from sklearn.metrics import precision_recall_fscore_support

    y_true = np.array([1] * tp + [0] * fp + [1] * fn + [0] * tn, dtype=np.int8)
    y_pred = np.array([1] * tp + [1] * fp + [0] * fn + [0] * tn, dtype=np.int8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, average="binary", pos_label=1,
                                                     zero_division=np.nan)
    return tuple(None if np.isnan(v) else float(v) for v in (p, r, f))


def test_precision_recall_f1_are_sklearns_to_the_last_bit():
    """The counts' formulas give scikit-learn's floats exactly (not nearly), undefined
    values included (no proposal: precision; no gold unit: recall; neither: F1)."""
    import random

    from qualcode.analysis.evaluate import precision_recall_f1

    rng = random.Random(3)
    cases = [(0, 0, 0, 5), (0, 3, 0, 2), (0, 0, 4, 1), (2, 0, 0, 0), (0, 2, 3, 0), (1, 1, 1, 1), (7, 0, 3, 9)]
    cases += [tuple(rng.choice([0, rng.randint(0, 9), rng.randint(10, 3000)]) for _ in range(4)) for _ in range(300)]
    undefined = 0
    for tp, fp, fn, tn in cases:
        if not tp + fp + fn + tn:
            continue  # no unit at all: scikit-learn refuses empty vectors
        ours = precision_recall_f1(tp, fp, fn)
        assert ours == _sklearn_prf(tp, fp, fn, tn), (tp, fp, fn, tn)
        undefined += None in ours
    assert undefined >= 5
