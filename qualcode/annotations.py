"""The project's annotation cache: what the NLP pipeline made of each document, and
of each codebook term, kept in the project so that re-coding never runs it again.

:mod:`qualcode.nlp` annotates texts and defines the cached format (``AnnotatedDoc``
bytes, :func:`~qualcode.nlp.cache_key`); this module reads the cache through the store
and fills what is missing or stale. Auto-coding, the reports that count sentences or
words, manual coding by sentence, review, kwic and ``codebook diff`` all read
annotations here. It stays apart from :mod:`qualcode.nlp`, which knows nothing of
projects (its worker processes import it alone).
"""

from __future__ import annotations

import contextlib
import sys
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

from qualcode.nlp import AnnotatedDoc, Pipeline, annotate_iter, cache_key
from qualcode.store.connection import WriteNeeded
from qualcode.store.documents import Document

if TYPE_CHECKING:
    from qualcode.project import Project


def load_annotations(project: Project, docs: Sequence[Document], pipeline: Pipeline, *, write: bool = True,
                     progress: Callable[[int], None] | None = None,
                     on_ready: Callable[[int, AnnotatedDoc], None] | None = None,
                     ) -> tuple[dict[int, AnnotatedDoc], int, int]:
    """AnnotatedDoc per document id, from the cache or computed (and cached if ``write``
    and the project can be written).

    Inside a snapshot of :meth:`~qualcode.store.connection.Connection.read`, a document
    missing from the cache raises :class:`~qualcode.store.connection.WriteNeeded` (the
    read runs again under the write lock, which caches it).

    Each annotation carries its cache key (``AnnotatedDoc.key``).
    Returns (annotations, number computed, number from cache). With ``on_ready(doc_id,
    annotation)``, each annotation is handed over as soon as it is available (cached ones
    first, then computed ones as the worker processes deliver them) and the returned dict
    is empty: the caller works while the others are being annotated, and nothing holds
    every table at once.
    """
    store = project.store
    write = write and not store.read_only  # a read-only project: computed, not cached
    out: dict[int, AnnotatedDoc] = {}
    ready = on_ready if on_ready is not None else out.__setitem__
    missing = []
    for d in docs:
        spans = [(t.start, t.end) for t in store.documents.turns(d.id)]
        key = cache_key(d.text, spans, pipeline)
        data = store.annotations.get(d.id, key)
        if data is not None:
            ann = AnnotatedDoc.from_bytes(data, d.text)
            ann.key = key
            ready(d.id, ann)
        else:
            missing.append((d, spans, key))
    if missing and write and store.reading:
        # a snapshot without the write lock (store.read): say so before annotating, so
        # that the work is done once, in the write transaction that caches it
        raise WriteNeeded(f"{len(missing)} document(s) to annotate and cache")
    if missing:
        computed = annotate_iter([(d.text, spans) for d, spans, _ in missing], pipeline, progress=progress)
        # closing() stops the worker processes at once if on_ready or a write fails (else
        # the generator, kept alive by the traceback, would keep them running)
        with contextlib.closing(computed):
            for i, ann in computed:
                d, _spans, key = missing[i]
                ann.key = key
                if write:
                    # to_bytes(): the worker processes' bytes as they are when annotated in parallel
                    store.annotations.put(d.id, cache_key=key, pipeline=pipeline.name, data=ann.to_bytes())
                    store.annotations.put_sentences(d.id, cache_key=key, data=encode_sentences(ann.sentences()))
                ready(d.id, ann)
    return out, len(missing), len(docs) - len(missing)


def iter_annotations(project: Project, docs: Sequence[Document], pipeline: Pipeline, *,
                     progress: Callable[[int], None] | None = None) -> Iterator[tuple[Document, AnnotatedDoc]]:
    """``(document, annotation)`` for each of ``docs``, in their order, one at a time: for
    the commands that read every document's annotation once (reports, ``kwic``,
    ``agreement``), so that memory does not grow with the corpus.

    The documents missing from the cache are annotated first, inside a transaction, and
    cached when the project can be written (:func:`load_annotations`); the others are
    read from the cache as the caller goes (no write lock: only documents missing from
    the cache take one). A document whose cached annotation changed meanwhile (another
    command re-imported it) is annotated again, not cached."""
    store = project.store
    keys = {d.id: cache_key(d.text, [(t.start, t.end) for t in store.documents.turns(d.id)], pipeline)
            for d in docs}
    have = store.annotations.cached(keys)
    missing = [d for d in {d.id: d for d in docs}.values() if d.id not in have]
    computed: dict[int, AnnotatedDoc] = {}
    if missing:
        with store.transaction():
            computed, _, _ = load_annotations(project, missing, pipeline, progress=progress)
    for d in docs:
        ann = computed.pop(d.id, None)
        if ann is None:
            data = store.annotations.get(d.id, keys[d.id])
            ann = AnnotatedDoc.from_bytes(data, d.text) if data is not None else \
                load_annotations(project, [d], pipeline, write=False)[0][d.id]
        yield d, ann


Sentence = tuple[int, int, int]  # (turn index from 0, start, end), as AnnotatedDoc.sentences()


def encode_triples(triples: Iterable[tuple[int, int, int]]) -> bytes:
    """Triples of integers as the caches keep them (``sentence_spans``, ``pattern_matches``):
    64-bit integers, little-endian."""
    flat = array("q", [v for s in triples for v in s])
    if sys.byteorder != "little":  # pragma: no cover - big-endian machines
        flat.byteswap()
    return flat.tobytes()


def decode_triples(data: bytes) -> list[tuple[int, int, int]]:
    flat = array("q")
    flat.frombytes(data)
    if sys.byteorder != "little":  # pragma: no cover
        flat.byteswap()
    it = iter(flat)
    return list(zip(it, it, it))


# the sentences (turn index from 0, start, end) as the ``sentence_spans`` cache keeps them
encode_sentences = encode_triples
decode_sentences = decode_triples


PatternMatches = tuple[str, list[tuple[int, int, int]]]  # cache key, (pattern, first token, last token)…


def load_pattern_matches(project: Project, document_ids: Sequence[int]) -> dict[int, PatternMatches]:
    """Document id -> the pattern rules' matches cached for it and the key they were found
    under (see :class:`qualcode.rules.PatternCache`, which checks the key)."""
    return {d: (key, decode_triples(data))
            for d, (key, data) in project.store.annotations.pattern_matches(document_ids).items()}


def keep_pattern_matches(project: Project, document_id: int, found: PatternMatches) -> None:
    """Cache the pattern matches a run found in the document (replacing the ones it had)."""
    key, matches = found
    project.store.annotations.put_pattern_matches(document_id, cache_key=key, data=encode_triples(matches))


def load_sentences(project: Project, docs: Sequence[Document], pipeline: Pipeline) -> dict[int, list[Sentence]]:
    """Document id -> its sentences ``(turn index from 0, start, end)``, what
    ``AnnotatedDoc.sentences()`` gives for its annotation: from the ``sentence_spans``
    cache when it holds them under the annotation's current key (no numpy, no decoding
    of the token tables), else from :func:`load_annotations` (annotated if need be), and
    then cached (unless the project is read-only). Call it inside a transaction: it may
    write."""
    store = project.store
    out: dict[int, list[Sentence]] = {}
    missing: list[tuple[Document, str]] = []
    for d in docs:
        key = cache_key(d.text, [(t.start, t.end) for t in store.documents.turns(d.id)], pipeline)
        data = store.annotations.sentences(d.id, key)
        if data is not None:
            out[d.id] = decode_sentences(data)
        else:
            missing.append((d, key))
    if missing:
        annotations, _, _ = load_annotations(project, [d for d, _ in missing], pipeline)
        for d, key in missing:
            out[d.id] = list(annotations[d.id].sentences())
            if not store.read_only:
                store.annotations.put_sentences(d.id, cache_key=key, data=encode_sentences(out[d.id]))
    return out


def load_term_cache(project: Project, key: str) -> dict[str, list]:
    """The codebook terms' analyses kept by earlier runs with this pipeline (see
    :func:`qualcode.rules.compile_codebook`)."""
    return project.store.annotations.terms(key)
