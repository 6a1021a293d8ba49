"""In-memory codebook: a tree of codes, each with MacQueen fields and coding rules.

Produced by :func:`qualcode.codebook.load` from the YAML file; consumed by the rule
engine (:mod:`qualcode.rules`), the store (codes table) and the reports.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from qualcode.textnorm import fold

RULE_KINDS = ("terms", "pattern", "regex", "near")
UNITS = ("sentence", "turn")
WILDCARD = "*"
#: Fewest characters (folded) of the word before a trailing ``*``.
MIN_PREFIX = 2


@dataclass
class Rule:
    """One entry of a code's ``rules:`` (or ``exclude:``) list.

    kind    -- "terms" | "pattern" | "regex" | "near"
    value   -- terms: list[str]; pattern: list[dict] (spaCy Matcher token pattern);
               regex: str; near: {"terms": list[str], "with": list[str], "within": int}
    index   -- position in the code's rules (or exclude) list, 0-based
    line    -- 1-based line of the rule in the YAML file (None if built in Python)
    """

    kind: str
    value: Any
    index: int = 0
    line: int | None = None

    def rule_id(self, code_path: str, exclude: bool = False) -> str:
        """Stable identifier used as a coding's origin prefix, e.g. ``identity/x terms[0]``."""
        section = "exclude" if exclude else self.kind
        return f"{code_path} {section}[{self.index}]"


@dataclass
class Code:
    code: str  # slug, [a-z0-9_]+
    path: str  # slugs joined with "/"
    label: str
    definition: str | None = None
    full_definition: str | None = None
    when_to_use: str | None = None
    when_not_to_use: str | None = None
    examples: list[str] = field(default_factory=list)
    color: str | None = None
    unit: str | None = None  # None: inherit the codebook default
    rules: list[Rule] = field(default_factory=list)
    exclude: list[Rule] = field(default_factory=list)
    children: list[Code] = field(default_factory=list)
    line: int | None = None
    parent: str | None = None  # parent path

    def walk(self) -> Iterator[Code]:
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass
class Codebook:
    title: str
    language: str = "fr"
    unit: str = "sentence"
    codes: list[Code] = field(default_factory=list)  # top-level codes
    source: str | None = None  # file path it was loaded from
    content_hash: str | None = None  # sha256 of the canonical content (rules + fields)
    # Optional top-level metadata (YAML keys ``description``, ``authors``, ``version``).
    # ``declared_version`` is the human label written in the file ("2024-03", "1.2");
    # not to be confused with :attr:`version`, the short content hash.
    description: str | None = None
    authors: list[str] = field(default_factory=list)
    declared_version: str | None = None
    # True when :mod:`qualcode.codebook.parser` built or checked it without errors: every
    # rule value is valid and in the parser's form. The rule engine reads such values as
    # they are; it has any other codebook checked by the parser first (``check_model``).
    checked: bool = field(default=False, compare=False, repr=False)

    def walk(self) -> Iterator[Code]:
        for c in self.codes:
            yield from c.walk()

    def by_path(self) -> dict[str, Code]:
        return {c.path: c for c in self.walk()}

    def unit_of(self, code: Code) -> str:
        return code.unit or self.unit

    @property
    def version(self) -> str | None:
        """Short form of the content hash, recorded on every rule coding."""
        return self.content_hash[:12] if self.content_hash else None


# --------------------------------------------------------------------------- terms


@dataclass(frozen=True)
class Term:
    """A parsed entry of a ``terms:`` list (or of ``near``'s ``terms``/``with``).

    text    -- the term as written, surrounding whitespace stripped
    stem    -- ``text`` without the trailing wildcard
    prefix  -- True when the term ends with ``*``: the last word matches any token that
               starts with it (``reconver*`` matches reconversion, reconverti, ...)

    Multi-word terms (``gueule noire``) match consecutive tokens; with a wildcard only
    the last word is a prefix (``gueule noi*``).
    """

    text: str
    stem: str
    prefix: bool = False

    @property
    def words(self) -> tuple[str, ...]:
        return tuple(self.stem.split())

    @property
    def multiword(self) -> bool:
        return len(self.words) > 1


def term_error(term: object) -> str | None:
    """Why ``term`` is not a valid term, or None when it is.

    A term is a non-empty string; ``*`` is allowed once, at the very end, right after a
    word of at least :data:`MIN_PREFIX` characters (a prefix wildcard). The rule engine
    also refuses a prefix that the pipeline's tokenizer cuts shorter (``d'i*``: ``i``).
    """
    if not isinstance(term, str):
        kind = "null" if term is None else type(term).__name__
        return f"a term must be a string, not {kind} (quote it)"
    text = term.strip()
    if not text:
        return "empty term"
    if text == WILDCARD:
        return "a term cannot be only '*'"
    if WILDCARD in text[:-1]:
        return f"'*' is only allowed at the end of a term (prefix wildcard): {text!r}"
    if text.endswith(WILDCARD) and text[-2].isspace():
        return f"'*' must directly follow a word, not a space: {text!r}"
    if text.endswith(WILDCARD) and len(fold(text[:-1].split()[-1])) < MIN_PREFIX:
        return f"the prefix before '*' needs at least {MIN_PREFIX} characters: {text!r}"
    return None


def parse_term(term: object) -> Term:
    """Parse one term; raises ``ValueError`` with :func:`term_error`'s message."""
    err = term_error(term)
    if err is not None:
        raise ValueError(err)
    assert isinstance(term, str)
    text = term.strip()
    if text.endswith(WILDCARD):
        return Term(text=text, stem=text[:-1], prefix=True)
    return Term(text=text, stem=text, prefix=False)
