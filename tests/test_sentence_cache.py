"""The sentence cache (``sentence_spans``): reports and agreement read each document's
sentences without decoding its annotation (no numpy); they are what the annotation
says, under the same cache key, and stale when the annotation is."""

from __future__ import annotations

import hashlib
import random

import numpy as np
from helpers.reports import build

from qualcode.annotations import decode_sentences, encode_sentences, load_annotations, load_sentences
from qualcode.nlp import ANNOTATION_FORMAT, _turn_spans, cache_key, load_pipeline, spacy_version
from qualcode.project import Project


def _numpy_key(text, turns, name):
    """The cache key as it was computed with numpy (caches made before must stay valid)."""
    h = hashlib.sha256()
    h.update(f"qualcode-annotation/{ANNOTATION_FORMAT}\0spacy {spacy_version()}\0{name}\0".encode())
    h.update(np.asarray(_turn_spans(text, turns), dtype=np.int64).tobytes())
    h.update(b"\0")
    h.update(text.encode("utf-8"))
    return h.hexdigest()


def test_cache_key_is_the_one_numpy_made():
    rng = random.Random(3)
    for _ in range(300):
        text = "é" * rng.randint(0, 50) + " mot" * rng.randint(0, 30)
        cuts = sorted(rng.randint(0, len(text)) for _ in range(2 * rng.randint(0, 6)))
        turns = list(zip(cuts[::2], cuts[1::2]))
        assert cache_key(text, turns, "fr_core_news_sm 3.8.0") == _numpy_key(text, turns, "fr_core_news_sm 3.8.0")


def test_encoding_round_trip():
    sents = [(0, 0, 12), (0, 13, 40), (3, 41, 2**40)]
    assert decode_sentences(encode_sentences(sents)) == sents
    assert decode_sentences(encode_sentences([])) == []


def test_sentences_are_the_annotations_and_follow_them(tmp_path):
    build(tmp_path / "p", tmp_path)  # autocode filled the annotation cache
    with Project.open(tmp_path / "p") as proj:
        store = proj.store
        docs = store.documents.select()
        pipeline = load_pipeline(proj.language)
        with store.transaction():
            anns, _, _ = load_annotations(proj, docs, pipeline)
            expected = {d.id: list(anns[d.id].sentences()) for d in docs}
            assert all(expected.values())
            first = load_sentences(proj, docs, pipeline)
        assert first == expected
        # now cached under each annotation's key
        for d in docs:
            key = cache_key(d.text, store.documents.turns(d.id), pipeline)
            assert decode_sentences(store.annotations.sentences(d.id, key)) == expected[d.id]
            assert store.annotations.sentences(d.id, "another key") is None
        # a wrong cached value under the right key is what is read (the cache is trusted)...
        d = docs[0]
        key = cache_key(d.text, store.documents.turns(d.id), pipeline)
        with store.transaction():
            store.annotations.put_sentences(d.id, cache_key=key, data=encode_sentences([(0, 1, 2)]))
            assert load_sentences(proj, [d], pipeline)[d.id] == [(0, 1, 2)]
            # ...and dropping the annotation (the text changed) drops it too
            store.annotations.drop(d.id)
            assert store.annotations.sentences(d.id, key) is None
            assert load_sentences(proj, [d], pipeline)[d.id] == expected[d.id]
