"""Memos: `qualcode memo add/list/edit/delete` on a real project."""

from __future__ import annotations

import json
import sqlite3

import pytest
from helpers import build_project

from qualcode.memos import add_memo, list_memos
from qualcode.project import Project

CODEBOOK = """\
title: Test
language: fr
codes:
  - code: identity
    children:
      - code: mining_memory
        rules:
          - terms: [fosse, mineur]
  - code: heritage
"""

INTERVIEW = (
    "Enquêtrice : Parlez-moi de la fosse.\n"
    "M. Caron : Mon père était mineur. Il descendait à la fosse.\n"
    "Enquêtrice : Et après ?\n"
    "M. Caron : Le musée, c'est une fierté.\n"
)
PARTICIPANTS = "case;document;group\nP01;caron;resident\n"


@pytest.fixture
def proj(project, tmp_path):
    return build_project(project, tmp_path, codebook=CODEBOOK, documents={"caron": INTERVIEW},
                         participants=PARTICIPANTS)


def db(project, sql, params=()):
    conn = sqlite3.connect(project.root / ".qualcode" / "project.db")
    try:
        with conn:
            return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def ok(res):
    assert res.exit_code == 0, res.output
    return res


def fail(res, code=1):
    assert res.exit_code == code, res.output
    assert "Traceback" not in res.output
    return res.output


def add(cli, *args):
    return json.loads(ok(cli("memo", "add", "--json", *args)).stdout)


def coding_id(cli, *args):
    return json.loads(ok(cli("code", "caron", *args, "--json")).stdout)[0]["id"]


def test_add_on_every_target(proj, project):
    cid = coding_id(proj, "identity/mining_memory", "--sentence", "2.1")
    m_code = add(proj, "--code", "identity", "Identité : Hoggart")
    m_doc = add(proj, "--doc", "caron", "Entretien court")
    m_coding = add(proj, "--coding", str(cid), "Le père, figure centrale")
    m_case = add(proj, "--case", "P01", "Rencontré au café")
    m_proj = add(proj, "--project-memo", "Journal : 3 entretiens à faire")
    assert [(m["target_type"], m["target"]) for m in (m_code, m_doc, m_case, m_proj)] == [
        ("code", "identity"), ("document", "caron"), ("case", "P01"), ("project", "project")]
    assert m_coding["target_type"] == "coding" and m_coding["target_id"] == cid
    assert (m_coding["document"], m_coding["code"]) == ("caron", "identity/mining_memory")
    assert {m["author"] for m in (m_code, m_doc, m_coding, m_case, m_proj)} == {"tester"}
    rows = db(project, "SELECT target_type, target_id, text FROM memos ORDER BY id")
    code_id = db(project, "SELECT id FROM codes WHERE path = 'identity'")[0][0]
    doc_id = db(project, "SELECT id FROM documents WHERE name = 'caron'")[0][0]
    case_id = db(project, "SELECT id FROM cases WHERE name = 'P01'")[0][0]
    assert rows == [("code", code_id, "Identité : Hoggart"), ("document", doc_id, "Entretien court"),
                    ("coding", cid, "Le père, figure centrale"), ("case", case_id, "Rencontré au café"),
                    ("project", None, "Journal : 3 entretiens à faire")]
    hist = db(project, "SELECT command, details FROM history WHERE operation = 'memo' ORDER BY id")
    assert len(hist) == 5 and {h[0] for h in hist} == {"memo add"}
    assert json.loads(hist[2][1])["text"] == "Le père, figure centrale"


def test_code_memo_syncs_codebook(proj, project):
    # no autocode has run: the code exists only in the codebook
    assert db(project, "SELECT COUNT(*) FROM codes") == [(0,)]
    add(proj, "--code", "heritage", "à définir")
    assert db(project, "SELECT path FROM codes WHERE path = 'heritage'") == [("heritage",)]


def test_text_output_and_stdin(proj, project):
    out = ok(proj("memo", "add", "--doc", "caron", "Relire la fin")).output
    assert out.strip() == "memo 1 added on caron"
    ok(proj("memo", "add", "--doc", "caron", "-", input="Écrit\nsur deux lignes\n"))
    assert db(project, "SELECT text FROM memos WHERE id = 2") == [("Écrit\nsur deux lignes",)]
    out = ok(proj("memo", "list")).output
    assert "document caron" in out and "Relire la fin" in out and "2 memos" in out


@pytest.mark.parametrize("args, message, code", [
    (["texte"], "give exactly one target", 2),
    (["--doc", "caron", "--code", "identity", "texte"], "(got code, document)", 2),
    (["--doc", "caronn", "texte"], "no document named 'caronn' (did you mean 'caron'?)", 1),
    (["--code", "mining_memory", "texte"], "did you mean 'identity/mining_memory'?", 1),
    (["--coding", "999", "texte"], "no coding with id 999", 1),
    (["--case", "p01", "texte"], "no case named 'p01' (did you mean 'P01'?)", 1),
    (["--doc", "caron", "   "], "the memo text is empty", 2),
])
def test_add_errors(proj, project, args, message, code):
    assert message in fail(proj("memo", "add", *args), code)
    assert db(project, "SELECT COUNT(*) FROM memos") == [(0,)]
    assert db(project, "SELECT COUNT(*) FROM history WHERE operation = 'memo'") == [(0,)]


def test_list_filters(proj, project):
    c1 = coding_id(proj, "identity/mining_memory", "--sentence", "2.1")
    c2 = coding_id(proj, "heritage", "--turn", "4")
    m_id = add(proj, "--code", "identity", "on identity")["id"]
    m_mm = add(proj, "--code", "identity/mining_memory", "on mining_memory")["id"]
    m_h = add(proj, "--code", "heritage", "on heritage")["id"]
    m_doc = add(proj, "--doc", "caron", "on caron")["id"]
    m_c1 = add(proj, "--coding", str(c1), "on coding 1")["id"]
    m_c2 = add(proj, "--coding", str(c2), "on coding 2")["id"]
    m_case = add(proj, "--case", "P01", "on P01")["id"]
    m_p = add(proj, "--project-memo", "on project")["id"]

    def ids(*args):
        return [m["id"] for m in json.loads(ok(proj("memo", "list", "--json", *args)).stdout)]

    assert ids() == [m_id, m_mm, m_h, m_doc, m_c1, m_c2, m_case, m_p]
    assert ids("--code", "identity") == [m_id, m_mm, m_c1]  # sub-codes and their codings
    assert ids("--code", "identity/mining_memory") == [m_mm, m_c1]
    assert ids("--doc", "caron") == [m_doc, m_c1, m_c2]  # the document and its codings
    assert ids("--doc", "caron", "--code", "heritage") == [m_c2]
    assert ids("--coding", str(c2)) == [m_c2]
    assert ids("--case", "P01") == [m_case]
    assert ids("--project-memo") == [m_p]
    assert "unknown code 'identiti'" in fail(proj("memo", "list", "--code", "identiti"))
    assert "no document named 'x'" in fail(proj("memo", "list", "--doc", "x"))


def test_edit_and_delete_keep_history(proj, project):
    m = add(proj, "--doc", "caron", "première version")
    out = ok(proj("memo", "edit", str(m["id"]), "seconde version")).output
    assert out.strip() == f"memo {m['id']} edited on caron"
    assert db(project, "SELECT text FROM memos") == [("seconde version",)]
    ok(proj("memo", "delete", str(m["id"])))
    assert db(project, "SELECT COUNT(*) FROM memos") == [(0,)]
    hist = [(c, json.loads(d)) for c, d in
            db(project, "SELECT command, details FROM history WHERE operation = 'memo' ORDER BY id")]
    assert [c for c, _ in hist] == ["memo add", "memo edit", "memo delete"]
    assert hist[1][1]["old_text"] == "première version" and hist[1][1]["text"] == "seconde version"
    assert hist[2][1]["old_text"] == "seconde version" and hist[2][1]["target"] == "caron"
    assert "no memo with id" in fail(proj("memo", "edit", str(m["id"]), "x"))
    assert "no memo with id" in fail(proj("memo", "delete", str(m["id"])))
    assert "the memo text is empty" in fail(proj("memo", "edit", "1", ""), 2)


def test_memo_of_deleted_target_is_listed(proj, project):
    m = add(proj, "--doc", "caron", "orphan")
    db(project, "UPDATE memos SET target_id = 999 WHERE id = ?", (m["id"],))
    (listed,) = json.loads(ok(proj("memo", "list", "--json")).stdout)
    assert listed["target"] == "document 999 (deleted)"


def test_library(proj, project):
    p = Project.open(project.root)
    try:
        memo = add_memo(p, "depuis Python", document="caron")
        assert [m["text"] for m in list_memos(p, document="caron")] == ["depuis Python"]
        assert memo["target"] == "caron"
    finally:
        p.close()
