"""A document's life after import, through the CLI: a corrected transcript replaces a
coded document and keeps its codings (re-anchored, reported, orphans kept aside), docs
rename/remove, speakers --rename/--merge, the near-duplicate warning."""

from __future__ import annotations

import json
import random
import sqlite3
import tempfile
from pathlib import Path

import pytest
from helpers import INTERVIEW, Coding, add_codings, assert_offsets_sacred, db_rows, snapshot, write
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from qualcode.backups import list_backups
from qualcode.ingest import import_paths
from qualcode.project import Project

TABLES = ("documents", "turns", "speakers", "codings", "memos", "review_log", "review_queue", "orphaned_codings",
          "history", "annotations", "case_documents")


def add_codes(project, *paths: str) -> None:
    conn = sqlite3.connect(project.root / ".qualcode" / "project.db")
    with conn:
        for path in paths:
            conn.execute("INSERT INTO codes (path, label, created_at, updated_at) VALUES (?, ?, '', '')",
                         (path, path))
    conn.close()


def coding_id(project, text: str) -> int:
    return db_rows(project, "SELECT id FROM codings WHERE text = ?", (text,))[0][0]


@pytest.fixture
def coded(project, cli, tmp_path):
    """The test interview, imported and coded: four codings, two memos, one decision."""
    f = write(tmp_path / "src" / "e01.txt", INTERVIEW)
    assert cli("import", f).exit_code == 0
    add_codes(project, "heritage", "identity", "pride")
    add_codings(project, [
        Coding("e01", "le musée, ça a changé l'image du bassin minier", "heritage", memo="le musée comme tournant"),
        Coding("e01", "classement Unesco", "heritage"),
        Coding("e01", "Mon père descendait à la fosse.", "identity"),
        Coding("e01", "C'est une fierté.", "pride", coder="rules", status="rejected"),
    ])
    store = project.store
    with store.transaction():
        store.memos.add(target_type="coding", target_id=coding_id(project, "Mon père descendait à la fosse."),
                        text="souvenir du père", author="camille")
        store.memos.add(target_type="coding", target_id=coding_id(project, "le musée, ça a changé l'image du"
                                                                           " bassin minier"),
                        text="à comparer avec E04", author="camille")
        store.review.log(coding_id=coding_id(project, "C'est une fierté."), action="reject", from_status="proposed",
                         to_status="rejected", from_code="pride", to_code=None, user="camille")
    return f


CORRECTED = (INTERVIEW.replace("Entretien fictif – test\n", "Entretien fictif – test (transcription relue)\n")
             .replace("classement Unesco", "classement UNESCO")
             .replace(" Mon père descendait à la fosse.", ""))


def test_replace_keeps_codings_and_reports_each(coded, project, cli):
    doc_before = project.store.documents.by_name("e01")
    ids = {t: coding_id(project, t) for t in ("classement Unesco", "Mon père descendait à la fosse.",
                                              "C'est une fierté.")}
    write(coded, CORRECTED)
    res = cli("import", coded, "--replace")
    assert res.exit_code == 0, res.output
    assert "codings: 0 kept, 2 moved, 1 text changed (flagged), 1 could not be placed" in res.stdout
    assert f"changed  coding {ids['classement Unesco']} heritage (camille, accepted, now proposed)" in res.stdout
    assert f"orphaned coding {ids['Mon père descendait à la fosse.']} identity" in res.stdout
    assert "qualcode docs orphans e01" in res.stdout and "backup taken first" in res.stdout
    assert assert_offsets_sacred(project) == 3
    doc = project.store.documents.by_name("e01")
    assert (doc.id, doc.version, doc.text) == (doc_before.id, 2, project.store.documents.text(doc.id))
    assert "UNESCO" in doc.text
    rows = {r[0]: r[1:] for r in db_rows(project, 'SELECT id, text, status, start FROM codings')}
    assert rows[ids["classement Unesco"]][:2] == ("classement UNESCO", "proposed")  # flagged for review
    assert rows[ids["C'est une fierté."]][:2] == ("C'est une fierté.", "rejected")  # the decision follows
    assert ids["Mon père descendait à la fosse."] not in rows
    # memos: the moved coding keeps its own; the orphan's went aside with it
    memos = db_rows(project, "SELECT target_id, text FROM memos WHERE target_type = 'coding'")
    assert [m[1] for m in memos] == ["à comparer avec E04"]
    assert db_rows(project, "SELECT coding_id FROM review_log") == [(ids["C'est une fierté."],)]
    orphans = json.loads(cli("docs", "orphans", "--json").stdout)
    assert len(orphans) == 1
    o = orphans[0]
    assert (o["document"], o["document_version"], o["coding_id"], o["code"], o["text"], o["status"]) == (
        "e01", 1, ids["Mon père descendait à la fosse."], "identity", "Mon père descendait à la fosse.", "accepted")
    assert INTERVIEW[o["start"]:o["end"]] == o["text"] and o["context_before"].endswith("[rires] ")
    assert [m["text"] for m in o["memos"]] == ["souvenir du père"]
    assert "Mon père descendait" in cli("docs", "orphans").stdout
    # turns rebuilt on the new text, speakers kept, history and backup recorded
    shown = json.loads(cli("show", "e01", "--json").stdout)
    assert all(doc.text[t["start"]:t["end"]] == t["text"] for t in shown["turns"])
    assert shown["turns"][-1]["text"] == "C'est une fierté. [rires]"
    entry = json.loads(cli("history", "--json").stdout)[-1]
    placed = entry["details"]["files"][0]
    assert placed["codings"] == {"kept": 0, "moved": 2, "changed": 1, "orphaned": 1}
    assert {p["placement"] for p in placed["placements"]} == {"moved", "changed", "orphaned"}
    assert [b.reason for b in list_backups(project)] == ["import --replace"]


def test_replace_keeps_the_roles_set_by_hand(coded, project, cli):
    assert cli("speakers", "e01", "--set", "Mme Dufour=other").exit_code == 0
    write(coded, CORRECTED)
    assert cli("import", coded, "--replace").exit_code == 0
    speakers = json.loads(cli("speakers", "e01", "--json").stdout)["speakers"]
    assert {s["label"]: s["role"] for s in speakers} == {"Enquêtrice": "interviewer", "Mme Dufour": "other"}


def test_dry_run_reports_and_changes_nothing(coded, project, cli):
    write(coded, CORRECTED)
    before = snapshot(project, TABLES)
    res = cli("import", coded, "--replace", "--dry-run", "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["dry_run"] is True and out["backup"] is None
    (f,) = out["files"]
    assert f["status"] == "replaced" and f["codings"] == {"kept": 0, "moved": 2, "changed": 1, "orphaned": 1}
    changed = next(p for p in f["placements"] if p["placement"] == "changed")
    assert (changed["old_text"], changed["new_text"], changed["new_status"]) == (
        "classement Unesco", "classement UNESCO", "proposed")
    assert snapshot(project, TABLES) == before
    assert list_backups(project) == []
    text = cli("import", coded, "--replace", "--dry-run").stdout
    assert "would be replaced" in text and "dry run, nothing changed" in text
    assert snapshot(project, TABLES) == before


def test_a_failure_mid_replace_leaves_the_project_unchanged(coded, project, cli, monkeypatch):
    write(coded, CORRECTED)
    before = snapshot(project, TABLES)
    calls = []

    def interrupted(self, *a, **kw):  # after the text, turns and orphans were written
        calls.append(1)
        raise KeyboardInterrupt

    monkeypatch.setattr("qualcode.store.codings.Codings.relocate", interrupted)
    res = cli("import", coded, "--replace")
    assert res.exit_code == 130 and calls == [1]
    assert snapshot(project, TABLES) == before
    assert_offsets_sacred(project)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10**6), n_codings=st.integers(1, 12), n_edits=st.integers(1, 15))
@example(seed=6761, n_codings=9, n_edits=1)  # a changed coding that kept its offsets kept its old text
def test_offsets_hold_and_nothing_is_lost_after_any_replace(seed, n_codings, n_edits):
    """Any codings, any edits (inside spans or not, whole turns deleted): after the
    replace every coding's text is the document's text at its offsets, and every coding
    is still a coding or an orphan."""
    rnd = random.Random(seed)
    words = ["mineur", "fosse", "coron", "fierté", "Unesco", "musée", "euh", "ben", "l'avenir", "terril", "à"]
    turns = [f"{rnd.choice(['Enquêtrice', 'Mme Dufour'])} : "
             + " ".join(rnd.choice(words) for _ in range(rnd.randint(3, 25))) + "." for _ in range(rnd.randint(2, 9))]
    text = "\n".join(turns) + "\n"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        project = Project.init(root / "p")
        try:
            f = write(root / "doc.txt", text)
            assert import_paths(project, [str(f)]).skipped == 0
            store = project.store
            doc = store.documents.by_name("doc")
            add_codes(project, "memory", "place")
            codes = [r[0] for r in db_rows(project, "SELECT id FROM codes")]
            with store.transaction():
                for i in range(n_codings):
                    a = rnd.randrange(len(doc.text) - 1)
                    b = rnd.randint(a + 1, min(len(doc.text), a + 60))
                    if not store.codings.exists(document_ids=[doc.id], code_ids=[codes[i % 2]], span=(a, b)):
                        store.codings.add(document_id=doc.id, code_id=codes[i % 2], start=a, end=b, coder="me",
                                          origin="manual", status="accepted")
            n = store.codings.count()
            new = text
            for _ in range(n_edits):
                pos = rnd.randrange(len(new))
                kind = rnd.choice(["insert", "delete", "substitute", "delete_line"])
                if kind == "insert":
                    new = new[:pos] + rnd.choice(["X", " euh", "é", "\n"]) + new[pos:]
                elif kind == "delete":
                    new = new[:pos] + new[pos + rnd.randint(1, 8):]
                elif kind == "substitute":
                    new = new[:pos] + rnd.choice("xyzé ") + new[pos + 1:]
                else:
                    lines = new.split("\n")
                    if len(lines) > 2:
                        del lines[rnd.randrange(len(lines) - 1)]
                    new = "\n".join(lines)
            if not new.strip():
                return
            write(f, new)
            report = import_paths(project, [str(f)], replace=True)
            if report.skipped:
                return  # an edit made the file unreadable as a transcript: nothing changed
            (r,) = report.results
            assert r.codings is not None and sum(r.codings.values()) == n
            assert store.codings.count() + len(store.orphans.select()) == n
            assert_offsets_sacred(project, allow_empty=True)
        finally:
            project.close()


# --------------------------------------------------------------------------- docs rename / remove


def test_docs_rename(coded, project, cli):
    write(coded.parent / "autre.txt", INTERVIEW.replace("Dufour", "Caron"))
    assert cli("import", coded.parent / "autre.txt").exit_code == 0
    res = cli("docs", "rename", "e01", "E01-Dufour")
    assert res.exit_code == 0, res.output
    assert "renamed e01 to E01-Dufour" in res.stdout
    assert db_rows(project, "SELECT DISTINCT d.name FROM codings k JOIN documents d ON d.id = k.document_id") == [
        ("E01-Dufour",)]
    assert "E01-Dufour" in [d["name"] for d in json.loads(cli("docs", "--json").stdout)]
    before = snapshot(project, TABLES)
    refused = cli("docs", "rename", "E01-Dufour", "autre")
    assert refused.exit_code == 1 and "a document named 'autre' is already in the project" in refused.stderr
    missing = cli("docs", "rename", "e01", "x")
    assert missing.exit_code == 1 and "no document named 'e01'" in missing.stderr
    assert snapshot(project, TABLES) == before
    assert json.loads(cli("history", "--json").stdout)[-1]["summary"] == "renamed document e01 to E01-Dufour"


def test_docs_remove_asks_then_removes_everything_after_a_backup(coded, project, cli, monkeypatch):
    write(coded.parent / "autre.txt", INTERVIEW.replace("Dufour", "Caron"))
    assert cli("import", coded.parent / "autre.txt").exit_code == 0
    other = project.store.documents.by_name("autre")
    with project.store.transaction():
        project.store.memos.add(target_type="document", target_id=project.store.documents.by_name("e01").id,
                                text="entretien long", author="camille")
    before = snapshot(project, TABLES)
    res = cli("docs", "remove", "e01")  # not a terminal: --yes is required
    assert res.exit_code == 2 and "--yes" in res.stderr
    assert snapshot(project, TABLES) == before
    monkeypatch.setattr("qualcode.cli.documents._on_terminal", lambda: True)
    res = cli("docs", "remove", "e01", input="n\n")
    assert res.exit_code == 1 and "nothing removed" in res.stdout
    assert snapshot(project, TABLES) == before and list_backups(project) == []
    res = cli("docs", "remove", "e01", input="y\n")
    assert res.exit_code == 0, res.output
    assert "4 codings, 3 memos, 1 review decisions" in res.stdout
    assert [d.name for d in project.store.documents.select()] == ["autre"]
    for table in ("codings", "memos", "review_log"):
        assert db_rows(project, f"SELECT COUNT(*) FROM {table}") == [(0,)], table
    assert db_rows(project, "SELECT DISTINCT document_id FROM turns") == [(other.id,)]
    (b,) = list_backups(project)
    assert b.reason == "before removing document e01" and b.id in res.stdout
    backup_db = sqlite3.connect(project.root / ".qualcode" / "backups" / f"{b.id}.db")
    assert backup_db.execute("SELECT COUNT(*) FROM codings").fetchone() == (4,)
    backup_db.close()
    assert json.loads(cli("history", "--json").stdout)[-1]["command"] == "docs remove"


def test_docs_remove_with_yes_in_a_script(coded, project, cli):
    res = cli("docs", "remove", "e01", "--yes", "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert (out["document"], out["codings"]) == ("e01", 4) and out["backup"]
    assert json.loads(cli("docs", "--json").stdout) == []


# --------------------------------------------------------------------------- speakers


TWO_LABELS = ("Enquêtrice : Bonjour.\nMme Dufour : Bonjour, je suis adjointe.\nEnquêtrice : Depuis quand ?\n"
              "Mme Dufourr : Depuis 2014.\nE2 : Et avant ?\nMme Dufour : J'étais enseignante.\n")


def test_speakers_rename_and_merge(cli, project, tmp_path):
    assert cli("import", write(tmp_path / "d.txt", TWO_LABELS)).exit_code == 0
    before = {s["label"]: s for s in json.loads(cli("speakers", "d", "--json").stdout)["speakers"]}
    assert before["Mme Dufourr"]["turns"] == 1 and before["Mme Dufour"]["turns"] == 2
    res = cli("speakers", "d", "--merge", "Mme Dufourr,Mme Dufour=Sylvie Dufour", "--rename", "E2=Enquêteur")
    assert res.exit_code == 0, res.output
    assert "renamed E2 to Enquêteur" in res.stdout
    assert "merged Mme Dufourr, Mme Dufour into Sylvie Dufour (participant, 2 turns moved)" in res.stdout
    speakers = {s["label"]: s for s in json.loads(cli("speakers", "d", "--json").stdout)["speakers"]}
    assert set(speakers) == {"Enquêtrice", "Sylvie Dufour", "Enquêteur"}
    assert speakers["Sylvie Dufour"]["turns"] == 3 and speakers["Sylvie Dufour"]["role"] == "participant"
    shown = json.loads(cli("show", "d", "--json").stdout)["turns"]
    assert [t["speaker"] for t in shown] == ["Enquêtrice", "Sylvie Dufour", "Enquêtrice", "Sylvie Dufour",
                                             "Enquêteur", "Sylvie Dufour"]
    hist = [e for e in json.loads(cli("history", "--json").stdout) if e["command"] == "speakers"]
    assert [e["details"]["changes"][0]["action"] for e in hist] == ["rename", "merge"]
    # into an existing speaker: its role wins, and the merged one's role is reported changed
    res = cli("speakers", "d", "--merge", "Enquêteur=Enquêtrice")
    assert res.exit_code == 0, res.output
    speakers = {s["label"]: s for s in json.loads(cli("speakers", "d", "--json").stdout)["speakers"]}
    assert speakers["Enquêtrice"]["turns"] == 3 and "Enquêteur" not in speakers


def test_speakers_refusals_change_nothing(cli, project, tmp_path):
    assert cli("import", write(tmp_path / "d.txt", TWO_LABELS)).exit_code == 0
    before = snapshot(project, TABLES)
    for args, message in [
        (["--rename", "Mme Dufourr=Mme Dufour"], "already has a speaker 'Mme Dufour': merge them"),
        (["--merge", "Enquêtrice,Mme Dufour=Quelqu'un"], "have different roles"),
        (["--rename", "Personne=X"], "has no speaker 'Personne'"),
        (["--rename", "E2=Z", "--rename", "Personne=X"], "has no speaker 'Personne'"),  # all or nothing
    ]:
        res = cli("speakers", "d", *args)
        assert res.exit_code == 1 and message in res.stderr, (args, res.output)
        assert snapshot(project, TABLES) == before, args
    res = cli("speakers", "d", "--merge", "no equals sign")
    assert res.exit_code == 2 and "A,B=C" in res.stderr


# --------------------------------------------------------------------------- near-duplicates


def test_import_warns_about_identical_and_nearly_identical_texts(cli, project, tmp_path):
    long_text = INTERVIEW * 3
    assert cli("import", write(tmp_path / "a.txt", long_text)).exit_code == 0
    res = cli("import", write(tmp_path / "copie.txt", long_text))
    assert res.exit_code == 0
    assert "warning" in res.stderr and "identical to document 'a'" in res.stderr and " % " not in res.stderr
    near = long_text.replace("musée", "musee", 1).replace("fierté", "fierte", 1)
    res = cli("import", write(tmp_path / "v2.txt", near))
    assert res.exit_code == 0
    assert "% identical to document 'a'" in res.stderr and "% identical to document 'copie'" in res.stderr
    res = cli("import", write(tmp_path / "autre.txt", "E : Tout autre chose.\nM : Oui, rien à voir ici.\n"))
    assert res.exit_code == 0 and "warning" not in res.stderr
    # a replacement is not compared with itself
    write(tmp_path / "autre.txt", "E : Tout autre chose encore.\nM : Oui, rien à voir ici.\n")
    res = cli("import", tmp_path / "autre.txt", "--replace")
    assert res.exit_code == 0 and "warning" not in res.stderr


def test_near_duplicates_within_one_import_and_long_texts(cli, project, tmp_path):
    long_text = INTERVIEW * 150  # ~45,000 characters each: compared through the line diff
    write(tmp_path / "lot" / "a.txt", long_text)
    write(tmp_path / "lot" / "b.txt", long_text.replace("musée", "musee", 40))
    write(tmp_path / "lot" / "c.txt", long_text[: len(long_text) // 2])  # half of it: not a near-duplicate
    res = cli("import", tmp_path / "lot")
    assert res.exit_code == 0, res.output
    warnings = [line for line in res.stderr.splitlines() if line.startswith("warning")]
    assert len(warnings) == 1 and "b.txt" in warnings[0] and "identical to document 'a'" in warnings[0]
