"""The rule engine on small French texts, with the real fr_core_news_sm pipeline."""

from __future__ import annotations

import pytest

from qualcode.codebook import CodebookError, lint_codebook_text, parse_codebook_text
from qualcode.codebook.model import Code, Codebook, Rule
from qualcode.errors import QualcodeError
from qualcode.nlp import AnnotatedDoc, annotate_one, load_pipeline
from qualcode.rules import RuleError, apply, compile_codebook, explain


@pytest.fixture(scope="module")
def fr():
    return load_pipeline("fr")


def rules(*specs) -> list[Rule]:
    return [Rule(kind, value, i, line=10 + i) for i, (kind, value) in enumerate(specs)]


def code(path: str, *specs, exclude=(), unit=None, children=()) -> Code:
    c = Code(code=path.rsplit("/", 1)[-1], path=path, label=path, unit=unit,
             rules=rules(*specs), exclude=rules(*exclude), children=list(children),
             parent=path.rsplit("/", 1)[0] if "/" in path else None)
    return c


def book(*codes, unit="sentence") -> Codebook:
    return Codebook(title="test", language="fr", unit=unit, codes=list(codes), source="cb.yaml")


def coded(fr, text, *codes, turns=None, roles=None, unit="sentence", include_interviewer=False):
    """[(code path, unit text, origin)] of the proposals."""
    cc = compile_codebook(book(*codes, unit=unit), fr)
    doc = annotate_one(text, turns, fr)
    props = apply(cc, doc, roles, include_interviewer=include_interviewer)
    return [(p.code_path, text[p.start:p.end], p.origin) for p in props]


def units(fr, text, *specs, **kw):
    """Unit texts coded by one code with the given rules."""
    exclude = kw.pop("exclude", ())
    return [u for _, u, _ in coded(fr, text, code("c", *specs, exclude=exclude), **kw)]


# --------------------------------------------------------------------------- terms


def test_terms_match_inflections_and_case(fr):
    text = "Mineur. Les mineurs. MINEURS en grève. Un mineur. Une famille minière."
    assert units(fr, text, ("terms", ["mineurs"])) == [
        "Mineur.", "Les mineurs.", "MINEURS en grève.", "Un mineur."]
    assert units(fr, text, ("terms", ["mineur"])) == [
        "Mineur.", "Les mineurs.", "MINEURS en grève.", "Un mineur."]


def test_terms_ignore_accents_and_case(fr):
    text = "L'enquete. Une Enquête. ENQUETES. Le PATRIMOINE. L'UNESCO. l’Unesco. Rien ici."
    assert units(fr, text, ("terms", ["enquête"])) == ["L'enquete.", "Une Enquête.", "ENQUETES."]
    assert units(fr, text, ("terms", ["patrimoine"])) == ["Le PATRIMOINE."]
    assert units(fr, text, ("terms", ["Unesco"])) == ["L'UNESCO.", "l’Unesco."]


def test_term_lemma_taken_in_context_not_alone(fr):
    # alone, fr_core_news_sm lemmatizes "mine" as "min" and "été" as "être"
    text = "Il a mis 10 min. Les mines ont fermé. Il est venu. Cet été il pleuvait."
    assert units(fr, text, ("terms", ["mine"])) == ["Les mines ont fermé."]
    assert units(fr, text, ("terms", ["été"])) == ["Cet été il pleuvait."]
    # an inflected term still matches its lemma: corons -> coron
    assert units(fr, "Un coron. Des corons.", ("terms", ["corons"])) == ["Un coron.", "Des corons."]


def test_multi_word_terms(fr):
    text = "Des gueules noires. La gueule noire. Une gueule, noire. Noire gueule. Ma gueule."
    assert units(fr, text, ("terms", ["gueule noire"])) == ["Des gueules noires.", "La gueule noire."]
    assert units(fr, text, ("terms", ["gueules noires"])) == ["Des gueules noires.", "La gueule noire."]
    assert units(fr, "Les descendants de mineurs. Les moins de 16 ans.",
                 ("terms", ["moins de 16 ans"])) == ["Les moins de 16 ans."]


def test_multi_word_term_does_not_cross_turns(fr):
    text = "A: il parlait de la gueule\nB: noire de charbon"
    turns = [(3, 26), (30, len(text))]
    assert units(fr, text, ("terms", ["gueule noire"]), turns=turns) == []


def test_wildcard_prefix(fr):
    text = "La reconversion. Se reconvertir. Il s'est Reconverti. La conversion. RECONVERSIONS."
    assert units(fr, text, ("terms", ["reconver*"])) == [
        "La reconversion.", "Se reconvertir.", "Il s'est Reconverti.", "RECONVERSIONS."]
    assert units(fr, "Le patrimoine minier. Un minier.", ("terms", ["patrimoine min*"])) == [
        "Le patrimoine minier."]


def test_wildcard_after_elided_article(fr):
    # "d'information*" is tokenized "d'" + "information*" as in running text
    text = "Une vraie mine d'informations. Une mine d'or. Le centre d'interprétation."
    assert units(fr, text, ("terms", ["mine d'information*"])) == ["Une vraie mine d'informations."]
    assert units(fr, text, ("terms", ["d'interpr*"])) == ["Le centre d'interprétation."]


@pytest.mark.parametrize("bad", ["re*conv", "*", "r*", "", "  "])
def test_bad_terms_are_rule_errors_with_line(fr, bad):
    with pytest.raises(RuleError) as exc:
        compile_codebook(book(code("c", ("terms", ["ok", bad]))), fr)
    assert "cb.yaml:10" in str(exc.value) and "c terms[0]" in str(exc.value)


# --------------------------------------------------------------------------- pattern, regex


def test_pattern_is_a_spacy_matcher_pattern(fr):
    text = ("Il descendait à la fosse. Il descendait au fond de la fosse. "
            "Ils sont descendus à la fosse 9. Je descends au puits. La fosse est là.")
    strict = [{"LEMMA": "descendre"}, {"LOWER": {"IN": ["à", "au"]}}, {"LOWER": "la", "OP": "?"},
              {"LOWER": {"IN": ["fosse", "puits"]}}]
    assert units(fr, text, ("pattern", strict)) == [
        "Il descendait à la fosse.", "Ils sont descendus à la fosse 9.", "Je descends au puits."]
    loose = [{"LEMMA": "descendre"}, {"IS_PUNCT": False, "OP": "*"}, {"LOWER": "fosse"}]
    got = coded(fr, text, code("c", ("pattern", loose)))
    assert [u for _, u, _ in got] == [
        "Il descendait à la fosse.", "Il descendait au fond de la fosse.", "Ils sont descendus à la fosse 9."]
    assert got[1][2] == 'c pattern[0] "descendait au fond de la fosse"'


def test_pattern_with_pos_and_morph(fr):
    text = "Les mineurs chantent. Le mineur chante."
    pat = [{"POS": "NOUN", "MORPH": {"IS_SUPERSET": ["Number=Plur"]}, "LEMMA": "mineur"}]
    assert units(fr, text, ("pattern", pat)) == ["Les mineurs chantent."]


def test_pattern_on_tag_never_matches_as_the_linter_warns(fr):
    # TAG and DEP are not in the token table (codebook check warns); POS does the job
    text = "Les mineurs chantent."
    assert units(fr, text, ("pattern", [{"TAG": "NOUN"}])) == []
    assert units(fr, text, ("pattern", [{"LOWER": "mineurs"}, {"DEP": "ROOT"}])) == []
    assert units(fr, text, ("pattern", [{"POS": "NOUN"}])) == [text]


def test_pattern_without_literal_runs_everywhere_and_stays_in_turn(fr):
    text = "A: il était mineur\nB: Mineur aussi"
    turns = [(3, 18), (22, len(text))]
    pat = [{"LOWER": "mineur"}, {"IS_TITLE": True}]  # would join the two turns
    assert units(fr, text, ("pattern", pat), turns=turns) == []
    assert units(fr, text, ("pattern", [{"IS_TITLE": True}]), turns=turns) == ["Mineur aussi"]


def test_bad_pattern_is_rule_error(fr):
    with pytest.raises(RuleError) as exc:
        compile_codebook(book(code("c", ("pattern", [{"LEMMMA": "x"}]))), fr)
    assert "cb.yaml:10" in str(exc.value)
    with pytest.raises(RuleError):
        compile_codebook(book(code("c", ("pattern", "descendre"))), fr)


def test_regex_is_case_sensitive_on_the_unit_text(fr):
    text = "On voyait le 11/19. Le 211/19 n'existe pas. L'UNESCO. Une unesco."
    assert units(fr, text, ("regex", r"\b11/19\b")) == ["On voyait le 11/19."]
    assert units(fr, text, ("regex", r"unesco")) == ["Une unesco."]
    assert units(fr, text, ("regex", r"(?i)unesco")) == ["L'UNESCO.", "Une unesco."]
    # ^ and $ are the unit's start and end
    assert units(fr, text, ("regex", r"^Le ")) == ["Le 211/19 n'existe pas."]
    assert units(fr, text, ("regex", r"pas\.$")) == ["Le 211/19 n'existe pas."]
    got = coded(fr, text, code("c", ("regex", r"\d+/\d+")))
    assert got[0][2] == 'c regex[0] "11/19"'


def test_regex_empty_matches_are_ignored_and_bad_regex_is_error(fr):
    assert units(fr, "Bonjour.", ("regex", r"x*")) == []
    with pytest.raises(RuleError):
        compile_codebook(book(code("c", ("regex", "(unclosed"))), fr)


def test_regex_lookaround_and_turn_unit(fr):
    text = "A: Le puits 9 ferme. Rien.\nB: Le puits 10."
    turns = [(3, 26), (30, len(text))]
    assert units(fr, text, ("regex", r"puits (?=9)"), turns=turns, unit="turn") == [
        "Le puits 9 ferme. Rien."]


# --------------------------------------------------------------------------- near


@pytest.mark.parametrize("within, expected", [(3, True), (2, False)])
def test_near_boundary(fr, within, expected):
    near = {"terms": ["mineur"], "with": ["fosse"], "within": within}
    # mineur -> fosse: 3 words apart (the comma does not count); reversed order too
    text = "Le mineur, a b fosse. La fosse x y mineur."
    got = units(fr, text, ("near", near))
    assert got == (["Le mineur, a b fosse.", "La fosse x y mineur."] if expected else [])


def test_near_exactly_n_apart_with_multi_word_terms(fr):
    near = {"terms": ["gueule noire"], "with": ["fosse"], "within": 2}
    assert units(fr, "La gueule noire à la fosse.", ("near", near)) == []
    near["within"] = 3
    got = coded(fr, "La gueule noire à la fosse.", code("c", ("near", near)))
    assert got == [("c", "La gueule noire à la fosse.", 'c near[0] "gueule noire" ~ "fosse"')]


def test_near_needs_the_same_unit(fr):
    near = {"terms": ["mineur"], "with": ["fosse"], "within": 5}
    assert units(fr, "Le mineur. La fosse.", ("near", near)) == []
    assert units(fr, "Le mineur. La fosse.", ("near", near), unit="turn") == ["Le mineur. La fosse."]


def test_near_does_not_pair_a_token_with_itself(fr):
    near = {"terms": ["mine*"], "with": ["mineur"], "within": 5}
    assert units(fr, "Un mineur.", ("near", near)) == []
    assert units(fr, "Un mineur de la mine.", ("near", near)) == ["Un mineur de la mine."]


def test_near_validation(fr):
    with pytest.raises(RuleError):
        compile_codebook(book(code("c", ("near", {"terms": ["a"], "with": ["b"], "within": 0}))), fr)
    with pytest.raises(RuleError):
        compile_codebook(book(code("c", ("near", {"terms": ["a"]}))), fr)


NEAR_YAML = """title: t
codes:
  - code: c
    rules:
      - near: {{terms: [mineur], with: [fosse]{within}}}
"""


def near_units(fr, codebook, text):
    doc = annotate_one(text, None, fr)
    return [text[p.start:p.end] for p in apply(compile_codebook(codebook, fr), doc, None)]


@pytest.mark.parametrize("within", ["", ", within: 0", ", within: 2.5", ", within: '3'"])
def test_near_within_is_required_by_the_parser_and_the_engine_alike(fr, within):
    """README, Codebook file / Rule semantics: ``within`` is a positive number of words,
    and ``codebook check`` reports a near rule without it. The engine has no default."""
    text = NEAR_YAML.format(within=within)
    (problem,) = [p for p in lint_codebook_text(text, "cb.yaml") if p.is_error]
    with pytest.raises(CodebookError):
        parse_codebook_text(text)
    value = {"terms": ["mineur"], "with": ["fosse"]}
    if within:
        value["within"] = {", within: 0": 0, ", within: 2.5": 2.5, ", within: '3'": "3"}[within]
    with pytest.raises(RuleError) as exc:
        compile_codebook(book(code("c", ("near", value))), fr)
    # the same message: the engine has the parser check a codebook built in Python
    assert str(exc.value) == f"cb.yaml:10: c near[0]: {problem.message.removeprefix('rules[0]: ')}"
    assert "words" in problem.message


@pytest.mark.parametrize("within, expected", [(3, ["Le mineur, a b fosse."]), (2, [])])
def test_near_within_counts_words_through_the_parser_and_the_engine(fr, within, expected):
    # "mineur, a b fosse": 3 words apart, the comma does not count (as documented)
    parsed = parse_codebook_text(NEAR_YAML.format(within=f", within: {within}"))
    (rule,) = parsed.codes[0].rules
    assert parsed.checked and rule.value == {"terms": ["mineur"], "with": ["fosse"], "within": within}
    built = book(code("c", ("near", {"terms": ["mineur"], "with": ["fosse"], "within": within})))
    assert not built.checked
    text = "Le mineur, a b fosse. Rien ici."
    assert near_units(fr, parsed, text) == near_units(fr, built, text) == expected


def test_the_engine_reads_parsed_codebooks_without_checking_them_again(fr, monkeypatch):
    import qualcode.rules as rules_mod

    def fail(codebook):
        raise AssertionError("a parsed codebook is checked again")

    monkeypatch.setattr(rules_mod, "check_model", fail)
    parsed = parse_codebook_text(NEAR_YAML.format(within=", within: 5"))
    assert near_units(fr, parsed, "Le mineur descend à la fosse.") == ["Le mineur descend à la fosse."]
    with pytest.raises(AssertionError):
        compile_codebook(book(code("c", ("terms", ["fosse"]))), fr)


# --------------------------------------------------------------------------- exclude, units


def test_exclude_blocks_the_unit_only(fr):
    text = "Un mineur de moins de 16 ans descendait. Un mineur descendait."
    assert units(fr, text, ("terms", ["mineur"]), exclude=[("terms", ["moins de 16 ans"])]) == [
        "Un mineur descendait."]
    # with turn units the whole turn is blocked
    assert units(fr, text, ("terms", ["mineur"]), exclude=[("terms", ["moins de 16 ans"])],
                 unit="turn") == []
    # exclude rules of any kind
    assert units(fr, text, ("terms", ["mineur"]), exclude=[("regex", r"\d+ ans")]) == [
        "Un mineur descendait."]


def test_exclude_of_one_code_does_not_block_another(fr):
    text = "Un mineur de moins de 16 ans."
    got = coded(fr, text, code("a", ("terms", ["mineur"]), exclude=[("terms", ["16 ans"])]),
                code("b", ("terms", ["mineur"])))
    assert [c for c, _, _ in got] == ["b"]


DIALOGUE = ("Enquêtrice: Vous parlez de la fosse ?\n\n"
            "M. Caron: Oui, mon père était mineur. Il descendait à la fosse.\n\n"
            "Enquêtrice: Et la fosse 9 ?")
DTURNS = [(DIALOGUE.index("Vous"), DIALOGUE.index(" ?\n") + 2),
          (DIALOGUE.index("Oui"), DIALOGUE.index("fosse.\n") + 6),
          (DIALOGUE.index("Et la"), len(DIALOGUE))]
DROLES = ["interviewer", "participant", "interviewer"]


def test_interviewer_turns_skipped_unless_included(fr):
    c = code("c", ("terms", ["fosse"]))
    got = coded(fr, DIALOGUE, c, turns=DTURNS, roles=DROLES)
    assert [u for _, u, _ in got] == ["Il descendait à la fosse."]
    got = coded(fr, DIALOGUE, c, turns=DTURNS, roles=DROLES, include_interviewer=True)
    assert [u for _, u, _ in got] == ["Vous parlez de la fosse ?", "Il descendait à la fosse.", "Et la fosse 9 ?"]
    # no roles: every turn is coded
    assert len(coded(fr, DIALOGUE, c, turns=DTURNS)) == 3
    # regex and pattern rules skip them too
    assert units(fr, DIALOGUE, ("regex", "fosse"), turns=DTURNS, roles=DROLES) == ["Il descendait à la fosse."]
    assert units(fr, DIALOGUE, ("pattern", [{"LOWER": "fosse"}]), turns=DTURNS, roles=DROLES) == [
        "Il descendait à la fosse."]


def test_unit_sentence_vs_turn_offsets(fr):
    cc = compile_codebook(book(code("s", ("terms", ["mineur"])),
                               code("t", ("terms", ["mineur"]), unit="turn")), fr)
    doc = annotate_one(DIALOGUE, DTURNS, fr)
    props = apply(cc, doc, DROLES)
    by = {p.code_path: p for p in props}
    assert DIALOGUE[by["s"].start:by["s"].end] == "Oui, mon père était mineur."
    assert by["s"].unit_kind == "sentence" and by["s"].turn_index == 1
    assert (by["t"].start, by["t"].end) == DTURNS[1] and by["t"].unit_kind == "turn"
    assert by["t"].turn_index == 1


def test_sentence_offsets_are_stripped_even_with_odd_whitespace(fr):
    text = "  Le mineur\n  descendait.   La fosse\tfermait.  "
    cc = compile_codebook(book(code("c", ("terms", ["mineur", "fosse"]))), fr)
    doc = annotate_one(text, [(0, len(text))], fr)
    assert [text[p.start:p.end] for p in apply(cc, doc)] == [
        "Le mineur\n  descendait.", "La fosse\tfermait."]


def test_once_per_unit_with_all_matches_and_first_rule_origin(fr):
    text = "Le mineur et les mineurs de la fosse."
    c = code("identity/mining_memory", ("terms", ["fosse"]), ("terms", ["mineur"]), ("regex", "mineurs"))
    cc = compile_codebook(book(code("identity", children=[c])), fr)
    props = apply(cc, annotate_one(text, None, fr))
    assert len(props) == 1
    p = props[0]
    # origin: first rule in rule order that matched, even though "mineur" comes first in the text
    assert p.origin == 'identity/mining_memory terms[0] "fosse"'
    assert [(m.rule_id.split()[-1], m.text) for m in p.matches] == [
        ("terms[1]", "mineur"), ("terms[1]", "mineurs"), ("regex[2]", "mineurs"), ("terms[0]", "fosse")]
    for m in p.matches:
        assert text[m.start:m.end] == m.text


def test_parent_is_not_coded_by_child_rules(fr):
    child = code("heritage/unesco", ("terms", ["Unesco"]))
    parent = code("heritage", ("terms", ["patrimoine"]), children=[child])
    got = coded(fr, "L'Unesco. Le patrimoine.", parent)
    assert [(c, u) for c, u, _ in got] == [("heritage/unesco", "L'Unesco."), ("heritage", "Le patrimoine.")]


def test_codes_without_rules_and_empty_documents(fr):
    cc = compile_codebook(book(code("empty"), code("c", ("terms", ["fosse"]))), fr)
    assert apply(cc, annotate_one("", None, fr)) == []
    assert apply(cc, annotate_one("Rien à voir.", None, fr)) == []


def test_roles_length_is_checked(fr):
    cc = compile_codebook(book(code("c", ("terms", ["fosse"]))), fr)
    doc = annotate_one(DIALOGUE, DTURNS, fr)
    with pytest.raises(ValueError):
        apply(cc, doc, ["participant"])


# --------------------------------------------------------------------------- cache, explain


def test_rules_run_on_cached_annotation(fr):
    cc = compile_codebook(book(code("c", ("terms", ["gueule noire"]), ("pattern", [{"LEMMA": "descendre"}])),
                               code("t", ("regex", "fosse"), unit="turn")), fr)
    doc = annotate_one(DIALOGUE, DTURNS, fr)
    back = AnnotatedDoc.from_bytes(doc.to_bytes(), DIALOGUE)
    assert apply(cc, back, DROLES) == apply(cc, doc, DROLES) != []


def test_annotation_from_another_pipeline_is_refused(fr):
    cc = compile_codebook(book(code("c", ("terms", ["fosse"]))), fr)
    doc = annotate_one("La fosse.", None, fr)
    doc.pipeline = "fr_core_news_sm 0.0.1"
    with pytest.raises(QualcodeError, match="annotate it again"):
        apply(cc, doc)


def test_explain_shows_hits_exclusions_and_blocked(fr):
    text = "E: Et les enfants ?\n\nM: Un mineur de moins de 16 ans descendait. Un mineur descendait."
    turns = [(3, text.index("?") + 1), (text.index("Un"), len(text))]
    c = code("c", ("terms", ["mineur"]), exclude=[("terms", ["moins de 16 ans"])])
    cc = compile_codebook(book(c), fr)
    doc = annotate_one(text, turns, fr)
    ex = explain(cc, doc, 1, ["interviewer", "participant"])
    assert (ex.start, ex.end) == turns[1] and ex.role == "participant" and not ex.skipped
    rows = [(h.rule_id, h.exclude, h.blocked, h.matches[0].text, text[h.unit_start:h.unit_end])
            for h in ex.hits]
    assert rows == [
        ("c terms[0]", False, True, "mineur", "Un mineur de moins de 16 ans descendait."),
        ("c exclude[0]", True, False, "moins de 16 ans", "Un mineur de moins de 16 ans descendait."),
        ("c terms[0]", False, False, "mineur", "Un mineur descendait."),
    ]
    assert [text[p.start:p.end] for p in ex.proposals] == ["Un mineur descendait."]
    ex0 = explain(cc, doc, 0, ["interviewer", "participant"])
    assert ex0.skipped and ex0.hits == [] and ex0.proposals == []
    with pytest.raises(QualcodeError):
        explain(cc, doc, 5)


def test_explain_interviewer_turn_still_shows_hits(fr):
    cc = compile_codebook(book(code("c", ("terms", ["fosse"]))), fr)
    doc = annotate_one(DIALOGUE, DTURNS, fr)
    ex = explain(cc, doc, 0, DROLES)
    assert ex.skipped and [h.matches[0].text for h in ex.hits] == ["fosse"] and ex.proposals == []


def test_describe_terms(fr):
    cc = compile_codebook(book(code("c", ("terms", ["mineurs", "reconver*", "gueule noire"]))), fr)
    forms = {term: f for _, term, f in cc.describe_terms()}
    assert forms["mineurs"] == [["mineurs", "mineur"]]
    assert forms["reconver*"] == [["reconver*"]]
    assert forms["gueule noire"][1] == ["noire", "noir"]


def test_exclude_rules_of_kind_near_and_pattern(fr):
    text = "Un mineur de 14 ans. Un mineur adulte. Un mineur à la fosse."
    assert units(fr, text, ("terms", ["mineur"]),
                 exclude=[("near", {"terms": ["mineur"], "with": ["an"], "within": 3})]) == [
        "Un mineur adulte.", "Un mineur à la fosse."]
    assert units(fr, text, ("terms", ["mineur"]),
                 exclude=[("pattern", [{"LOWER": "à"}, {"LOWER": "la"}, {"LEMMA": "fosse"}])]) == [
        "Un mineur de 14 ans.", "Un mineur adulte."]


def test_bad_unit_is_an_error(fr):
    with pytest.raises(RuleError, match="unit"):
        compile_codebook(book(code("c", ("terms", ["fosse"]), unit="paragraph")), fr)


# --------------------------------------------------------------------------- fast paths = reference


def _whole_doc_pattern_matches(cc, doc, included):
    """Reference: the Matcher run on a Doc of every token of the included turns (no windows)."""
    import numpy as np
    from spacy.attrs import LEMMA, MORPH, POS, SENT_START
    from spacy.tokens import Doc

    from qualcode.nlp import FLAG_SENT_START

    vocab = cc.pipeline.nlp.vocab
    turn_of = np.repeat(np.arange(len(included)), np.diff(doc.turn_tok))
    sel = np.flatnonzero(np.repeat(included, np.diff(doc.turn_tok)))
    words = [doc.text[doc.start[i]:doc.end[i]] for i in sel]
    spaces = [bool(i + 1 < doc.n_tokens and doc.end[i] < doc.start[i + 1]) for i in sel]
    sdoc = Doc(vocab, words=words, spaces=spaces)
    arr = np.array([[vocab.strings.add(doc.strings[doc.lemma[i]]), doc.pos[i],
                     vocab.strings.add(doc.strings[doc.morph[i]]),
                     1 if doc.flags[i] & FLAG_SENT_START else 2**64 - 1] for i in sel], dtype=np.uint64)
    sdoc.from_array([LEMMA, POS, MORPH, SENT_START], arr)
    out = set()
    matcher, pattern_refs = cc.pattern_matcher()
    for key, s, e in matcher(sdoc):
        if turn_of[sel[s]] == turn_of[sel[e - 1]]:
            out.add((pattern_refs[key], int(sel[s]), int(sel[e - 1])))
    return sorted(out)


WINDOW_TEXT = (
    "Je suis d'ici. Moi je suis vraiment d'ici, tu vois. Ici, on est chez nous. "
    "Chez nous ! C'est chez moi. Les mineurs sont partis. Mineurs, mineurs, toujours mineurs. "
    "Ils sont fiers d'être d'ici et fiers du bassin. Fiers. Pas de travail ici. "
    "Pas vraiment de travail ni de boulot. Sans boulot. Le travail, le boulot.\n\n"
    "Ici. Le bassin minier, c'est une fierté. Les gens d'ici restent ici. Il faut rester ici."
)

WINDOW_PATTERNS = [
    [{"LEMMA": "être"}, {"LOWER": "d'"}, {"LOWER": "ici"}],                      # plain, 3 anchors
    [{"LEMMA": "être"}, {"OP": "?"}, {"LOWER": "d'"}, {"LOWER": "ici"}],         # optional token
    [{"LOWER": "chez"}, {"LOWER": {"IN": ["moi", "nous"]}}, {"IS_PUNCT": True, "OP": "?"}],
    [{"IS_SENT_START": True, "LOWER": "ici"}],                                   # sentence start
    [{"IS_SENT_START": False, "LOWER": "ici"}],
    [{"IS_SENT_START": True}, {"LEMMA": "mineur"}],                             # start + anchor
    [{"LOWER": "pas"}, {"OP": "*"}, {"LEMMA": {"IN": ["travail", "boulot"]}}],   # unbounded *
    [{"LEMMA": "mineur", "OP": "+"}],                                           # unbounded +
    [{"LOWER": "fiers"}, {"OP": "{1,3}"}, {"LOWER": "ici"}],                    # {n,m}
    [{"LEMMA": "rester"}, {"LOWER": "ici", "OP": "!"}],                         # negation
    [{"POS": "NOUN"}, {"POS": "ADJ"}],                                          # no anchor
    [{"LOWER": "introuvable"}, {"LOWER": "ici"}],                               # absent anchor
]


@pytest.mark.parametrize("selection", ["every pattern", "bounded only", "one by one"])
def test_windowed_matcher_finds_what_the_whole_turn_matcher_finds(fr, selection):
    import numpy as np

    from qualcode.rules import _DocView

    if selection == "every pattern":
        groups = [WINDOW_PATTERNS]
    elif selection == "bounded only":
        groups = [[p for i, p in enumerate(WINDOW_PATTERNS) if i not in (6, 7, 10)]]
    else:
        groups = [[p] for p in WINDOW_PATTERNS]
    text = WINDOW_TEXT
    turns = [(0, 120), (120, 260), (260, len(text))]
    doc = annotate_one(text, turns, fr)
    total = 0
    for group in groups:
        cc = compile_codebook(book(code("c", *[("pattern", p) for p in group])), fr)
        for included in ([True, True, True], [True, False, True], [False, True, False]):
            inc = np.asarray(included)
            got = sorted(_DocView(cc, doc, inc).pattern_occurrences())
            assert got == _whole_doc_pattern_matches(cc, doc, inc)
            total += len(got)
    assert total > 20  # the patterns do match in this text


def test_pattern_length_and_required_words():
    from qualcode.rules import _pattern_max_len, _pattern_required

    assert _pattern_max_len([{"LOWER": "a"}, {"OP": "?"}, {"LOWER": "b", "OP": "!"}]) == 3
    assert _pattern_max_len([{"LOWER": "a", "OP": "{2,4}"}, {"OP": "{3}"}, {"OP": "{,2}"}]) == 9
    for op in ("*", "+", "{2,}"):
        assert _pattern_max_len([{"LOWER": "a"}, {"OP": op}]) is None
    assert _pattern_required([{"LEMMA": "Être"}, {"LOWER": "x", "OP": "?"}, {"LOWER": {"IN": ["Ici", "là"]}},
                              {"POS": "NOUN"}, {"ORTH": "Y", "OP": "+"}]) == (
        frozenset({"etre"}), frozenset({"ici", "la"}), frozenset({"y"}))


def test_batched_term_compilation_equals_one_call_per_term(fr):
    from qualcode.rules import _TermCompiler

    terms = ["mine", "fosse", "été", "gueules noires", "reconver*", "centre d'info*",
             "d'information*", "Unesco", "terril", "on parle de mine", "  houillères  "]
    batched, single = _TermCompiler(fr), _TermCompiler(fr)
    batched.prepare(terms)
    assert batched._docs  # the texts were parsed up front
    for t in terms:
        b, s = batched.compile(t), single.compile(t)
        assert (b.raw, [p.forms for p in b.positions], [p.prefix for p in b.positions]) == \
            (s.raw, [p.forms for p in s.positions], [p.prefix for p in s.positions])
    assert single._docs == {}
    # lemmas taken in the carrier phrase, as documented
    assert batched.compile("mine").positions[0].forms == ("mine",)


def test_vectorized_term_occurrences_equal_a_token_by_token_check(fr):
    import numpy as np

    from qualcode.rules import _DocView
    from qualcode.textnorm import fold

    text = ("Les gueules noires descendaient. Une gueule noire ! La gueule, noire. Le centre "
            "d'information ferme ; les centres d'informations. Reconversion du carreau de fosse. "
            "Le carreau\n\nde fosse. Gueule noire des mineurs reconvertis, fosse 9.")
    turns = [(0, 70), (70, 150), (150, len(text))]
    terms = ["gueule noire", "centre d'info*", "reconver*", "carreau de fosse", "fosse", "mineur",
             "de fosse", "noire des mine*"]
    cc = compile_codebook(book(code("c", ("terms", terms))), fr)
    doc = annotate_one(text, turns, fr)
    for included in ([True, True, True], [False, True, True], [True, False, False]):
        inc = np.asarray(included)
        t, s, e = _DocView(cc, doc, inc).term_occurrences()
        got = sorted(zip(t.tolist(), s.tolist(), e.tolist()))
        expected = []
        for turn in np.flatnonzero(inc).tolist():
            lo, hi = int(doc.turn_tok[turn]), int(doc.turn_tok[turn + 1])
            for i in range(lo, hi):
                for ti, term in enumerate(cc.terms):
                    n = len(term.positions)
                    if i + n > hi:
                        continue
                    ok = True
                    for k, p in enumerate(term.positions):
                        low = fold(doc.strings[doc.lower[i + k]])
                        lem = fold(doc.strings[doc.lemma[i + k]])
                        ok = low.startswith(p.prefix) if p.prefix else (low in p.forms or lem in p.forms)
                        if not ok:
                            break
                    if ok:
                        expected.append((ti, i, i + n - 1))
        assert got == sorted(expected)
        assert expected  # the check is not vacuous


# --------------------------------------------------------------------------- fast paths vs references


def test_prefix_firsts_equals_reference_loop():
    """The vectorized prefix lookup (numpy cut + isin) lists the same (string, terms) pairs,
    in the same order, as a plain loop over strings and prefix lengths."""
    import random
    from types import SimpleNamespace

    import numpy as np

    from qualcode.rules import _prefix_firsts

    rnd = random.Random(7)
    alphabet = "abcé'-e"
    prefixes = {"ab": [0], "abc": [1, 2], "e'": [3], "abcde": [4], "éé": [5]}
    for _trial in range(30):
        strings = ["".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 7))) for _ in range(200)]
        strings += ["", "ab", "abc", "abcde", "abcdef", "a"]
        cb = SimpleNamespace(first_prefix=prefixes, prefix_lengths=tuple(sorted({len(p) for p in prefixes})))
        got = _prefix_firsts(cb, np.array(strings, dtype=str), strings)
        want = []
        for s, f in enumerate(strings):
            for L in cb.prefix_lengths:
                if len(f) >= L and f[:L] in prefixes:
                    want.append((s, prefixes[f[:L]]))
        assert got == want


def test_compiling_from_the_term_cache_gives_the_same_codebook_without_the_pipeline(fr):
    """A second compile with the analyses of the first never runs the pipeline (its nlp is
    replaced by an object that only has the vocab) and gives the same terms and matches."""
    from types import SimpleNamespace

    from qualcode.nlp import Pipeline

    cb = book(code("a", ("terms", ["mineurs", "gueule noire", "reconver*", "d'information*", "l'été"]),
                   ("near", {"terms": ["image"], "with": ["mauvaise"], "within": 3})),
              code("b", ("terms", ["fosses"]), ("pattern", [{"LEMMA": "fosse"}])))
    cache: dict = {}
    first = compile_codebook(cb, fr, term_cache=cache)
    assert "gueule noire" in cache and "reconver" in cache
    blind = Pipeline(SimpleNamespace(vocab=fr.nlp.vocab), fr.name, fr.description, fr.language, fr.has_lemmas)
    second = compile_codebook(cb, blind, term_cache=dict(cache))
    assert second.describe_terms() == first.describe_terms()
    assert second.key_ids == first.key_ids
    text = "Les gueules noires. La reconversion d'informations. Une image très mauvaise. Une fosse."
    doc = annotate_one(text, None, fr)
    assert apply(second, doc) == apply(first, doc) and len(apply(first, doc)) == 4


def test_candidate_turns_equals_per_turn_search():
    """Skipping from turn to turn with one forward search finds exactly the included turns
    in which the relaxed regex has a match, as searching each turn on its own does."""
    import random
    import re
    from types import SimpleNamespace

    import numpy as np

    from qualcode.rules import _DocView, _relaxed

    rnd = random.Random(11)
    words = ["mine", "fosse", "la", "charbon", "a", "b", "ab", "\n", ".", "  "]
    regexes = [r"mine", r"\bfosse\b", r"^la", r"ab|b a", r"(?i)CHAR\w*", r"a.*b", r"x?", r"e\s+l",
               r"(?s)mine.fosse", r"$"]
    for _trial in range(60):
        text = " ".join(rnd.choice(words) for _ in range(rnd.randint(0, 60)))
        # turns: sorted, non-overlapping, possibly with gaps and empty turns
        cuts = sorted(rnd.sample(range(len(text) + 1), k=min(len(text) + 1, 2 * rnd.randint(1, 6))))
        turns = np.array([(cuts[i], cuts[i + 1]) for i in range(0, len(cuts) - 1, 2)], dtype=np.int64)
        if not len(turns):
            continue
        included = np.array([rnd.random() < 0.7 for _ in range(len(turns))], dtype=bool)
        view = SimpleNamespace(doc=SimpleNamespace(text=text, turns=turns), included=included)
        for rx in regexes:
            pre = _relaxed(re.compile(rx))
            got = _DocView.candidate_turns(view, pre)
            want = [t for t in range(len(turns)) if included[t]
                    and (pre is None or pre.search(text, int(turns[t, 0]), int(turns[t, 1])) is not None)]
            assert got == want, (rx, text, turns.tolist(), included.tolist())


def test_relaxed_refuses_atomic_and_possessive():
    """More text can make an atomic group or a possessive repeat fail, so such regexes get
    no prefilter (every unit is searched)."""
    import re

    from qualcode.rules import _relaxed

    assert _relaxed(re.compile(r"(?>a+)b")) is None
    assert _relaxed(re.compile(r"a++b")) is None
    assert _relaxed(re.compile(r"\bfosse\b")).pattern == "fosse"
    assert _relaxed(re.compile(r"fosse")).pattern == "fosse"


def test_regex_and_pattern_fast_paths_match_on_real_text(fr):
    """Regex rules (sentence and turn units, with anchors) and pattern rules code the same
    units as a hand check: the regex on each unit's own text."""
    text = ("Mon père était mineur. Il descendait à la fosse.\n\n"
            "Moi non. La fosse a fermé en 1990.\n\n"
            "On parlait du charbon. Fosse toujours.")
    t1 = text.index("\n\nMoi")
    t2 = text.index("\n\nOn")
    doc = annotate_one(text, [(0, t1), (t1 + 2, t2), (t2 + 2, len(text))], fr)
    cb = compile_codebook(book(
        code("a", ("regex", r"^La fosse"), ("regex", r"\bfosse\b")),
        code("b", ("regex", r"(?i)^fosse"), ("regex", r"(?i)^on\b"), unit="turn"),
        code("c", ("pattern", [{"LOWER": "la"}, {"LOWER": "fosse"}])),
    ), fr)
    props = apply(cb, doc)
    for p in props:
        assert text[p.start:p.end] == text[p.start:p.end].strip()
    a = sorted(text[p.start:p.end] for p in props if p.code_path == "a")
    assert a == ["Il descendait à la fosse.", "La fosse a fermé en 1990."]
    b = sorted(text[p.start:p.end] for p in props if p.code_path == "b")
    assert b == ["On parlait du charbon. Fosse toujours."]  # no turn starts with "fosse"
    c = sorted(text[p.start:p.end] for p in props if p.code_path == "c")
    assert c == ["Il descendait à la fosse.", "La fosse a fermé en 1990."]


# --------------------------------------------------------------------------- patterns without the pipeline


_LEXEME_ATTRS = ("orth_", "lower_", "norm_", "shape_", "prefix_", "suffix_", "lang_", "is_alpha", "is_ascii",
                 "is_digit", "is_lower", "is_upper", "is_title", "is_punct", "is_space", "is_bracket",
                 "is_quote", "is_left_punct", "is_right_punct", "is_currency", "is_stop", "like_num",
                 "like_url", "like_email", "is_oov", "flags")


def _sample_texts() -> list[str]:
    from pathlib import Path

    from qualcode.importers import EXTENSIONS, parse_file

    sample = Path(__file__).resolve().parent.parent / "transcripts_sample"
    return [parse_file(p).text for p in sorted(sample.iterdir())
            if p.suffix.lower() in EXTENSIONS and p.stem.lower() != "readme"]


def test_matcher_vocab_has_the_pipelines_lexical_attributes(fr):
    """The vocabulary made without loading the pipeline gives every word of the sample
    transcripts (and numbers, stop words, URLs, punctuation) the same lexical attributes
    as the loaded pipeline's own vocabulary: what pattern rules test besides LEMMA, POS,
    MORPH and sentence starts, which come from the token table."""
    from qualcode.nlp import matcher_vocab

    light, full = matcher_vocab("fr"), fr.nlp.vocab
    assert light is not full
    words = {t.text for text in _sample_texts() for t in fr.nlp.make_doc(text)}
    words |= {"vingt", "Vingt-Deux", "12", "3,5", "1er", "le", "Les", "https://exemple.fr", "a@b.fr", "«", "»",
              "(", "—", "€", "…", "XXe", "l'", "d’", "aujourd'hui", "  ", "\n"}
    assert len(words) > 3000
    for w in sorted(words):
        a, b = light[w], full[w]
        assert [getattr(a, x) for x in _LEXEME_ATTRS] == [getattr(b, x) for x in _LEXEME_ATTRS], w


def test_patterns_match_the_same_without_loading_the_pipeline(fr):
    """Compiled with a pipeline that is not loaded, pattern rules (those of the sample
    codebook, and some on lexical attributes) find exactly what they find with the loaded
    pipeline, and the pipeline stays unloaded."""
    from pathlib import Path

    from qualcode.codebook import load_codebook
    from qualcode.nlp import _lazy_trained

    cb = load_codebook(Path(__file__).resolve().parent.parent / "codebooks" / "bassin_minier.yaml")
    patterns = [r.value for c in cb.walk() for r in c.rules + c.exclude if r.kind == "pattern"]
    patterns += [[{"LIKE_NUM": True}, {"IS_ALPHA": True}], [{"IS_STOP": True}, {"LOWER": "mine"}],
                 [{"NORM": "mineur"}], [{"SHAPE": "dd"}], [{"IS_PUNCT": True}, {"IS_TITLE": True}],
                 [{"IS_DIGIT": True, "OP": "+"}, {"LOWER": "ans"}]]
    codebook = book(*[code(f"p{i}", ("pattern", p)) for i, p in enumerate(patterns)])
    docs = [annotate_one(text, None, fr) for text in _sample_texts()]
    lazy = _lazy_trained("fr_core_news_sm", "fr")
    assert lazy is not None and not lazy.loaded
    with_full, with_light = compile_codebook(codebook, fr), compile_codebook(codebook, lazy)
    got_full = [apply(with_full, d) for d in docs]
    got_light = [apply(with_light, d) for d in docs]
    assert not lazy.loaded
    assert got_light == got_full
    assert sum(map(len, got_full)) > 50
    assert len({p.code_path for ps in got_full for p in ps}) > 10
