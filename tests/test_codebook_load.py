"""Loading a codebook: the tree, inheritance, rules with lines, the content hash."""

from __future__ import annotations

import json
import textwrap

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qualcode.cli.render import codebook_tree
from qualcode.codebook import (
    Code,
    Codebook,
    CodebookError,
    Rule,
    Term,
    codebook_tree_json,
    load_codebook,
    parse_codebook_text,
    parse_term,
    term_error,
)
from qualcode.errors import InputError, QualcodeError

SAMPLE = """\
title: Bassin minier – reconversion des sites miniers par la culture
language: fr
unit: sentence            # default unit of rule coding: sentence | turn
codes:
  - code: identity        # slug [a-z0-9_]+ ; the full path joins slugs with "/"
    label: Identité
    definition: Rapport au territoire et à son passé.
    when_to_use: Le locuteur parle de ce qui fait la région.
    when_not_to_use: Simple localisation géographique.
    examples: ["on est des gens du Nord"]
    color: "#1f77b4"
    children:
      - code: mining_memory            # path identity/mining_memory
        label: Mémoire minière
        unit: turn                     # overrides the codebook default
        rules:
          - terms: [fosse, mineur, coron, "gueule noire", "reconver*"]
          - pattern: [{LEMMA: descendre}, {LOWER: "à", OP: "?"}, {LEMMA: le}, {LEMMA: fosse}]
          - regex: '\\b1[01]/19\\b'
          - near: {terms: [image], with: [mauvais, misère, négatif], within: 5}
        exclude:
          - terms: ["mineur de moins de"]
      - code: stigma
        label: Stigmate
        definition: Image négative du bassin minier.
  - code: culture
    label: Culture
    color: darkorange
    definition: Équipements et pratiques culturelles.
    rules:
      - terms: [musée, "festiva*"]
"""

# The same content, reformatted: comments, block vs flow style, quoting, key order,
# block scalars, "example" for a one-item "examples", a trailing newline in a folded text.
SAMPLE_REFORMATTED = """\
# Codebook du projet — version reformatée
codes:
- code: identity
  color: '#1f77b4'
  label: "Identité"
  definition: >
    Rapport au territoire
    et à son passé.
  when_to_use: Le locuteur parle de ce qui fait la région.
  when_not_to_use: "Simple localisation géographique."
  example: on est des gens du Nord
  children:
  - code: mining_memory
    unit: turn
    label: Mémoire minière
    rules:
    - terms:
      - fosse
      - mineur
      - coron
      - gueule noire
      - reconver*
    - pattern:
      - LEMMA: descendre
      - {LOWER: à, OP: '?'}
      - LEMMA: le
      - LEMMA: fosse
    - regex: "\\\\b1[01]/19\\\\b"
    - near:
        within: 5
        terms: [image]
        with: [mauvais, misère, négatif]
    exclude: [{terms: [mineur de moins de]}]
  - {code: stigma, label: Stigmate, definition: Image négative du bassin minier.}
- code: culture
  label: Culture
  color: darkorange
  definition: |-
    Équipements et pratiques culturelles.
  rules:
  - terms: [musée, festiva*]
unit: sentence
language: fr
title: 'Bassin minier – reconversion des sites miniers par la culture'
"""


@pytest.fixture
def cb() -> Codebook:
    return parse_codebook_text(SAMPLE, "sample.yaml")


def test_tree_paths_and_parents(cb):
    assert [c.path for c in cb.walk()] == [
        "identity",
        "identity/mining_memory",
        "identity/stigma",
        "culture",
    ]
    by = cb.by_path()
    assert by["identity"].parent is None
    assert by["identity/mining_memory"].parent == "identity"
    assert by["identity/mining_memory"].code == "mining_memory"
    assert by["identity/stigma"].parent == "identity"
    assert [c.code for c in by["identity"].children] == ["mining_memory", "stigma"]


def test_codebook_fields(cb):
    assert cb.title == "Bassin minier – reconversion des sites miniers par la culture"
    assert cb.language == "fr"
    assert cb.unit == "sentence"
    assert cb.source == "sample.yaml"
    assert cb.description is None and cb.authors == [] and cb.declared_version is None


def test_code_fields(cb):
    identity = cb.by_path()["identity"]
    assert isinstance(identity, Code)
    assert identity.label == "Identité"
    assert identity.definition == "Rapport au territoire et à son passé."
    assert identity.when_to_use == "Le locuteur parle de ce qui fait la région."
    assert identity.when_not_to_use == "Simple localisation géographique."
    assert identity.full_definition is None
    assert identity.examples == ["on est des gens du Nord"]
    assert identity.color == "#1f77b4"
    assert cb.by_path()["culture"].color == "darkorange"


def test_units_inherited_and_overridden(cb):
    by = cb.by_path()
    assert by["identity"].unit is None
    assert cb.unit_of(by["identity"]) == "sentence"
    assert by["identity/mining_memory"].unit == "turn"
    assert cb.unit_of(by["identity/mining_memory"]) == "turn"
    assert cb.unit_of(by["identity/stigma"]) == "sentence"


def test_code_lines(cb):
    assert [(c.path, c.line) for c in cb.walk()] == [
        ("identity", 5),
        ("identity/mining_memory", 13),
        ("identity/stigma", 23),
        ("culture", 26),
    ]


def test_rules_kinds_values_lines(cb):
    mm = cb.by_path()["identity/mining_memory"]
    assert [(r.kind, r.index, r.line) for r in mm.rules] == [
        ("terms", 0, 17),
        ("pattern", 1, 18),
        ("regex", 2, 19),
        ("near", 3, 20),
    ]
    assert mm.rules[0].value == ["fosse", "mineur", "coron", "gueule noire", "reconver*"]
    assert mm.rules[1].value == [
        {"LEMMA": "descendre"},
        {"LOWER": "à", "OP": "?"},
        {"LEMMA": "le"},
        {"LEMMA": "fosse"},
    ]
    assert mm.rules[2].value == r"\b1[01]/19\b"
    assert mm.rules[3].value == {
        "terms": ["image"],
        "with": ["mauvais", "misère", "négatif"],
        "within": 5,
    }
    assert mm.exclude == [Rule("terms", ["mineur de moins de"], 0, 22)]
    assert mm.rules[0].rule_id(mm.path) == "identity/mining_memory terms[0]"
    assert mm.exclude[0].rule_id(mm.path, exclude=True) == "identity/mining_memory exclude[0]"


def test_rule_values_are_plain_python(cb):
    mm = cb.by_path()["identity/mining_memory"]
    pattern = mm.rules[1].value
    assert type(pattern) is list and all(type(t) is dict for t in pattern)
    assert type(mm.rules[0].value[0]) is str
    assert type(mm.rules[3].value["within"]) is int
    json.dumps(pattern)


def test_content_hash_set(cb):
    assert len(cb.content_hash) == 64
    int(cb.content_hash, 16)
    assert cb.version == cb.content_hash[:12]


def test_hash_stable_under_reformatting(cb):
    other = parse_codebook_text(SAMPLE_REFORMATTED, "other.yaml")
    assert [c.path for c in other.walk()] == [c.path for c in cb.walk()]
    assert other.content_hash == cb.content_hash


def test_hash_independent_of_path_and_comments(tmp_path, cb):
    a = tmp_path / "a.yaml"
    b = tmp_path / "sub" / "b.yaml"
    b.parent.mkdir()
    a.write_text(SAMPLE, encoding="utf-8")
    b.write_text("# commentaire\n" + SAMPLE.replace("  # ", "    # autre "), encoding="utf-8")
    assert load_codebook(a).content_hash == load_codebook(b).content_hash == cb.content_hash


@pytest.mark.parametrize(
    "old,new",
    [
        ('"reconver*"]', '"reconver*", terril]'),  # a rule edit
        ("within: 5", "within: 6"),
        ("{LEMMA: le}", "{LEMMA: la}"),
        ("label: Culture", "label: Cultures"),
        ("unit: turn ", "unit: sentence "),
        ("""- terms: ["mineur de moins de"]""", """- terms: ["mineur de"]"""),
        ("color: darkorange", "color: orange"),
    ],
)
def test_hash_changes_with_content(cb, old, new):
    assert old in SAMPLE
    edited = parse_codebook_text(SAMPLE.replace(old, new, 1))
    assert edited.content_hash != cb.content_hash


def test_hash_changes_with_rule_order(cb):
    swapped = SAMPLE.replace(
        "          - regex: '\\b1[01]/19\\b'\n", ""
    ).replace("        exclude:", "          - regex: '\\b1[01]/19\\b'\n        exclude:")
    other = parse_codebook_text(swapped)
    assert [r.kind for r in other.by_path()["identity/mining_memory"].rules][-1] == "regex"
    assert other.content_hash != cb.content_hash


def test_load_from_file_sets_source(tmp_path):
    path = tmp_path / "codebook.yaml"
    path.write_text(SAMPLE, encoding="utf-8")
    cb = load_codebook(path)
    assert cb.source == str(path)
    assert load_codebook(str(path)).content_hash == cb.content_hash


def test_bom_is_tolerated(tmp_path):
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + SAMPLE.encode("utf-8"))
    assert load_codebook(path).title.startswith("Bassin minier")


def test_parse_text_default_source_is_none():
    cb = parse_codebook_text("title: T\ncodes:\n  - code: a\n    definition: d\n")
    assert cb.source is None
    assert cb.codes[0].label == "a"  # label defaults to the slug


def test_missing_file_is_input_error(tmp_path):
    with pytest.raises(InputError, match="codebook not found"):
        load_codebook(tmp_path / "nope.yaml")


def test_invalid_codebook_raises_with_summary(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        textwrap.dedent(
            """\
            title: T
            codes:
              - code: a
                definition: d
                rule: []
                color: bleu
              - code: a
                definition: d
            """
        ),
        encoding="utf-8",
    )
    with pytest.raises(CodebookError) as info:
        load_codebook(path)
    err = info.value
    assert isinstance(err, QualcodeError)
    assert err.exit_code == 1
    assert len(err.problems) == 3
    assert str(err) == (
        f"{path}:5:5: a: unknown key 'rule' (did you mean 'rules'?) "
        f"(2 more problems; run qualcode codebook check {path})"
    )


def test_single_problem_has_no_summary():
    with pytest.raises(CodebookError) as info:
        parse_codebook_text("title: T\ncodes:\n  - code: a\n    definition: d\n    unit: x\n")
    assert str(info.value) == "<string>:5:11: a: invalid unit 'x' (expected one of: sentence, turn)"


def test_errors_come_before_warnings_in_exception():
    text = "title: T\ncodes:\n  - code: e\n  - code: a\n    definition: d\n    unit: x\n"
    with pytest.raises(CodebookError) as info:
        parse_codebook_text(text, "cb.yaml")
    assert str(info.value).startswith("cb.yaml:6:11: a: invalid unit 'x'")
    assert [p.severity for p in info.value.problems] == ["error", "warning"]


def test_warnings_do_not_prevent_loading():
    cb = parse_codebook_text("title: T\ncodes:\n  - code: empty\n")
    assert [c.path for c in cb.walk()] == ["empty"]


def test_empty_codebook_raises():
    with pytest.raises(CodebookError, match="empty codebook"):
        parse_codebook_text("")


def test_optional_metadata_and_example_forms():
    cb = parse_codebook_text(
        textwrap.dedent(
            """\
            title: T
            version: "2024.1"
            description: |
              Codebook de test.
            authors: [Alice Martin, Bruno Lefèvre]
            codes:
              - code: a
                definition: d
                example: une seule phrase
                rules:
                children:
              - code: b
                definition: d
                examples:
                  - première
                  - seconde
            """
        )
    )
    assert cb.declared_version == "2024.1"
    assert cb.description == "Codebook de test."
    assert cb.authors == ["Alice Martin", "Bruno Lefèvre"]
    a, b = cb.codes
    assert a.examples == ["une seule phrase"] and a.rules == [] and a.children == []
    assert b.examples == ["première", "seconde"]
    assert parse_codebook_text("title: T\nauthors: Solo\nversion: 3\ncodes: []\n").authors == [
        "Solo"
    ]


def test_strings_are_nfc():
    decomposed = "Me\u0301moire"
    cb = parse_codebook_text(
        f"title: T\ncodes:\n  - code: a\n    label: {decomposed}\n    rules:\n"
        f"      - terms: [{decomposed}]\n"
    )
    assert cb.codes[0].label == "Mémoire"
    assert cb.codes[0].rules[0].value == ["Mémoire"]


def test_tree_json(cb):
    data = codebook_tree_json(cb)
    json.dumps(data)
    assert data["version"] == cb.version
    assert data["content_hash"] == cb.content_hash
    assert data["n_codes"] == 4
    ident = data["codes"][0]
    assert ident["path"] == "identity" and ident["label"] == "Identité"
    mm = ident["children"][0]
    assert mm["effective_unit"] == "turn" and mm["parent"] == "identity"
    assert mm["rules"][0]["id"] == "identity/mining_memory terms[0]"
    assert mm["exclude"][0]["id"] == "identity/mining_memory exclude[0]"
    assert mm["rules"][3]["line"] == 20
    assert ident["children"][1]["effective_unit"] == "sentence"


def test_render_tree(cb):
    from rich.console import Console

    console = Console(record=True, width=200, color_system=None)
    console.print(codebook_tree(cb))
    out = console.export_text()
    assert "Bassin minier" in out
    assert "mining_memory  Mémoire minière" in out
    assert "Rapport au territoire et à son passé." in out
    assert "unit: turn, 4 rules, 1 exclusion" in out


def test_render_tree_does_not_interpret_markup():
    from rich.console import Console

    cb = parse_codebook_text("title: '[bold]x[/bold]'\ncodes:\n  - code: a\n    definition: '[red]d'\n")
    console = Console(record=True, width=100, color_system=None)
    console.print(codebook_tree(cb))
    out = console.export_text()
    assert "[bold]x[/bold]" in out and "[red]d" in out


# --------------------------------------------------------------------------- terms


@pytest.mark.parametrize(
    "term,expected",
    [
        ("fosse", Term("fosse", "fosse", False)),
        ("reconver*", Term("reconver*", "reconver", True)),
        ("gueule noire", Term("gueule noire", "gueule noire", False)),
        ("  coron ", Term("coron", "coron", False)),
        ("gueule noi*", Term("gueule noi*", "gueule noi", True)),
    ],
)
def test_parse_term(term, expected):
    assert parse_term(term) == expected


def test_term_words():
    assert parse_term("gueule noi*").words == ("gueule", "noi")
    assert parse_term("gueule  noire").multiword
    assert not parse_term("fosse").multiword


@pytest.mark.parametrize(
    "term,message",
    [
        ("", "empty term"),
        ("   ", "empty term"),
        ("*", "a term cannot be only '*'"),
        ("re*conversion", "'*' is only allowed at the end of a term (prefix wildcard): 're*conversion'"),
        ("*mine", "'*' is only allowed at the end of a term (prefix wildcard): '*mine'"),
        ("mine**", "'*' is only allowed at the end of a term (prefix wildcard): 'mine**'"),
        ("gueule *", "'*' must directly follow a word, not a space: 'gueule *'"),
        ("r*", "the prefix before '*' needs at least 2 characters: 'r*'"),
        ("gueule n*", "the prefix before '*' needs at least 2 characters: 'gueule n*'"),
        (3, "a term must be a string, not int (quote it)"),
        (None, "a term must be a string, not null (quote it)"),
    ],
)
def test_bad_terms(term, message):
    assert term_error(term) == message
    with pytest.raises(ValueError, match=r"."):
        parse_term(term)


@given(st.text(min_size=1).filter(lambda s: s.strip() and "*" not in s))
def test_terms_without_wildcard_always_parse(text):
    t = parse_term(text)
    assert not t.prefix and t.stem == text.strip() == t.text


@given(st.text(alphabet="abcdéèàç ", min_size=1).filter(lambda s: s.split() and len(s.split()[-1]) >= 2))
def test_trailing_wildcard_after_a_word_of_two_letters_parses(text):
    text = text.strip()
    t = parse_term(text + "*")
    assert t.prefix and t.stem == text
