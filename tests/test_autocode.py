"""`qualcode autocode`, `codings`, `explain`, `kwic` on a real project (real spaCy pipeline)."""

from __future__ import annotations

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
      - code: mining_memory   # a comment that must not matter
        label: Mining memory
        definition: Mémoire de la mine.
        rules:
          - terms: [fosse, mineur, "gueule noire"]
        exclude:
          - terms: ["mineur de moins de"]
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


@pytest.fixture
def coded(project, tmp_path):
    return build_project(project, tmp_path, codebook=CODEBOOK, documents={"caron": INTERVIEW}, autocode=True)


def codings(cli, *args):
    res = cli("codings", "--json", *args)
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_autocode_proposes_units_with_provenance(coded, project):
    rows = codings(coded)
    by_code = {}
    for r in rows:
        by_code.setdefault(r["code"], []).append(r)
    mm = by_code["identity/mining_memory"]
    # sentences of participant turns: "Mon père était mineur.", "Il descendait à la fosse…",
    # "Aujourd'hui on parle des gueules noires…"; the under-age sentence is excluded,
    # the interviewer's question about "la fosse" is skipped.
    assert [r["text"] for r in mm] == [
        "Mon père était mineur.", "Il descendait à la fosse tous les jours.",
        "Aujourd'hui on parle des gueules noires dans les musées."]
    assert [r["turn"] for r in mm] == [2, 2, 4]
    assert mm[0]["origin"] == 'identity/mining_memory terms[0] "mineur"'
    assert {r["coder"] for r in rows} == {"rules"} and {r["status"] for r in rows} == {"proposed"}
    her = by_code["heritage"]  # unit: turn
    assert len(her) == 1 and her[0]["turn"] == 2 and her[0]["text"].startswith("Mon père était mineur.")
    assert "identity" not in by_code  # parents are not coded by their children's rules
    assert set(rows[0]) == {"id", "document", "turn", "start", "end", "code", "coder", "origin", "status",
                            "text"}
    assert_offsets_sacred(project)
    # --code includes sub-codes
    assert len(codings(coded, "--code", "identity")) == 3


def test_rerun_with_same_codebook_changes_nothing(coded, project):
    before = db_rows(project, "SELECT * FROM codings"), db_rows(project, "SELECT * FROM history")
    res = coded("autocode")
    assert res.exit_code == 0 and "no change" in res.stdout
    assert "0 annotated, 1 from the cache" in res.stdout
    assert (db_rows(project, "SELECT * FROM codings"), db_rows(project, "SELECT * FROM history")) == before


def test_edited_codebook_replaces_rule_codings_but_not_manual_ones(coded, project):
    store = project.store
    doc = store.documents.by_name("caron")
    code_id = store.execute("SELECT id FROM codes WHERE path = 'identity/mining_memory'").fetchone()[0]
    start = doc.text.index("Les jeunes partent")
    with store.transaction():
        store.execute('INSERT INTO codings (document_id, code_id, start, "end", text, coder, origin,'
                      " status, created_at, updated_at) VALUES (?,?,?,?,?, 'camille', 'manual', 'accepted', '', '')",
                      (doc.id, code_id, start, start + 18, doc.text[start:start + 18]))
    edited = CODEBOOK.replace("terms: [fosse, mineur, \"gueule noire\"]", "terms: [fosse, \"gueule noire\"]")
    path = write(project.root / "codebooks" / "test.yaml", edited)

    dry = coded("autocode", "--dry-run", "--json")
    assert dry.exit_code == 0, dry.output
    diff = json.loads(dry.stdout)
    assert diff["codes"]["identity/mining_memory"]["removed"] == 1  # "Mon père était mineur."
    assert diff["dry_run"] is True
    assert len(codings(coded, "--coder", "rules", "--code", "identity")) == 3  # nothing written

    res = coded("autocode", "--codebook", path)
    assert res.exit_code == 0, res.output
    assert "-1" in res.stdout
    texts = [r["text"] for r in codings(coded, "--code", "identity/mining_memory", "--coder", "rules")]
    assert "Mon père était mineur." not in texts and len(texts) == 2
    manual = codings(coded, "--coder", "camille")
    assert len(manual) == 1 and manual[0]["text"] == "Les jeunes partent"
    versions = {r[0] for r in db_rows(project, "SELECT codebook_version FROM codings WHERE coder = 'rules'")}
    assert len(versions) == 1  # every kept proposal records the codebook that made it
    assert db_rows(project, "SELECT COUNT(*) FROM codebook_versions")[0][0] == 2
    assert_offsets_sacred(project)


def test_term_analyses_are_kept_so_an_edit_only_analyses_new_terms(coded, project, monkeypatch):
    from qualcode.rules import _TermCompiler

    kept = dict(db_rows(project, "SELECT text, tokens FROM term_analyses"))
    assert {"fosse", "mineur", "gueule noire", "mineur de moins de", "unesco", "patrimoine"} <= set(kept)
    assert json.loads(kept["gueule noire"]) == [["gueule", "gueule"], ["noire", "noir"]]
    analysed = []
    real = _TermCompiler._analyse
    monkeypatch.setattr(_TermCompiler, "_analyse", lambda self, text: analysed.append(text) or real(self, text))
    edited = CODEBOOK.replace("terms: [unesco, patrimoine]", "terms: [unesco, patrimoine, classement]")
    write(project.root / "codebooks" / "test.yaml", edited)
    res = coded("autocode")
    assert res.exit_code == 0, res.output
    assert analysed == ["classement"]
    assert "classement" in dict(db_rows(project, "SELECT text, tokens FROM term_analyses"))


def test_include_interviewer(coded):
    res = coded("autocode", "--include-interviewer")
    assert res.exit_code == 0
    turns = {r["turn"] for r in codings(coded, "--code", "identity/mining_memory")}
    assert 1 in turns


def test_cache_invalidated_when_text_changes(coded, project, tmp_path):
    plain = "Enquêtrice : Bonjour.\nM. X : Il fait beau aujourd'hui.\nEnquêtrice : Merci.\nM. X : De rien.\n"
    f = write(tmp_path / "plain.txt", plain)
    assert coded("import", f).exit_code == 0
    report = json.loads(coded("autocode", "--json").stdout)
    assert (report["annotated"], report["cached"]) == (1, 1)
    key = db_rows(project, "SELECT a.cache_key FROM annotations a JOIN documents d ON d.id = a.document_id"
                           " WHERE d.name = 'plain'")[0][0]
    # plain.txt has no codings, so it may be replaced; its annotation must then be recomputed
    write(f, plain.replace("Il fait beau", "Il pleut"))
    assert coded("import", f, "--replace").exit_code == 0
    report = json.loads(coded("autocode", "--json").stdout)
    assert (report["annotated"], report["cached"]) == (1, 1)
    new_key = db_rows(project, "SELECT a.cache_key FROM annotations a JOIN documents d ON d.id = a.document_id"
                               " WHERE d.name = 'plain'")[0][0]
    assert new_key != key
    report = json.loads(coded("autocode", "--json").stdout)
    assert (report["annotated"], report["cached"]) == (0, 2)


def test_bad_codebook_and_unknown_document(coded, project):
    bad = write(project.root / "bad.yaml", CODEBOOK.replace("rules:", "rule:", 1))
    before = db_rows(project, "SELECT * FROM codings")
    res = coded("autocode", "--codebook", bad)
    assert res.exit_code == 1
    assert "bad.yaml:" in res.stderr and "unknown key 'rule'" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    assert db_rows(project, "SELECT * FROM codings") == before
    res = coded("autocode", "--docs", "nope")
    assert res.exit_code == 1 and "no document named 'nope'" in res.stderr


def test_codebook_check_and_show_cli(coded, project):
    bad = write(project.root / "bad.yaml", CODEBOOK.replace("rules:", "rule:", 1))
    res = coded("codebook", "check", bad)
    assert res.exit_code == 1
    assert f"{bad}:12:9: identity/mining_memory: unknown key 'rule' (did you mean 'rules'?)" in res.stdout
    res = coded("codebook", "check", project.root / "codebooks" / "test.yaml")
    assert res.exit_code == 0 and "ok" in res.stdout
    res = coded("codebook", "show", "--json")
    assert res.exit_code == 0
    tree = json.loads(res.stdout)
    assert tree["title"] == "Test"
    res = coded("codebook", "show")
    assert res.exit_code == 0 and "Mining memory" in res.stdout


def test_explain_shows_rules_and_exclusions(coded):
    res = coded("explain", "caron", "4", "--json")
    assert res.exit_code == 0, res.output
    ex = json.loads(res.stdout)
    hits = {(h["code"], h["exclude"], h["blocked"], h["matches"][0]["text"]) for h in ex["hits"]}
    assert ("identity/mining_memory", True, False, "mineur de moins de") in hits
    assert ("identity/mining_memory", False, True, "mineur") in hits  # blocked by the exclude
    assert ("identity/mining_memory", False, False, "gueules noires") in hits
    res = coded("explain", "caron", "1")
    assert res.exit_code == 0 and "interviewer turn" in res.stdout
    res = coded("explain", "caron", "99")
    assert res.exit_code == 1 and "turns 1 to 4" in res.stderr


def test_kwic_surface_and_lemma(coded, project):
    res = coded("kwic", "mineur", "--json")
    lines = json.loads(res.stdout)
    assert [x["match"] for x in lines] == ["mineur", "mineur"]
    res = coded("kwic", "gueule noire", "--json")
    assert json.loads(res.stdout) == []  # surface forms: plural does not match
    res = coded("kwic", "gueule noire", "--lemma", "--json")
    lines = json.loads(res.stdout)
    assert [x["match"] for x in lines] == ["gueules noires"] and lines[0]["turn"] == 4
    res = coded("kwic", "mine*", "--by", "group")
    assert res.exit_code == 1 and "no case has an attribute 'group'" in res.stderr


def test_kwic_on_a_cached_project_does_not_load_the_pipeline(coded, project, monkeypatch):
    """Loading fr_core_news_sm takes seconds: kwic only needs the annotation cache, and
    for --lemma the term's analysis kept by autocode."""
    import qualcode.kwic
    import qualcode.nlp

    real = qualcode.nlp.load_pipeline("fr")

    def no_loading():
        raise AssertionError("the pipeline should not be loaded")

    unloaded = qualcode.nlp.Pipeline(None, real.name, real.description, "fr", True, loader=no_loading)
    monkeypatch.setattr(qualcode.kwic, "load_pipeline", lambda language: unloaded)
    res = coded("kwic", "mineur", "--json")
    assert res.exit_code == 0, res.output
    assert [x["match"] for x in json.loads(res.stdout)] == ["mineur", "mineur"]
    res = coded("kwic", "gueule noire", "--lemma", "--json")  # a term of the codebook
    assert res.exit_code == 0, res.output
    assert [x["match"] for x in json.loads(res.stdout)] == ["gueules noires"]
    assert not unloaded.loaded
    res = coded("kwic", "coron", "--lemma", "--json")  # a new term needs the pipeline
    assert res.exit_code == 1 and "should not be loaded" in res.output


def test_dry_run_writes_nothing_at_all(cli, project, tmp_path):
    build_project(project, tmp_path, codebook=CODEBOOK, documents={"caron": INTERVIEW})
    tables = ("codes", "codings", "annotations", "history", "codebook_versions")
    before = {t: db_rows(project, f"SELECT * FROM {t}") for t in tables}
    res = cli("autocode", "--dry-run")
    assert res.exit_code == 0 and "dry run: nothing written" in res.stdout
    assert {t: db_rows(project, f"SELECT * FROM {t}") for t in tables} == before


def test_definition_edit_alone_updates_codes_and_reactivates(coded, project):
    edited = CODEBOOK.replace("definition: Patrimoine.", "definition: Le patrimoine et ses labels.")
    write(project.root / "codebooks" / "test.yaml", edited)
    with project.store.transaction():
        project.store.execute("UPDATE codes SET status = 'retired' WHERE path = 'identity'")
    res = coded("autocode")
    assert res.exit_code == 0, res.output
    rows = dict(db_rows(project, "SELECT path, definition FROM codes"))
    assert rows["heritage"] == "Le patrimoine et ses labels."
    statuses = dict(db_rows(project, "SELECT path, status FROM codes"))
    assert statuses["identity"] == "active"  # written in the codebook: active again


def test_kept_proposal_records_new_origin_and_version(coded, project):
    """A unit proposed again by another rule of the edited codebook is kept (same id,
    status) and records the rule that now fires and the new codebook version."""
    before = {r[0]: r for r in db_rows(project, "SELECT k.id, k.origin, k.codebook_version, k.text FROM codings k"
                                                " JOIN codes c ON c.id = k.code_id WHERE c.path = 'heritage'")}
    assert [r[1] for r in before.values()] == ['heritage terms[0] "Unesco"']
    edited = CODEBOOK.replace("      - terms: [unesco, patrimoine]",
                              "      - terms: [fierté]\n      - terms: [unesco, patrimoine]")
    write(project.root / "codebooks" / "test.yaml", edited)
    res = coded("autocode", "--json")
    assert res.exit_code == 0, res.output
    after = {r[0]: r for r in db_rows(project, "SELECT k.id, k.origin, k.codebook_version, k.text FROM codings k"
                                               " JOIN codes c ON c.id = k.code_id WHERE c.path = 'heritage'")}
    assert list(after) == list(before)  # the same coding, not removed and re-added
    (cid, origin, version, text), = after.values()
    assert origin == 'heritage terms[0] "fierté"'  # the first rule in order that matches the turn
    assert version != before[cid][2] and text == before[cid][3]
    others = {r[0] for r in db_rows(project, "SELECT DISTINCT codebook_version FROM codings WHERE coder = 'rules'")}
    assert others == {version}  # unchanged-origin proposals got the new version in one UPDATE
    assert_offsets_sacred(project)


# --------------------------------------------------------------------------- pattern matches cache

PATTERNS = """\
  - code: work
    label: Work
    definition: Le travail à la mine.
    rules:
      - pattern: [{LEMMA: descendre}, {LOWER: à}, {LOWER: la}, {LEMMA: fosse}]
      - pattern: [{LOWER: gueules}, {LEMMA: noir}]
      - terms: [travail]
"""


@pytest.fixture
def patterned(project, tmp_path):
    return build_project(project, tmp_path, codebook=CODEBOOK + PATTERNS, documents={"caron": INTERVIEW},
                         autocode=True)


def _rule_codings(project):
    return db_rows(project, 'SELECT code_id, start, "end", text, origin, status FROM codings '
                            "WHERE coder = 'rules' ORDER BY start, code_id")


def test_pattern_matches_are_cached_and_used_after_a_terms_only_edit(patterned, project, monkeypatch):
    from qualcode.rules import _DocView

    rows = db_rows(project, "SELECT document_id, cache_key, length(data) FROM pattern_matches")
    assert len(rows) == 1 and rows[0][2] == 2 * 3 * 8  # two matches, three 64-bit integers each
    texts = {r["text"] for r in codings(patterned, "--code", "work")}
    assert texts == {"Il descendait à la fosse tous les jours.",
                     "Aujourd'hui on parle des gueules noires dans les musées."}
    matched = []
    real = _DocView.match_patterns
    monkeypatch.setattr(_DocView, "match_patterns", lambda self: matched.append(1) or real(self))

    # a terms-only edit: the patterns' matches come from the cache, the Matcher never runs
    write(project.root / "codebooks" / "test.yaml",
          (CODEBOOK + PATTERNS).replace("terms: [unesco, patrimoine]", "terms: [unesco]"))
    res = patterned("autocode")
    assert res.exit_code == 0, res.output
    assert matched == []
    with_cache = _rule_codings(project)
    assert {r["text"] for r in codings(patterned, "--code", "work")} == texts
    # the same codings as when the Matcher runs: without the cache, nothing changes
    with project.store.transaction():
        project.store.execute("DELETE FROM pattern_matches")
    res = patterned("autocode")
    assert res.exit_code == 0 and "no change" in res.stdout, res.output
    assert matched == [1] and _rule_codings(project) == with_cache
    # kept even though no coding changed: the next run finds them
    assert len(db_rows(project, "SELECT * FROM pattern_matches")) == 1
    assert_offsets_sacred(project)


def test_cached_pattern_matches_are_not_used_when_patterns_or_turns_change(patterned, project, monkeypatch):
    from qualcode.rules import _DocView

    matched = []
    real = _DocView.match_patterns
    monkeypatch.setattr(_DocView, "match_patterns", lambda self: matched.append(1) or real(self))
    # the interviewer's turns coded too: other turns, other matches ("Parlez-moi de la fosse")
    res = patterned("autocode", "--include-interviewer")
    assert res.exit_code == 0, res.output
    assert matched == [1]
    # a pattern edited: matched again, with the new pattern
    edited = (CODEBOOK + PATTERNS).replace("{LOWER: gueules}, {LEMMA: noir}", "{LOWER: gueules}")
    write(project.root / "codebooks" / "test.yaml", edited)
    res = patterned("autocode")
    assert res.exit_code == 0, res.output
    assert matched == [1, 1]
    assert "Aujourd'hui on parle des gueules noires dans les musées." in {
        r["text"] for r in codings(patterned, "--code", "work")}
    key = db_rows(project, "SELECT cache_key FROM pattern_matches")[0][0]
    res = patterned("autocode")  # the same codebook again: from the cache
    assert res.exit_code == 0 and matched == [1, 1]
    assert db_rows(project, "SELECT cache_key FROM pattern_matches")[0][0] == key


def test_recoding_after_a_terms_only_edit_does_not_import_spacy(patterned, project):
    """The point of the cache: the wait after a codebook edit has no spaCy import in it."""
    import subprocess
    import sys

    # a term removed and a regex added: nothing for the pipeline to analyse
    edited = (CODEBOOK + PATTERNS).replace("terms: [unesco, patrimoine]", "terms: [unesco]").replace(
        "      - terms: [travail]\n", "      - terms: [travail]\n      - regex: '\\bboulots?\\b'\n")
    assert edited.count("regex") == 1
    write(project.root / "codebooks" / "test.yaml", edited)
    script = ("import sys\nfrom qualcode.project import Project\nfrom qualcode.autocode import autocode\n"
              f"with Project.open({str(project.root)!r}) as p:\n    r = autocode(p)\n"
              "print(r.documents, r.cached, 'spacy' in sys.modules)\n")
    project.close()
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["1", "1", "False"]


def test_a_rerun_keeps_the_code_order_for_reports_after_the_codebook_reader_changed(coded, project, monkeypatch):
    """The reports read the codebook's code order from the project, under the hash of the
    code that reads codebooks; after an upgrade that changed it, the next autocode keeps
    the order again even when no coding changes."""
    from qualcode.codebook import load

    monkeypatch.setattr(load, "_reader_hash", lambda: "another-reader")
    before = db_rows(project, "SELECT * FROM codings")
    res = coded("autocode")
    assert res.exit_code == 0 and "no change" in res.stdout, res.output
    kept = db_rows(project, "SELECT value FROM project_meta WHERE key LIKE 'codebook-order/another-reader %'")
    assert [json.loads(v) for (v,) in kept] == [["identity", "identity/mining_memory", "heritage"]]
    assert db_rows(project, "SELECT * FROM codings") == before


def test_codebook_diff_uses_the_cached_pattern_matches(patterned, project, monkeypatch):
    """`codebook diff OLD NEW` re-codes with both codebooks: after a terms-only edit their
    patterns' matches come from what autocode cached, and are the Matcher's."""
    from qualcode.rules import _DocView, _TermCompiler

    matched, analysed = [], []
    real = _DocView.match_patterns
    monkeypatch.setattr(_DocView, "match_patterns", lambda self: matched.append(1) or real(self))
    real_analyse = _TermCompiler._analyse
    monkeypatch.setattr(_TermCompiler, "_analyse", lambda self, text: analysed.append(text) or real_analyse(self, text))
    old = project.root / "codebooks" / "test.yaml"
    terms_only = write(project.root / "terms.yaml", (CODEBOOK + PATTERNS).replace("terms: [travail]",
                                                                                 "terms: [travail, unesco]"))
    res = patterned("codebook", "diff", str(old), terms_only, "--json")
    assert res.exit_code == 0, res.output
    assert matched == [] and analysed == []  # the terms' analyses from the project too
    work = next(c for c in json.loads(res.stdout)["effect"]["codes"] if c["code"] == "work")
    assert (work["before"], work["after"]) == (2, 3)  # + "Le classement Unesco, c'est une fierté pour nous."
    # a pattern changed: the new codebook's run through the Matcher, the old one's from the cache
    new_pattern = write(project.root / "pattern.yaml", (CODEBOOK + PATTERNS).replace(
        "{LOWER: gueules}, {LEMMA: noir}", "{LOWER: gueules}"))
    res = patterned("codebook", "diff", str(old), new_pattern, "--json")
    assert res.exit_code == 0, res.output
    assert matched == [1]
    work = next(c for c in json.loads(res.stdout)["effect"]["codes"] if c["code"] == "work")
    assert (work["before"], work["after"]) == (2, 2)


def test_explain_takes_the_turns_pattern_matches_from_the_cache(patterned, project, monkeypatch):
    """`explain DOC N` after autocode: the terms' analyses and the turn's pattern matches
    come from the project's caches (no pipeline, no Matcher for a turn autocode coded),
    and say exactly what the Matcher says."""
    from qualcode.rules import _DocView, _TermCompiler

    matched, analysed = [], []
    real_match, real_analyse = _DocView.match_patterns, _TermCompiler._analyse
    monkeypatch.setattr(_DocView, "match_patterns", lambda self: matched.append(1) or real_match(self))
    monkeypatch.setattr(_TermCompiler, "_analyse", lambda self, text: analysed.append(text) or real_analyse(self, text))
    n_turns = len(project.store.documents.turns(project.store.documents.by_name("caron").id))
    roles = [t.role for t in project.store.documents.turns(project.store.documents.by_name("caron").id)]
    cached = {}
    for turn in range(1, n_turns + 1):
        res = patterned("explain", "caron", str(turn), "--json")
        assert res.exit_code == 0, res.output
        cached[turn] = json.loads(res.stdout)
    assert analysed == []
    assert len(matched) == roles.count("interviewer")  # the turns autocode did not code
    assert any(h["kind"] == "pattern" for e in cached.values() for h in e["hits"])
    with project.store.transaction():
        project.store.execute("DELETE FROM pattern_matches")
    for turn in range(1, n_turns + 1):
        res = patterned("explain", "caron", str(turn), "--json")
        assert json.loads(res.stdout) == cached[turn], turn
    assert len(matched) == roles.count("interviewer") + n_turns
