"""Inline interjections (issue 12): ``[E: Hum hum.]`` inside another speaker's turn is
kept as a span of that speaker, sentence units never end inside brackets, rules do not
code an interviewer's interjection as the participant's words, ``show`` marks them."""

from __future__ import annotations

import json

import pytest
from helpers import assert_offsets_sacred, build_project, db_rows, write

from qualcode.autocode import without_interjections
from qualcode.importers import parse_bytes
from qualcode.nlp import annotate_one
from qualcode.rules import Match, Proposal

INTERVIEW = """\
Enquêtrice : Vous êtes arrivée quand ?
L : En 1975 [E: Hum hum.] et puis la mine a fermé [rires] vraiment. [Enquêtrice : la fosse ?] Oui.
Le chevalement est resté (XXX) debout [Note : à vérifier]. [l: oui]
Enquêtrice : Et ensuite ? [L: Ensuite ?] Racontez.
L : Je suis restée.
"""


def parsed():
    return parse_bytes(INTERVIEW.encode("utf-8"), "e.txt", "txt")


def test_interjections_found_with_their_speaker():
    doc = parsed()
    got = [(x.turn, x.speaker, doc.text[x.start:x.end]) for x in doc.interjections]
    assert got == [
        (1, "E", "[E: Hum hum.]"),
        (1, "Enquêtrice", "[Enquêtrice : la fosse ?]"),
        (2, "L", "[L: Ensuite ?]"),
    ]  # not "[rires]", "(XXX)", "[Note : …]", nor "[l: oui]" inside L's own turn
    for x in doc.interjections:
        t = doc.turns[x.turn]
        assert t.start <= x.start < x.end <= t.end


def test_sentences_never_end_inside_brackets_nor_because_of_them():
    doc = parsed()
    ann = annotate_one(doc.text, [(t.start, t.end) for t in doc.turns])
    sentences = [doc.text[a:b] for _, a, b in ann.sentences()]
    for s in sentences:
        assert s.count("[") == s.count("]") and s.count("(") == s.count(")"), s
    assert "En 1975 [E: Hum hum.] et puis la mine a fermé [rires] vraiment." in sentences
    assert "Le chevalement est resté (XXX) debout [Note : à vérifier]. [l: oui]" in sentences


def test_without_interjections_drops_matches_inside_interviewer_spans():
    m_in, m_out = Match("r1", 12, 16, "fosse"), Match("r1", 40, 45, "mine")
    p_in = Proposal("a", "sentence", 0, 50, 1, "r1", (m_in,))
    p_both = Proposal("b", "sentence", 0, 50, 1, "r1", (m_in, m_out))
    got = without_interjections([p_in, p_both], [(10, 20)])
    assert got == [p_both._replace(matches=(m_out,))]
    assert without_interjections([p_in], []) == [p_in]


CODEBOOK = """\
title: Test
language: fr
unit: sentence
codes:
  - code: mine
    label: Mine
    definition: La mine.
    rules:
      - terms: [fosse]
  - code: chevalement
    label: Chevalement
    definition: Le chevalement.
    rules:
      - terms: [chevalement]
"""


@pytest.fixture
def coded(project, tmp_path):
    return build_project(project, tmp_path, codebook=CODEBOOK, documents={"e": INTERVIEW}, autocode=True)


def test_autocode_leaves_the_interviewer_interjection_out(coded, project):
    rows = db_rows(project, "SELECT k.path FROM codings c JOIN codes k ON k.id = c.code_id")
    paths = sorted(r[0] for r in rows)
    # "fosse" is only said by the interviewer inside L's turn: not coded as L's words
    assert paths == ["chevalement"]
    assert_offsets_sacred(project)
    res = coded("autocode", "--include-interviewer")
    assert res.exit_code == 0, res.output
    rows = db_rows(project, "SELECT k.path FROM codings c JOIN codes k ON k.id = c.code_id")
    assert sorted(r[0] for r in rows) == ["chevalement", "mine"]


def test_import_counts_and_show_marks_interjections(coded, project):
    res = coded("show", "e", "--json")
    shown = json.loads(res.stdout)
    text = project.store.documents.by_name("e").text
    assert [(x["speaker"], x["role"], text[x["start"]:x["end"]]) for x in shown["interjections"]] == [
        ("E", "interviewer", "[E: Hum hum.]"), ("Enquêtrice", "interviewer", "[Enquêtrice : la fosse ?]"),
        ("L", "participant", "[L: Ensuite ?]")]
    res = coded("show", "e")
    assert "3 interjections of another speaker in italics (E, Enquêtrice, L)" in res.stdout
    speakers = {s.label: (s.role, s.turns)
                for s in project.store.documents.speakers(project.store.documents.by_name("e").id)}
    assert speakers == {"Enquêtrice": ("interviewer", 2), "L": ("participant", 2), "E": ("interviewer", 0)}


def test_kwic_leaves_the_interviewer_interjection_out(coded):
    res = coded("kwic", "fosse", "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout) == []  # only said by the interviewer, in brackets
    res = coded("kwic", "fosse", "--json", "--include-interviewer")
    assert [x["match"] for x in json.loads(res.stdout)] == ["fosse"]


def test_explain_says_what_autocode_does_with_the_interjection(coded):
    """explain shows the match inside the interviewer's interjection, says it codes
    nothing, and proposes only what autocode proposes."""
    turns = json.loads(coded("show", "e", "--json").stdout)["turns"]
    n = next(t["index"] for t in turns if "[Enquêtrice : la fosse ?]" in t["text"])
    res = coded("explain", "e", str(n), "--json")
    assert res.exit_code == 0, res.output
    ex = json.loads(res.stdout)
    fosse = [m for h in ex["hits"] for m in h["matches"] if m["text"] == "fosse"]
    assert fosse and all(m["in_interjection"] for m in fosse)
    assert [p["code"] for p in ex["proposals"]] == ["chevalement"]  # as autocode: not mine
    res = coded("explain", "e", str(n))
    assert "none: in the interviewer's interjection" in res.stdout
    assert "Proposed: mine" not in res.stdout


def test_one_interjection_is_counted_in_the_singular(project, tmp_path, cli):
    f = write(tmp_path / "one.txt",
              "E : Vous êtes d'ici ?\nL : Oui [E: Hum.] depuis toujours.\nE : Merci.\nL : De rien.\n")
    res = cli("import", f)
    assert res.exit_code == 0, res.output
    assert "L (participant); 1 interjection in brackets" in res.stdout
    assert "1 interjection of another speaker in italics (E)" in cli("show", "one").stdout
