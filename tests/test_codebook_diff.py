"""`qualcode codebook diff`: structural diff of two codebook versions and its effect on coding."""

from __future__ import annotations

import json

import pytest
from helpers import Runner, build_project, db_rows, write

from qualcode.codebook import Rule, parse_codebook_text
from qualcode.codebook.diff import diff_codebooks, flow_yaml, pair_codes, rule_text, similarity

V1 = """\
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
      - code: fierte
        label: Pride
        definition: Fierté d'appartenir au bassin minier.
        rules:
          - terms: [fierté]
      - code: jobs
        label: Jobs
        definition: Emploi et chômage.
        rules:
          - terms: [emploi, chômage]
      - code: stigma
        label: Stigma
        definition: Image négative.
        rules:
          - terms: [misère]
  - code: heritage
    label: Heritage
    definition: Patrimoine.
    unit: turn
    rules:
      - terms: [unesco]
  - code: future
    label: Future
    definition: Avenir.
"""

# v2: mining_memory's definition changed and a rule added; fierte renamed pride (same
# content); jobs moved under future; stigma removed; heritage's terms rule gains a term;
# future/youth added.
V2 = """\
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
        definition: Mémoire de la mine et des mineurs.
        rules:
          - terms: [fosse, mineur]
          - terms: [coron]
      - code: pride
        label: Pride
        definition: Fierté d'appartenir au bassin minier.
        rules:
          - terms: [fierté]
  - code: heritage
    label: Heritage
    definition: Patrimoine.
    unit: turn
    rules:
      - terms: [unesco, patrimoine]
  - code: future
    label: Future
    definition: Avenir.
    children:
      - code: jobs
        label: Jobs
        definition: Emploi et chômage.
        rules:
          - terms: [emploi, chômage]
      - code: youth
        label: Youth
        definition: Les jeunes.
        rules:
          - terms: [jeune]
"""

INTERVIEW = """\
Enquêtrice : Parlez-moi de la mine et du patrimoine.
M. Caron : Mon père était mineur. On vivait dans un coron.
C'est une fierté pour nous. Les jeunes partent, il n'y a pas d'emploi.
Enquêtrice : Et le classement ?
M. Caron : Le classement Unesco, c'est bien.
La misère, on l'a connue.
Enquêtrice : Merci.
M. Caron : Les jeunes reviennent parfois pour le patrimoine.
"""


def cb(text: str):
    return parse_codebook_text(text)


def by_path(diff):
    return {c.path: c for c in diff.changes()}


# --------------------------------------------------------------------------- structure (pure)


def test_structural_diff_items():
    diff = diff_codebooks(cb(V1), cb(V2))
    items = [c.to_dict() for c in diff.changes()]
    assert [(i["status"], i["old_path"], i["new_path"]) for i in items] == [
        ("edited", "identity/mining_memory", "identity/mining_memory"),
        ("renamed", "identity/fierte", "identity/pride"),
        ("edited", "heritage", "heritage"),
        ("moved", "identity/jobs", "future/jobs"),
        ("added", None, "future/youth"),
        ("removed", "identity/stigma", None),
    ]
    mm = by_path(diff)["identity/mining_memory"]
    assert [f.to_dict() for f in mm.fields] == [
        {"field": "definition", "before": "Mémoire de la mine.", "after": "Mémoire de la mine et des mineurs."}]
    assert [r.to_dict() for r in mm.rules] == [
        {"op": "added", "section": "rules", "index": 1, "rule": "terms: [coron]"}]
    pride = by_path(diff)["identity/pride"]
    assert (pride.renamed, pride.moved, pride.match, pride.fields, pride.rules) == (True, False, "content", [], [])
    jobs = by_path(diff)["future/jobs"]
    assert (jobs.renamed, jobs.moved, jobs.match, jobs.fields, jobs.rules) == (False, True, "content", [], [])
    heritage = by_path(diff)["heritage"]
    assert [r.to_dict() for r in heritage.rules] == [
        {"op": "changed", "section": "rules", "index": 0, "rule": "terms: [unesco, patrimoine]",
         "before": "terms: [unesco]", "old_index": 0, "terms_added": ["patrimoine"], "terms_removed": []}]
    assert diff.summary() == {"added": 1, "removed": 1, "renamed": 1, "moved": 1, "edited": 2,
                              "rules_added": 1, "rules_removed": 0, "rules_changed": 1}
    assert diff.summary_line() == ("codes: 1 added, 1 removed, 1 renamed, 1 moved, 2 edited; "
                                   "rules: 1 added, 1 changed")
    assert diff.pairs == {"identity": "identity", "identity/mining_memory": "identity/mining_memory",
                          "identity/fierte": "identity/pride", "heritage": "heritage", "future": "future",
                          "identity/jobs": "future/jobs"}
    assert diff.codebook_fields == []


def test_terms_compare_as_the_engine_folds_them():
    # accents, case, typographic apostrophes, œ and spacing do not change what the engine
    # matches: the diff does not report them as added or removed terms
    old = cb("title: t\ncodes:\n  - code: a\n    rules:\n"
             "      - terms: [l'image, enquête, cœur, gueule noire]\n")
    new = cb("title: t\ncodes:\n  - code: a\n    rules:\n"
             "      - terms: [l’image, Enquete, coeur, gueule  noire, patrimoine]\n")
    (change,) = diff_codebooks(old, new).changes()
    (rule,) = change.rules
    assert (rule.op, rule.terms_added, rule.terms_removed) == ("changed", ["patrimoine"], [])


def test_identical_and_reversed():
    assert diff_codebooks(cb(V1), cb(V1)).identical
    assert diff_codebooks(cb(V1), cb(V1)).summary_line() == "no difference"
    back = diff_codebooks(cb(V2), cb(V1))
    assert [(c.status, c.path) for c in back.changes()] == [
        ("edited", "identity/mining_memory"), ("renamed", "identity/fierte"), ("moved", "identity/jobs"),
        ("added", "identity/stigma"), ("edited", "heritage"), ("removed", "future/youth")]
    assert [r.to_dict()["op"] for r in by_path(back)["identity/mining_memory"].rules] == ["removed"]


def test_codebook_level_fields_and_other_code_fields():
    v2 = (V1.replace("title: Test", "title: Test 2\nversion: \"2\"").replace("unit: sentence", "unit: turn", 1)
          .replace("    label: Heritage\n",
                   "    label: Heritage sites\n    color: red\n    examples: [\"Le Louvre.\"]\n"))
    diff = diff_codebooks(cb(V1), cb(v2))
    assert [f.to_dict() for f in diff.codebook_fields] == [
        {"field": "title", "before": "Test", "after": "Test 2"},
        {"field": "unit", "before": "sentence", "after": "turn"},
        {"field": "declared_version", "before": None, "after": "2"}]
    assert [(f.field, f.before, f.after) for f in by_path(diff)["heritage"].fields] == [
        ("label", "Heritage", "Heritage sites"), ("examples", [], ["Le Louvre."]), ("color", None, "red")]


def test_parent_rename_carries_children_without_moving_them():
    v2 = V1.replace("  - code: identity\n", "  - code: identite\n")
    diff = diff_codebooks(cb(V1), cb(v2))
    changes = by_path(diff)
    # The parent pairs on its unique content (definition 'Identité.'), then its children
    # follow it: their paths change but they are neither renamed nor moved.
    assert changes["identite"].status == "renamed" and changes["identite"].match == "content"
    child = changes["identite/mining_memory"]
    assert (child.status, child.renamed, child.moved, child.match) == ("parent renamed", False, False, "parent")
    assert diff.summary()["renamed"] == 1 and diff.summary()["moved"] == 0


def test_moved_and_edited_pairs_on_its_slug():
    v2 = V2.replace("definition: Emploi et chômage.", "definition: Travail.")
    c = by_path(diff_codebooks(cb(V1), cb(v2)))["future/jobs"]
    assert (c.status, c.match, c.moved, c.renamed, c.edited) == ("moved", "slug", True, False, True)
    assert [f.to_dict() for f in c.fields] == [
        {"field": "definition", "before": "Emploi et chômage.", "after": "Travail."}]
    # the same slug twice among the unpaired codes is no evidence (rules changed too, so
    # nothing else pairs them)
    v3 = v2.replace("terms: [emploi, chômage]", "terms: [travail]").replace(
        "  - code: future\n", "  - code: other\n    children:\n      - code: jobs\n  - code: future\n")
    changes = by_path(diff_codebooks(cb(V1), cb(v3)))
    assert changes["identity/jobs"].status == "removed"
    assert changes["future/jobs"].status == changes["other/jobs"].status == "added"


def test_similar_rename_threshold():
    # fierte renamed pride and its terms changed: 4 terms shared out of 5 -> Jaccard 0.8
    v1 = V1.replace("terms: [fierté]", "terms: [fierté, fier, orgueil, honneur]").replace(
        "definition: Fierté d'appartenir au bassin minier.", "definition: Fierté.")
    v2 = v1.replace("code: fierte", "code: pride").replace(
        "terms: [fierté, fier, orgueil, honneur]", "terms: [fierté, fier, orgueil, honneur, gloire]").replace(
        "definition: Fierté.", "definition: Sentiment d'appartenance.")
    a, b = cb(v1).by_path(), cb(v2).by_path()
    assert similarity(a["identity/fierte"], b["identity/pride"]) == 0.8
    pairs = pair_codes(cb(v1), cb(v2))
    assert pairs["identity/fierte"] == ("identity/pride", "similar", 0.8)
    # two new terms instead of one: 4 / 6 < 0.8 -> removed + added
    v3 = v2.replace("gloire]", "gloire, dignité]")
    assert similarity(a["identity/fierte"], cb(v3).by_path()["identity/pride"]) == round(4 / 6, 3)
    changes = by_path(diff_codebooks(cb(v1), cb(v3)))
    assert changes["identity/fierte"].status == "removed" and changes["identity/pride"].status == "added"


def test_empty_codes_are_not_paired_on_empty_content():
    v1 = "title: T\ncodes:\n  - code: a\n  - code: b\n"
    v2 = "title: T\ncodes:\n  - code: c\n  - code: b\n"
    changes = by_path(diff_codebooks(cb(v1), cb(v2)))
    assert (changes["a"].status, changes["c"].status) == ("removed", "added")


def test_rule_reorder_and_exclude_changes():
    v1 = V1.replace("          - terms: [fosse, mineur]\n",
                    "          - terms: [fosse, mineur]\n          - regex: '\\b1[01]/19\\b'\n")
    v2 = V1.replace("          - terms: [fosse, mineur]\n",
                    "          - regex: '\\b1[01]/19\\b'\n          - terms: [fosse, mineur]\n"
                    "        exclude:\n          - terms: [\"mineur de moins de\"]\n")
    c = by_path(diff_codebooks(cb(v1), cb(v2)))["identity/mining_memory"]
    assert [r.to_dict() for r in c.rules] == [
        {"op": "added", "section": "exclude", "index": 0, "rule": "terms: [mineur de moins de]"}]
    assert c.rules_reordered is True  # the rules section: same rules, another order
    v3 = v1.replace("          - terms: [fosse, mineur]\n          - regex: '\\b1[01]/19\\b'\n",
                    "          - regex: '\\b1[01]/19\\b'\n          - terms: [fosse, mineur]\n")
    c = by_path(diff_codebooks(cb(v1), cb(v3)))["identity/mining_memory"]
    assert (c.rules, c.rules_reordered, c.status) == ([], True, "edited")


def test_rule_text_is_compact_yaml():
    assert rule_text(Rule("terms", ["fosse", "gueule noire", "reconver*", "l'image"])) == \
        "terms: [fosse, gueule noire, reconver*, l'image]"
    assert rule_text(Rule("regex", r"\b1[01]/19\b")) == r"regex: '\b1[01]/19\b'"
    assert rule_text(Rule("pattern", [{"LEMMA": "descendre"}, {"LOWER": "à", "OP": "?"}])) == \
        "pattern: [{LEMMA: descendre}, {LOWER: à, OP: '?'}]"
    assert rule_text(Rule("near", {"terms": ["image"], "with": ["misère"], "within": 5})) == \
        "near: {terms: [image], with: [misère], within: 5}"
    assert flow_yaml(["yes", "12", "it's", "a: b"]) == "[\'yes\', \'12\', it's, 'a: b']"


# --------------------------------------------------------------------------- CLI without project


def test_cli_two_files_outside_a_project(tmp_path):
    old, new = write(tmp_path / "v1.yaml", V1), write(tmp_path / "v2.yaml", V2)
    run = Runner(tmp_path)
    res = run("codebook", "diff", old, new, "--json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["effect"] is None
    assert data["summary"] == diff_codebooks(cb(V1), cb(V2)).summary()
    assert [c["status"] for c in data["codes"]] == ["edited", "renamed", "edited", "moved", "added", "removed"]
    assert (data["old"]["version"], data["new"]["version"]) == (cb(V1).version, cb(V2).version)

    res = run("codebook", "diff", "v1.yaml", "v2.yaml")
    assert res.exit_code == 0, res.output
    out = res.stdout
    assert "codes: 1 added, 1 removed, 1 renamed, 1 moved, 2 edited; rules: 1 added, 1 changed" in out
    for line in ("+ future/youth  Youth  (1 rule)  added", "- identity/stigma  Stigma  removed",
                 "~ identity/pride ← identity/fierte  Pride  renamed (same rules and definitions)",
                 "~ future/jobs ← identity/jobs  Jobs  moved (same rules and definitions)",
                 "definition: 'Mémoire de la mine.' → 'Mémoire de la mine et des mineurs.'",
                 "  + rules[1]  terms: [coron]", "  ~ rules[0]  terms: [unesco, patrimoine]  (+patrimoine)",
                 "not computed"):
        assert line in out, line
    assert "Effect on coding" not in out


def test_cli_errors(tmp_path):
    write(tmp_path / "v1.yaml", V1)
    run = Runner(tmp_path)
    res = run("codebook", "diff", "v1.yaml", "missing.yaml")
    assert res.exit_code == 1 and "no such codebook file: missing.yaml" in res.output
    res = run("codebook", "diff", "v1.yaml", "3f9c0b2a71de")
    assert res.exit_code == 1 and "needs a project" in res.output
    res = run("codebook", "diff", "v1.yaml", "v1.yaml", "--show")
    assert res.exit_code == 2 and "--show needs" in res.output
    res = run("codebook", "diff", "v1.yaml")
    assert res.exit_code == 2 and "NEW omitted" in res.output
    write(tmp_path / "bad.yaml", V1.replace("rules:", "rule:", 1))
    res = run("codebook", "diff", "v1.yaml", "bad.yaml")
    assert res.exit_code == 1 and "bad.yaml:" in res.output and "unknown key 'rule'" in res.output
    assert "Traceback" not in res.output


# --------------------------------------------------------------------------- effect on coding


def snapshot(project):
    return {t: db_rows(project, f"SELECT * FROM {t} ORDER BY rowid")
            for t in ("codings", "codes", "history", "annotations", "codebook_versions")}


def rule_units(project):
    """code path -> {(document, start, end)} of the stored rule codings, checking offsets."""
    out: dict = {}
    for name, text, path, start, end, coded in db_rows(
            project, 'SELECT d.name, d.text, c.path, k.start, k."end", k.text FROM codings k'
                     " JOIN codes c ON c.id = k.code_id JOIN documents d ON d.id = k.document_id"
                     " WHERE k.coder = 'rules'"):
        assert text[start:end] == coded  # the offset invariant
        out.setdefault(path, set()).add((name, start, end))
    return out


@pytest.fixture
def coded_v1(project, tmp_path):
    write(project.root / "v1.yaml", V1)
    write(project.root / "v2.yaml", V2)
    return build_project(project, tmp_path, codebook=V1, documents={"caron": INTERVIEW}, autocode=True)


def effect_codes(data):
    return {c["code"]: c for c in data["effect"]["codes"]}


def test_effect_on_coding_by_hand(coded_v1, project):
    text = project.store.documents.by_name("caron").text
    stored_v1 = rule_units(project)
    # Clear the annotation cache: the diff must annotate in memory and cache nothing.
    with project.store.transaction():
        project.store.execute("DELETE FROM annotations")
    before = snapshot(project)
    res = coded_v1("codebook", "diff", "v1.yaml", "v2.yaml", "--show", "--json")
    assert res.exit_code == 0, res.output
    assert snapshot(project) == before  # read-only
    data = json.loads(res.stdout)
    assert data["effect"]["documents"] == 1 and data["effect"]["annotated_in_memory"] == 1
    codes = effect_codes(data)
    got = {p: (c["before"], c["after"], [u["text"] for u in c["gained_units"]],
               [u["text"] for u in c["lost_units"]]) for p, c in codes.items()}
    turn6 = "M. Caron : Les jeunes reviennent parfois pour le patrimoine."[len("M. Caron : "):]
    assert got == {
        "identity": (0, 0, [], []),
        "identity/mining_memory": (1, 2, ["On vivait dans un coron."], []),
        "identity/pride": (1, 1, [], []),  # renamed: compared under its pairing
        "heritage": (1, 2, [turn6], []),  # unit: turn
        "future": (0, 0, [], []),
        "future/jobs": (1, 1, [], []),  # moved
        "future/youth": (0, 2, ["Les jeunes partent, il n'y a pas d'emploi.",
                                "Les jeunes reviennent parfois pour le patrimoine."], []),
        "identity/stigma": (1, 0, [], ["La misère, on l'a connue."]),
    }
    assert (data["effect"]["gained"], data["effect"]["lost"]) == (4, 1)
    assert codes["identity/pride"]["old_path"] == "identity/fierte"
    for c in codes.values():
        for u in c["gained_units"] + c["lost_units"]:
            assert text[u["start"]:u["end"]] == u["text"]
    assert codes["future/youth"]["gained_units"][0]["turn"] == 2
    assert codes["future/youth"]["gained_units"][1]["turn"] == 6
    assert codes["future/youth"]["gained_units"][0]["origin"] == 'future/youth terms[0] "jeunes"'
    assert codes["identity/stigma"]["lost_units"][0]["origin"] == 'identity/stigma terms[0] "misère"'
    # "before" is what autocode stored with v1 (old paths)
    assert {p: c["before"] for p, c in codes.items() if c["before"]} == \
        {{"identity/fierte": "identity/pride", "identity/jobs": "future/jobs"}.get(p, p): len(u)
         for p, u in stored_v1.items()}

    # the terminal rendering of the same
    res = coded_v1("codebook", "diff", "v1.yaml", "v2.yaml", "--show")
    assert res.exit_code == 0, res.output
    out = res.stdout
    assert "Effect on coding" in out and "units: +4 -1" in out
    assert "2 codes with no unit in either version (not shown)" in out
    assert "(1 document, participant turns; " in out
    assert "  + caron:6  Les jeunes reviennent parfois pour le patrimoine.  [future/youth terms[0] \"jeunes\"]" in out
    assert "  - caron:4  La misère, on l'a connue.  [identity/stigma terms[0] \"misère\"]" in out
    row = next(line for line in out.splitlines() if line.strip().startswith("future/youth"))
    assert row.split() == ["future/youth", "0", "2", "+2"]
    row = next(line for line in out.splitlines() if line.strip().startswith("identity/pride"))
    assert row.split() == ["identity/pride", "←", "identity/fierte", "1", "1"]
    assert snapshot(project) == before

    # --no-effect and --docs
    res = coded_v1("codebook", "diff", "v1.yaml", "v2.yaml", "--no-effect", "--json")
    assert json.loads(res.stdout)["effect"] is None
    res = coded_v1("codebook", "diff", "v1.yaml", "v2.yaml", "--docs", "nope")
    assert res.exit_code == 1 and "no document named 'nope'" in res.output


def test_recorded_versions_as_old_and_new(coded_v1, project):
    v1_id = parse_codebook_text(V1).version
    v2_id = parse_codebook_text(V2).version
    write(project.root / "codebooks" / "test.yaml", V2)
    res = coded_v1("autocode")
    assert res.exit_code == 0, res.output
    stored_v2 = rule_units(project)
    assert [r[0] for r in db_rows(project, "SELECT version FROM codebook_versions ORDER BY rowid")] == [v1_id, v2_id]
    before = snapshot(project)

    files = json.loads(coded_v1("codebook", "diff", "v1.yaml", "v2.yaml", "--json").stdout)
    res = coded_v1("codebook", "diff", v1_id, v2_id, "--json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert (data["old"]["kind"], data["old"]["name"], data["new"]["name"]) == ("version", f"version {v1_id}",
                                                                                f"version {v2_id}")
    assert data["old"]["source"].endswith("test.yaml") and data["old"]["recorded_at"]
    assert (data["summary"], data["codes"], data["effect"]) == (files["summary"], files["codes"], files["effect"])
    # "after" is what autocode stored with v2
    assert {c["code"]: c["after"] for c in data["effect"]["codes"] if c["after"]} == \
        {p: len(u) for p, u in stored_v2.items()}
    # a unique prefix, 'last', and NEW defaulting to the project's codebook file
    res = coded_v1("codebook", "diff", v1_id[:6], "last", "--json", "--no-effect")
    assert json.loads(res.stdout)["summary"] == files["summary"]
    res = coded_v1("codebook", "diff", v1_id, "--json", "--no-effect")
    data = json.loads(res.stdout)
    assert data["new"]["name"] == "codebooks/test.yaml" and data["summary"] == files["summary"]
    res = coded_v1("codebook", "diff", "last")
    assert res.exit_code == 0 and "no difference" in res.stdout and "no change in the units" in res.stdout
    res = coded_v1("codebook", "diff", "abcdef123456", "last")
    assert res.exit_code == 1 and f"recorded versions: {v1_id}" in res.output
    assert snapshot(project) == before
