"""The rule engine: a codebook's rules, compiled once, applied to annotated documents.

:func:`compile_codebook` turns a :class:`~qualcode.codebook.model.Codebook` into a
:class:`CompiledCodebook`; :func:`apply` runs it on one
:class:`~qualcode.nlp.AnnotatedDoc` (the cached token table: the spaCy pipeline is
never run again) and returns :class:`Proposal` objects; :func:`explain` shows which rules
fire where in one turn.

Semantics
=========

Folding. "Folded" means lower-cased with accents removed (:func:`qualcode.textnorm.fold`:
NFKD without combining marks, casefold, œ→oe, æ→ae, ’→'). Transcripts often drop accents
and capitals, so ``enquete`` matches ``Enquête`` and ``Unesco`` matches ``UNESCO``. The
price: words that differ only by accents are not told apart (``pêche``/``péché``).

``terms`` (a list of words or multi-word terms)
    A term is tokenized by the same pipeline as the documents. Each of its tokens gets a
    set of accepted forms: its folded text and its folded lemma. The lemma is taken with
    the term placed in a neutral carrier phrase (French: ``"on parle de <term>."``)
    because ``fr_core_news_sm`` lemmatizes a word standing alone badly (``"mine"`` ->
    ``"min"``, ``"fosse"`` -> ``"foss"``, ``"été"`` -> ``"être"``); other languages use
    the term alone. A text token matches a term token when the token's folded lower form
    or its folded lemma is one of the accepted forms. So ``mineurs`` (lemma ``mineur``)
    matches ``Mineur``, ``mineur``, ``MINEURS``; ``gueule noire`` matches
    ``gueules noires``; ``descendu`` matches every form of ``descendre``. A multi-word
    term matches consecutive tokens (punctuation is a token: ``gueule, noire`` does not
    match ``gueule noire``) inside one turn.
    A word ending in ``*`` is a prefix: it matches a token whose folded lower form starts
    with the folded prefix (``reconver*`` -> reconversion, reconvertir, Reconverti). The
    prefix needs at least 2 characters; ``*`` elsewhere is an error.
``pattern``
    A spaCy ``Matcher`` token pattern, passed through unchanged (LEMMA, LOWER, POS,
    MORPH, OP, IS_PUNCT, IS_SENT_START …). Attributes are spaCy's, not folded: LEMMA values
    are exact lemma strings of the pipeline. The match codes the unit of its first token.
``regex``
    A Python ``re`` pattern searched in the text of each unit (the sentence or the turn,
    exactly as stored). It is case-sensitive as written: put ``(?i)`` in front for
    case-insensitive matching. ``^``/``$`` refer to the unit's start/end (add ``(?m)`` for
    lines). Empty matches are ignored.
``near`` (``{terms: [...], with: [...], within: N}``)
    A match of one of ``terms`` and a match of one of ``with`` (both with the ``terms``
    semantics above), in the same unit, not overlapping, in either order, at most N words
    apart. Distance counts words, not punctuation: adjacent words are 1 apart, ``A x y B``
    is 3 apart; for multi-word terms it is measured between the nearest ends. ``within``
    is required, a positive integer (there is no default).
``exclude``
    Rules of any kind. If one of a code's exclude rules matches in a unit, none of that
    code's rules code the unit.

Validation. :mod:`qualcode.codebook.parser` is the only validator of the rule language;
the engine reads the values it built (a codebook built in Python is checked by the
parser first). The engine itself only refuses what depends on the pipeline: a prefix the
tokenizer cuts below 2 characters (``d'i*``), a pattern its vocabulary rejects.

Units. A match codes its whole unit: the sentence (as segmented by the pipeline, never
across a turn or a blank line) or the speaker turn that contains the match's first token;
the unit is ``code.unit`` or else ``codebook.unit``. A code is applied at most once per
unit. Rules only code their own code: parents are not coded by their children's rules.
Turns whose role is ``"interviewer"`` are skipped unless ``include_interviewer=True``.

Implementation. Terms are not matched with spaCy's PhraseMatcher: the engine works on
the cached token table (:class:`~qualcode.nlp.AnnotatedDoc`). Each distinct lower/lemma
string of a document is folded once and mapped to the compiled term forms; numpy lists
the (token, term) pairs whose first term token matches and checks the further term tokens
for all pairs at once. ``pattern`` rules rebuild a spaCy ``Doc`` (words, lemmas, POS,
morphology, sentence starts, each token's own values) from selected tokens only and run
one ``Matcher``: for a pattern of bounded length L, the L - 1 tokens around each
occurrence of its rarest required word (a literal LEMMA/LOWER/ORTH/TEXT of a required
token) that has the other required words nearby; for an unbounded one (OP ``*``/``+``),
the turns holding that word; for one that requires no literal word, every turn.
``regex`` rules first search a relaxed form of the regex (anchors and ``\b`` removed)
in the whole document and then in each turn, to skip units that cannot match.

Proposals. Sentence spans are the stripped sentence (``text[start:end]`` is the sentence
exactly); turn spans are the turn offsets given at annotation. ``origin`` is the first
rule, in the code's rule order, that matched in the unit (its earliest match), e.g.
``identity/mining_memory terms[0] "fosse"`` (near: ``… near[2] "mineurs" ~ "fosse"``).
``matches`` lists every positive match in the unit (both words of a ``near``), ordered
by position then rule order, for highlighting.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from qualcode.codebook.model import MIN_PREFIX, Code, Codebook, Rule
from qualcode.codebook.parser import check_model, plainly_valid_pattern
from qualcode.errors import QualcodeError
from qualcode.nlp import FLAG_PUNCT, FLAG_SENT_START, AnnotatedDoc, Pipeline, load_pipeline, spacy_version
from qualcode.textnorm import fold

if TYPE_CHECKING:
    import numpy as np

#: Carrier phrase used to lemmatize terms in context, per language ("{}" = the term).
TERM_CARRIERS = {"fr": "on parle de {}."}


class RuleError(QualcodeError):
    """A rule that cannot be compiled: invalid in a codebook built in Python (the parser's
    message), or refused by the pipeline (a prefix its tokenizer cuts too short, a pattern
    its vocabulary rejects)."""


# --------------------------------------------------------------------------- results


class Match(NamedTuple):
    rule_id: str
    start: int  # char offsets in the full document text
    end: int
    text: str


class Proposal(NamedTuple):
    code_path: str
    unit_kind: str  # "sentence" | "turn"
    start: int  # char offsets of the unit in the full document text
    end: int
    turn_index: int
    origin: str  # e.g. 'identity/mining_memory terms[0] "fosse"'
    matches: tuple[Match, ...]


class Hit(NamedTuple):
    """One rule match in :func:`explain`."""

    code_path: str
    rule_id: str
    kind: str  # terms | pattern | regex | near
    exclude: bool  # the rule is an exclude rule
    blocked: bool  # positive hit in a unit where one of the code's exclude rules fired
    matches: tuple[Match, ...]
    unit_kind: str
    unit_start: int
    unit_end: int


@dataclass
class Explanation:
    turn_index: int
    start: int
    end: int
    role: str | None
    skipped: bool  # interviewer turn that apply() would skip
    hits: list[Hit]
    proposals: list[Proposal]
    # the interviewer's interjections in the turn ("[E: Hum hum.]"): matches inside them
    # code nothing (see without_interjections)
    quiet: list[tuple[int, int]] = field(default_factory=list)

    def in_interjection(self, m: Match) -> bool:
        return any(a <= m.start and m.end <= b for a, b in self.quiet)


# --------------------------------------------------------------------------- compiled form


@dataclass(frozen=True)
class _Pos:
    alts: frozenset  # key ids
    prefix: str | None
    forms: tuple[str, ...]  # for describe()


@dataclass
class _Term:
    raw: str
    positions: tuple[_Pos, ...]
    slots: list[tuple[int, int]] = field(default_factory=list)  # (ref index, side 0/1)


@dataclass
class _Ref:
    code_index: int
    code_path: str
    rule: Rule
    exclude: bool
    rule_id: str
    order: int  # position among the code's rules (exclude rules after)
    within: int = 0  # near rules only (> 0)
    regex: Any = None
    prefilter: Any = None  # regex: relaxed regex for skipping documents/turns, or None
    anchor: frozenset | None = None  # pattern: folded words one of which every match contains
    required: tuple = ()  # pattern: such word sets, one per required token spec with a literal
    max_len: int | None = None  # pattern: most tokens a match can span (None: unbounded)


@dataclass
class _CompiledCode:
    code: Code
    unit: str
    refs: list[int]
    exclude_refs: list[int]


@dataclass(eq=False)
class CompiledCodebook:
    codebook: Codebook
    pipeline: Pipeline
    codes: list[_CompiledCode]
    refs: list[_Ref]
    terms: list[_Term]
    key_ids: dict[str, int]
    first_exact: dict[int, list[int]]  # key id -> terms whose first token accepts it
    first_prefix: dict[str, list[int]]  # prefix -> terms whose first token is that prefix
    prefix_lengths: tuple[int, ...]
    patterns: list[tuple[int, list]]  # (ref index, spaCy token pattern) of the pattern rules, in order
    regex_refs: list[int]
    near_refs: list[int]
    # the spaCy Matcher of the pattern rules and matcher key hash -> ref index: made when
    # compiled if a pattern needed spaCy's validation, else on first use (pattern_matcher)
    matcher: Any = None
    pattern_refs: dict[int, int] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.pipeline.name

    def pattern_matcher(self) -> tuple[Any, dict[int, int]]:
        """The Matcher of the pattern rules (imports spaCy) and its key hash -> ref index."""
        if self.matcher is None and self.patterns:
            self.matcher, self.pattern_refs = _build_matcher(self.codebook, self.pipeline, self.codes, self.refs,
                                                             self.patterns)
        return self.matcher, self.pattern_refs

    @property
    def pattern_key(self) -> str:
        """What the pattern rules' matches in an annotated document depend on besides
        the annotation: the patterns, in order, and this module's way of matching them."""
        got = self.__dict__.get("_pattern_key")
        if got is None:
            import hashlib
            import json

            spec = json.dumps([p for _, p in self.patterns], sort_keys=True, ensure_ascii=False)
            got = self.__dict__["_pattern_key"] = hashlib.sha256(
                f"qualcode-patterns/{PATTERN_CACHE_FORMAT}\0{spec}".encode()).hexdigest()
        return got

    def describe_terms(self) -> list[tuple[str, str, list[list[str]]]]:
        """(rule id, term, accepted folded forms per token) — for lint/explain output."""
        out = []
        for term in self.terms:
            forms = [list(p.forms) if p.prefix is None else [p.prefix + "*"] for p in term.positions]
            for ref_i, _side in term.slots:
                out.append((self.refs[ref_i].rule_id, term.raw, forms))
        return out


#: Version of what :meth:`_DocView.pattern_occurrences` returns for a document: cached
#: pattern matches (:class:`PatternCache`) made under another format are not used.
PATTERN_CACHE_FORMAT = 1


class PatternCache:
    """The pattern rules' matches of one document, from an earlier run (``stored``: the
    key they were found under and ``(pattern ordinal, first token, last token)`` triples),
    and the ones found by this run (``found``, to store). A match found again needs
    neither spaCy nor its Matcher: after a codebook edit that leaves the patterns alone,
    re-coding imports no spaCy at all. The key (:func:`pattern_cache_key`) covers the
    patterns, the document's annotation (its own key: text, turns, pipeline, spaCy
    version) and the turns coded."""

    def __init__(self, stored: tuple[str, list[tuple[int, int, int]]] | None = None):
        self.stored = stored
        self.found: tuple[str, list[tuple[int, int, int]]] | None = None

    def get(self, key: str) -> list[tuple[int, int, int]] | None:
        for entry in (self.stored, self.found):  # found: a second codebook with the same patterns
            if entry is not None and entry[0] == key:
                return entry[1]
        return None

    def put(self, key: str, matches: list[tuple[int, int, int]]) -> None:
        self.found = (key, matches)


def pattern_cache_key(cb: CompiledCodebook, annotation_key: str, included: np.ndarray) -> str:
    import hashlib

    h = hashlib.sha256(f"{cb.pattern_key}\0{annotation_key}\0".encode())
    h.update(included.astype(bool).tobytes())
    return h.hexdigest()


def _build_matcher(codebook: Codebook, pipe: Pipeline, codes: list[_CompiledCode], refs: list[_Ref],
                   patterns: list[tuple[int, list]]) -> tuple[Any, dict[int, int]]:
    """A spaCy Matcher holding the pattern rules (RuleError on a pattern that spaCy refuses)."""
    from spacy.matcher import Matcher

    mvocab = pipe.vocab
    matcher = Matcher(mvocab, validate=True)
    pattern_refs: dict[int, int] = {}
    for ref_i, value in patterns:
        key = f"qualcode-rule-{ref_i}"
        try:
            matcher.add(key, [value])
        except Exception as exc:  # noqa: BLE001 - MatchPatternError, ValueError, KeyError...
            # from spaCy on a user's pattern: reported as a codebook error, never a traceback
            msg = " ".join(str(exc).split())
            ref = refs[ref_i]
            raise _err(codes[ref.code_index].code, ref.rule, ref.exclude, f"bad pattern: {msg}", codebook) from None
        pattern_refs[mvocab.strings[key]] = ref_i
    return matcher, pattern_refs


def _err(code: Code, rule: Rule, exclude: bool, msg: str, codebook: Codebook) -> RuleError:
    rid = rule.rule_id(code.path, exclude)
    return RuleError(f"{rid}: {msg}", path=codebook.source, line=rule.line)


def term_cache_key(pipeline: Pipeline) -> str:
    """What a term's analysis (tokens and lemmas) depends on besides its text: cached
    analyses (:func:`compile_codebook` ``term_cache``) are valid while this is unchanged.
    spaCy's version is read from its package metadata (the same string as
    ``spacy.__version__``), so that a codebook without pattern rules never imports spaCy."""
    return (f"qualcode-terms/1 spacy {spacy_version()} {pipeline.name} "
            f"carrier {TERM_CARRIERS.get(pipeline.language)!r}")


class _TermCompiler:
    def __init__(self, pipeline: Pipeline, cache: dict[str, list] | None = None):
        self.pipeline = pipeline  # its .nlp is only loaded if a term must be analysed
        self.carrier = TERM_CARRIERS.get(pipeline.language)
        self.key_ids: dict[str, int] = {}
        self.terms: dict[tuple, _Term] = {}
        self._docs: dict[str, Any] = {}  # text -> spaCy Doc parsed by prepare()
        # text -> [(token, lemma), ...]: analyses from earlier runs (read) and new ones (added)
        self.cache = cache if cache is not None else {}

    def key(self, s: str) -> int:
        got = self.key_ids.get(s)
        if got is None:
            got = self.key_ids[s] = len(self.key_ids)
        return got

    def prepare(self, raws: Sequence[str]) -> None:
        """Run the pipeline once, batched (``nlp.pipe``), over every text that compiling
        ``raws`` will lemmatize (each term alone and in the carrier phrase); later
        lookups use these Docs. Same results as one ``nlp()`` call per text, ~5x faster."""
        texts: dict[str, None] = {}
        for raw in raws:
            text = " ".join(raw.split())
            if "*" not in text:
                texts[text] = None
            else:
                for word in text.split(" "):
                    w = word[:-1] if word.endswith("*") else word
                    if w:
                        texts[w] = None
        todo = [t for t in texts if t not in self._docs and t not in self.cache]
        if self.carrier and self.pipeline.has_lemmas:
            todo += [self.carrier.format(t) for t in todo]
        todo = [t for t in dict.fromkeys(todo) if t not in self._docs]
        if todo:
            self._docs.update(zip(todo, self.pipeline.nlp.pipe(todo)))

    def _parse(self, text: str):
        doc = self._docs.get(text)
        return doc if doc is not None else self.pipeline.nlp(text)

    def _lemmatized(self, text: str) -> list[tuple[str, str]]:
        """(token text, lemma) of text, lemmas taken in the carrier phrase when possible."""
        got = self.cache.get(text)
        if got is None:
            got = self.cache[text] = self._analyse(text)
        return [(t, lem) for t, lem in got]

    def _analyse(self, text: str) -> list[tuple[str, str]]:
        alone = self._parse(text)
        pairs = [(t.text, t.lemma_ if self.pipeline.has_lemmas else "") for t in alone if not t.is_space]
        if self.carrier and self.pipeline.has_lemmas:
            prefix_len = self.carrier.index("{}")
            ctx = self._parse(self.carrier.format(text))
            inner = [t for t in ctx if prefix_len <= t.idx < prefix_len + len(text) and not t.is_space]
            if [t.text for t in inner] == [p[0] for p in pairs]:
                pairs = [(t.text, t.lemma_) for t in inner]
        return pairs

    def _exact(self, tok: str, lemma: str) -> _Pos:
        forms = [fold(tok)]
        if lemma and fold(lemma) not in forms:
            forms.append(fold(lemma))
        return _Pos(frozenset(self.key(f) for f in forms), None, tuple(forms))

    def compile(self, raw: str) -> _Term | str:
        """The term (checked by the parser), or why the pipeline cannot match it."""
        text = " ".join(raw.split())
        positions: list[_Pos] = []
        if "*" not in text:
            positions = [self._exact(t, lem) for t, lem in self._lemmatized(text)]
        else:
            for word in text.split(" "):
                if word.endswith("*"):
                    # Tokenize the word as a whole ("d'information" -> "d'", "information"):
                    # its last token is the prefix, the ones before it match exactly.
                    pairs = self._lemmatized(word[:-1])
                    if not pairs:
                        return f"term {raw!r}: '*' needs a prefix"
                    prefix = fold(pairs[-1][0])
                    if len(prefix) < MIN_PREFIX:
                        return f"term {raw!r}: the prefix before '*' needs at least {MIN_PREFIX} characters"
                    positions += [self._exact(t, lem) for t, lem in pairs[:-1]]
                    positions.append(_Pos(frozenset(), prefix, (prefix + "*",)))
                else:
                    positions += [self._exact(t, lem) for t, lem in self._lemmatized(word)]
        if not positions:
            return f"term {raw!r} has no words"
        sig = tuple((p.alts, p.prefix) for p in positions)
        term = self.terms.get(sig)
        if term is None:
            term = self.terms[sig] = _Term(text, tuple(positions))
        return term


def compile_codebook(codebook: Codebook, pipeline: Pipeline | None = None, *,
                     term_cache: dict[str, list] | None = None) -> CompiledCodebook:
    """Compile every code's rules. Raises RuleError (with the YAML line) on a bad rule.

    Rule values are read as :mod:`qualcode.codebook.parser` built them: it is the only
    validator of the rule language. A codebook built in Python (not ``checked``) is first
    checked by :func:`~qualcode.codebook.parser.check_model`, and its first error raised.

    ``term_cache``: term text -> its analysis [(token, lemma), …] by this pipeline (valid
    while :func:`term_cache_key` is unchanged). Terms found there are not run through the
    pipeline again; the analyses of the others are added to it (autocode keeps it in the
    project, so re-coding after a codebook edit only analyses the new terms)."""
    if not codebook.checked:
        codebook = _checked(codebook)
    pipe = pipeline or load_pipeline(codebook.language)
    tc = _TermCompiler(pipe, term_cache)
    refs: list[_Ref] = []
    codes: list[_CompiledCode] = []
    patterns: list[tuple[int, list]] = []
    regex_refs: list[int] = []
    near_refs: list[int] = []

    def add_terms(values: list[str], ref_i: int, side: int, code: Code, rule: Rule, exclude: bool) -> None:
        for v in values:
            term = tc.compile(v)
            if isinstance(term, str):
                raise _err(code, rule, exclude, term, codebook)
            if (ref_i, side) not in term.slots:
                term.slots.append((ref_i, side))

    tc.prepare(_term_values(codebook))
    for ci, code in enumerate(codebook.walk()):
        cc = _CompiledCode(code, codebook.unit_of(code), [], [])
        codes.append(cc)
        for exclude, rules in ((False, code.rules), (True, code.exclude)):
            for order, rule in enumerate(rules):
                ref_i = len(refs)
                ref = _Ref(ci, code.path, rule, exclude, rule.rule_id(code.path, exclude),
                           order + (len(code.rules) if exclude else 0))
                refs.append(ref)
                (cc.exclude_refs if exclude else cc.refs).append(ref_i)
                kind, value = rule.kind, rule.value
                if kind == "terms":
                    add_terms(value, ref_i, 0, code, rule, exclude)
                elif kind == "near":
                    ref.within = value["within"]
                    add_terms(value["terms"], ref_i, 0, code, rule, exclude)
                    add_terms(value["with"], ref_i, 1, code, rule, exclude)
                    near_refs.append(ref_i)
                elif kind == "regex":
                    ref.regex = re.compile(value)
                    ref.prefilter = _relaxed(ref.regex)
                    regex_refs.append(ref_i)
                elif kind == "pattern":
                    patterns.append((ref_i, value))
                    ref.anchor = _pattern_anchor(value)
                    ref.required = _pattern_required(value)
                    ref.max_len = _pattern_max_len(value)

    matcher: Any = None
    pattern_refs: dict[int, int] = {}
    if not all(plainly_valid_pattern(p) for _, p in patterns):
        # a pattern that only spaCy can validate: its errors now, as the codebook's errors
        matcher, pattern_refs = _build_matcher(codebook, pipe, codes, refs, patterns)
    terms = list(tc.terms.values())
    first_exact: dict[int, list[int]] = {}
    first_prefix: dict[str, list[int]] = {}
    for ti, term in enumerate(terms):
        p0 = term.positions[0]
        if p0.prefix is not None:
            first_prefix.setdefault(p0.prefix, []).append(ti)
        for k in p0.alts:
            first_exact.setdefault(k, []).append(ti)
    return CompiledCodebook(
        codebook=codebook, pipeline=pipe, codes=codes, refs=refs, terms=terms,
        key_ids=tc.key_ids, first_exact=first_exact, first_prefix=first_prefix,
        prefix_lengths=tuple(sorted({len(p) for p in first_prefix})),
        patterns=patterns, regex_refs=regex_refs, near_refs=near_refs, matcher=matcher, pattern_refs=pattern_refs,
    )


def _checked(codebook: Codebook) -> Codebook:
    """``codebook`` (built in Python) as the parser checks and builds it; RuleError with
    the parser's message and the rule's line on its first error."""
    problems, checked = check_model(codebook)
    for p in problems:
        if p.is_error:
            msg = f"{p.code_path}: {p.message}" if p.code_path else p.message
            raise RuleError(msg, path=codebook.source, line=p.line)
    return checked


def _term_values(codebook: Codebook) -> list[str]:
    """Every term of the codebook's terms and near rules."""
    out: list[str] = []
    for code in codebook.walk():
        for rule in list(code.rules) + list(code.exclude):
            if rule.kind == "terms":
                out.extend(rule.value)
            elif rule.kind == "near":
                out.extend(rule.value["terms"])
                out.extend(rule.value["with"])
    return out


_ANCHOR_ATTRS = ("LEMMA", "LOWER", "ORTH", "TEXT")


def _pattern_anchor(pattern: list[dict]) -> frozenset | None:
    """Folded strings, one of which must be the folded lemma or lower form of some token of
    any match: from the first required token spec with a literal LEMMA/LOWER/ORTH/TEXT
    value (or IN list). None when there is none (the pattern then runs on every turn)."""
    for spec in pattern:
        op = str(spec.get("OP", "1"))
        if op not in ("1", "+") and not re.fullmatch(r"\{[1-9]\d*(,\d*)?\}", op):
            continue
        for attr in _ANCHOR_ATTRS:
            v = spec.get(attr, spec.get(attr.lower()))
            if isinstance(v, str):
                return frozenset({fold(v)})
            if isinstance(v, dict) and set(v) == {"IN"} and isinstance(v["IN"], list) \
                    and v["IN"] and all(isinstance(x, str) for x in v["IN"]):
                return frozenset(fold(x) for x in v["IN"])
    return None


def _literal_set(spec: dict) -> frozenset | None:
    for attr in _ANCHOR_ATTRS:
        v = spec.get(attr, spec.get(attr.lower()))
        if isinstance(v, str):
            return frozenset({fold(v)})
        if isinstance(v, dict) and set(v) == {"IN"} and isinstance(v["IN"], list) \
                and v["IN"] and all(isinstance(x, str) for x in v["IN"]):
            return frozenset(fold(x) for x in v["IN"])
    return None


def _pattern_required(pattern: list[dict]) -> tuple[frozenset, ...]:
    """For each token spec that every match contains exactly once or more (OP 1, +, {n},
    {n,m} with n >= 1) and that has a literal LEMMA/LOWER/ORTH/TEXT value: the folded
    strings one of which that token's folded lemma or lower form is."""
    out = []
    for spec in pattern:
        op = str(spec.get("OP", "1"))
        if op not in ("1", "+") and not re.fullmatch(r"\{[1-9]\d*(,\d*)?\}", op):
            continue
        got = _literal_set(spec)
        if got is not None:
            out.append(got)
    return tuple(out)


def _pattern_max_len(pattern: list[dict]) -> int | None:
    """The most tokens a match of the pattern can span; None when unbounded (OP * or +,
    {n,}) or unknown (an OP this function does not read)."""
    total = 0
    for spec in pattern:
        if any(k != "OP" and k.upper() == "OP" for k in spec):
            return None
        op = str(spec.get("OP", "1"))
        if op in ("1", "?", "!"):
            total += 1
            continue
        m = re.fullmatch(r"\{(\d*)(,?)(\d*)\}", op)
        if m is None or (m.group(2) and not m.group(3)):
            return None  # *, +, {n,} or unknown
        total += int(m.group(3) or m.group(1) or 0)
    return total


def _relaxed(rx: re.Pattern) -> re.Pattern | None:
    """A regex that matches wherever ``rx`` matches in a unit, also in any text containing
    that unit: ``rx`` itself when it has no anchors or word boundaries, else ``rx`` with
    them removed (removing a zero-width assertion only relaxes it). None for lookarounds
    and backreferences. Used to skip documents and turns that cannot match."""
    import re._parser as sre_parse  # type: ignore[import-not-found]  # private, no stubs; Python 3.11+
    try:
        parsed = sre_parse.parse(rx.pattern, rx.flags & ~re.UNICODE)
    except Exception:  # noqa: BLE001 - private module: any failure only loses this optimisation
        return None
    refuse = {sre_parse.ASSERT, sre_parse.ASSERT_NOT, sre_parse.GROUPREF,
              getattr(sre_parse, "GROUPREF_EXISTS", sre_parse.GROUPREF),
              # atomic groups and possessive repeats: more text can make them fail
              getattr(sre_parse, "ATOMIC_GROUP", sre_parse.GROUPREF),
              getattr(sre_parse, "POSSESSIVE_REPEAT", sre_parse.GROUPREF)}
    found_at = False

    def walk(items) -> bool:
        nonlocal found_at
        for op, av in items:
            if op in refuse:
                return False
            if op == sre_parse.AT:
                found_at = True
            for sub in av if isinstance(av, (list, tuple)) else (av,):
                if isinstance(sub, sre_parse.SubPattern) and not walk(sub):
                    return False
                if isinstance(sub, (list, tuple)):
                    for x in sub:
                        if isinstance(x, sre_parse.SubPattern) and not walk(x):
                            return False
        return True

    if not walk(parsed):
        return None
    if not found_at:
        return rx
    # drop ^ $ \A \Z \b \B outside character classes
    out, i, pat, in_class = [], 0, rx.pattern, False
    verbose = bool(rx.flags & re.VERBOSE)
    while i < len(pat):
        c = pat[i]
        if c == "\\" and i + 1 < len(pat):
            if not in_class and pat[i + 1] in "AZbB":
                i += 2
                continue
            out.append(pat[i:i + 2])
            i += 2
            continue
        if in_class:
            if c == "]" and not (out and out[-1] in ("[", "[^")):
                in_class = False
            out.append(c)
        elif c == "[":
            in_class = True
            if pat[i + 1:i + 2] == "^":
                out.append("[^")
                i += 2
                continue
            out.append(c)
        elif c in "^$":
            pass
        elif verbose and c == "#":
            j = pat.find("\n", i)
            j = len(pat) if j < 0 else j
            out.append(pat[i:j])
            i = j
            continue
        else:
            out.append(c)
        i += 1
    try:
        relaxed = re.compile("".join(out), rx.flags)
    except re.error:
        return None
    return relaxed


# --------------------------------------------------------------------------- engine
#
# A hit is a tuple (unit id, a, b, a2, b2): char span a:b of the match, and for `near`
# the span a2:b2 of the `with` side (a2 = -1 otherwise). Unit ids: sentence k -> k,
# turn t -> n_sentences + t.


class _DocView:
    """Per-(document, compiled codebook) lookups, computed with numpy once."""

    def __init__(self, cb: CompiledCodebook, doc: AnnotatedDoc, included: np.ndarray):
        self.cb = cb
        self.doc = doc
        self.included = included  # bool per turn
        folded = doc._cache.get("folded")
        if folded is None:
            folded = doc._cache["folded"] = [fold(s) for s in doc.strings]
        self.folded = folded
        self.kid = _string_ids(cb.key_ids, folded)
        self.ss = doc.sentence_starts()
        self.n_sent = len(self.ss)
        self._sent_tables: tuple[list, list, list] | None = None

    @property
    def tok_turn(self) -> np.ndarray:
        import numpy as np

        got = self.doc._cache.get("tok_turn")
        if got is None:
            n_turns = self.doc.turns.shape[0]
            got = np.repeat(np.arange(n_turns, dtype=np.int64), np.diff(self.doc.turn_tok))
            self.doc._cache["tok_turn"] = got
        return got

    @property
    def tok_sent(self) -> np.ndarray:
        import numpy as np

        got = self.doc._cache.get("tok_sent")
        if got is None:
            got = np.cumsum((self.doc.flags & FLAG_SENT_START) != 0).astype(np.int64) - 1
            self.doc._cache["tok_sent"] = got
        return got

    def words(self) -> np.ndarray:
        import numpy as np

        got = self.doc._cache.get("wi")
        if got is None:
            got = self.doc._cache["wi"] = np.cumsum((self.doc.flags & FLAG_PUNCT) == 0)
        return got

    def token_mask(self) -> np.ndarray:
        import numpy as np

        return np.repeat(self.included, np.diff(self.doc.turn_tok))

    def sent_tables(self) -> tuple[list, list, list]:
        """Per sentence: turn, char start, char end (python lists)."""
        import numpy as np

        if self._sent_tables is None:
            doc, ss = self.doc, self.ss
            last = np.append(ss[1:], doc.n_tokens) - 1 if len(ss) else ss
            self._sent_tables = (self.tok_turn[ss].tolist(), doc.start[ss].tolist(),
                                 doc.end[last].tolist())
        return self._sent_tables

    def unit_span(self, uid: int) -> tuple[str, int, int, int]:
        """(kind, turn, start, end) of a unit id."""
        if uid < self.n_sent:
            turns, a, b = self.sent_tables()
            return "sentence", turns[uid], a[uid], b[uid]
        t = uid - self.n_sent
        a, b = self.doc.turns[t]
        return "turn", t, int(a), int(b)

    def units(self, kind: str, turns: Sequence[int] | None = None) -> list[tuple[int, int, int, int]]:
        """(unit id, turn, start, end) of every non-empty unit of the included turns, or
        of the given turns only (ascending, included ones)."""
        import numpy as np

        if turns is None:
            turns = np.flatnonzero(self.included).tolist()
        out = []
        if kind == "turn":
            for t in turns:
                a, b = self.doc.turns[t]
                if b > a:
                    out.append((self.n_sent + t, t, int(a), int(b)))
            return out
        _sent_turn, a, b = self.sent_tables()
        first = self.turn_sents()
        for t in turns:
            out.extend((k, t, a[k], b[k]) for k in range(first[t], first[t + 1]))
        return out

    def turn_sents(self) -> list[int]:
        """Per turn t, the index of its first sentence; sentences of t: first[t]:first[t+1]."""
        import numpy as np

        got = self.doc._cache.get("turn_sents")
        if got is None:
            n_turns = self.doc.turns.shape[0]
            sent_turn = self.tok_turn[self.ss]
            got = np.searchsorted(sent_turn, np.arange(n_turns + 1), side="left").tolist()
            self.doc._cache["turn_sents"] = got
        return got

    def candidate_turns(self, pre: re.Pattern | None) -> list[int]:
        """Included turns whose text the relaxed regex ``pre`` matches (all included turns
        when pre is None)."""
        turns = self.doc.turns
        return _candidate_spans(self.doc.text, pre, turns[:, 0], turns[:, 1], self.included)

    def candidate_sentences(self, pre: re.Pattern | None) -> list[int]:
        """Sentences of included turns whose text the relaxed regex ``pre`` matches."""
        import numpy as np

        sent_turn, a, b = self.sent_tables()
        inc = self.included[np.asarray(sent_turn, dtype=np.int64)] if sent_turn else np.zeros(0, dtype=bool)
        return _candidate_spans(self.doc.text, pre, np.asarray(a, dtype=np.int64),
                                np.asarray(b, dtype=np.int64), inc)

    def folded_array(self) -> np.ndarray:
        """The folded strings as a numpy unicode array (cached on the document)."""
        import numpy as np

        got = self.doc._cache.get("folded_np")
        if got is None:
            got = self.doc._cache["folded_np"] = np.array(self.folded, dtype=str)
        return got

    # ---- terms

    def term_occurrences(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(term index, first token, last token) arrays of every term match in included turns.

        Vectorized: the (token, term) pairs whose first term token accepts the token are
        listed with numpy, then each further term position is checked for all pairs at once
        (prefix positions after the first, rare, one by one)."""
        import numpy as np

        cb, doc = self.cb, self.doc
        empty = np.zeros(0, dtype=np.int64)
        if not cb.terms or not doc.n_tokens:
            return empty, empty, empty
        folded, kid = self.folded, self.kid
        n_str = len(folded)
        first_exact, plens = cb.first_exact, cb.prefix_lengths
        # terms whose first token accepts string s as a lower form / as a lemma
        by_lower: dict[int, list[int]] = {}
        by_lemma: dict[int, list[int]] = {}
        for s in np.flatnonzero(kid >= 0).tolist():
            got = first_exact.get(int(kid[s]))
            if got:
                by_lower[s] = by_lemma[s] = got
        if plens:
            for s, got in _prefix_firsts(cb, self.folded_array(), folded):
                by_lower[s] = by_lower.get(s, []) + got
        if not by_lower:
            return empty, empty, empty
        tab = _term_tables(cb)
        n_terms = len(cb.terms)
        lower, lemma = doc.lower, doc.lemma
        pairs = []
        for by, col in ((by_lower, lower), (by_lemma, lemma)):
            if not by:
                continue
            keys = sorted(by)
            cnt = np.zeros(n_str, dtype=np.int64)
            cnt[keys] = [len(by[k]) for k in keys]
            ptr = np.zeros(n_str + 1, dtype=np.int64)
            np.cumsum(cnt, out=ptr[1:])
            flat = np.fromiter((t for k in keys for t in by[k]), dtype=np.int64, count=int(ptr[-1]))
            c = cnt[col]
            if not self.included.all():
                c = c * self.token_mask()
            if col is lemma:
                # where the lemma is the same string as the lower form, by_lemma gives
                # a subset of by_lower's terms: those pairs are there already
                c = c * (lemma != lower)
            tok = np.flatnonzero(c)
            if not len(tok):
                continue
            c = c[tok]
            first = np.repeat(ptr[col[tok]], c)
            within = np.arange(int(c.sum()), dtype=np.int64) - np.repeat(np.cumsum(c) - c, c)
            pairs.append(np.repeat(tok, c) * n_terms + flat[first + within])
        if not pairs:
            return empty, empty, empty
        code = np.unique(np.concatenate(pairs))
        tok, term = code // n_terms, code % n_terms
        length = tab.length[term]
        multi = length > 1
        if multi.any():
            alive = np.ones(len(code), dtype=bool)
            turn_end = doc.turn_tok[self.tok_turn[tok] + 1]
            alive[multi] = tok[multi] + length[multi] <= turn_end[multi]
            for k in range(1, int(length.max())):
                idx = np.flatnonzero(alive & (length > k))
                if not len(idx):
                    break
                j = tok[idx] + k
                pos = tab.pos_base[term[idx]] + k
                is_pre = tab.is_prefix[pos]
                ok = np.zeros(len(idx), dtype=bool)
                ex = ~is_pre
                if ex.any() and len(tab.accept):
                    pe, je = pos[ex], j[ex]
                    okx = np.zeros(len(pe), dtype=bool)
                    accept = tab.accept
                    for col in (lower, lemma):
                        kk = kid[col[je]]
                        q = pe * tab.n_keys + kk
                        at = np.minimum(np.searchsorted(accept, q), len(accept) - 1)
                        okx |= (accept[at] == q) & (kk >= 0)
                    ok[ex] = okx
                for w in np.flatnonzero(is_pre).tolist():
                    ok[w] = folded[int(lower[j[w]])].startswith(tab.prefix[int(pos[w])])
                alive[idx[~ok]] = False
            tok, term, length = tok[alive], term[alive], length[alive]
        return term, tok, tok + length - 1

    # ---- patterns

    def pattern_occurrences(self, cache: PatternCache | None = None) -> list[tuple[int, int, int]]:
        """(ref index, first token, last token) of every pattern match in included turns:
        from ``cache`` when it holds them under this codebook's patterns, this annotation
        and these included turns, else found by :meth:`match_patterns` (and put in it)."""
        cb, doc = self.cb, self.doc
        if not cb.patterns or not doc.n_tokens:
            return []
        key = None
        if cache is not None and doc.key is not None:
            key = pattern_cache_key(cb, doc.key, self.included)
            got = cache.get(key)
            if got is not None:
                return [(cb.patterns[o][0], s, e) for o, s, e in got]
        out = self.match_patterns()
        if cache is not None and key is not None:
            ordinal = {ref_i: o for o, (ref_i, _) in enumerate(cb.patterns)}
            cache.put(key, [(ordinal[r], s, e) for r, s, e in out])
        return out

    def match_patterns(self) -> list[tuple[int, int, int]]:
        """(ref index, first token, last token) of every pattern match in included turns,
        by spaCy's Matcher (for :meth:`pattern_occurrences`, once it has checked that the
        codebook has patterns and the document tokens).

        The Matcher does not run on the whole document: it runs on a Doc rebuilt from the
        selected tokens only. A pattern of bounded length L with required literal words
        selects, around each occurrence of its rarest required word, the L - 1 tokens on
        each side (every match contains such an occurrence and lies within that window);
        other patterns select the whole turns that contain an anchor word (every turn when
        some pattern has no anchor). Matches that span a gap between selected stretches or
        two turns are dropped: every remaining match is a match in the full document, with
        each token's own attributes (sentence starts included)."""
        import numpy as np

        cb, doc = self.cb, self.doc  # some pattern and some token: see pattern_occurrences
        matcher, pattern_refs = cb.pattern_matcher()
        from spacy.attrs import LEMMA, MORPH, POS, SENT_START
        from spacy.tokens import Doc

        n = doc.n_tokens
        tok_turn = self.tok_turn
        included = self.included
        tokmask = None if included.all() else self.token_mask()
        word_ids = cb.__dict__.get("_pattern_word_ids")
        if word_ids is None:
            words_needed = sorted(frozenset().union(
                *(w for r, _ in cb.patterns for w in cb.refs[r].required)))
            word_ids = cb.__dict__["_pattern_word_ids"] = {w: i for i, w in enumerate(words_needed)}
        # word id of each string of the document (-1: not a required word), then of each
        # token's lower form and lemma; cand: the tokens with either
        wid = _string_ids(word_ids, self.folded)
        w_low, w_lem = wid[doc.lower], wid[doc.lemma]
        cand = np.flatnonzero((w_low >= 0) | (w_lem >= 0))
        if tokmask is not None:
            cand = cand[tokmask[cand]]
        w_low, w_lem = w_low[cand] + 1, w_lem[cand] + 1  # 0: no required word
        found: dict[frozenset, np.ndarray] = {}
        luts = cb.__dict__.setdefault("_pattern_luts", {})

        def tokens_of(words: frozenset) -> np.ndarray:
            """Sorted tokens of included turns whose folded lower form or lemma is in words."""
            got = found.get(words)
            if got is None:
                lut = luts.get(words)
                if lut is None:  # lut[word id + 1]: the word is one of words
                    lut = luts[words] = np.zeros(len(word_ids) + 1, dtype=bool)
                    lut[[word_ids[w] + 1 for w in words]] = True
                got = found[words] = cand[lut[w_low] | lut[w_lem]]
            return got

        w_starts: list[np.ndarray] = []
        w_ends: list[np.ndarray] = []
        whole_turns = np.zeros(len(included), dtype=bool)
        for ref_i, _ in cb.patterns:
            ref = cb.refs[ref_i]
            if not ref.required:
                whole_turns |= included
                continue
            occ = sorted((tokens_of(w) for w in ref.required), key=len)
            best = occ[0]
            if not len(best):
                continue  # a required word is missing: no match in this document
            if ref.max_len is None:
                whole_turns[tok_turn[best]] = True
                continue
            span = ref.max_len - 1
            for other in occ[1:]:
                # every match holds a token of each required set within span of each other
                k = np.searchsorted(other, best)
                near = np.zeros(len(best), dtype=bool)
                ok = k < len(other)
                near[ok] = other[k[ok]] - best[ok] <= span
                ok = k > 0
                near[ok] |= best[ok] - other[k[ok] - 1] <= span
                best = best[near]
                if not len(best):
                    break
            if not len(best):
                continue
            w_starts.append(np.maximum(best - span, 0))
            w_ends.append(np.minimum(best + ref.max_len, n))
        if w_starts:  # +1/-1 at window starts/ends
            diff = (np.bincount(np.concatenate(w_starts), minlength=n + 1)
                    - np.bincount(np.concatenate(w_ends), minlength=n + 1))
        else:
            diff = np.zeros(n + 1, dtype=np.int64)
        selected = np.cumsum(diff[:-1]) > 0
        if whole_turns.any():
            selected |= np.repeat(whole_turns, np.diff(doc.turn_tok))
        if tokmask is not None:
            selected &= tokmask
        sel = np.flatnonzero(selected)
        if not len(sel):
            return []
        vocab = matcher.vocab
        text = doc.text
        starts = doc.start[sel]
        ends = doc.end[sel]
        words_ = [text[a:b] for a, b in zip(starts.tolist(), ends.tolist())]
        # whitespace after a token: compared with the next token of the document
        nxt = np.minimum(sel + 1, n - 1)
        spaces = (ends < doc.start[nxt]) & (sel + 1 < n)
        lem_sel, morph_sel = doc.lemma[sel], doc.morph[sel]
        used, inv = np.unique(np.concatenate([lem_sel, morph_sel]), return_inverse=True)
        strings, add = doc.strings, vocab.strings.add
        hashes = np.fromiter((add(strings[i]) for i in used.tolist()), dtype=np.uint64, count=len(used))
        sdoc = Doc(vocab, words=words_, spaces=spaces.tolist())
        arr: Any = np.empty((len(sel), 4), dtype=np.uint64)  # spaCy's Ints2d, as an ndarray
        arr[:, 0] = hashes[inv[:len(sel)]]
        arr[:, 1] = doc.pos[sel]
        arr[:, 2] = hashes[inv[len(sel):]]
        ss = (doc.flags[sel] & FLAG_SENT_START) != 0
        arr[:, 3] = np.where(ss, np.uint64(1), np.uint64(2**64 - 1))
        sdoc.from_array([LEMMA, POS, MORPH, SENT_START], arr)
        turn = tok_turn[sel]
        out = []
        for key, s, e in matcher(sdoc, allow_missing=True):
            pattern_ref = pattern_refs.get(key)
            if pattern_ref is None or e <= s or turn[s] != turn[e - 1] or sel[e - 1] - sel[s] != e - 1 - s:
                continue  # spans two turns or a gap between selected tokens
            out.append((pattern_ref, int(sel[s]), int(sel[e - 1])))
        return out


def _prefix_firsts(cb: CompiledCodebook, arr: np.ndarray, folded: Sequence[str]) -> list[tuple[int, list[int]]]:
    """(string index, terms whose first token is a prefix of that folded string), for the
    strings (``folded``, and the same as the numpy array ``arr``) that start with one of the
    codebook's first-token prefixes; prefixes by increasing length, so a string appears once
    per prefix length that fits. Vectorized: each string is cut to each prefix length
    (``astype("<U{L}")``) and looked up in the sorted prefixes of that length."""
    import numpy as np

    by_len = cb.__dict__.get("_prefix_by_len")
    if by_len is None:
        by_len = cb.__dict__["_prefix_by_len"] = {
            L: np.array(sorted(p for p in cb.first_prefix if len(p) == L), dtype=str)
            for L in cb.prefix_lengths}
    out: list[tuple[int, list[int]]] = []
    if not len(arr):
        return out
    first_prefix = cb.first_prefix
    for L in cb.prefix_lengths:
        cut = arr.astype(f"<U{L}")
        for s in np.flatnonzero(np.isin(cut, by_len[L])).tolist():
            got = first_prefix.get(folded[s][:L])
            if got:
                out.append((s, got))
    out.sort(key=lambda x: x[0])  # stable: by string, then prefix length
    return out


def _candidate_spans(text: str, pre: re.Pattern | None, starts: np.ndarray, ends: np.ndarray,
                     included: np.ndarray) -> list[int]:
    """Indices of the included spans (sorted, non-overlapping ``starts``/``ends``) whose
    text the relaxed regex ``pre`` matches (all included spans when pre is None), found by
    searching forward from span to span: a search from position p returns the leftmost
    match after p, so the spans it jumps over contain no match; the span where the match
    starts is then checked on its own text (the match may run past its end)."""
    import numpy as np

    inc = np.flatnonzero(included).tolist()
    if pre is None or not inc:
        return inc
    n = len(starts)
    out = []
    t = inc[0]
    while t < n:
        m = pre.search(text, int(starts[t]))
        if m is None:
            break
        x = m.start()
        # the span holding x (or the first span after x when x is between spans)
        u = int(np.searchsorted(starts, x, side="right")) - 1
        if u < t:
            u = t
        ta, tb = int(starts[u]), int(ends[u])
        if x >= tb:
            t = u + 1
            continue
        if included[u] and pre.search(text, ta, tb) is not None:
            out.append(u)
        t = u + 1
    return out


def _string_ids(ids: dict[str, int], folded: Sequence[str]) -> np.ndarray:
    """Per string of ``folded``: ids[string], or -1 when it is not a key of ids (one dict
    lookup per string: faster than np.isin on numpy unicode arrays, which sorts them)."""
    import numpy as np

    get = ids.get
    return np.fromiter((get(f, -1) for f in folded), dtype=np.int64, count=len(folded))


class _TermTables(NamedTuple):
    length: np.ndarray  # tokens per term
    pos_base: np.ndarray  # global id of each term's first position
    is_prefix: np.ndarray  # per global position id
    prefix: list  # per global position id: the prefix or None
    n_keys: int
    accept: np.ndarray  # sorted position id * n_keys + key id of every exact position's forms


def _term_tables(cb: CompiledCodebook) -> _TermTables:
    import numpy as np

    got = cb.__dict__.get("_term_tables")
    if got is None:
        length: list[int] = []
        base: list[int] = []
        is_prefix: list[bool] = []
        prefix: list[str | None] = []
        accept: list[int] = []
        n_keys = max(len(cb.key_ids), 1)
        for term in cb.terms:
            base.append(len(prefix))
            length.append(len(term.positions))
            for p in term.positions:
                pid = len(prefix)
                is_prefix.append(p.prefix is not None)
                prefix.append(p.prefix)
                accept.extend(pid * n_keys + k for k in p.alts)
        got = cb.__dict__["_term_tables"] = _TermTables(
            np.asarray(length, dtype=np.int64), np.asarray(base, dtype=np.int64),
            np.asarray(is_prefix, dtype=bool), prefix, n_keys, np.unique(np.asarray(accept, dtype=np.int64)))
    return got


def _run(cb: CompiledCodebook, doc: AnnotatedDoc, included: np.ndarray,
         pattern_cache: PatternCache | None = None) -> tuple[dict[int, list[tuple]], _DocView]:
    """All rule hits, grouped by ref index, and the document view."""
    if doc.pipeline != cb.pipeline.name:
        raise QualcodeError(
            f"the document was annotated with {doc.pipeline}, the codebook uses "
            f"{cb.pipeline.name}: annotate it again"
        )
    view = _DocView(cb, doc, included)
    text = doc.text
    hits: dict[int, list[tuple]] = {}
    refs = cb.refs
    turn_unit = [c.unit == "turn" for c in cb.codes]
    n_sent = view.n_sent

    # terms and near: one pass over the token table for all terms
    near_occ: dict[int, tuple[list, list]] = {}
    ti_arr, s_arr, e_arr = view.term_occurrences()
    if len(ti_arr):
        a_l = doc.start[s_arr].tolist()
        b_l = doc.end[e_arr].tolist()
        us_l = view.tok_sent[s_arr].tolist()
        ut_l = (view.tok_turn[s_arr] + n_sent).tolist()
        terms = cb.terms
        for ti, s, e, a, b, us, ut in zip(ti_arr.tolist(), s_arr.tolist(), e_arr.tolist(),
                                          a_l, b_l, us_l, ut_l):
            for ref_i, side in terms[ti].slots:
                ref = refs[ref_i]
                uid = ut if turn_unit[ref.code_index] else us
                if ref.within:
                    near_occ.setdefault(ref_i, ([], []))[side].append((uid, s, e, a, b))
                else:
                    hits.setdefault(ref_i, []).append((uid, a, b, -1, -1))

    if near_occ:
        wi = view.words()
        for ref_i, (left, right) in near_occ.items():
            within = refs[ref_i].within
            by_unit: dict[int, tuple[list, list]] = {}
            for side, occ in ((0, left), (1, right)):
                for uid, s, e, a, b in occ:
                    by_unit.setdefault(uid, ([], []))[side].append((s, e, a, b))
            out = hits.setdefault(ref_i, [])
            for uid, (ls, rs) in by_unit.items():
                if not ls or not rs:
                    continue
                for s1, e1, a1, b1 in sorted(set(ls)):
                    for s2, e2, a2, b2 in sorted(set(rs)):
                        if e1 < s2:
                            dist = int(wi[s2] - wi[e1])
                        elif e2 < s1:
                            dist = int(wi[s1] - wi[e2])
                        else:
                            continue  # overlapping spans
                        if dist <= within:
                            out.append((uid, a1, b1, a2, b2))
            if not out:
                del hits[ref_i]

    pocc = view.pattern_occurrences(pattern_cache)
    if pocc:
        for ref_i, s, e in pocc:
            uid = int(view.tok_turn[s]) + n_sent if turn_unit[refs[ref_i].code_index] else int(view.tok_sent[s])
            hits.setdefault(ref_i, []).append((uid, int(doc.start[s]), int(doc.end[e]), -1, -1))

    if cb.regex_refs:
        for ref_i in cb.regex_refs:
            ref = refs[ref_i]
            rx = ref.regex
            pre = ref.prefilter
            units: Sequence[tuple[int, int | None, int, int]]
            if turn_unit[ref.code_index]:
                units = view.units("turn", view.candidate_turns(pre))
            else:  # sentence ids are unit ids
                _, sa, sb = view.sent_tables()
                units = [(k, None, sa[k], sb[k]) for k in view.candidate_sentences(pre)]
            for uid, _turn, a, b in units:
                for mm in rx.finditer(text[a:b]):
                    if mm.end() > mm.start():
                        hits.setdefault(ref_i, []).append((uid, a + mm.start(), a + mm.end(), -1, -1))
                        break
    for lst in hits.values():
        lst.sort()  # by unit, then position: the first hit of a rule in a unit is its earliest
    return hits, view


def _included(doc: AnnotatedDoc, roles: Sequence[str | None] | None, include_interviewer: bool) -> np.ndarray:
    import numpy as np

    n = doc.turns.shape[0]
    if roles is not None and len(roles) != n:
        raise ValueError(f"{len(roles)} roles for {n} turns")
    if roles is None or include_interviewer:
        return np.ones(n, dtype=bool)
    return np.asarray([r != "interviewer" for r in roles], dtype=bool)


def _turn_patterns(cb: CompiledCodebook, doc: AnnotatedDoc, turn_index: int, roles: Sequence[str | None] | None,
                   only: np.ndarray, cache: PatternCache | None) -> PatternCache | None:
    """The pattern matches of one turn (under the key of ``only``, that turn) taken from the
    matches a run over the document cached, when that run (participants' turns, or every
    turn) included the turn; else None."""
    if cache is None or doc.key is None or not cb.patterns:
        return None
    for include_interviewer in (False, True):
        full = _included(doc, roles, include_interviewer)
        got = cache.get(pattern_cache_key(cb, doc.key, full)) if full[turn_index] else None
        if got is not None:
            a, b = int(doc.turn_tok[turn_index]), int(doc.turn_tok[turn_index + 1])
            return PatternCache((pattern_cache_key(cb, doc.key, only), [m for m in got if a <= m[1] < b]))
    return None


def _hit_matches(rule_id: str, text: str, h: tuple) -> list[Match]:
    _, a, b, a2, b2 = h
    if a2 < 0:
        return [Match(rule_id, a, b, text[a:b])]
    m1, m2 = Match(rule_id, a, b, text[a:b]), Match(rule_id, a2, b2, text[a2:b2])
    return [m1, m2] if (a, b) <= (a2, b2) else [m2, m1]


def _label(text: str, h: tuple) -> str:
    _, a, b, a2, b2 = h
    if a2 < 0:
        return f'"{text[a:b]}"'
    return f'"{text[a:b]}" ~ "{text[a2:b2]}"'


def _proposals(cb: CompiledCodebook, hits: dict[int, list[tuple]], view: _DocView) -> list[Proposal]:
    text = view.doc.text
    refs = cb.refs
    out: list[tuple[int, int, Proposal]] = []
    for ci, cc in enumerate(cb.codes):
        if not cc.refs:
            continue
        blocked: set[int] = set()
        for r in cc.exclude_refs:
            blocked.update(h[0] for h in hits.get(r, ()))
        per_unit: dict[int, list[tuple[int, tuple]]] = {}
        for r in cc.refs:  # rule order
            for h in hits.get(r, ()):
                u = h[0]
                if u in blocked:
                    continue
                lst = per_unit.get(u)
                if lst is None:
                    per_unit[u] = [(r, h)]
                else:
                    lst.append((r, h))
        for u, lst in per_unit.items():
            r0, h0 = lst[0]  # first rule (in rule order) with a hit in the unit, earliest hit
            if len(lst) == 1:
                matches = tuple(_hit_matches(refs[r0].rule_id, text, h0))
            else:
                seen: dict[tuple, tuple] = {}
                for r, h in lst:
                    for m in _hit_matches(refs[r].rule_id, text, h):
                        seen.setdefault((m.rule_id, m.start, m.end), (m.start, m.end, refs[r].order, m))
                # (start, end, rule order) is unique among seen: the Match never gets compared
                matches = tuple(x[3] for x in sorted(seen.values()))
            kind, turn, a, b = view.unit_span(u)
            out.append((a, ci, Proposal(cc.code.path, kind, a, b, turn,
                                        f"{refs[r0].rule_id} {_label(text, h0)}", matches)))
    out.sort(key=lambda x: (x[0], x[1]))
    return [p for _, _, p in out]


def without_interjections(proposals: list[Proposal], spans: Sequence[tuple[int, int]]) -> list[Proposal]:
    """``proposals`` without the rule matches that lie inside one of ``spans`` (an
    interviewer's interjection): a proposal left without matches is dropped."""
    if not spans:
        return proposals

    def inside(m) -> bool:
        return any(a <= m.start and m.end <= b for a, b in spans)

    out = []
    for p in proposals:
        kept = tuple(m for m in p.matches if not inside(m))
        if kept:
            out.append(p if len(kept) == len(p.matches) else p._replace(matches=kept))
    return out


def apply(
    compiled: CompiledCodebook,
    doc: AnnotatedDoc,
    roles: Sequence[str | None] | None = None,
    *,
    include_interviewer: bool = False,
    pattern_cache: PatternCache | None = None,
) -> list[Proposal]:
    """Code one annotated document. ``roles``: one per turn (``"interviewer"`` turns are
    skipped unless include_interviewer); None = every turn is coded. Sorted by position.
    ``pattern_cache``: the pattern rules' matches in this document from an earlier run,
    used when still valid; the matches found are put in it (the annotation must carry
    its cache key, ``doc.key``, for either)."""
    included = _included(doc, roles, include_interviewer)
    hits, view = _run(compiled, doc, included, pattern_cache)
    return _proposals(compiled, hits, view) if hits else []


def explain(
    compiled: CompiledCodebook,
    doc: AnnotatedDoc,
    turn_index: int,
    roles: Sequence[str | None] | None = None,
    *,
    include_interviewer: bool = False,
    quiet: Sequence[tuple[int, int]] = (),
    pattern_cache: PatternCache | None = None,
) -> Explanation:
    """Which rules fire where in one turn, including exclude hits and blocked units.

    The turn is examined even if it is an interviewer turn (``skipped`` then says that
    apply() would skip it, and ``proposals`` is empty). ``quiet``: the spans of the
    interviewer's interjections, whose matches code nothing (as autocode leaves them out).
    ``pattern_cache``: the document's pattern matches from autocode (:func:`apply`); when
    that run coded this turn, its matches in the turn are the turn's (no match spans two
    turns) and spaCy's Matcher is not needed."""
    import numpy as np

    n = doc.turns.shape[0]
    if not 0 <= turn_index < n:
        raise QualcodeError(f"turn {turn_index} does not exist (the document has {n} turns)")
    if roles is not None and len(roles) != n:
        raise ValueError(f"{len(roles)} roles for {n} turns")
    role = roles[turn_index] if roles is not None else None
    skipped = role == "interviewer" and not include_interviewer
    only = np.zeros(n, dtype=bool)
    only[turn_index] = True
    hits, view = _run(compiled, doc, only, _turn_patterns(compiled, doc, turn_index, roles, only, pattern_cache))
    text = doc.text
    out: list[Hit] = []
    for cc in compiled.codes:
        blocked = {h[0] for r in cc.exclude_refs for h in hits.get(r, ())}
        for r in cc.refs + cc.exclude_refs:
            ref = compiled.refs[r]
            for h in hits.get(r, ()):
                kind, _turn, a, b = view.unit_span(h[0])
                out.append(Hit(cc.code.path, ref.rule_id, ref.rule.kind, ref.exclude,
                               (not ref.exclude) and h[0] in blocked,
                               tuple(_hit_matches(ref.rule_id, text, h)), kind, a, b))
    out.sort(key=lambda h: (h.matches[0].start, h.code_path, h.rule_id))
    a, b = doc.turns[turn_index]
    inside = [(x, y) for x, y in quiet if a <= x and y <= b]
    proposals = [] if skipped else without_interjections(_proposals(compiled, hits, view), inside)
    return Explanation(turn_index, int(a), int(b), role, skipped, out, proposals, inside)
