"""Codebook revisions (`qualcode codebook rename|merge|move|split|retire|restore|add|history`)
on a project with both manual and rule codings, and rename detection in `autocode`."""

from __future__ import annotations

import json
import sqlite3

import pytest
from helpers import Coding, assert_offsets_sacred, per_code, set_status, snapshot, write
from helpers import db_rows as rows
from helpers.revision import BOTH, CODEBOOK, INTERVIEW, build

from qualcode.codebook import load_codebook, parse_codebook_text

# --------------------------------------------------------------------------- helpers


def last_history(project):
    row = rows(project, "SELECT user, command, operation, summary, details FROM history ORDER BY id DESC LIMIT 1")[0]
    return {"user": row[0], "command": row[1], "operation": row[2], "summary": row[3],
            "details": json.loads(row[4])}


def backups(project):
    folder = project.root / ".qualcode" / "backups"
    return sorted(p.name for p in folder.glob("*.db")) if folder.exists() else []


@pytest.fixture
def book(project):
    return project.root / "codebooks" / "test.yaml"


@pytest.fixture
def coded(project, tmp_path):
    return build(project, tmp_path, [
        Coding("caron", "Mon père était mineur.", "identity/mining_memory"),
        Coding("caron", "Avant c'était la misère, on avait honte.", "identity/stigma", memo="m1"),
        Coding("caron", "on avait honte", "identity/stigma", coder="dominique"),
        Coding("caron", "la misère", "identity/stigma", status="rejected"),
        Coding("caron", BOTH, "identity/stigma", memo="seen as shame"),
        Coding("caron", BOTH, "identity/pride", status="rejected", memo="not pride"),
        Coding("caron", "le Louvre a changé les choses", "heritage"),
    ])


def ok(res):
    assert res.exit_code == 0, res.output
    return res


# --------------------------------------------------------------------------- the fixture itself


def test_fixture_has_manual_and_rule_codings(coded, project):
    counts = per_code(project)
    # computed by hand from INTERVIEW and the rules: stigma: the two participant sentences with
    # "misère"/"honte"; pride: "fierté" (Unesco sentence) and BOTH; mining_memory: three sentences
    # (mineur, fosse, gueules noires); heritage (unit turn): the two participant turns.
    assert counts == {"identity/mining_memory": (1, 3), "identity/stigma": (4, 2),
                      "identity/pride": (1, 2), "heritage": (1, 2)}
    assert_offsets_sacred(project)


# --------------------------------------------------------------------------- rename


def test_rename_moves_codings_and_keeps_the_file(coded, project, book):
    before = per_code(project)
    res = ok(coded("codebook", "rename", "identity/stigma", "identity/stigma_image", "--label", "Stigma and image"))
    assert "6 codings (4 manual, 2 by rules) follow" in res.stdout
    assert book.read_text(encoding="utf-8") == CODEBOOK.replace(
        "      - code: stigma\n", "      - code: stigma_image\n").replace(
        "label: 'Stigma'", "label: Stigma and image")
    after = per_code(project)
    assert after["identity/stigma_image"] == before["identity/stigma"]
    assert "identity/stigma" not in after
    assert rows(project, "SELECT label FROM codes WHERE path = 'identity/stigma_image'") == [("Stigma and image",)]
    h = last_history(project)
    assert (h["user"], h["command"], h["operation"]) == ("tester", "codebook rename", "codebook")
    assert h["details"]["codings_moved"] == 6 and h["details"]["from"] == "identity/stigma"
    assert h["details"]["backup"] == backups(project)[0][:-3]
    assert_offsets_sacred(project)
    # rule codings keep working: autocode finds them under the new path
    res = ok(coded("autocode"))
    assert "+0 -0" in res.stdout or "no change" in res.stdout
    assert per_code(project) == after


def test_rename_parent_renames_descendants(coded, project, book):
    before = per_code(project)
    ok(coded("codebook", "rename", "identity", "ident"))
    after = per_code(project)
    assert {p.replace("identity", "ident", 1) if p.startswith("identity") else p: v
            for p, v in before.items()} == after
    paths = [r[0] for r in rows(project, "SELECT path FROM codes ORDER BY path")]
    assert paths == ["heritage", "ident", "ident/mining_memory", "ident/pride", "ident/stigma"]
    parents = dict(rows(project, "SELECT c.path, p.path FROM codes c LEFT JOIN codes p ON p.id = c.parent_id"))
    assert parents["ident/stigma"] == "ident"
    assert book.read_text(encoding="utf-8") == CODEBOOK.replace("  - code: identity\n", "  - code: ident\n")
    assert len(json.loads(ok(coded("codings", "--code", "ident", "--json")).stdout)) == 4 + 6 + 3
    assert_offsets_sacred(project)


def test_rename_refusals_change_nothing(coded, project, book):
    before = snapshot(project)
    res = coded("codebook", "rename", "identity/stigma", "identity/pride")
    assert res.exit_code == 1 and "already exists in the codebook" in res.stderr
    res = coded("codebook", "rename", "identity/stigma", "heritage/stigma")
    assert res.exit_code == 2 and "use 'qualcode codebook move'" in res.stderr
    res = coded("codebook", "rename", "identity/stigma", "stigma_image")
    assert res.exit_code == 2 and "did you mean identity/stigma_image?" in res.stderr
    res = coded("codebook", "rename", "identity/stigmaa", "identity/x")
    assert res.exit_code == 1 and "(did you mean identity/stigma?)" in res.stderr
    res = coded("codebook", "rename", "identity/stigma", "identity/Stigma")
    assert res.exit_code == 2 and "not a slug" in res.stderr
    assert snapshot(project) == before and book.read_text(encoding="utf-8") == CODEBOOK
    assert backups(project) == []


def test_refuses_a_codebook_with_lint_errors(coded, project, book):
    bad = CODEBOOK.replace("        rules:\n          - terms: [misère", "        rule:\n          - terms: [misère")
    write(book, bad)
    before = snapshot(project)
    for args in (["rename", "identity/stigma", "identity/x"], ["retire", "identity/pride"],
                 ["add", "identity/x", "--label", "X"], ["merge", "identity/pride", "--into", "identity/stigma"]):
        res = coded("codebook", *args)
        assert res.exit_code == 1
        assert "the codebook has errors" in res.stderr
        assert "test.yaml:24:9: identity/stigma: unknown key 'rule' (did you mean 'rules'?)" in res.stderr
    assert snapshot(project) == before and book.read_text(encoding="utf-8") == bad


# --------------------------------------------------------------------------- merge


def test_merge_into_a_new_code_collapses_duplicates(coded, project, book):
    before = per_code(project)
    set_status(project, "identity/stigma", BOTH, "accepted")  # pride's rule coding of BOTH stays proposed
    res = ok(coded("codebook", "merge", "identity/pride", "identity/stigma", "--into", "identity/self_image",
                   "--label", "Self-image"))
    # stigma 4+2 and pride 1+2 codings move; BOTH collapses twice (rules: stigma accepted +
    # pride proposed; camille: stigma accepted + pride rejected)
    assert "9 codings moved (5 manual, 4 by rules), 2 duplicates collapsed" in res.stdout
    after = per_code(project)
    assert after["identity/self_image"] == (5 - 1, 4 - 1)
    assert "identity/stigma" not in after and "identity/pride" not in after
    assert rows(project, "SELECT path FROM codes WHERE path IN ('identity/stigma', 'identity/pride')") == []
    both = rows(project, "SELECT k.coder, k.status, k.memo FROM codings k JOIN codes c ON c.id = k.code_id"
                         " WHERE c.path = 'identity/self_image' AND k.text = ? ORDER BY k.coder", (BOTH,))
    assert both == [("camille", "accepted", "seen as shame\n\nnot pride"), ("rules", "accepted", None)]
    # unchanged codes are untouched
    assert after["identity/mining_memory"] == before["identity/mining_memory"]
    h = last_history(project)
    assert h["details"]["codings_moved"] == 9 and h["details"]["collapsed"] == 2
    assert h["details"]["per_source"] == {"identity/pride": 3, "identity/stigma": 6}
    # the YAML: the new code where stigma was (the first of the two in the file), both blocks
    # commented out between markers, the rest byte for byte
    text = book.read_text(encoding="utf-8")
    head, _tail = CODEBOOK.split("      - code: stigma\n")
    assert text.startswith(head + "      - code: self_image\n        label: Self-image\n\n"
                                  "      # qualcode: merged identity/stigma into identity/self_image on ")
    assert "      #   label: 'Stigma'\n" in text and "      # qualcode: end of identity/pride\n" in text
    assert text.endswith(CODEBOOK[CODEBOOK.index("  # ==== HERITAGE"):])
    cb = load_codebook(book)
    assert [c.path for c in cb.walk()] == ["identity", "identity/mining_memory", "identity/self_image", "heritage"]
    assert_offsets_sacred(project)


def test_merge_into_an_existing_code_and_refusals(coded, project, book):
    res = coded("codebook", "merge", "identity/pride", "--into", "identity/nothing")
    assert res.exit_code == 2 and "give its --label" in res.stderr
    res = coded("codebook", "merge", "identity", "--into", "heritage")
    assert res.exit_code == 1 and "has sub-codes" in res.stderr
    assert book.read_text(encoding="utf-8") == CODEBOOK and backups(project) == []
    before = per_code(project)
    ok(coded("codebook", "merge", "identity/pride", "--into", "identity/stigma"))
    after = per_code(project)
    # BOTH: camille's rejected pride coding collapses into the accepted stigma one; the rule
    # codings of BOTH (both proposed) collapse too
    assert after["identity/stigma"] == (4 + 1 - 1, 2 + 2 - 1)
    assert "identity/pride" not in after and after["heritage"] == before["heritage"]
    text = book.read_text(encoding="utf-8")
    assert "      # - code: pride\n" in text and "      - code: stigma\n" in text
    assert_offsets_sacred(project)


# --------------------------------------------------------------------------- move


def test_move_to_top_and_under_a_code_without_children(coded, project, book):
    before = per_code(project)
    ok(coded("codebook", "move", "identity/pride", "--top"))
    text = book.read_text(encoding="utf-8")
    pride = ("      - code: pride\n        label: Pride\n        definition: Fierté.\n        rules:\n"
             "          - terms: [fierté, fier]\n")
    assert pride in CODEBOOK
    # cut from identity, appended at the top level, dedented
    assert text == CODEBOOK.replace(pride, "") + "\n".join(
        line[4:] for line in pride.splitlines()) + "\n"
    assert rows(project, "SELECT parent_id FROM codes WHERE path = 'pride'") == [(None,)]
    ok(coded("codebook", "move", "pride", "--under", "heritage"))
    text = book.read_text(encoding="utf-8")
    assert text.endswith("      - pattern: [{LOWER: louvre}]\n    children:\n" + pride)
    parents = dict(rows(project, "SELECT c.path, p.path FROM codes c LEFT JOIN codes p ON p.id = c.parent_id"))
    assert parents["heritage/pride"] == "heritage"
    after = per_code(project)
    assert after["heritage/pride"] == before["identity/pride"] and "identity/pride" not in after
    assert last_history(project)["details"]["to"] == "heritage/pride"
    assert_offsets_sacred(project)


def test_move_keeps_comments_and_wrapped_lists(coded, project, book):
    ok(coded("codebook", "move", "identity/mining_memory", "--under", "heritage"))
    text = book.read_text(encoding="utf-8")
    assert ("      - code: mining_memory   # the most frequent code\n" in text)
    assert ("          # wrapped by hand: must stay wrapped\n          - terms: [fosse, mineur, \"gueule noire\",\n"
            "                    charbon]\n") in text
    # no blank line left right under identity's "children:"
    assert "    children:\n      - code: stigma\n" in text
    cb = load_codebook(book)
    assert cb.by_path()["heritage/mining_memory"].rules[0].value == ["fosse", "mineur", "gueule noire", "charbon"]
    # and back: the file is the original again except for the position (last child)
    ok(coded("codebook", "move", "heritage/mining_memory", "--under", "identity"))
    cb = load_codebook(book)
    assert [c.path for c in cb.walk()] == ["identity", "identity/stigma", "identity/pride",
                                          "identity/mining_memory", "heritage"]
    res = coded("codebook", "move", "identity", "--under", "identity/stigma")
    assert res.exit_code == 1 and "under itself" in res.stderr
    assert coded("codebook", "move", "identity/pride").exit_code == 2
    assert_offsets_sacred(project)


# --------------------------------------------------------------------------- split


def test_split_queues_decided_codings(coded, project, book):
    set_status(project, "identity/stigma", BOTH, "accepted")
    res = ok(coded("codebook", "split", "identity/stigma", "--into", "stigma_outside", "shame"))
    # stigma: camille x2 accepted + dominique accepted (queued), camille rejected (kept),
    # rules: BOTH accepted (queued) + one pending proposal (left to autocode)
    assert ("4 codings queued for review (1 pending rule proposals left to autocode, 1 rejected kept on "
            "identity/stigma)") in res.stdout
    queue = rows(project, "SELECT k.coder, k.text, q.reason, q.choices FROM review_queue q"
                          " JOIN codings k ON k.id = q.coding_id ORDER BY k.id")
    assert {(c, r, json.loads(ch) == ["identity/stigma_outside", "identity/shame"]) for c, _, r, ch in queue} == {
        ("camille", "split identity/stigma", True), ("dominique", "split identity/stigma", True),
        ("rules", "split identity/stigma", True)}
    assert sorted(t for _, t, _, _ in queue) == sorted(
        [BOTH, BOTH, "Avant c'était la misère, on avait honte.", "on avait honte"])
    assert rows(project, "SELECT status FROM codes WHERE path = 'identity/stigma'") == [("retired",)]
    assert per_code(project)["identity/stigma"] == (4, 2)  # codings kept until assigned
    text = book.read_text(encoding="utf-8")
    assert ("      - code: stigma_outside\n        # split from identity/stigma: write its label, definition"
            " and rules\n\n      - code: shame\n") in text
    assert "      # qualcode: retired identity/stigma on " in text and "      # - code: stigma\n" in text
    cb = load_codebook(book)
    assert [c.path for c in cb.walk()] == ["identity", "identity/mining_memory", "identity/stigma_outside",
                                          "identity/shame", "identity/pride", "heritage"]
    # autocode: stigma's rules are gone, its pending proposal too; the rest stays
    ok(coded("autocode"))
    assert per_code(project)["identity/stigma"] == (4, 1)
    assert len(rows(project, "SELECT * FROM review_queue")) == 4
    assert_offsets_sacred(project)


def test_split_refusals(coded, project, book):
    assert coded("codebook", "split", "identity/stigma", "--into", "only_one").exit_code == 2
    res = coded("codebook", "split", "identity", "--into", "a", "b")
    assert res.exit_code == 1 and "has sub-codes" in res.stderr
    assert book.read_text(encoding="utf-8") == CODEBOOK


# --------------------------------------------------------------------------- retire / restore


def test_retire_and_restore(coded, project, book):
    before = per_code(project)
    res = ok(coded("codebook", "retire", "identity/stigma"))
    assert "6 codings (4 manual, 2 by rules) kept" in res.stdout
    assert rows(project, "SELECT status FROM codes WHERE path = 'identity/stigma'") == [("retired",)]
    assert per_code(project) == before
    text = book.read_text(encoding="utf-8")
    assert ("      # - code: stigma\n      #   label: 'Stigma'\n      #   definition: Image négative.\n"
            "      #   rules:\n      #     - terms: [misère, honte]\n"
            "      # qualcode: end of identity/stigma\n") in text
    assert ok(coded("codebook", "check", str(book))).exit_code == 0
    # autocode: no rename alarm for a retired code; its pending proposals go, decisions stay
    ok(coded("autocode"))
    assert per_code(project)["identity/stigma"] == (4, 0)
    res = coded("codebook", "retire", "identity/stigma")
    assert res.exit_code == 1 and "already retired" in res.stderr
    ok(coded("codebook", "restore", "identity/stigma"))
    assert book.read_text(encoding="utf-8") == CODEBOOK  # byte for byte
    assert rows(project, "SELECT status FROM codes WHERE path = 'identity/stigma'") == [("active",)]
    ok(coded("autocode"))
    assert per_code(project) == before
    ops = [r["operation"] for r in json.loads(ok(coded("codebook", "history", "--json")).stdout)]
    assert ops == ["autocode", "retire", "autocode", "restore", "autocode"]
    assert_offsets_sacred(project)


def test_retire_a_parent_retires_its_sub_codes(coded, project, book):
    ok(coded("codebook", "retire", "identity"))
    assert dict(rows(project, "SELECT path, status FROM codes")) == {
        "identity": "retired", "identity/mining_memory": "retired", "identity/stigma": "retired",
        "identity/pride": "retired", "heritage": "active"}
    assert [c.path for c in load_codebook(book).walk()] == ["heritage"]
    res = coded("codebook", "restore", "identity/stigma")
    assert res.exit_code == 1 and "restore identity first" in res.stderr
    ok(coded("codebook", "restore", "identity"))
    assert book.read_text(encoding="utf-8") == CODEBOOK
    assert {s for _, s in rows(project, "SELECT path, status FROM codes")} == {"active"}


def test_restore_after_the_block_was_deleted_by_hand(coded, project, book):
    ok(coded("codebook", "retire", "identity/pride"))
    text = book.read_text(encoding="utf-8")
    start = text.index("      # qualcode: retired identity/pride")
    end = text.index("      # qualcode: end of identity/pride\n") + len("      # qualcode: end of identity/pride\n")
    write(book, text[:start] + text[end:])
    res = ok(coded("codebook", "restore", "identity/pride"))
    assert "re-inserted in the codebook from the history" in res.stdout
    cb = load_codebook(book)
    assert cb.by_path()["identity/pride"].rules[0].value == ["fierté", "fier"]


@pytest.mark.parametrize("edit", [
    ("      #     - terms: [misère, honte]\n",  # un-commented, it would bring another code back too
     "      #     - terms: [misère, honte]\n      # - code: extra\n      #   label: Extra\n"),
    ("# - code: stigma", "# - code: stigmate"),  # un-commented, it would not give the code back
])
def test_restore_refuses_a_retired_block_edited_by_hand(coded, project, book, edit):
    ok(coded("codebook", "retire", "identity/stigma"))
    text = book.read_text(encoding="utf-8")
    assert edit[0] in text
    write(book, text.replace(edit[0], edit[1]))
    res = coded("codebook", "restore", "identity/stigma")
    assert res.exit_code == 1 and "the retired block of identity/stigma" in res.stderr
    assert "was edited: restore it by hand" in res.stderr
    assert book.read_text(encoding="utf-8") == text.replace(edit[0], edit[1])
    assert rows(project, "SELECT status FROM codes WHERE path = 'identity/stigma'") == [("retired",)]


# --------------------------------------------------------------------------- add


def test_add(coded, project, book):
    ok(coded("codebook", "add", "identity/nostalgia", "--label", "Nostalgia", "--definition",
             "Nostalgie : regret du passé.", "--color", "#abc"))
    text = book.read_text(encoding="utf-8")
    assert text == CODEBOOK.replace(
        "          - terms: [fierté, fier]\n",
        "          - terms: [fierté, fier]\n\n      - code: nostalgia\n        label: Nostalgia\n"
        "        definition: \"Nostalgie : regret du passé.\"\n        color: \"#abc\"\n")
    assert rows(project, "SELECT label, definition, color, parent_id IS NOT NULL FROM codes"
                         " WHERE path = 'identity/nostalgia'") == [
        ("Nostalgia", "Nostalgie : regret du passé.", "#abc", 1)]
    ok(coded("codebook", "add", "heritage/louvre", "--label", "Louvre-Lens"))
    assert book.read_text(encoding="utf-8").endswith(
        "      - pattern: [{LOWER: louvre}]\n    children:\n      - code: louvre\n        label: Louvre-Lens\n")
    ok(coded("codebook", "add", "future", "--label", "Future"))
    assert [c.path for c in load_codebook(book).walk()][-3:] == ["heritage", "heritage/louvre", "future"]
    res = coded("codebook", "add", "identity/pride", "--label", "X")
    assert res.exit_code == 1 and "already exists" in res.stderr
    assert coded("codebook", "add", "identity/x", "--label", "X", "--color", "blu").exit_code == 2
    res = coded("codebook", "add", "nowhere/x", "--label", "X")
    assert res.exit_code == 1 and "no code nowhere" in res.stderr
    assert coded("codebook", "add", "identity/x").exit_code == 2  # --label is required
    h = json.loads(ok(coded("history", "--operation", "codebook", "--json")).stdout)
    assert [r["command"] for r in h] == ["codebook add"] * 3


# --------------------------------------------------------------------------- atomicity


def test_failure_after_the_database_writes_changes_nothing(coded, project, book, monkeypatch):
    import qualcode.codebook.revise as revise

    before = snapshot(project)
    seen = []

    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    def boom_after_repath(ctx, mapper):
        # inside the transaction, the codes were already renamed
        seen.append((ctx.row("identity"), ctx.row("ident/stigma") is not None))
        boom()

    monkeypatch.setattr(revise, "_rewrite_queue", boom_after_repath)
    res = coded("codebook", "rename", "identity", "ident")
    assert res.exit_code == 1 and "disk on fire" in res.stderr
    assert seen == [(None, True)]
    assert snapshot(project) == before and book.read_text(encoding="utf-8") == CODEBOOK
    monkeypatch.undo()
    # after the codings moved and the history row was written, when the file is swapped
    monkeypatch.setattr(revise, "_replace_file", boom)
    res = coded("codebook", "merge", "identity/pride", "--into", "identity/stigma")
    assert res.exit_code == 1
    assert snapshot(project) == before and book.read_text(encoding="utf-8") == CODEBOOK
    monkeypatch.undo()

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(revise, "_record_version", interrupted)
    res = coded("codebook", "split", "identity/stigma", "--into", "a", "b")
    assert res.exit_code == 130
    assert snapshot(project) == before and book.read_text(encoding="utf-8") == CODEBOOK
    assert [p.name for p in book.parent.iterdir()] == ["test.yaml"]  # no temporary file left


def test_codebook_edited_meanwhile_is_not_overwritten(coded, project, book, monkeypatch):
    import qualcode.codebook.revise as revise

    real = revise._record_version

    def edit_meanwhile(*args, **kwargs):
        write(book, CODEBOOK + "# edited in another window\n")
        return real(*args, **kwargs)

    before = snapshot(project)
    monkeypatch.setattr(revise, "_record_version", edit_meanwhile)
    res = coded("codebook", "retire", "identity/pride")
    assert res.exit_code == 1 and "changed while it was being revised" in res.stderr
    assert snapshot(project) == before
    assert book.read_text(encoding="utf-8") == CODEBOOK + "# edited in another window\n"


# --------------------------------------------------------------------------- history


def test_history_records_who_what_and_counts(coded, project):
    ok(coded("codebook", "rename", "identity/pride", "identity/pride_belonging"))
    ok(coded("codebook", "merge", "identity/stigma", "--into", "identity/pride_belonging"))
    hist = json.loads(ok(coded("codebook", "history", "--json")).stdout)
    assert [(h["operation"], h["user"], h["codings_moved"]) for h in hist] == [
        ("autocode", "tester", None), ("rename", "tester", 3), ("merge", "tester", 6)]
    versions = [h["version"] for h in hist]
    assert len(set(versions)) == 3 and all(versions)
    assert versions[2] == load_codebook(project.root / "codebooks" / "test.yaml").version
    res = ok(coded("codebook", "history"))
    assert "rename identity/pride -> identity/pride_belonging" in res.stdout
    everything = json.loads(ok(coded("history", "--json")).stdout)
    assert [h["operation"] for h in everything] == ["import", "autocode", "codebook", "codebook"]
    # the codebook of each revision is recorded, like the autocode runs
    assert len(rows(project, "SELECT * FROM codebook_versions")) == 3


# --------------------------------------------------------------------------- rename detection


def test_autocode_refuses_a_rename_made_by_hand(coded, project, book):
    write(book, CODEBOOK.replace("      - code: stigma\n", "      - code: stigma_image\n"))
    before = snapshot(project)
    res = coded("autocode")
    assert res.exit_code == 1
    assert res.stderr.strip() == (
        "error: code identity/stigma has 4 codings made or reviewed by people and disappeared from the "
        "codebook, while identity/stigma_image looks the same: if you renamed it, run 'qualcode codebook "
        "rename identity/stigma identity/stigma_image'; if not, 'qualcode codebook retire identity/stigma' "
        "keeps its codings aside")
    assert snapshot(project) == before
    ok(coded("codebook", "rename", "identity/stigma", "identity/stigma_image"))
    assert per_code(project)["identity/stigma_image"] == (4, 2)
    res = ok(coded("autocode"))
    assert per_code(project)["identity/stigma_image"] == (4, 2)
    assert_offsets_sacred(project)


def test_no_rename_alarm_when_the_new_code_differs_or_the_old_is_retired(coded, project, book):
    changed = CODEBOOK.replace("      - code: stigma\n", "      - code: stigma_image\n").replace(
        "[misère, honte]", "[misère, honte, mépris]")
    write(book, changed)
    ok(coded("autocode", "--dry-run"))
    write(book, CODEBOOK.replace("      - code: stigma\n", "      - code: stigma_image\n"))
    assert coded("autocode", "--dry-run").exit_code == 1
    res = ok(coded("codebook", "retire", "identity/stigma"))
    assert "in the project only" in res.stdout
    ok(coded("autocode"))
    assert per_code(project)["identity/stigma"] == (4, 0)  # kept aside, retired
    assert per_code(project)["identity/stigma_image"] == (0, 2)


def test_interactive_confirmation_renames(coded, project, book, monkeypatch):
    from qualcode.cli.rules import confirm_renames
    from qualcode.codebook.renames import RenameSuspected, check_renames

    write(book, CODEBOOK.replace("      - code: pride\n", "      - code: pride_belonging\n"))
    with pytest.raises(RenameSuspected) as exc:
        check_renames(project, load_codebook(book))
    assert [(c.old, c.new, c.codings) for c in exc.value.candidates] == [
        ("identity/pride", "identity/pride_belonging", 1)]
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert confirm_renames(project, exc.value) is False  # not a terminal: never asks
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("typer.confirm", lambda *a, **k: True)
    assert confirm_renames(project, exc.value) is True
    check_renames(project, load_codebook(book))  # no longer suspected
    assert rows(project, "SELECT COUNT(*) FROM codes WHERE path = 'identity/pride_belonging'") == [(1,)]


# --------------------------------------------------------------------------- YAML details


def test_text_edits_on_unusual_but_valid_layouts(project):
    """CRLF newlines, a BOM, sequences not indented under their key, quoted slugs."""
    from qualcode.codebook.revise import _Edits, _Yaml, yaml_scalar

    text = ("\ufefftitle: T\r\ncodes:\r\n- code: \"a\"\r\n  label: A\r\n  children:\r\n  - code: b\r\n"
            "    definition: |\r\n      line one\r\n\r\n      line two\r\n\r\n- code: c\r\n  definition: C\r\n")
    y = _Yaml(text[1:], "t.yaml")
    assert y.nl == "\r\n" and set(y.items) == {"a", "a/b", "c"}
    ext = y.extent(y.items["a/b"])
    assert (ext.start, ext.end, ext.dash) == (5, 10, 2)  # the blank line after the block scalar is not in it
    assert y.offsets() == (0, 2)
    at, dash, header, _blank = y.insertion("c")
    assert (at, dash, header) == (13, 2, ["  children:\r\n"])
    edits = _Edits(y)
    edits.insert(at, header + y.new_code_lines([("code", "d"), ("label", yaml_scalar("D: x"))], dash))
    new = edits.apply()
    assert new.endswith("- code: c\r\n  definition: C\r\n  children:\r\n  - code: d\r\n    label: \"D: x\"\r\n")
    assert [c.path for c in parse_codebook_text(new).walk()] == ["a", "a/b", "c", "c/d"]
    assert yaml_scalar("yes") == '"yes"' and yaml_scalar("Fierté") == "Fierté" and yaml_scalar("a # b") == '"a # b"'


def test_crlf_codebook_stays_crlf(cli, project, tmp_path, book):
    write(book, CODEBOOK.replace("\n", "\r\n").encode("utf-8"))
    assert cli("import", write(tmp_path / "caron.txt", INTERVIEW)).exit_code == 0
    ok(cli("codebook", "add", "identity/nostalgia", "--label", "Nostalgia"))
    ok(cli("codebook", "retire", "identity/stigma"))
    ok(cli("codebook", "restore", "identity/stigma"))
    data = book.read_bytes()
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert data.decode("utf-8") == CODEBOOK.replace(
        "          - terms: [fierté, fier]\n",
        "          - terms: [fierté, fier]\n\n      - code: nostalgia\n        label: Nostalgia\n",
    ).replace("\n", "\r\n")


def test_empty_code_rows_give_way(coded, project, book):
    """A row without codings (e.g. synced from the codebook by another command) does not
    block a rename onto its path, even when the codebook was renamed by hand."""
    conn = sqlite3.connect(project.root / ".qualcode" / "project.db")
    with conn:
        parent = conn.execute("SELECT id FROM codes WHERE path = 'identity'").fetchone()[0]
        conn.execute("INSERT INTO codes (path, label, parent_id, created_at, updated_at)"
                     " VALUES ('identity/stigma_image', 'shell', ?, 't', 't')", (parent,))
    conn.close()
    write(book, CODEBOOK.replace("      - code: stigma\n", "      - code: stigma_image\n"))
    res = coded("autocode")
    assert res.exit_code == 1 and "if you renamed it" in res.stderr
    ok(coded("codebook", "rename", "identity/stigma", "identity/stigma_image"))
    assert per_code(project)["identity/stigma_image"] == (4, 2)
    assert rows(project, "SELECT label FROM codes WHERE path = 'identity/stigma_image'") == [("Stigma",)]
    # a row with codings does not give way
    res = coded("codebook", "rename", "identity/pride", "identity/stigma_image")
    assert res.exit_code == 1 and "already exists in the codebook" in res.stderr
    write(book, CODEBOOK.replace("      - code: stigma\n", "      - code: stigma_image\n").replace(
        "      - code: pride\n", "      - code: proud\n"))
    res = coded("codebook", "rename", "identity/proud", "identity/stigma_image")
    assert res.exit_code == 1 and "already exists in the codebook" in res.stderr
    assert per_code(project)["identity/stigma_image"] == (4, 2)


def test_rename_a_code_without_a_label(project, tmp_path):
    """A code without ``label:`` is labelled by its slug, so the label follows the rename
    (was 'internal error: editing … did not give the expected codebook', found by
    tools/concurrency_campaign.py)."""
    from helpers import build_project

    book = "title: T\nlanguage: fr\ncodes:\n  - code: mine\n  - code: stigma\n    rules:\n      - terms: [fierté]\n"
    run = build_project(project, tmp_path / "src", codebook=book, autocode=True, documents={"e": INTERVIEW})
    res = run("codebook", "rename", "stigma", "shame")
    assert res.exit_code == 0, res.output
    text = (project.root / "codebooks" / "test.yaml").read_text(encoding="utf-8")
    assert "code: shame" in text and "label" not in text
    assert per_code(project) == {"shame": (0, 1)}
    assert rows(project, "SELECT label FROM codes WHERE path = 'shame'") == [("shame",)]
    assert run("codebook", "rename", "shame", "stigma").exit_code == 0
    assert "code: stigma" in (project.root / "codebooks" / "test.yaml").read_text(encoding="utf-8")
