"""Linting a codebook: every problem, with its exact line:col (1-based) and code path.

Expected positions are computed by hand from the YAML written in each test; the
comments give the column arithmetic where it is not obvious.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from qualcode.codebook import CodebookError, Problem, lint_codebook, lint_codebook_text, parse_codebook_text

HEAD = "title: T\ncodes:\n"  # lines 1-2; the first code starts on line 3


def lint(body: str, head: str = HEAD) -> list[str]:
    return [str(p) for p in lint_codebook_text(head + body, "cb.yaml")]


def lint_problems(body: str, head: str = HEAD) -> list[Problem]:
    return lint_codebook_text(head + body, "cb.yaml")


def test_valid_codebook_has_no_problems():
    assert lint("  - code: a\n    definition: d\n    rules:\n      - terms: [x]\n") == []


# --------------------------------------------------------------------------- keys


def test_unknown_code_key_with_suggestion():
    body = (
        "  - code: a\n"  # 3
        "    definition: d\n"  # 4
        "    rule:\n"  # 5: 'rule' at col 5
        "      - terms: [x]\n"  # 6
    )
    assert lint(body) == ["cb.yaml:5:5: a: unknown key 'rule' (did you mean 'rules'?)"]


@pytest.mark.parametrize(
    "key,suggestion",
    [
        ("colour", "color"),
        ("exemples", "examples"),
        ("définition", "definition"),
        ("Label", "label"),
        ("child", "children"),
        ("when_to_us", "when_to_use"),
    ],
)
def test_unknown_code_key_suggestions(key, suggestion):
    body = f"  - code: a\n    definition: d\n    {key}: x\n"
    assert lint(body) == [f"cb.yaml:5:5: a: unknown key '{key}' (did you mean '{suggestion}'?)"]


def test_unknown_key_without_suggestion():
    body = "  - code: a\n    definition: d\n    zzz: x\n"
    assert lint(body) == ["cb.yaml:5:5: a: unknown key 'zzz'"]


def test_unknown_top_level_key():
    text = "title: T\nauthor: Moi\ncodes:\n  - code: a\n    definition: d\n"
    assert [str(p) for p in lint_codebook_text(text, "cb.yaml")] == [
        "cb.yaml:2:1: unknown key 'author' (did you mean 'authors'?)"
    ]


def test_misspelt_title_reports_unknown_and_missing():
    text = "titel: T\ncodes:\n  - code: a\n    definition: d\n"
    assert [str(p) for p in lint_codebook_text(text, "cb.yaml")] == [
        "cb.yaml:1:1: unknown key 'titel' (did you mean 'title'?)",
        "cb.yaml:1:1: missing required key 'title'",
    ]


def test_missing_codes():
    assert [str(p) for p in lint_codebook_text("title: T\ncode: []\n", "cb.yaml")] == [
        "cb.yaml:1:1: missing required key 'codes'",
        "cb.yaml:2:1: unknown key 'code' (did you mean 'codes'?)",
    ]


def test_no_codes_is_a_warning():
    (p,) = lint_problems("", head="title: T\ncodes: []\n")
    assert (str(p), p.severity) == ("cb.yaml:2:1: warning: the codebook has no codes", "warning")


def test_unknown_rule_kind_and_near_key():
    body = (
        "  - code: a\n"  # 3
        "    rules:\n"  # 4
        "      - term: [x]\n"  # 5: '-' col 7, 'term' col 9
        "      - near: {terms: [a], with: [b], witin: 3}\n"  # 6
        # "      - near: " is 14 chars -> '{' col 15; "{terms: [a], with: [b], " is 24
        # chars -> 'witin' col 39
    )
    assert lint(body) == [
        "cb.yaml:5:9: a: rules[0]: unknown rule kind 'term' (did you mean 'terms'?)",
        "cb.yaml:6:15: a: rules[1]: near needs 'within' (a positive number of words)",
        "cb.yaml:6:39: a: rules[1]: unknown near key 'witin' (did you mean 'within'?)",
    ]


def test_duplicate_mapping_key():
    body = (
        "  - code: a\n"  # 3
        "    label: A\n"  # 4
        "    definition: d\n"  # 5
        "    label: B\n"  # 6: 'label' col 5
    )
    assert lint(body) == [
        "cb.yaml:6:5: a: duplicate key 'label' (first at line 4); only the first is used"
    ]
    assert parse_codebook_text(HEAD + body.replace("    label: B\n", "")).codes[0].label == "A"


# --------------------------------------------------------------------------- codes


def test_duplicate_paths():
    body = (
        "  - code: a\n"  # 3
        "    definition: d\n"  # 4
        "    children:\n"  # 5
        "      - code: b\n"  # 6
        "        definition: d\n"  # 7
        "      - code: b\n"  # 8: "      - code: " is 14 chars -> 'b' col 15
        "        definition: d\n"  # 9
        "  - code: a\n"  # 10: 'a' col 11
        "    definition: d\n"  # 11
    )
    assert lint(body) == [
        "cb.yaml:8:15: a/b: duplicate code path 'a/b' (first defined at line 6)",
        "cb.yaml:10:11: a: duplicate code path 'a' (first defined at line 3)",
    ]


def test_same_slug_under_different_parents_is_fine():
    body = (
        "  - code: a\n    children:\n      - code: x\n        definition: d\n"
        "  - code: b\n    children:\n      - code: x\n        definition: d\n"
    )
    assert lint(body) == []


def test_empty_code_warning():
    body = (
        "  - code: a\n"  # 3: mapping starts at 'code', col 5
        "    label: A\n"
        "  - code: b\n"  # 5: has children: not empty
        "    children:\n"
        "      - code: c\n"  # 7: col 9, leaf without rules or definition
        "        rules: []\n"
        "  - code: d\n"  # 9: a definition is enough
        "    definition: d\n"
        "  - code: e\n"  # 11: rules are enough
        "    rules:\n"
        "      - terms: [x]\n"
    )
    problems = lint_problems(body)
    assert [str(p) for p in problems] == [
        "cb.yaml:3:5: a: warning: empty code: no rules, no definition and no children",
        "cb.yaml:7:9: b/c: warning: empty code: no rules, no definition and no children",
    ]
    assert {p.severity for p in problems} == {"warning"}
    assert all(not p.is_error for p in problems)


def test_exclude_without_rules_warning():
    body = "  - code: a\n    definition: d\n    exclude:\n      - terms: [x]\n"
    assert lint(body) == ["cb.yaml:5:5: a: warning: 'exclude' has no effect without rules"]


@pytest.mark.parametrize(
    "slug,line",
    [
        ("Mining-Memory", "invalid slug 'Mining-Memory': use lowercase letters, digits and '_' (e.g. 'mining_memory')"),
        ("mémoire", "invalid slug 'mémoire': use lowercase letters, digits and '_' (e.g. 'memoire')"),
        ("a/b", "invalid slug 'a/b': use lowercase letters, digits and '_' (e.g. 'a_b')"),
        ("'a b'", "invalid slug 'a b': use lowercase letters, digits and '_' (e.g. 'a_b')"),
        # the suggestion folds as the engine does (textnorm.fold): œ -> oe
        ("cœur", "invalid slug 'cœur': use lowercase letters, digits and '_' (e.g. 'coeur')"),
    ],
)
def test_bad_slug(slug, line):
    shown = slug.strip("'")
    # "  - code: " is 10 chars: the value starts at col 11
    assert lint(f"  - code: {slug}\n    definition: d\n") == [f"cb.yaml:3:11: {shown}: {line}"]


def test_slug_of_wrong_type():
    assert lint("  - code: 12\n    definition: d\n") == [
        "cb.yaml:3:11: #1: invalid slug 12: must be a string of [a-z0-9_]"
    ]


def test_missing_slug_and_code_not_a_mapping():
    body = (
        "  - code: a\n"  # 3
        "    definition: d\n"
        "    children:\n"  # 5
        "      - label: sans slug\n"  # 6: mapping at col 9
        "        definition: d\n"
        "      - juste une chaîne\n"  # 8: item at col 9
    )
    assert lint(body) == [
        "cb.yaml:6:9: a/#1: missing required key 'code' (the code's slug)",
        "cb.yaml:8:9: a/#2: a code must be a mapping (code: …, label: …), not a string",
    ]


def test_codes_not_a_list():
    assert [str(p) for p in lint_codebook_text("title: T\ncodes:\n  a: 1\n", "cb.yaml")] == [
        "cb.yaml:3:3: 'codes' must be a list of codes (- code: …), not a mapping"
    ]


@pytest.mark.parametrize(
    "value,col,message",
    [
        # "    unit: " is 10 chars -> col 11
        ("paragraph", 11, "invalid unit 'paragraph' (expected one of: sentence, turn)"),
        ("Turn", 11, "invalid unit 'Turn' (expected one of: sentence, turn)"),
        ("[turn]", 11, "invalid unit ['turn'] (expected one of: sentence, turn)"),
    ],
)
def test_bad_code_unit(value, col, message):
    body = f"  - code: a\n    definition: d\n    unit: {value}\n"
    assert lint(body) == [f"cb.yaml:5:{col}: a: {message}"]


def test_bad_top_level_unit_and_language():
    text = "title: T\nunit: paragraphe\nlanguage: French\ncodes:\n  - code: a\n    definition: d\n"
    assert [str(p) for p in lint_codebook_text(text, "cb.yaml")] == [
        "cb.yaml:2:7: invalid unit 'paragraphe' (expected one of: sentence, turn)",
        "cb.yaml:3:11: invalid language 'French' (expected a language code like 'fr')",
    ]


def test_top_level_types():
    text = (
        "title: [T]\n"  # 1: value col 8
        "description: 3\n"  # 2: value col 14
        "authors: {a: b}\n"  # 3: value col 10
        "version: 1.10\n"  # 4: value col 10
        "codes:\n  - code: a\n    definition: d\n"
    )
    assert [str(p) for p in lint_codebook_text(text, "cb.yaml")] == [
        "cb.yaml:1:8: 'title' must be text, not a list",
        "cb.yaml:2:14: 'description' must be text, not a number",
        "cb.yaml:3:10: 'authors' must be a string or a list of strings, not a mapping",
        "cb.yaml:4:10: 'version' must be a string or an integer, not a number "
        '(quote it: version: "1.10")',
    ]


# --------------------------------------------------------------------------- colours


@pytest.mark.parametrize("value", ['"#abc"', "'#A1B2C3'", "darkorange", "DarkSlateGray", "rebeccapurple"])
def test_good_colours(value):
    assert lint(f"  - code: a\n    definition: d\n    color: {value}\n") == []


@pytest.mark.parametrize(
    "value,message",
    [
        # "    color: " is 11 chars -> col 12
        ("bleu", "invalid color 'bleu': expected #rgb, #rrggbb or a CSS colour name (did you mean 'blue'?)"),
        ('"#12345"', "invalid color '#12345': expected #rgb, #rrggbb or a CSS colour name"),
        ('"#ggg"', "invalid color '#ggg': expected #rgb, #rrggbb or a CSS colour name"),
        ('"1f77b4"', "invalid color '1f77b4': expected #rgb, #rrggbb or a CSS colour name"),
        ("12", "invalid color 12: expected #rgb, #rrggbb or a CSS colour name"),
    ],
)
def test_bad_colours(value, message):
    assert lint(f"  - code: a\n    definition: d\n    color: {value}\n") == [
        f"cb.yaml:5:12: a: {message}"
    ]


def test_unquoted_hex_colour_is_a_comment():
    assert lint("  - code: a\n    definition: d\n    color: #1f77b4\n") == [
        "cb.yaml:5:5: a: 'color' is empty; quote hex colours (color: \"#1f77b4\"): "
        "an unquoted # starts a YAML comment"
    ]


# --------------------------------------------------------------------------- examples, texts


def test_example_and_examples_together():
    body = (
        "  - code: a\n"
        "    definition: d\n"
        "    example: un\n"
        "    examples: [deux]\n"  # 6: key col 5
    )
    assert lint(body) == ["cb.yaml:6:5: a: use either 'example' or 'examples', not both"]


def test_examples_wrong_types():
    body = (
        "  - code: a\n"
        "    definition: d\n"
        "    examples: [ok, 3]\n"  # 5: "    examples: [ok, " is 19 chars -> '3' col 20
        "  - code: b\n"
        "    definition: d\n"
        "    example: {a: 1}\n"  # 8: "    example: " is 13 chars -> col 14
    )
    assert lint(body) == [
        "cb.yaml:5:20: a: examples[1] must be a string, not a number",
        "cb.yaml:8:14: b: 'example' must be a string or a list of strings, not a mapping",
    ]


def test_definition_must_be_text():
    body = "  - code: a\n    definition: [x]\n"  # "    definition: " is 16 -> col 17
    assert lint(body) == [
        "cb.yaml:3:5: a: warning: empty code: no rules, no definition and no children",
        "cb.yaml:4:17: a: 'definition' must be text, not a list",
    ]


# --------------------------------------------------------------------------- rules: structure

RULES = "  - code: a\n    definition: d\n    rules:\n"  # rules items start on line 6


def test_rules_not_a_list():
    body = "  - code: a\n    definition: d\n    rules: {terms: [x]}\n"  # "    rules: " -> col 12
    assert lint(body) == [
        "cb.yaml:5:12: a: 'rules' must be a list of rules, not a mapping "
        "(write each rule as a list item: '- terms: […]')"
    ]


def test_rule_with_two_kinds():
    body = RULES + "      - terms: [x]\n        regex: y\n"  # line 7: 'regex' col 9
    assert lint(body) == [
        "cb.yaml:7:9: a: rules[0]: a rule has exactly one kind, found terms and regex "
        "(split it into separate rules)"
    ]


def test_rule_not_a_mapping_and_empty_rule():
    body = RULES + "      - fosse\n      - {}\n"  # lines 6 and 7, items at col 9
    assert lint(body) == [
        "cb.yaml:6:9: a: rules[0]: a rule must be a mapping with one of terms, pattern, "
        "regex, near, not a string (did you mean '- terms: [fosse]'?)",
        "cb.yaml:7:9: a: rules[1]: empty rule",
    ]


def test_exclude_rules_are_checked_too():
    body = (
        "  - code: a\n"
        "    definition: d\n"
        "    rules:\n"
        "      - terms: [x]\n"
        "    exclude:\n"  # 7
        "      - terms: []\n"  # 8: "      - terms: " is 15 chars -> col 16
    )
    assert lint(body) == ["cb.yaml:8:16: a: exclude[0]: 'terms' is an empty list"]


# --------------------------------------------------------------------------- rules: terms


def test_empty_terms_list():
    assert lint(RULES + "      - terms: []\n") == [
        "cb.yaml:6:16: a: rules[0]: 'terms' is an empty list"
    ]


def test_terms_null_and_not_a_list():
    body = RULES + "      - terms:\n      - terms: fosse\n"
    assert lint(body) == [
        "cb.yaml:6:9: a: rules[0]: 'terms' is empty",
        "cb.yaml:7:16: a: rules[1]: 'terms' must be a list of terms ([a, b, …]), not a string",
    ]


def test_term_syntax_errors():
    # "      - terms: [" is 16 chars: first item at col 17
    line = '      - terms: [ok, a*b, "*", "gueule *", 1968, ""]\n'
    #        cols:           17  21   26   31          43    49
    assert lint(RULES + line) == [
        "cb.yaml:6:21: a: rules[0]: '*' is only allowed at the end of a term (prefix wildcard): 'a*b'",
        "cb.yaml:6:26: a: rules[0]: a term cannot be only '*'",
        "cb.yaml:6:31: a: rules[0]: '*' must directly follow a word, not a space: 'gueule *'",
        "cb.yaml:6:43: a: rules[0]: a term must be a string, not int (quote it)",
        "cb.yaml:6:49: a: rules[0]: empty term",
    ]


def test_block_terms_positions():
    body = RULES + "      - terms:\n          - fosse\n          - re*con\n"  # line 8, col 13
    assert lint(body) == [
        "cb.yaml:8:13: a: rules[0]: '*' is only allowed at the end of a term (prefix wildcard): 're*con'"
    ]


def test_duplicate_term_warning():
    line = "      - terms: [fosse, coron, Fosse]\n"  # 'Fosse' at col 17+7+7 = 31
    (p,) = lint_problems(RULES + line)
    assert str(p) == "cb.yaml:6:31: a: warning: rules[0]: duplicate term 'Fosse' (also item 1)"
    assert p.severity == "warning"


def test_terms_differing_by_accents_are_not_duplicates():
    # the engine lemmatizes each term as written: "silicosé" may add lemma forms that
    # "silicose" has not (the sample codebook lists both)
    assert lint_problems(RULES + "      - terms: [silicose, silicosé, diplôme, diplômé]\n") == []


def test_wildcards_and_multiword_are_valid():
    assert lint(RULES + '      - terms: [reconver*, "gueule noire", gueule noi*]\n') == []


# --------------------------------------------------------------------------- rules: regex


def test_invalid_regex():
    # "      - regex: " is 15 chars -> col 16
    (p,) = lint_problems(RULES + "      - regex: '\\b(1[01]/19\\b'\n")
    assert (p.line, p.col, p.code_path) == (6, 16, "a")
    assert p.message.startswith("rules[0]: invalid regex: missing ), unterminated subpattern")
    assert p.is_error


def test_regex_wrong_type_and_empty():
    body = RULES + "      - regex: [x]\n      - regex: ''\n"
    assert lint(body) == [
        "cb.yaml:6:16: a: rules[0]: regex must be a string, not a list",
        "cb.yaml:7:16: a: rules[1]: empty regex",
    ]


def test_regex_warnings():
    body = RULES + "      - regex: 'x*'\n      - regex: \"\\bx\\b\"\n"
    assert lint(body) == [
        "cb.yaml:6:16: a: warning: rules[0]: regex matches the empty string",
        "cb.yaml:7:16: a: warning: rules[1]: regex contains a control character; in double "
        'quotes "\\b" is a backspace: write regexes in single quotes',
    ]


# --------------------------------------------------------------------------- rules: pattern


def test_invalid_pattern_unknown_attribute():
    # "      - pattern: " is 17 chars: '[' col 18, '{' col 19, 'LEMA' col 20
    assert lint(RULES + "      - pattern: [{LEMA: descendre}]\n") == [
        "cb.yaml:6:20: a: rules[0]: token 1: unknown token attribute 'LEMA' (did you mean 'LEMMA'?)"
    ]


def test_invalid_pattern_block_style_op():
    body = RULES + (
        "      - pattern:\n"  # 6
        "          - LEMMA: descendre\n"  # 7
        "          - LOWER: à\n"  # 8: token 2 mapping at col 13
        "            OP: x\n"  # 9: 'OP' col 13
    )
    assert lint(body) == [
        "cb.yaml:9:13: a: rules[0]: token 2: invalid OP 'x' (expected one of + * ? ! or a "
        "count like {2}, {1,3}, {2,}, {,3})"
    ]


def test_invalid_pattern_values():
    line = '      - pattern: [{LEMMA: {IN: x}}, "x", {LENGTH: a}, {LEMMA: {FOO: [a]}}]\n'
    # '[' col 18; token 1 '{' col 19, LEMMA col 20; "x" col 37; token 3 '{' col 42,
    # LENGTH col 43; token 4 '{' col 55, LEMMA col 56
    assert lint(RULES + line) == [
        "cb.yaml:6:20: a: rules[0]: token 1: LEMMA: IN: input should be a valid list",
        "cb.yaml:6:37: a: rules[0]: token 2: must be a mapping like {LEMMA: fosse}, not a string",
        "cb.yaml:6:43: a: rules[0]: token 3: invalid LENGTH value 'a': input should be a valid number",
        "cb.yaml:6:56: a: rules[0]: token 4: unknown operator 'FOO' in LEMMA",
    ]


def test_pattern_errors_from_matcher_add():
    (p,) = lint_problems(RULES + "      - pattern: [{TEXT: {REGEX: '(('}}]\n")
    assert (p.line, p.col) == (6, 18)
    assert p.message.startswith("rules[0]: invalid pattern: missing ), unterminated subpattern")


def _token_variants():
    """Token shapes, valid and not, for the comparison with spaCy below."""
    values = ["fosse", "", "d'", {"IN": ["a", "b"]}, {"in": ["a"]}, {"NOT_IN": []}, {"IN": "a"},
              {"IN": [1]}, {"REGEX": "(("}, {"FOO": ["a"]}, {}, {"IN": ["a"], "NOT_IN": ["b"]}, 3, True, None,
              ["a"], {"IS_SUBSET": ["a=b=c"]}]
    keys = ["LEMMA", "lemma", "Lemma", "LOWER", "TEXT", "ORTH", "POS", "TAG", "DEP", "MORPH", "NORM",
            "SHAPE", "ENT_TYPE", "LENGTH", "IS_PUNCT", "is_punct", "SENT_START", "LIKE_NUM", "FOO", "_", "OP"]
    for key in keys:
        for value in [*values, "+", "*", "?", "!", "{1,3}", "{,2}", "x", False]:
            yield {key: value}
    for op in ["+", "*", "?", "!", "{2}", "??", 1]:
        yield {"LOWER": "a", "OP": op}
        yield {"OP": op}
    yield {}
    yield {"LEMMA": "a", "lemma": "b"}
    yield {"LEMMA": "a", "op": "?"}
    yield {"MORPH": {"IN": ["a=b=c", "|x"]}}
    yield {1: "a"}
    yield "LEMMA"


def test_plain_patterns_are_exactly_those_spacy_accepts():
    """The fast structural check (no spaCy import) never accepts what spaCy refuses: every
    token shape above, alone and after a valid token, and every pattern of the sample
    codebook, judged both ways; the plain ones need no spaCy and are accepted by it."""
    from qualcode.codebook import load_codebook
    from qualcode.codebook.parser import pattern_errors, plainly_valid_pattern, spacy_pattern_errors

    patterns = [[tok] for tok in _token_variants()] + [[{"LOWER": "a"}, tok] for tok in _token_variants()]
    cb = load_codebook(Path(__file__).resolve().parent.parent / "codebooks" / "bassin_minier.yaml")
    sample = [r.value for c in cb.walk() for r in c.rules + c.exclude if r.kind == "pattern"]
    assert len(sample) >= 20 and all(plainly_valid_pattern(p) for p in sample)
    patterns += [*sample, [], "x", [[]]]
    n_plain = 0
    for p in patterns:
        full = spacy_pattern_errors(p) if isinstance(p, list) and p else None
        if plainly_valid_pattern(p):
            n_plain += 1
            assert full == [], p
            assert pattern_errors(p) == []
        elif full is not None:
            assert pattern_errors(p) == full
    assert 0 < n_plain < len(patterns)


def test_pattern_wrong_shapes():
    body = RULES + "      - pattern: []\n      - pattern: {LEMMA: x}\n"
    assert lint(body) == [
        "cb.yaml:6:18: a: rules[0]: empty pattern",
        "cb.yaml:7:18: a: rules[1]: pattern must be a list of token mappings "
        "([{LEMMA: …}, …]), not a mapping",
    ]


def test_pattern_warnings_for_attributes_never_set():
    line = "      - pattern: [{LEMMA: a}, {DEP: nsubj}, {POS: NOUNX}]\n"
    # token 2 '{' col 31, DEP col 32; token 3 '{' col 45, POS col 46, value col 51
    assert lint(RULES + line) == [
        "cb.yaml:6:32: a: warning: rules[0]: token 2: DEP is set by the dependency parser, "
        "which qualcode does not run; this token never matches",
        "cb.yaml:6:51: a: warning: rules[0]: token 3: POS 'NOUNX' is not a Universal POS tag "
        "(did you mean 'NOUN'?)",
    ]


def test_pattern_warning_for_tag():
    line = "      - pattern: [{TAG: NOUN}]\n"
    assert lint(RULES + line) == [
        "cb.yaml:6:20: a: warning: rules[0]: token 1: TAG (the fine-grained tag) is not kept "
        "in the annotation cache; use POS or MORPH; this token never matches",
    ]


def test_valid_patterns():
    line = '      - pattern: [{lemma: a}, {LOWER: {IN: [b, c]}, OP: "{1,3}"}, {POS: VERB}, {}]\n'
    assert lint(RULES + line) == []


# --------------------------------------------------------------------------- rules: near


@pytest.mark.parametrize(
    "within,shown",
    [("0", "0"), ("-2", "-2"), ('"5"', "'5'"), ("2.5", "2.5"), ("true", "True")],
)
def test_near_within_not_positive_int(within, shown):
    line = f"      - near: {{terms: [image], with: [mauvais], within: {within}}}\n"
    # '{' col 15; "{terms: [image], with: [mauvais], within: " is 42 chars -> col 57
    assert lint(RULES + line) == [
        f"cb.yaml:6:57: a: rules[0]: 'within' must be a positive integer (words), not {shown}"
    ]


def test_near_missing_and_empty_parts():
    body = RULES + (
        "      - near:\n"  # 6
        "          terms: [image]\n"  # 7: mapping at col 11
        "          with: []\n"  # 8: "          with: " 16 chars -> col 17
        "      - near: [image]\n"  # 9: col 15
    )
    assert lint(body) == [
        "cb.yaml:7:11: a: rules[0]: near needs 'within' (a positive number of words)",
        "cb.yaml:8:17: a: rules[0]: 'with' is an empty list",
        "cb.yaml:9:15: a: rules[1]: near must be a mapping {terms: […], with: […], within: N}, "
        "not a list",
    ]


def test_near_term_syntax():
    line = "      - near: {terms: [im*age], with: [ok], within: 3}\n"
    # '{' col 15, "{terms: " is 8 chars -> '[' col 23, 'im*age' col 24
    assert lint(RULES + line) == [
        "cb.yaml:6:24: a: rules[0]: '*' is only allowed at the end of a term (prefix wildcard): 'im*age'"
    ]


# --------------------------------------------------------------------------- all together


def test_multiple_problems_reported_together_in_order(tmp_path):
    text = (
        "title: Bassin minier\n"  # 1
        "unit: phrase\n"  # 2: value col 7
        "codes:\n"  # 3
        "  - code: identity\n"  # 4
        "    label: Identité\n"  # 5
        "    colour: blue\n"  # 6: key col 5
        "    children:\n"  # 7
        "      - code: mining_memory\n"  # 8
        "        unit: turn\n"  # 9
        "        rule:\n"  # 10: key col 9
        "          - terms: [fosse]\n"  # 11
        "      - code: Stigma\n"  # 12: value col 15
        "        definition: d\n"  # 13
        "        rules:\n"  # 14
        "          - regex: '(('\n"  # 15: "          - regex: " 19 chars -> col 20
        "          - near: {terms: [a], with: [b], within: 0}\n"  # 16
        # '{' col 19; "{terms: [a], with: [b], within: " 32 chars -> col 51
    )
    path = tmp_path / "codebook.yaml"
    path.write_text(text, encoding="utf-8")
    problems = lint_codebook(path)
    assert [(p.line, p.col, p.code_path, p.severity) for p in problems] == [
        (2, 7, None, "error"),
        (6, 5, "identity", "error"),
        (8, 9, "identity/mining_memory", "warning"),
        (10, 9, "identity/mining_memory", "error"),
        (12, 15, "identity/Stigma", "error"),
        (15, 20, "identity/Stigma", "error"),
        (16, 51, "identity/Stigma", "error"),
    ]
    assert str(problems[1]) == f"{path}:6:5: identity: unknown key 'colour' (did you mean 'color'?)"
    assert str(problems[3]) == (
        f"{path}:10:9: identity/mining_memory: unknown key 'rule' (did you mean 'rules'?)"
    )
    with pytest.raises(CodebookError) as info:
        parse_codebook_text(text, str(path))
    assert len(info.value.problems) == 7
    assert str(info.value).endswith(f"(6 more problems; run qualcode codebook check {path})")


# --------------------------------------------------------------------------- YAML level


def test_yaml_syntax_error_position():
    text = "title: T\ncodes:\n  - code: a\n   label: b\n"  # line 4 indented by 3
    (p,) = lint_codebook_text(text, "cb.yaml")
    assert (p.line, p.col, p.code_path, p.severity) == (4, 4, None, "error")
    assert p.message.startswith("YAML syntax error: expected <block end>")
    assert p.message.endswith("check the indentation")


def test_yaml_unclosed_flow_sequence():
    text = "title: T\ncodes:\n  - code: a\n    rules:\n      - terms: [a, b\n"
    (p,) = lint_codebook_text(text, "cb.yaml")
    # the scanner notices at end of stream (line 6, col 1); the context is the '['
    assert (p.line, p.col) == (6, 1)
    assert "(while parsing a flow sequence started at 5:16)" in p.message


def test_yaml_tab_indentation():
    (p,) = lint_codebook_text("title: T\ncodes:\n\t- code: a\n", "cb.yaml")
    assert (p.line, p.col) == (3, 1)
    assert p.message.endswith("indent with spaces, not tabs")


def test_yaml_unclosed_quote():
    (p,) = lint_codebook_text("title: 'T\ncodes: []\n", "cb.yaml")
    assert (p.line, p.col) == (3, 1)
    assert p.message.startswith("YAML syntax error: found unexpected end of stream")


@pytest.mark.parametrize(
    "text,kind",
    [("- a\n- b\n", "a list"), ("juste du texte\n", "a string"), ("42\n", "a number")],
)
def test_non_mapping_top_level(text, kind):
    assert [str(p) for p in lint_codebook_text(text, "cb.yaml")] == [
        f"cb.yaml:1:1: the top level must be a mapping with 'title' and 'codes', not {kind}"
    ]


def test_non_mapping_top_level_after_comments():
    text = "# mon codebook\n\n- a\n"
    assert [str(p) for p in lint_codebook_text(text, "cb.yaml")] == [
        "cb.yaml:3:1: the top level must be a mapping with 'title' and 'codes', not a list"
    ]


@pytest.mark.parametrize("text", ["", "\n\n", "# rien\n", "---\n"])
def test_empty_file(text, tmp_path):
    path = tmp_path / "empty.yaml"
    path.write_text(text, encoding="utf-8")
    assert [str(p) for p in lint_codebook(path)] == [
        f"{path}:1:1: empty codebook: expected a mapping with 'title' and 'codes'"
    ]


def test_not_utf8(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("title: T\ncodes:\n  - code: a\n    label: Identité\n".encode("latin-1"))
    # "    label: Identit" is 18 characters -> the bad byte is at col 19
    assert [str(p) for p in lint_codebook(path)] == [
        f"{path}:4:19: the file is not UTF-8 (byte 0xe9); save it as UTF-8"
    ]
    with pytest.raises(CodebookError):
        from qualcode.codebook import load_codebook

        load_codebook(path)


def test_problem_str_and_dict():
    p = Problem("f.yaml", 3, 7, None, "boom")
    assert str(p) == "f.yaml:3:7: boom"
    w = Problem("f.yaml", 3, 7, "a/b", "hmm", "warning")
    assert str(w) == "f.yaml:3:7: a/b: warning: hmm"
    assert w.to_dict() == {
        "file": "f.yaml",
        "line": 3,
        "col": 7,
        "code_path": "a/b",
        "severity": "warning",
        "message": "hmm",
    }
