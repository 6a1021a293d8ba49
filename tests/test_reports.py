"""`qualcode report freq|cooccurrence|matrix|words` on a small fixture project whose
numbers are computed by hand below (tests/helpers/reports.py builds it).

The fixture project
-------------------
Four interviews (imported as text files) and four cases (``qualcode cases import``):

    case  group        document
    A     local_actor  alice
    E     local_actor  (none: a participant without a transcript)
    B     resident     bruno
    C     resident     chloe
    -     -            daniel (linked to no case)

so the group sizes are local_actor 2, resident 2, and 4 cases in all.

Codes come from a codebook applied with ``qualcode autocode`` (its rules match nothing):
identity (mining_memory, pride), heritage (museum, tourism), future (jobs), old (then
retired). The codings are inserted with known spans, sentence by sentence (sN = the N-th
sentence of the document's participant turns, as the pipeline segments them):

    #   doc     span                                   code                     coder    status
    1   alice   s1 "Le musée a changé la ville."       heritage/museum          rules    proposed
    2   alice   s2 "Les touristes viennent."           heritage/tourism         rules    accepted
    3   alice   s3 "Mon père était mineur."            identity/mining_memory   rules    proposed
    4   alice   s3 (same span)                         identity/pride           camille  accepted
    5   alice   s4 "La fosse a fermé."                 identity/mining_memory   rules    rejected
    6   bruno   s1 "La fosse, c'est notre histoire."   identity/mining_memory   rules    accepted
    7   bruno   s1 (same span)                         identity                 camille  accepted
    8   bruno   s2 "Le musée, je n'y vais pas."        heritage/museum          rules    proposed
    9   bruno   s3 "Les jeunes partent."               future/jobs              rules    rejected
    10  bruno   s4 "Il n'y a pas de travail, …"        future/jobs              camille  accepted
    11  chloe   s1 "Le musée attire les touristes."    heritage/museum          rules    proposed
    12  chloe   s1 (same span)                         heritage/tourism         rules    proposed
    13  chloe   s2 "Mon oncle était mineur."           identity/mining_memory   rules    proposed
    14  daniel  s1 "Le musée ouvre en 2012."           heritage/museum          camille  accepted
    15  alice   s1 (same span as 1)                    old (retired)            camille  accepted
    16  alice   "touristes" (a word inside s2)         heritage/tourism         camille  accepted

Default count (not rejected, all coders, retired codes out): codings 1-4, 6-8, 10-14, 16
(13 codings); 6 of them are proposals (1, 3, 8, 11, 12, 13).
"""

from __future__ import annotations

import json

import pytest
from helpers import assert_offsets_sacred, db_rows
from helpers.reports import build

from qualcode.project import Project


@pytest.fixture(scope="module")
def fx(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("reports")
    return build(tmp / "proj", tmp)


def report(cli, *args):
    res = cli("report", *args, "--json")
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def rows_by_code(table):
    return {r["code"]: r for r in table["rows"]}


# --------------------------------------------------------------------------- freq


def test_freq_by_group_counts_by_hand(fx):
    data = report(fx, "freq", "--by", "group")
    (table,) = data["tables"]
    rows = rows_by_code(table)
    assert [r["code"] for r in table["rows"]] == [
        "identity", "identity/mining_memory", "identity/pride", "heritage", "heritage/museum",
        "heritage/tourism", "future", "future/jobs", "(all codes)"]  # tree order; retired 'old' left out
    assert table["meta"]["depth"] == [0, 1, 1, 0, 1, 1, 0, 1, 0]
    assert table["meta"]["groups"] == ["local_actor", "resident", "(no case)"]
    assert table["meta"]["group_sizes"] == {"local_actor": 2, "resident": 2, "(no case)": 0}

    def check(code, la, re_, nocase, total):
        r = rows[code]
        assert (r["local_actor units"], r["local_actor participants"], r["local_actor %"]) == la, code
        assert (r["resident units"], r["resident participants"], r["resident %"]) == re_, code
        assert (r["(no case) units"], r["(no case) participants"], r["(no case) %"]) == (nocase, None, None), code
        assert (r["total units"], r["total participants"], r["total %"]) == total, code

    # identity rolls up: alice s3 (#3 mining_memory and #4 pride: one unit), bruno s1 (#6 and
    # #7 on the parent itself: one unit), chloe s2 (#13) -> 3 units; #5 is rejected.
    # local_actor: alice s3 -> 1 unit, case A -> 1 of 2 = 50.0 %
    # resident: bruno s1, chloe s2 -> 2 units, B and C -> 2 of 2 = 100.0 %
    check("identity", (1, 1, 50.0), (2, 2, 100.0), 0, (3, 3, 75.0))
    check("identity/mining_memory", (1, 1, 50.0), (2, 2, 100.0), 0, (3, 3, 75.0))
    check("identity/pride", (1, 1, 50.0), (0, 0, 0.0), 0, (1, 1, 25.0))
    # heritage: alice s1, alice s2, alice "touristes" (#16, another span), bruno s2,
    # chloe s1 (museum #11 and tourism #12: one unit), daniel s1 -> 6 units;
    # participants A, B, C (daniel has no case) -> 3 of 4 = 75.0 %
    check("heritage", (3, 1, 50.0), (2, 2, 100.0), 1, (6, 3, 75.0))
    check("heritage/museum", (1, 1, 50.0), (2, 2, 100.0), 1, (4, 3, 75.0))
    # tourism: alice s2, alice "touristes", chloe s1 -> 3 units; A and C
    check("heritage/tourism", (2, 1, 50.0), (1, 1, 50.0), 0, (3, 2, 50.0))
    # future/jobs: only bruno s4 (#10); #9 is rejected
    check("future", (0, 0, 0.0), (1, 1, 50.0), 0, (1, 1, 25.0))
    check("future/jobs", (0, 0, 0.0), (1, 1, 50.0), 0, (1, 1, 25.0))
    # any code: identity 3 + heritage 6 + future 1 (no unit shared between them) = 10
    check("(all codes)", (4, 1, 50.0), (5, 2, 100.0), 1, (10, 3, 75.0))

    notes = " ".join(table["notes"])
    assert "Counted: 13 codings with status proposed and accepted (rejected left out)" in notes
    assert "all coders (camille, rules)" in notes
    assert "1 coding of a retired code left out" in notes
    assert "Unreviewed: 6 of the counted codings are proposals" in notes
    assert "local_actor n=2, resident n=2" in notes
    prov = data["provenance"]
    assert prov["command"] == "qualcode report freq --by group"
    assert prov["codebook"].startswith("Fixture codebook (version ")
    assert prov["project"] == "Fixture" and prov["coders"] == "all"


def test_freq_without_groups_and_top_level(fx):
    (table,) = report(fx, "freq", "--level", "top")["tables"]
    assert [r["code"] for r in table["rows"]] == ["identity", "heritage", "future", "(all codes)"]
    assert list(table["rows"][0]) == ["code", "label", "total units", "total participants", "total %"]
    rows = rows_by_code(table)
    # top-level codes still roll up their sub-codes (same numbers as above)
    assert (rows["identity"]["total units"], rows["identity"]["total participants"]) == (3, 3)
    assert (rows["heritage"]["total units"], rows["heritage"]["total %"]) == (6, 75.0)


def test_freq_status_filter(fx):
    (table,) = report(fx, "freq", "--by", "group", "--status", "accepted")["tables"]
    rows = rows_by_code(table)
    # accepted only: #2, #4, #6, #7, #10, #14, #16
    # identity: alice s3 (#4), bruno s1 (#6, #7) -> 2 units, A and B -> 2 of 4 = 50.0 %
    assert (rows["identity"]["total units"], rows["identity"]["total participants"],
            rows["identity"]["total %"]) == (2, 2, 50.0)
    assert rows["identity"]["resident units"] == 1 and rows["identity"]["resident %"] == 50.0
    # heritage: alice s2 (#2), alice "touristes" (#16), daniel s1 (#14) -> 3 units; only A
    assert (rows["heritage"]["total units"], rows["heritage"]["total participants"]) == (3, 1)
    assert rows["heritage"]["(no case) units"] == 1
    # museum: only daniel s1 -> 1 unit and no participant
    assert (rows["heritage/museum"]["total units"], rows["heritage/museum"]["total participants"],
            rows["heritage/museum"]["total %"]) == (1, 0, 0.0)
    notes = " ".join(table["notes"])
    assert "Counted: 7 codings with status accepted (proposed and rejected left out)" in notes
    assert "Unreviewed: 6 proposals not reviewed yet are not counted" in notes

    (table,) = report(fx, "freq", "--status", "rejected")["tables"]
    rows = rows_by_code(table)
    # rejected: #5 (alice s4 mining_memory), #9 (bruno s3 jobs)
    assert rows["identity/mining_memory"]["total units"] == 1 and rows["future/jobs"]["total units"] == 1
    assert rows["heritage"]["total units"] == 0


def test_freq_coder_filter(fx):
    (table,) = report(fx, "freq", "--coder", "camille")["tables"]
    rows = rows_by_code(table)
    # camille: #4 (pride alice s3), #7 (identity bruno s1), #10 (jobs bruno s4),
    # #14 (museum daniel s1), #16 (tourism alice "touristes"); #15 is on the retired code
    assert rows["identity"]["total units"] == 2 and rows["identity/mining_memory"]["total units"] == 0
    assert (rows["heritage"]["total units"], rows["heritage"]["total participants"]) == (2, 1)
    assert rows["future"]["total units"] == 1
    notes = " ".join(table["notes"])
    assert "by coder camille" in notes and "Unreviewed: 0 of the counted" in notes
    # a comma list is the same as repeating the option, and as all coders here
    both = report(fx, "freq", "--coder", "rules,camille")["tables"][0]["rows"]
    repeated = report(fx, "freq", "--coder", "rules", "--coder", "camille")["tables"][0]["rows"]
    everyone = report(fx, "freq")["tables"][0]["rows"]
    assert both == repeated == everyone


def test_freq_terminal_output(fx):
    res = fx("report", "freq", "--by", "group")
    assert res.exit_code == 0, res.output
    out = res.stdout
    assert "local_actor (n=2)" in out and "resident (n=2)" in out and "total (n=4)" in out
    line = next(ln for ln in out.splitlines() if ln.strip().startswith("Heritage"))
    assert "3 / 1 (50%)" in line and "2 / 2 (100%)" in line and "6 / 3 (75%)" in line
    assert "\n  Museum" in out  # sub-codes indented
    assert "Unreviewed: 6" in out


def test_freq_errors(fx):
    res = fx("report", "freq", "--by", "commune")
    assert res.exit_code == 1 and "no case has an attribute 'commune' (attributes: group)" in res.stderr
    res = fx("report", "freq", "--status", "pending")
    assert res.exit_code == 2 and "unknown status 'pending'" in res.stderr
    res = fx("report", "freq", "--level", "leaves")
    assert res.exit_code == 2 and "unknown level" in res.stderr
    res = fx("report", "freq", "--coder", "nobody")
    assert res.exit_code == 1 and "no codings by coder 'nobody'" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_frequencies_library_api(fx):
    """The Python API that `qualcode demo` uses."""
    from qualcode.analysis.freq import frequencies

    with Project.open(fx.cwd) as proj:
        ft = frequencies(proj, "group", order=["heritage", "identity"])
    assert [r.path for r in ft.rows][:2] == ["heritage", "heritage/museum"]  # order given first
    assert ft.rows[-1].path == "(all codes)"
    heritage = ft.rows[0]
    assert heritage.units == {"local_actor": 3, "resident": 2, "(no case)": 1}
    assert heritage.participants["resident"] == 2 and heritage.total_units == 6
    assert ft.unreviewed == 6 and ft.group_sizes["local_actor"] == 2


# --------------------------------------------------------------------------- co-occurrence


def matrix(table):
    return {r["code"]: r for r in table["rows"]}


def test_sentences_are_as_the_hand_counts_assume(fx):
    from qualcode.annotations import load_annotations
    from qualcode.lookup import select_documents
    from qualcode.nlp import load_pipeline

    with Project.open(fx.cwd) as proj:
        docs = select_documents(proj, ["chloe", "alice"], order="given")
        anns, _, _ = load_annotations(proj, docs, load_pipeline("fr"), write=False)
        sents = [d.text[a:b] for d in docs for _, a, b in anns[d.id].sentences()]
    assert sents == ["Bonjour.", "Le musée attire les touristes.", "Mon oncle était mineur.", "Merci.", "Voilà.",
                     "Parlez-moi du musée.", "Le musée a changé la ville.", "Les touristes viennent.",
                     "Et la mine ?", "Mon père était mineur.", "La fosse a fermé."]


def test_cooccurrence_sentence(fx):
    (table,) = report(fx, "cooccurrence", "--unit", "sentence")["tables"]
    m = matrix(table)
    # sentences per code: mining_memory {alice s3, bruno s1, chloe s2}; pride {alice s3};
    # museum {alice s1, bruno s2, chloe s1, daniel s1}; tourism {alice s2 (#2 and #16), chloe s1}
    assert m["identity/mining_memory"]["identity/pride"] == 1
    assert m["heritage/museum"]["heritage/tourism"] == m["heritage/tourism"]["heritage/museum"] == 1
    assert m["identity"]["heritage"] == 0
    assert m["identity"]["identity"] == 3 and m["heritage"]["heritage"] == 5
    assert m["heritage/tourism"]["heritage/tourism"] == 2
    assert m["identity/mining_memory"]["identity/mining_memory"] == 3  # the rejected #5 (alice s4) is left out
    # a code and its own sub-code are not compared
    assert m["identity"]["identity/pride"] is None and m["heritage/museum"]["heritage"] is None


def test_cooccurrence_turn_and_jaccard(fx):
    (table,) = report(fx, "cooccurrence", "--unit", "turn")["tables"]
    m = matrix(table)
    # participant turns per code: identity {alice T4, bruno T2, chloe T2};
    # heritage {alice T2, bruno T2, chloe T2, daniel T2}; museum the same; tourism {alice T2, chloe T2};
    # future {bruno T4}
    assert m["identity"]["heritage"] == 2  # bruno T2, chloe T2
    assert m["identity/mining_memory"]["heritage/museum"] == 2
    assert m["identity/mining_memory"]["heritage/tourism"] == 1  # chloe T2
    assert m["heritage/museum"]["heritage/tourism"] == 2
    assert m["identity/pride"]["heritage/museum"] == 0 and m["future"]["identity"] == 0
    assert m["heritage"]["heritage"] == 4
    (table,) = report(fx, "cooccurrence", "--unit", "turn", "--jaccard")["tables"]
    m = matrix(table)
    # identity ∩ heritage = 2 turns, ∪ = {alice T4, bruno T2, chloe T2, alice T2, daniel T2} = 5
    assert m["identity"]["heritage"] == 0.4
    assert m["heritage/museum"]["heritage/tourism"] == 0.5  # 2 / 4
    assert m["identity"]["identity"] == 1.0


def test_cooccurrence_doc_and_by_group(fx):
    (table,) = report(fx, "cooccurrence", "--unit", "doc", "--level", "top")["tables"]
    m = matrix(table)
    # identity {alice, bruno, chloe}; heritage {alice, bruno, chloe, daniel}; future {bruno}
    assert [r["code"] for r in table["rows"]] == ["identity", "heritage", "future"]
    assert (m["identity"]["heritage"], m["identity"]["future"], m["heritage"]["future"]) == (3, 1, 1)
    tables = report(fx, "cooccurrence", "--unit", "turn", "--by", "group", "--level", "top")["tables"]
    assert [t["meta"]["group"] for t in tables] == ["local_actor", "resident", "(no case)"]
    la, res, nocase = (matrix(t) for t in tables)
    assert la["identity"]["heritage"] == 0  # alice: identity in T4, heritage in T2
    assert res["identity"]["heritage"] == 2  # bruno T2, chloe T2
    assert (nocase["heritage"]["heritage"], nocase["identity"]["identity"]) == (1, 0)  # daniel T2
    assert tables[1]["title"] == "Code co-occurrence (turn units): group = resident"


def test_cooccurrence_bad_unit(fx):
    res = fx("report", "cooccurrence", "--unit", "paragraph")
    assert res.exit_code == 2 and "unknown unit 'paragraph'" in res.stderr


# --------------------------------------------------------------------------- matrix


def test_matrix_docs_counts_and_presence(fx):
    (table,) = report(fx, "matrix", "--rows", "codes", "--cols", "docs")["tables"]
    assert table["columns"] == ["code", "label", "alice", "bruno", "chloe", "daniel", "total"]
    m = matrix(table)
    # heritage: alice s1, s2, "touristes" = 3; bruno s2; chloe s1; daniel s1 -> total 6
    assert [m["heritage"][c] for c in ("alice", "bruno", "chloe", "daniel", "total")] == [3, 1, 1, 1, 6]
    assert [m["heritage/tourism"][c] for c in ("alice", "bruno", "chloe", "daniel", "total")] == [2, 0, 1, 0, 3]
    assert [m["identity"][c] for c in ("alice", "bruno", "chloe", "daniel", "total")] == [1, 1, 1, 0, 3]
    (table,) = report(fx, "matrix", "--cols", "docs", "--presence")["tables"]
    m = matrix(table)
    assert [m["heritage/tourism"][c] for c in ("alice", "bruno", "chloe", "daniel", "total")] == [1, 0, 1, 0, 2]
    assert [m["future"][c] for c in ("alice", "bruno", "chloe", "daniel", "total")] == [0, 1, 0, 0, 1]


def test_matrix_cases_and_attribute(fx):
    (table,) = report(fx, "matrix", "--cols", "cases")["tables"]
    assert table["columns"] == ["code", "label", "A", "B", "C", "E", "(no case)", "total"]
    m = matrix(table)
    assert [m["heritage"][c] for c in ("A", "B", "C", "E", "(no case)", "total")] == [3, 1, 1, 0, 1, 6]
    (table,) = report(fx, "matrix", "--cols", "group", "--level", "top")["tables"]
    assert table["columns"] == ["code", "label", "local_actor", "resident", "(no case)", "total"]
    m = matrix(table)
    # the same units as in the frequency report
    assert [m["heritage"][c] for c in ("local_actor", "resident", "(no case)", "total")] == [3, 2, 1, 6]
    assert [m["identity"][c] for c in ("local_actor", "resident", "(no case)", "total")] == [1, 2, 0, 3]
    res = fx("report", "matrix", "--rows", "docs")
    assert res.exit_code == 2 and "only 'codes'" in res.stderr


# --------------------------------------------------------------------------- words


def words_table(tables, group=None):
    t = next(t for t in tables if t["meta"]["group"] == group)
    return t, {r["lemma"]: r for r in t["rows"]}


def test_words_without_groups(fx):
    tables = report(fx, "words", "--top", "50")["tables"]
    t, w = words_table(tables)
    # words (non-punctuation tokens) in participant turns, text in [brackets] left out:
    # alice 9 + 8, bruno 13 + 13 ("[rires]" left out), chloe 9 + 1, daniel 10 + 1 = 64
    assert t["meta"]["words"] == 64
    # musée in alice, bruno, chloe, daniel participant turns (the interviewer's "musée" is not counted)
    assert (w["musée"]["count"], w["musée"]["documents"], w["musée"]["per 1000 words"]) == (4, 4, 62.5)
    assert t["rows"][0]["lemma"] == "musée" and t["rows"][0]["rank"] == 1
    assert (w["fosse"]["count"], w["fosse"]["per 1000 words"]) == (3, round(3000 / 64, 2))
    assert w["touriste"]["count"] == 2 and w["mineur"]["count"] == 2  # lemmas: touristes -> touriste
    # stop words, hesitations, numbers and bracketed text are not counted
    for gone in ("le", "être", "avoir", "voilà", "euh", "ben", "2012", "9", "rire", "ce", "ne"):
        assert gone not in w, gone
    assert "mine" not in w  # only in an interviewer turn


def test_words_by_group_top_and_interviewer(fx):
    tables = report(fx, "words", "--by", "group", "--top", "3")["tables"]
    assert [t["meta"]["group"] for t in tables] == ["local_actor", "resident", "(no case)"]
    t, w = words_table(tables, "local_actor")
    # alice: 17 words; nine lemmas once each, ties in alphabetical order
    assert t["meta"]["words"] == 17
    assert [r["lemma"] for r in t["rows"]] == ["changer", "fermer", "fosse"]
    assert w["changer"]["per 1000 words"] == round(1000 / 17, 2)
    t, w = words_table(tables, "resident")
    # bruno 26 + chloe 10 = 36 words; musée twice (bruno, chloe)
    assert t["meta"]["words"] == 36
    assert t["rows"][0]["lemma"] == "musée" and (w["musée"]["count"], w["musée"]["documents"]) == (2, 2)
    assert w["musée"]["per 1000 words"] == round(2000 / 36, 2)
    t, w = words_table(report(fx, "words", "--include-interviewer", "--top", "50")["tables"])
    # + interviewer turns: alice 4 + 3 ("Parlez", "-moi", "du", "musée"; "Et", "la", "mine"),
    # bruno 2 + 1, chloe 1 + 1, daniel 2 + 1 -> 64 + 15 = 79
    assert t["meta"]["words"] == 79 and w["musée"]["count"] == 5 and w["mine"]["count"] == 1
    t, w = words_table(report(fx, "words", "--exclude", "musée,fosse", "--top", "50")["tables"])
    assert "musée" not in w and "fosse" not in w and w["touriste"]["count"] == 2
    res = fx("report", "words", "--top", "0")
    assert res.exit_code == 2


def test_words_terminal(fx):
    res = fx("report", "words", "--by", "group", "--top", "2")
    assert res.exit_code == 0, res.output
    assert "Most frequent lemmas (top 2): group = resident" in res.stdout
    assert "musée" in res.stdout


def test_reports_write_nothing_to_the_project(fx):
    before = db_rows(fx.cwd, "SELECT * FROM codings"), db_rows(fx.cwd, "SELECT * FROM history")
    for args in (["freq", "--by", "group"], ["cooccurrence", "--unit", "sentence"], ["matrix"], ["words"]):
        assert fx("report", *args).exit_code == 0
    assert (db_rows(fx.cwd, "SELECT * FROM codings"), db_rows(fx.cwd, "SELECT * FROM history")) == before
    assert_offsets_sacred(fx.cwd)


def test_code_order_kept_by_autocode_is_the_parsed_order(fx, monkeypatch):
    """autocode keeps the applied codebook's code paths (in codebook order) in the project,
    under the hash of the recorded text; reports read them instead of parsing the YAML
    again, and parse it when they are not there (a codebook recorded by another command or
    an older qualcode) or belong to another text."""
    from qualcode.analysis.freq import codebook_order
    from qualcode.codebook import parse_codebook_text
    from qualcode.codebook.load import code_order_key

    with Project.open(fx.cwd) as project:
        last = project.store.versions.last()
        assert last is not None
        parsed = [c.path for c in parse_codebook_text(last.content).walk()]
        kept = project.store.meta.get(code_order_key(last.content))
        assert kept is not None and json.loads(kept) == parsed
        assert codebook_order(project) == parsed and len(parsed) > 3
        assert code_order_key(last.content + "\n# edited\n") != code_order_key(last.content)
    # without the kept order (as in a project coded by an older qualcode): parsed, same result
    with Project.open(fx.cwd) as project, project.store.transaction():
        project.store.meta.set(code_order_key(last.content), json.dumps(list(reversed(parsed))))
        assert codebook_order(project) == list(reversed(parsed))  # what is kept is what is read
        project.store.meta.set(code_order_key(last.content), json.dumps(parsed))
    from qualcode.analysis import freq

    monkeypatch.setattr(freq, "code_order_key", lambda text: "no such key")
    with Project.open(fx.cwd) as project:
        assert codebook_order(project) == parsed
