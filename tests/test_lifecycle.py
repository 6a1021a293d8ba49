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
                if not new:
                    break  # everything deleted
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
            if not new.strip() or new == text:  # (a substitution by the same character: nothing to replace)
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
    for bad in ("E01\nDufour", "E01\tDufour", "E01\u2028x"):  # would break every line that shows it
        res = cli("docs", "rename", "E01-Dufour", bad)
        assert res.exit_code == 2 and "holds a control character" in res.stderr, res.output
        res = cli("speakers", "E01-Dufour", "--rename", f"Mme Dufour={bad}")
        assert res.exit_code == 2 and "holds a control character" in res.stderr, res.output
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



INTERJECTED = ("Enquêtrice : Bonjour.\n"
               "Mme Dufour : Je suis adjointe [E2 : adjointe ?] oui, à la culture [Enquêtrice : d'accord].\n"
               "E2 : Et avant ?\nMme Dufour : J'étais enseignante [E2 : Hum hum.] au collège.\n")


@pytest.mark.parametrize("merge, into", [("E2=Enquêtrice", "Enquêtrice"), ("E2,Enquêtrice=Chercheuse", "Chercheuse")])
def test_speakers_merge_keeps_the_merged_speakers_interjections(cli, project, tmp_path, merge, into):
    """The interjections of a merged speaker ("[E2 : Hum hum.]") become the target's: not
    deleted with the speaker they belonged to, so autocode still leaves them out."""
    assert cli("import", write(tmp_path / "d.txt", INTERJECTED)).exit_code == 0
    before = json.loads(cli("show", "d", "--json").stdout)["interjections"]
    assert [x["speaker"] for x in before] == ["E2", "Enquêtrice", "E2"]
    res = cli("speakers", "d", "--merge", merge)
    assert res.exit_code == 0, res.output
    after = json.loads(cli("show", "d", "--json").stdout)["interjections"]
    assert [(x["start"], x["end"]) for x in after] == [(x["start"], x["end"]) for x in before]
    assert [(x["speaker"], x["role"]) for x in after] == [(into, "interviewer")] * 3
    text = db_rows(project, "SELECT text FROM documents WHERE name = 'd'")[0][0]
    assert [text[x["start"]:x["end"]] for x in after] == ["[E2 : adjointe ?]", "[Enquêtrice : d'accord]",
                                                          "[E2 : Hum hum.]"]

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


# --------------------------------------------------------------------------- the same file read again

HOUSE = "<I> Bonjour, vous êtes d'ici ?\n<P> Oui, depuis toujours. Mon père était mineur.\n<I> Et la fosse ?\n" \
        "<P> Fermée en 1990.\n"
PATTERN = "<(?P<label>[A-Z]+)>"


def test_replace_reads_an_unchanged_file_again_with_the_options_given(project, cli, tmp_path):
    """'no speaker labels recognised; see --label-pattern': the user imports the same file
    again with the pattern. Without --replace it is said that nothing was read; with
    --replace the document is read again (a backup first, codings kept) and remembers its
    pattern for later corrections."""
    f = write(tmp_path / "maison.txt", HOUSE)
    res = cli("import", f)
    assert "no speaker labels recognised" in res.stderr
    add_codes(project, "memory")
    add_codings(project, [Coding("maison", "Mon père était mineur.", "memory")])
    res = cli("import", f, "--label-pattern", PATTERN)
    assert res.exit_code == 0 and "unchanged" in res.stdout
    assert "add --replace to read it with --label-pattern" in " ".join(res.stderr.split())
    assert db_rows(project, "SELECT COUNT(*) FROM turns")[0][0] == 1
    res = cli("import", f, "--replace", "--label-pattern", PATTERN)
    assert res.exit_code == 0, res.output
    assert "replaced" in res.stdout and "4 turns; I (interviewer), P (participant)" in res.stdout
    assert "1 kept" in res.stdout and [b.reason for b in list_backups(project)] == ["import --replace"]
    shown = json.loads(cli("show", "maison", "--json").stdout)["turns"]
    assert [(t["speaker"], t["codes"] != []) for t in shown] == [("I", False), ("P", True), ("I", False),
                                                                  ("P", False)]
    assert_offsets_sacred(project)
    # the same reading again: unchanged, no new backup, no new version
    res = cli("import", f, "--replace")
    assert "unchanged" in res.stdout and len(list_backups(project)) == 1
    # a corrected transcript is read with the pattern the document was imported with
    write(f, HOUSE + "<I> Merci beaucoup.\n")
    res = cli("import", f, "--replace")
    assert res.exit_code == 0 and "5 turns; I (interviewer), P (participant)" in res.stdout, res.output
    assert db_rows(project, "SELECT version FROM documents WHERE name = 'maison'") == [(3,)]


def test_replace_with_interviewer_sets_the_roles_of_an_unchanged_file(project, cli, tmp_path):
    f = write(tmp_path / "zoom.txt", "Jane Doe (SL): Bonjour.\nBob Lee: Bonjour.\n" * 2)
    assert cli("import", f).exit_code == 0
    res = cli("import", f, "--replace", "--interviewer", "Jane Doe (SL)")
    assert res.exit_code == 0 and "Jane Doe (SL) (interviewer), Bob Lee (participant)" in res.stdout, res.output
    assert list_backups(project) == []  # nothing coded: nothing to back up


def test_replacing_a_coded_part_of_a_split_file_takes_a_backup(project, cli, tmp_path):
    corpus = "<TXT=aspe1>\nE: Bonjour.\nL: Mon père était mineur.\nE: Merci.\nL: De rien.\n" \
             "<TXT=rome1>\nE: Bonjour.\nM: Je suis arrivée en 1962.\nE: Merci.\nM: Voilà.\n"
    f = write(tmp_path / "corpus.txt", corpus)
    assert cli("import", f, "--split-on", r"<TXT=([a-z]+)\d+>").exit_code == 0
    add_codes(project, "memory")
    add_codings(project, [Coding("corpus-aspe", "Mon père était mineur.", "memory")])
    write(f, corpus.replace("Mon père était mineur.", "Mon père était mineur de fond."))
    res = cli("import", f, "--split-on", r"<TXT=([a-z]+)\d+>", "--replace")
    assert res.exit_code == 0, res.output
    assert "replaced" in res.stdout and "backup taken first" in res.stdout
    assert [b.reason for b in list_backups(project)] == ["import --replace"]
    assert_offsets_sacred(project)


def test_an_edit_inside_a_span_that_keeps_its_offsets_updates_its_text(project, cli, tmp_path):
    """Found by the property test above (seed 385219): the diff placed a changed coding
    on its old offsets (the edit shortened it, the word it ended in lengthened it back),
    so it was not relocated and kept its old text."""
    text = "\n".join([
        "Mme Dufour : ben l'avenir à musée l'avenir mineur Unesco mineur l'avenir Unesco fierté musée fosse à euh.",
        "Enquêtrice : musée à l'avenir mineur fierté euh musée coron l'avenir coron fosse ben ben à mineur à"
        " ben euh terril musée coron ben mineur euh.",
        'Enquêtrice : coron à coron.',
        'Mme Dufour : euh ben terril coron Unesco terril.',
        'Enquêtrice : terril fosse terril.',
        "Enquêtrice : coron coron fosse ben l'avenir.",
        "Mme Dufour : terril l'avenir fosse coron Unesco coron musée Unesco fierté mineur fosse coron terril terril à.",
        "Mme Dufour : l'avenir fosse Unesco ben fosse à coron fierté mineur mineur l'avenir à fierté fierté"
        " coron coron euh coron fosse à coron à.",
        'Enquêtrice : terril fierté terril fosse terril ben.',
    ]) + "\n"
    f = write(tmp_path / "doc.txt", text)
    assert cli("import", f).exit_code == 0
    add_codes(project, "memory")
    start, end = 149, 182
    assert text[start:end] == " euh musée coron l'avenir coron f"
    with project.store.transaction():
        project.store.codings.add(document_id=project.store.documents.by_name("doc").id,
                                  code_id=db_rows(project, "SELECT id FROM codes")[0][0], start=start, end=end,
                                  coder="me", origin="manual", status="accepted")
    write(f, text[:152] + text[156:])  # "euh musée" -> "eusée", inside the coded span
    res = cli("import", f, "--replace")
    assert res.exit_code == 0 and "1 text changed (flagged)" in res.stdout, res.output
    assert_offsets_sacred(project)
    assert db_rows(project, 'SELECT start, "end", text, status FROM codings') == [
        (149, 182, " eusée coron l'avenir coron fosse", "proposed")]
