"""The NLP caches: each document's annotation blob and the codebook terms' analyses.

Both are caches: a row is valid while its key is unchanged and is recomputed otherwise.

* ``annotations``: one blob per document (:meth:`qualcode.nlp.AnnotatedDoc.to_bytes`),
  under the key :func:`qualcode.nlp.cache_key` (the text, the turns and the pipeline), so
  the pipeline only runs on documents whose text, turns or pipeline changed.
* ``sentence_spans``: the sentences of a document's annotation, under the same key: what
  the reports and agreement read (decoding the whole annotation needs numpy).
* ``pattern_matches``: the matches of the codebook's pattern rules in a document, under
  :func:`qualcode.rules.pattern_cache_key` (the patterns, the annotation's key, the turns
  coded), so that re-coding after an edit that leaves the patterns alone needs no spaCy.
* ``term_analyses``: the tokens and lemmas of the codebook's terms, under
  :func:`qualcode.rules.term_cache_key` (the pipeline), so that re-coding after a
  codebook edit runs the pipeline on new terms only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from qualcode.store.connection import Connection, now


class Annotations:
    """The ``annotations`` and ``term_analyses`` tables."""

    def __init__(self, db: Connection):
        self.db = db

    # -- document annotations --------------------------------------------------------
    def get(self, document_id: int, cache_key: str) -> bytes | None:
        """The document's cached annotation blob if it was made under ``cache_key``, else
        None (never annotated, or stale)."""
        row = self.db.execute("SELECT data FROM annotations WHERE document_id = ? AND cache_key = ?",
                              (document_id, cache_key)).fetchone()
        return row[0] if row else None

    def cached(self, keys: Mapping[int, str]) -> set[int]:
        """The ids, among ``keys`` (document id -> cache key), of the documents whose
        cached annotation was made under that key (without reading the blobs)."""
        rows = self.db.execute("SELECT document_id, cache_key FROM annotations")
        return {r[0] for r in rows if keys.get(r[0]) == r[1]}

    def put(self, document_id: int, *, cache_key: str, pipeline: str, data: bytes) -> None:
        """Cache the document's annotation blob (replacing the one it had)."""
        self.db.execute(
            "INSERT INTO annotations (document_id, cache_key, pipeline, data, created_at)"
            " VALUES (?,?,?,?,?) ON CONFLICT (document_id) DO UPDATE SET cache_key = excluded.cache_key,"
            " pipeline = excluded.pipeline, data = excluded.data, created_at = excluded.created_at",
            (document_id, cache_key, pipeline, data, now()),
        )

    def drop(self, document_id: int) -> None:
        """Forget the document's cached annotations (its text changed)."""
        self.db.execute("DELETE FROM annotations WHERE document_id = ?", (document_id,))
        self.db.execute("DELETE FROM sentence_spans WHERE document_id = ?", (document_id,))
        self.db.execute("DELETE FROM pattern_matches WHERE document_id = ?", (document_id,))

    # -- pattern-rule matches ----------------------------------------------------------
    def pattern_matches(self, document_ids: Sequence[int]) -> dict[int, tuple[str, bytes]]:
        """Document id -> (cache key, matches blob) of the pattern matches cached for these documents."""
        wanted = set(document_ids)
        rows = self.db.execute("SELECT document_id, cache_key, data FROM pattern_matches")
        return {r[0]: (r[1], r[2]) for r in rows if r[0] in wanted}

    def put_pattern_matches(self, document_id: int, *, cache_key: str, data: bytes) -> None:
        """Cache the document's pattern matches (replacing the ones it had)."""
        self.db.execute(
            "INSERT INTO pattern_matches (document_id, cache_key, data) VALUES (?,?,?) ON CONFLICT (document_id)"
            " DO UPDATE SET cache_key = excluded.cache_key, data = excluded.data",
            (document_id, cache_key, data))

    def sentences(self, document_id: int, cache_key: str) -> bytes | None:
        """The document's cached sentences if they come from its annotation under
        ``cache_key``, else None."""
        row = self.db.execute("SELECT data FROM sentence_spans WHERE document_id = ? AND cache_key = ?",
                              (document_id, cache_key)).fetchone()
        return row[0] if row else None

    def put_sentences(self, document_id: int, *, cache_key: str, data: bytes) -> None:
        """Cache the document's sentences (replacing the ones it had)."""
        self.db.execute(
            "INSERT INTO sentence_spans (document_id, cache_key, data) VALUES (?,?,?) ON CONFLICT (document_id)"
            " DO UPDATE SET cache_key = excluded.cache_key, data = excluded.data",
            (document_id, cache_key, data))

    # -- term analyses -----------------------------------------------------------------
    def terms(self, cache_key: str) -> dict[str, list[Any]]:
        """Term text -> its analysis ``[[token, lemma], …]``, of the terms cached under ``cache_key``."""
        rows = self.db.execute("SELECT text, tokens FROM term_analyses WHERE cache_key = ?", (cache_key,))
        return {r[0]: json.loads(r[1]) for r in rows}

    def put_terms(self, cache_key: str, analyses: Mapping[str, list[Any]]) -> None:
        """Cache the analyses of new terms under ``cache_key``. Storing any drops the
        analyses under other keys: they were made by another pipeline or spaCy version,
        and are stale."""
        if not analyses:
            return
        self.db.execute("DELETE FROM term_analyses WHERE cache_key != ?", (cache_key,))
        self.db.executemany(
            "INSERT OR REPLACE INTO term_analyses (cache_key, text, tokens) VALUES (?,?,?)",
            [(cache_key, t, json.dumps(a, ensure_ascii=False)) for t, a in analyses.items()])
