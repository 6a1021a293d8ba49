"""The codebook parser: check a codebook YAML file and build the in-memory model,
reporting every problem.

One pass over the ruamel.yaml round-trip tree both validates and builds the
:class:`~qualcode.codebook.model.Codebook`, so that the loader and ``codebook check``
can never disagree. It is also the only validator of the rule language: the rule engine
(:mod:`qualcode.rules`) reads the values built here as they are (``near``'s ``within`` is
required: there is no default) and has a codebook built in Python checked by
:func:`check_model`, with the same messages. Every problem carries a 1-based ``line:col`` taken from ruamel's
``.lc`` positions and the path of the code it belongs to::

    codebook.yaml:12:9: identity/mining_memory: unknown key 'rule' (did you mean 'rules'?)

File format (all keys; anything else is an error)::

    title: …                 # required, text
    language: fr             # optional, default "fr"
    unit: sentence           # optional default unit of rule coding: sentence | turn
    version: "2024-03"       # optional, free label (string or integer)
    description: …           # optional, text
    authors: [A. B., C. D.]  # optional, a name or a list of names
    codes:                   # required, list of codes
      - code: slug           # required, [a-z0-9_]+ ; path = parent path + "/" + slug
        label: …             # optional (defaults to the slug)
        definition / full_definition / when_to_use / when_not_to_use: text
        example: …  or  examples: [ … ]        (a string or a list of strings)
        color: "#1f77b4"     # #rgb, #rrggbb or a CSS colour name
        unit: turn           # overrides the codebook default
        rules:   [ {terms: […]} | {pattern: […]} | {regex: '…'} | {near: {terms, with, within}} ]
                             # near's within: required, a positive number of words
        exclude: [ same rule kinds ]
        children: [ codes ]

Severity: ``error`` makes the codebook unusable (the loader raises); ``warning`` flags
something probably unintended (an empty code, a duplicate term, a regex that matches the
empty string, a pattern attribute qualcode's pipeline never sets).
"""

from __future__ import annotations

import difflib
import io
import os
import re
import unicodedata
import warnings
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from qualcode.codebook.model import RULE_KINDS, UNITS, Code, Codebook, Rule, term_error
from qualcode.errors import InputError, QualcodeError
from qualcode.inputs import read_regular_file
from qualcode.textnorm import fold

TOP_KEYS = ("title", "language", "unit", "version", "description", "authors", "codes")
TEXT_FIELDS = ("definition", "full_definition", "when_to_use", "when_not_to_use")
CODE_KEYS = (
    "code",
    "label",
    *TEXT_FIELDS,
    "example",
    "examples",
    "color",
    "unit",
    "rules",
    "exclude",
    "children",
)
NEAR_KEYS = ("terms", "with", "within")

SLUG_RE = re.compile(r"^[a-z0-9_]+$")
HEX_COLOR_RE = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})?$")

# CSS Color Module Level 4 named colours.
CSS_COLORS = frozenset(
    ["aliceblue", "antiquewhite", "aqua", "aquamarine", "azure", "beige", "bisque", "black",
     "blanchedalmond", "blue", "blueviolet", "brown", "burlywood", "cadetblue", "chartreuse",
     "chocolate", "coral", "cornflowerblue", "cornsilk", "crimson", "cyan", "darkblue", "darkcyan",
     "darkgoldenrod", "darkgray", "darkgreen", "darkgrey", "darkkhaki", "darkmagenta",
     "darkolivegreen", "darkorange", "darkorchid", "darkred", "darksalmon", "darkseagreen",
     "darkslateblue", "darkslategray", "darkslategrey", "darkturquoise", "darkviolet", "deeppink",
     "deepskyblue", "dimgray", "dimgrey", "dodgerblue", "firebrick", "floralwhite", "forestgreen",
     "fuchsia", "gainsboro", "ghostwhite", "gold", "goldenrod", "gray", "green", "greenyellow",
     "grey", "honeydew", "hotpink", "indianred", "indigo", "ivory", "khaki", "lavender",
     "lavenderblush", "lawngreen", "lemonchiffon", "lightblue", "lightcoral", "lightcyan",
     "lightgoldenrodyellow", "lightgray", "lightgreen", "lightgrey", "lightpink", "lightsalmon",
     "lightseagreen", "lightskyblue", "lightslategray", "lightslategrey", "lightsteelblue",
     "lightyellow", "lime", "limegreen", "linen", "magenta", "maroon", "mediumaquamarine",
     "mediumblue", "mediumorchid", "mediumpurple", "mediumseagreen", "mediumslateblue",
     "mediumspringgreen", "mediumturquoise", "mediumvioletred", "midnightblue", "mintcream",
     "mistyrose", "moccasin", "navajowhite", "navy", "oldlace", "olive", "olivedrab", "orange",
     "orangered", "orchid", "palegoldenrod", "palegreen", "paleturquoise", "palevioletred",
     "papayawhip", "peachpuff", "peru", "pink", "plum", "powderblue", "purple", "rebeccapurple",
     "red", "rosybrown", "royalblue", "saddlebrown", "salmon", "sandybrown", "seagreen", "seashell",
     "sienna", "silver", "skyblue", "slateblue", "slategray", "slategrey", "snow", "springgreen",
     "steelblue", "tan", "teal", "thistle", "tomato", "turquoise", "violet", "wheat", "white",
     "whitesmoke", "yellow", "yellowgreen"]
)

# Token attributes the French pipeline (morphologizer, attribute_ruler, lemmatizer,
# senter; no parser, no ner) never sets: a pattern using them can never match.
UNSET_PATTERN_ATTRS = {
    "DEP": "the dependency parser",
    "ENT_TYPE": "the entity recognizer",
    "ENT_IOB": "the entity recognizer",
    "ENT_ID": "the entity recognizer",
    "ENT_KB_ID": "the entity linker",
}
UPOS_TAGS = frozenset(
    ["ADJ", "ADP", "ADV", "AUX", "CCONJ", "DET", "INTJ", "NOUN", "NUM", "PART", "PRON", "PROPN",
     "PUNCT", "SCONJ", "SYM", "VERB", "X", "SPACE"]
)


@dataclass(frozen=True)
class Problem:
    """One problem found in a codebook file (line and col are 1-based)."""

    file: str
    line: int
    col: int
    code_path: str | None
    message: str
    severity: str = "error"  # "error" | "warning"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.col}: "
        path = f"{self.code_path}: " if self.code_path else ""
        sev = "warning: " if self.severity == "warning" else ""
        return f"{where}{path}{sev}{self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "col": self.col,
            "code_path": self.code_path,
            "severity": self.severity,
            "message": self.message,
        }


class CodebookError(QualcodeError):
    """An invalid codebook. ``problems`` holds every problem found, errors first."""

    def __init__(self, problems: list[Problem], *, path: str | None = None):
        errors = [p for p in problems if p.is_error]
        others = [p for p in problems if not p.is_error]
        self.problems = errors + others
        first = self.problems[0] if self.problems else None
        super().__init__(
            str(first) if first else "invalid codebook",
            path=path,
            line=first.line if first else None,
        )

    def __str__(self) -> str:
        if not self.problems:
            return "invalid codebook"
        msg = str(self.problems[0])
        more = len(self.problems) - 1
        if more:
            file = self.path or self.problems[0].file
            noun = "problem" if more == 1 else "problems"
            msg += f" ({more} more {noun}; run qualcode codebook check {file})"
        return msg


# --------------------------------------------------------------------------- helpers


def did_you_mean(word: object, choices: tuple[str, ...] | list[str]) -> str:
    """`` (did you mean 'x'?)`` or an empty string."""
    if not isinstance(word, str):
        return ""
    lowered = {c.lower(): c for c in choices}
    if word.lower() in lowered:
        return f" (did you mean '{lowered[word.lower()]}'?)"
    folded = fold(word)
    matches = difflib.get_close_matches(folded, list(lowered), n=1, cutoff=0.6)
    return f" (did you mean '{lowered[matches[0]]}'?)" if matches else ""


def suggest_slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", fold(text)).strip("_")
    return slug


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "a number"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", str(text))


def _plain(value: Any) -> Any:
    """ruamel round-trip objects -> plain Python (dict/list/str/int/float/bool/None)."""
    if isinstance(value, dict):
        return {_plain(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, str):
        return _nfc(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return value


def _is_map(value: object) -> bool:
    return isinstance(value, dict)


def _is_seq(value: object) -> bool:
    return isinstance(value, list)


_pattern_matcher = None


def _spacy_matcher():
    global _pattern_matcher
    if _pattern_matcher is None:
        from spacy.matcher import Matcher
        from spacy.vocab import Vocab

        _pattern_matcher = Matcher(Vocab(), validate=True)
    return _pattern_matcher


_PYDANTIC_LOC_RE = re.compile(r"^\[(?P<loc>[^\]]*)\]\s*(?P<msg>.*)$")


# The shapes of token that spaCy's schema and Matcher.add always accept (checked against
# spaCy in tests/test_codebook_lint.py): string attributes with a string or an IN/NOT_IN
# list of strings, boolean flags with a boolean, the four one-character operators. Keys
# are upper case or lower case, as spaCy's schema accepts them. MORPH is left out on
# purpose: Matcher.add parses its values and can refuse them.
_PLAIN_STRING_ATTRS = frozenset({"ORTH", "TEXT", "LOWER", "POS", "TAG", "DEP", "LEMMA", "SHAPE", "ENT_TYPE",
                                 "ENT_ID", "ENT_KB_ID", "NORM"})
_PLAIN_BOOL_ATTRS = frozenset({"SPACY", "IS_ALPHA", "IS_ASCII", "IS_DIGIT", "IS_LOWER", "IS_UPPER", "IS_TITLE",
                               "IS_PUNCT", "IS_SPACE", "IS_BRACKET", "IS_QUOTE", "IS_LEFT_PUNCT",
                               "IS_RIGHT_PUNCT", "IS_CURRENCY", "IS_STOP", "IS_SENT_START", "SENT_START",
                               "LIKE_NUM", "LIKE_URL", "LIKE_EMAIL"})
_PLAIN_OPS = frozenset({"+", "*", "?", "!"})
_PLAIN_LIST_OPS = frozenset({"IN", "NOT_IN", "in", "not_in"})


def _plainly_valid_token(tok: object) -> bool:
    if type(tok) is not dict:
        return False
    seen: set[str] = set()
    for key, value in tok.items():
        if type(key) is not str:
            return False
        upper = key.upper()
        if (key != upper and key != upper.lower()) or upper in seen:
            return False
        seen.add(upper)
        if upper in _PLAIN_STRING_ATTRS:
            if type(value) is str:
                continue
            if type(value) is dict and len(value) == 1:
                ((op, items),) = value.items()
                if op in _PLAIN_LIST_OPS and type(items) is list and all(type(i) is str for i in items):
                    continue
            return False
        if upper == "OP":
            if type(value) is str and value in _PLAIN_OPS:
                continue
            return False
        if upper in _PLAIN_BOOL_ATTRS and type(value) is bool:
            continue
        return False
    return True


def plainly_valid_pattern(pattern: object) -> bool:
    """Whether ``pattern`` is made only of token shapes that spaCy always accepts, so that
    it needs no validation by spaCy (whose import costs about a second): a conservative
    test, False for anything else, which :func:`pattern_errors` then gives to spaCy."""
    return type(pattern) is list and bool(pattern) and all(_plainly_valid_token(t) for t in pattern)


def pattern_errors(pattern: list) -> list[tuple[int | None, str | None, str]]:
    """Validate a spaCy Matcher token pattern.

    Returns ``(token_index, attribute, message)`` triples (index/attribute None when the
    problem concerns the whole pattern); empty when spaCy accepts the pattern. Patterns
    of the plain shapes of :func:`plainly_valid_pattern` are accepted without spaCy.
    """
    if plainly_valid_pattern(pattern):
        return []
    return spacy_pattern_errors(pattern)


def spacy_pattern_errors(pattern: list) -> list[tuple[int | None, str | None, str]]:
    """:func:`pattern_errors` by spaCy itself (its schema, then ``Matcher.add``)."""
    from spacy.schemas import TokenPattern, validate_token_pattern

    attrs = [f.alias or name for name, f in TokenPattern.model_fields.items()]
    raw = validate_token_pattern(pattern)
    if raw:
        grouped: dict[tuple[int | None, str | None], list[tuple[list[str], str]]] = {}
        for line in raw:
            m = _PYDANTIC_LOC_RE.match(line)
            loc, msg = (m["loc"].split(" -> "), m["msg"]) if m else ([], line)
            if loc and loc[0] == "pattern":
                loc = loc[1:]
            idx = int(loc[0]) if loc and loc[0].isdigit() else None
            attr = loc[1] if len(loc) > 1 else None
            grouped.setdefault((idx, attr), []).append((loc[2:], msg))
        out = []
        for (idx, attr), items in grouped.items():
            out.append((idx, attr, _pattern_message(pattern, idx, attr, items, attrs)))
        return out
    matcher = _spacy_matcher()
    try:
        matcher.add("qualcode_check", [pattern])
    except Exception as exc:  # noqa: BLE001 - spaCy raises ValueError, re.error, KeyError... on a user's pattern
        # the linter reports every one as a problem: none may escape as a traceback
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        first = re.sub(r"^\[E\d+\]\s*", "", first)
        return [(None, None, f"invalid pattern: {first}")]
    finally:
        if "qualcode_check" in matcher:
            matcher.remove("qualcode_check")
    return []


def _pattern_message(pattern, idx, attr, items, attrs) -> str:
    token = f"token {idx + 1}" if idx is not None else "pattern"
    if idx is None:
        msg = items[0][1]
        if "at least 1 item" in msg:
            return "empty pattern"
        return f"invalid pattern: {msg[0].lower()}{msg[1:]}"
    tok = pattern[idx] if idx < len(pattern) else None
    if attr is None:
        return f"{token}: must be a mapping like {{LEMMA: fosse}}, not {_type_name(tok)}"
    value = tok.get(attr) if isinstance(tok, dict) else None
    msgs = [msg for _, msg in items]
    if any("Extra inputs" in m for sub, m in items if not sub):
        return f"{token}: unknown token attribute '{attr}'{did_you_mean(attr, attrs)}"
    if attr == "OP":
        return (
            f"{token}: invalid OP {value!r} (expected one of + * ? ! or a count "
            "like {2}, {1,3}, {2,}, {,3})"
        )
    if isinstance(value, dict):
        # Keep only the errors inside the operator dict (the str/int branches of the
        # union just say "not a string").
        inner = [(sub, m) for sub, m in items if len(sub) >= 2]
        for sub, m in inner:
            if "Extra inputs" in m:
                return f"{token}: unknown operator '{sub[-1]}' in {attr}" + did_you_mean(
                    sub[-1],
                    ["IN", "NOT_IN", "IS_SUBSET", "IS_SUPERSET", "INTERSECTS", "REGEX",
                     "FUZZY", "EQ", "NEQ", "GEQ", "LEQ", "GT", "LT", "==", "!=", ">=",
                     "<=", ">", "<"],
                )
        if inner:
            sub, m = inner[0]
            return f"{token}: {attr}: {sub[-1]}: {m[0].lower()}{m[1:]}"
    # Scalar of the wrong type: report the simplest branch message.
    m = msgs[-1]
    return f"{token}: invalid {attr} value {value!r}: {m[0].lower()}{m[1:]}"


# --------------------------------------------------------------------------- linter


class _Linter:
    def __init__(self, source: str):
        self.source = source
        self.problems: list[Problem] = []
        self.paths: dict[str, int] = {}
        # Duplicate mapping keys found by the compose pass, keyed by the mapping's start.
        self.dups: dict[tuple[int, int], list[tuple[int, int, str, int]]] = {}

    # ---- reporting

    def add(self, pos, path, message, severity="error") -> None:
        line, col = pos
        self.problems.append(Problem(self.source, line, col, path, message, severity))

    def warn(self, pos, path, message) -> None:
        self.add(pos, path, message, "warning")

    # ---- positions (1-based)

    @staticmethod
    def node_pos(node) -> tuple[int, int]:
        lc = getattr(node, "lc", None)
        if lc is None or lc.line is None:
            return (1, 1)
        return (lc.line + 1, lc.col + 1)

    def key_pos(self, mapping, key) -> tuple[int, int]:
        try:
            line, col = mapping.lc.key(key)
            return (line + 1, col + 1)
        except (AttributeError, KeyError, TypeError):  # not a ruamel node / no position recorded
            return self.node_pos(mapping)

    def value_pos(self, mapping, key) -> tuple[int, int]:
        value = mapping.get(key)
        if value is None:  # a null value has no position of its own: point at the key
            return self.key_pos(mapping, key)
        try:
            line, col = mapping.lc.value(key)
            return (line + 1, col + 1)
        except (AttributeError, KeyError, TypeError):  # not a ruamel node / no position recorded
            return self.key_pos(mapping, key)

    def item_pos(self, seq, index) -> tuple[int, int]:
        try:
            line, col = seq.lc.item(index)
            return (line + 1, col + 1)
        except (AttributeError, KeyError, TypeError):  # not a ruamel node / no position recorded
            return self.node_pos(seq)

    # ---- YAML

    def parse(self, text: str):
        from ruamel.yaml import YAML
        from ruamel.yaml.error import MarkedYAMLError, YAMLError

        yaml = YAML(typ="rt")
        yaml.allow_duplicate_keys = True
        # One pass over the text: the duplicate keys are looked for in the node tree that
        # the loader composes, before it constructs the data from it (which flattens merge
        # keys) — as a separate compose() would see it, without parsing the text twice.
        composer = yaml.composer
        compose_node = composer.get_single_node

        def get_single_node():
            node = compose_node()
            self._find_duplicate_keys(node)
            return node

        composer.get_single_node = get_single_node
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return yaml.load(io.StringIO(text)), True
        except MarkedYAMLError as exc:
            self.add(*self._yaml_error(exc))
        except YAMLError as exc:
            self.add((1, 1), None, f"YAML error: {str(exc).strip().splitlines()[0]}")
        except Exception as exc:  # noqa: BLE001 - e.g. ValueError from a bad explicit tag (!!int x)
            # ruamel's constructors raise what they like on user text: report it, never crash
            self.add((1, 1), None, f"YAML error: {exc}")
        return None, False

    @staticmethod
    def _yaml_error(exc) -> tuple[tuple[int, int], None, str]:
        mark = exc.problem_mark or exc.context_mark
        pos = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        problem = (exc.problem or exc.context or "invalid YAML").strip()
        msg = f"YAML syntax error: {problem}"
        if exc.context and exc.problem:
            ctx = exc.context.strip()
            cm = exc.context_mark
            if cm is not None and (cm.line, cm.column) != (pos[0] - 1, pos[1] - 1):
                ctx += f" started at {cm.line + 1}:{cm.column + 1}"
            msg += f" ({ctx})"
        if "'\\t'" in problem:
            msg += "; indent with spaces, not tabs"
        elif "<block end>" in problem or "mapping values are not allowed" in problem:
            msg += "; check the indentation"
        return pos, None, msg

    def _find_duplicate_keys(self, root) -> None:
        from ruamel.yaml.nodes import MappingNode, SequenceNode

        seen: set[int] = set()
        stack = [root] if root is not None else []
        while stack:
            node = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            if isinstance(node, MappingNode):
                first: dict[Any, int] = {}
                for key, value in node.value:
                    stack.append(value)
                    if not hasattr(key, "value") or not isinstance(key.value, str):
                        continue
                    k = (key.tag, key.value)
                    if k in first:
                        start = (node.start_mark.line, node.start_mark.column)
                        self.dups.setdefault(start, []).append(
                            (key.start_mark.line + 1, key.start_mark.column + 1,
                             key.value, first[k])
                        )
                    else:
                        first[k] = key.start_mark.line + 1
            elif isinstance(node, SequenceNode):
                stack.extend(node.value)

    def check_dups(self, mapping, path) -> None:
        lc = getattr(mapping, "lc", None)
        if lc is None or lc.line is None:
            return
        for line, col, key, first in self.dups.pop((lc.line, lc.col), []):
            self.add(
                (line, col), path,
                f"duplicate key '{key}' (first at line {first}); only the first is used",
            )

    # ---- scalars

    def text_field(self, mapping, key, path, *, required=False) -> str | None:
        if key not in mapping:
            if required:
                self.add(self.node_pos(mapping), path, f"missing required key '{key}'")
            return None
        value = mapping[key]
        if value is None:
            if required:
                self.add(self.key_pos(mapping, key), path, f"'{key}' is empty")
            return None
        if not isinstance(value, str):
            self.add(
                self.value_pos(mapping, key), path,
                f"'{key}' must be text, not {_type_name(value)}",
            )
            return None
        value = _nfc(value).strip()
        if not value and required:
            self.add(self.value_pos(mapping, key), path, f"'{key}' is empty")
            return None
        return value or None

    def string_list(self, mapping, key, path) -> list[str]:
        """A string or a list of strings (examples, authors)."""
        value = mapping.get(key)
        if value is None:
            return []
        if isinstance(value, str):
            return [_nfc(value).strip()] if value.strip() else []
        if not _is_seq(value):
            self.add(
                self.value_pos(mapping, key), path,
                f"'{key}' must be a string or a list of strings, not {_type_name(value)}",
            )
            return []
        out = []
        for i, item in enumerate(value):
            if not isinstance(item, str):
                self.add(
                    self.item_pos(value, i), path,
                    f"{key}[{i}] must be a string, not {_type_name(item)}",
                )
            elif item.strip():
                out.append(_nfc(item).strip())
        return out

    def unit_field(self, mapping, key, path) -> str | None:
        value = mapping.get(key)
        if value is None:
            return None
        if value not in UNITS:
            self.add(
                self.value_pos(mapping, key), path,
                f"invalid unit {_plain(value)!r} (expected one of: {', '.join(UNITS)})",
            )
            return None
        return str(value)

    def unknown_keys(self, mapping, allowed, path, what="key", where="") -> None:
        prefix = f"{where}: " if where else ""
        for key in mapping:
            if key not in allowed:
                shown = key if isinstance(key, str) else _plain(key)
                self.add(
                    self.key_pos(mapping, key), path,
                    f"{prefix}unknown {what} '{shown}'{did_you_mean(key, allowed)}",
                )

    # ---- document

    def run(self, text: str) -> Codebook | None:
        data, ok = self.parse(text)
        if not ok:
            return None
        if data is None:
            self.add((1, 1), None, "empty codebook: expected a mapping with 'title' and 'codes'")
            return None
        if not _is_map(data):
            self.add(
                self.node_pos(data), None,
                f"the top level must be a mapping with 'title' and 'codes', "
                f"not {_type_name(data)}",
            )
            return None
        self.check_dups(data, None)
        self.unknown_keys(data, TOP_KEYS, None)

        title = self.text_field(data, "title", None, required=True)
        language = "fr"
        if data.get("language") is not None:
            lang = data["language"]
            if not isinstance(lang, str) or not LANGUAGE_RE.match(lang):
                self.add(
                    self.value_pos(data, "language"), None,
                    f"invalid language {_plain(lang)!r} (expected a language code like 'fr')",
                )
            else:
                language = str(lang)
        unit = self.unit_field(data, "unit", None) or "sentence"
        description = self.text_field(data, "description", None)
        authors = self.string_list(data, "authors", None)
        declared_version = None
        if data.get("version") is not None:
            v = data["version"]
            if isinstance(v, str) or (isinstance(v, int) and not isinstance(v, bool)):
                declared_version = str(v).strip() or None
            else:
                self.add(
                    self.value_pos(data, "version"), None,
                    f"'version' must be a string or an integer, not {_type_name(v)} "
                    "(quote it: version: \"1.10\")",
                )

        codes: list[Code] = []
        if "codes" not in data:
            self.add(self.node_pos(data), None, "missing required key 'codes'")
        else:
            codes = self.code_list(data, "codes", None)
            if not codes and not data["codes"]:
                self.warn(self.key_pos(data, "codes"), None, "the codebook has no codes")

        # Duplicate keys in mappings we did not walk (e.g. inside an invalid value).
        for dups in self.dups.values():
            for line, col, key, first in dups:
                self.add(
                    (line, col), None,
                    f"duplicate key '{key}' (first at line {first}); only the first is used",
                )
        self.dups.clear()
        self.problems.sort(key=lambda p: (p.line, p.col))
        return Codebook(
            title=title or "",
            language=language,
            unit=unit,
            codes=codes,
            description=description,
            authors=authors,
            declared_version=declared_version,
        )

    def code_list(self, mapping, key, parent: str | None) -> list[Code]:
        value = mapping[key]
        if value is None:
            return []
        if not _is_seq(value):
            self.add(
                self.value_pos(mapping, key), parent,
                f"'{key}' must be a list of codes (- code: …), not {_type_name(value)}",
            )
            return []
        out = []
        for i in range(len(value)):
            code = self.code(value, i, parent)
            if code is not None:
                out.append(code)
        return out

    def code(self, seq, index: int, parent: str | None) -> Code | None:
        node = seq[index]
        prefix = f"{parent}/" if parent else ""
        if not _is_map(node):
            self.add(
                self.item_pos(seq, index), f"{prefix}#{index + 1}",
                f"a code must be a mapping (code: …, label: …), not {_type_name(node)}",
            )
            return None

        slug = node.get("code")
        valid_slug = False
        if "code" not in node:
            path = f"{prefix}#{index + 1}"
            self.add(self.node_pos(node), path, "missing required key 'code' (the code's slug)")
        elif not isinstance(slug, str):
            path = f"{prefix}#{index + 1}"
            self.add(
                self.value_pos(node, "code"), path,
                f"invalid slug {_plain(slug)!r}: must be a string of [a-z0-9_]",
            )
        else:
            path = prefix + slug
            if not SLUG_RE.match(slug):
                hint = suggest_slug(slug)
                hint = f" (e.g. '{hint}')" if hint and hint != slug else ""
                self.add(
                    self.value_pos(node, "code"), path,
                    f"invalid slug '{slug}': use lowercase letters, digits and '_'{hint}",
                )
            else:
                valid_slug = True

        self.check_dups(node, path)
        self.unknown_keys(node, CODE_KEYS, path)
        line = self.node_pos(node)[0]
        if valid_slug:
            if path in self.paths:
                self.add(
                    self.value_pos(node, "code"), path,
                    f"duplicate code path '{path}' (first defined at line {self.paths[path]})",
                )
            else:
                self.paths[path] = line

        label = self.text_field(node, "label", path)
        texts = {f: self.text_field(node, f, path) for f in TEXT_FIELDS}
        if "example" in node and "examples" in node:
            self.add(
                self.key_pos(node, "examples"), path,
                "use either 'example' or 'examples', not both",
            )
        examples = self.string_list(node, "example", path) + self.string_list(
            node, "examples", path
        )
        color = self.color(node, path)
        unit = self.unit_field(node, "unit", path)
        rules = self.rule_list(node, "rules", path)
        exclude = self.rule_list(node, "exclude", path)
        children = self.code_list(node, "children", path) if "children" in node else []

        has_rules = bool(node.get("rules"))
        has_children = bool(node.get("children"))
        has_definition = bool(texts["definition"] or texts["full_definition"])
        if not has_rules and not has_children and not has_definition:
            self.warn(
                self.node_pos(node), path,
                "empty code: no rules, no definition and no children",
            )
        if node.get("exclude") and not has_rules and not has_children:
            self.warn(
                self.key_pos(node, "exclude"), path, "'exclude' has no effect without rules"
            )

        code = Code(
            code=str(slug) if isinstance(slug, str) else f"#{index + 1}",
            path=path,
            label=label or (str(slug) if isinstance(slug, str) else path),
            examples=examples,
            color=color,
            unit=unit,
            rules=rules,
            exclude=exclude,
            children=children,
            line=line,
            parent=parent,
            **texts,
        )
        return code

    def color(self, node, path) -> str | None:
        if "color" not in node:
            return None
        value = node["color"]
        if value is None:
            self.add(
                self.key_pos(node, "color"), path,
                "'color' is empty; quote hex colours (color: \"#1f77b4\"): "
                "an unquoted # starts a YAML comment",
            )
            return None
        if isinstance(value, str):
            v = value.strip()
            if HEX_COLOR_RE.match(v) or v.lower() in CSS_COLORS:
                return v
            hint = did_you_mean(v, sorted(CSS_COLORS)) if not v.startswith("#") else ""
        else:
            hint = ""
        self.add(
            self.value_pos(node, "color"), path,
            f"invalid color {_plain(value)!r}: expected #rgb, #rrggbb or a CSS colour name{hint}",
        )
        return None

    # ---- rules

    def rule_list(self, node, key, path) -> list[Rule]:
        value = node.get(key)
        if value is None:
            return []
        if not _is_seq(value):
            hint = ""
            if _is_map(value) and any(k in RULE_KINDS for k in value):
                hint = " (write each rule as a list item: '- terms: […]')"
            self.add(
                self.value_pos(node, key), path,
                f"'{key}' must be a list of rules, not {_type_name(value)}{hint}",
            )
            return []
        out = []
        for i in range(len(value)):
            rule = self.rule(value, i, path, key)
            if rule is not None:
                out.append(rule)
        return out

    def rule(self, seq, index, path, section, where: str | None = None) -> Rule | None:
        node = seq[index]
        where = where or f"{section}[{index}]"
        if not _is_map(node):
            hint = ""
            if isinstance(node, str):
                hint = f" (did you mean '- terms: [{node}]'?)"
            self.add(
                self.item_pos(seq, index), path,
                f"{where}: a rule must be a mapping with one of "
                f"{', '.join(RULE_KINDS)}, not {_type_name(node)}{hint}",
            )
            return None
        self.check_dups(node, path)
        self.unknown_keys(node, RULE_KINDS, path, what="rule kind", where=where)
        kinds = [k for k in node if k in RULE_KINDS]
        if not kinds:
            if not node:
                self.add(self.node_pos(node), path, f"{where}: empty rule")
            return None
        if len(kinds) > 1:
            self.add(
                self.key_pos(node, kinds[1]), path,
                f"{where}: a rule has exactly one kind, found {' and '.join(kinds)} "
                "(split it into separate rules)",
            )
            return None
        kind = kinds[0]
        checker = getattr(self, f"rule_{kind}")
        value = checker(node, kind, path, where)
        if value is None:
            return None
        return Rule(kind=kind, value=value, index=index, line=self.node_pos(node)[0])

    def term_list(self, mapping, key, path, where) -> list[str] | None:
        value = mapping.get(key)
        label = f"{where}: '{key}'"
        if value is None:
            self.add(self.key_pos(mapping, key), path, f"{label} is empty")
            return None
        if not _is_seq(value):
            self.add(
                self.value_pos(mapping, key), path,
                f"{label} must be a list of terms ([a, b, …]), not {_type_name(value)}",
            )
            return None
        if not value:
            self.add(self.value_pos(mapping, key), path, f"{label} is an empty list")
            return None
        out: list[str] = []
        ok = True
        seen: dict[str, int] = {}
        for i, term in enumerate(value):
            err = term_error(term)
            if err:
                self.add(self.item_pos(value, i), path, f"{where}: {err}")
                ok = False
                continue
            text = _nfc(term).strip()
            folded = " ".join(text.lower().split())
            if folded in seen:
                self.warn(
                    self.item_pos(value, i), path,
                    f"{where}: duplicate term {text!r} (also item {seen[folded] + 1})",
                )
            else:
                seen[folded] = i
            out.append(text)
        return out if ok else None

    def rule_terms(self, node, kind, path, where):
        return self.term_list(node, kind, path, where)

    def rule_regex(self, node, kind, path, where):
        value = node.get(kind)
        if not isinstance(value, str):
            self.add(
                self.value_pos(node, kind), path,
                f"{where}: regex must be a string, not {_type_name(value)}",
            )
            return None
        if not value:
            self.add(self.value_pos(node, kind), path, f"{where}: empty regex")
            return None
        value = _nfc(value)
        try:
            compiled = re.compile(value)
        except re.error as exc:
            self.add(self.value_pos(node, kind), path, f"{where}: invalid regex: {exc}")
            return None
        if any(ord(ch) < 32 and ch not in "\t\n" for ch in value):
            self.warn(
                self.value_pos(node, kind), path,
                f"{where}: regex contains a control character; in double quotes \"\\b\" "
                "is a backspace: write regexes in single quotes",
            )
        if compiled.fullmatch("") is not None or compiled.search("") is not None:
            self.warn(
                self.value_pos(node, kind), path,
                f"{where}: regex matches the empty string",
            )
        return value

    def rule_pattern(self, node, kind, path, where):
        value = node.get(kind)
        if not _is_seq(value):
            self.add(
                self.value_pos(node, kind), path,
                f"{where}: pattern must be a list of token mappings "
                f"([{{LEMMA: …}}, …]), not {_type_name(value)}",
            )
            return None
        if not value:
            self.add(self.value_pos(node, kind), path, f"{where}: empty pattern")
            return None
        for tok in value:
            if _is_map(tok):
                self.check_dups(tok, path)
        plain = _plain(value)
        errors = pattern_errors(plain)
        for idx, attr, msg in errors:
            if idx is None:
                pos = self.value_pos(node, kind)
            else:
                tok = value[idx]
                if attr is not None and _is_map(tok) and attr in tok:
                    pos = self.key_pos(tok, attr)
                else:
                    pos = self.item_pos(value, idx)
            self.add(pos, path, f"{where}: {msg}")
        if errors:
            return None
        for i, tok in enumerate(value):
            for attr in tok:
                upper = str(attr).upper()
                if upper == "TAG":
                    self.warn(
                        self.key_pos(tok, attr), path,
                        f"{where}: token {i + 1}: TAG (the fine-grained tag) is not kept in "
                        "the annotation cache; use POS or MORPH; this token never matches",
                    )
                elif upper in UNSET_PATTERN_ATTRS:
                    self.warn(
                        self.key_pos(tok, attr), path,
                        f"{where}: token {i + 1}: {upper} is set by "
                        f"{UNSET_PATTERN_ATTRS[upper]}, which qualcode does not run; "
                        "this token never matches",
                    )
                elif upper == "POS":
                    vals = tok[attr]
                    if isinstance(vals, dict):
                        vals = [v for op in ("IN", "in") for v in (vals.get(op) or [])]
                    else:
                        vals = [vals]
                    for v in vals:
                        if isinstance(v, str) and v not in UPOS_TAGS:
                            hint = did_you_mean(v, sorted(UPOS_TAGS))
                            self.warn(
                                self.value_pos(tok, attr), path,
                                f"{where}: token {i + 1}: POS {v!r} is not a Universal "
                                f"POS tag{hint}",
                            )
        return plain

    def rule_near(self, node, kind, path, where):
        value = node.get(kind)
        if not _is_map(value):
            self.add(
                self.value_pos(node, kind), path,
                f"{where}: near must be a mapping {{terms: […], with: […], within: N}}, "
                f"not {_type_name(value)}",
            )
            return None
        self.check_dups(value, path)
        self.unknown_keys(value, NEAR_KEYS, path, what="near key", where=where)
        ok = True
        out: dict[str, Any] = {}
        for key in ("terms", "with"):
            if key not in value:
                self.add(self.node_pos(value), path, f"{where}: near needs '{key}'")
                ok = False
                continue
            terms = self.term_list(value, key, path, where)
            ok = ok and terms is not None
            out[key] = terms
        if "within" not in value:
            self.add(
                self.node_pos(value), path,
                f"{where}: near needs 'within' (a positive number of words)",
            )
            ok = False
        else:
            within = value["within"]
            if isinstance(within, bool) or not isinstance(within, int) or within < 1:
                self.add(
                    self.value_pos(value, "within"), path,
                    f"{where}: 'within' must be a positive integer (words), "
                    f"not {_plain(within)!r}",
                )
                ok = False
            else:
                out["within"] = int(within)
        if any(k not in NEAR_KEYS for k in value):
            ok = False
        return out if ok else None


# --------------------------------------------------------------------------- API


def read_codebook_text(path: str | Path) -> tuple[str | None, list[Problem]]:
    """Read a codebook file as UTF-8 (BOM tolerated).

    Returns ``(text, [])`` or ``(None, [problem])`` for undecodable bytes; raises
    :class:`~qualcode.errors.InputError` when the file cannot be read at all.
    """
    source = str(path)
    try:
        if Path(path).is_dir():
            raise InputError(f"codebook is a directory, not a file: {source}")
    except OSError as exc:
        raise InputError(f"cannot read codebook {source}: {exc.strerror or exc}") from None
    if not os.path.exists(path):  # (a broken link too)
        raise InputError(f"codebook not found: {source}")
    # a regular file of at most 50 MB: a FIFO or a link to /dev/zero cannot hang the command
    data = read_regular_file(path, refused="not read as a codebook")
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        start = exc.start
        line = data.count(b"\n", 0, start) + 1
        line_start = data.rfind(b"\n", 0, start) + 1
        col = len(data[line_start:start].decode("utf-8", errors="replace")) + 1
        bad = data[start : start + 1].hex()
        return None, [
            Problem(source, line, col, None,
                    f"the file is not UTF-8 (byte 0x{bad}); save it as UTF-8")
        ]


def check_codebook_text(text: str, source: str = "<string>") -> tuple[list[Problem], Codebook | None]:
    """Lint ``text`` and build the model. The model is None when parsing failed;
    it is incomplete (and must not be used) when any problem is an error."""
    if text.startswith("\ufeff"):
        text = text[1:]
    linter = _Linter(source)
    codebook = linter.run(text)
    if codebook is not None and not any(p.is_error for p in linter.problems):
        codebook.checked = True
    return linter.problems, codebook


def check_model(codebook: Codebook) -> tuple[list[Problem], Codebook]:
    """Check a codebook built in Python (not parsed from YAML) as :func:`check_codebook_text`
    checks a file: every rule and unit, with the same messages; for the rule engine, which
    compiles only checked codebooks.

    Returns the problems (each at its rule's ``line``, or 1; its message starts with the
    rule id, e.g. ``c near[0]: near needs 'within' …``) and a copy of the codebook whose
    rule values are the ones the parser builds (terms NFC and stripped, ``near`` with its
    three keys), marked ``checked`` when there is no error.
    """
    source = codebook.source or "<codebook>"
    linter = _Linter(source)
    problems: list[Problem] = []

    def at(line: int | None, found: list[Problem]) -> list[Problem]:
        return [replace(p, line=line or 1, col=1) for p in found]

    def unit(value: str | None, path: str | None, line: int | None) -> None:
        linter.problems = []
        linter.unit_field({"unit": value}, "unit", path)
        problems.extend(at(line, linter.problems))

    def rules(code: Code, exclude: bool) -> list[Rule]:
        out = []
        for rule in code.exclude if exclude else code.rules:
            linter.problems = []
            where = rule.rule_id(code.path, exclude)
            checked = linter.rule([{rule.kind: rule.value}], 0, None, "", where=where)
            problems.extend(at(rule.line, linter.problems))
            if checked is not None:
                out.append(Rule(rule.kind, checked.value, rule.index, rule.line))
        return out

    def code_copy(code: Code) -> Code:
        unit(code.unit, code.path, code.line)
        return replace(code, rules=rules(code, False), exclude=rules(code, True),
                       children=[code_copy(c) for c in code.children])

    unit(codebook.unit, None, None)
    copy = replace(codebook, codes=[code_copy(c) for c in codebook.codes])
    copy.checked = not any(p.is_error for p in problems)
    return problems, copy


def lint_codebook_text(text: str, source: str = "<string>") -> list[Problem]:
    """Every problem in a codebook given as text, sorted by position."""
    return check_codebook_text(text, source)[0]


def lint_codebook(path: str | Path) -> list[Problem]:
    """Every problem in the codebook file ``path``, sorted by position.

    Raises :class:`~qualcode.errors.InputError` if the file cannot be read.
    """
    text, problems = read_codebook_text(path)
    if text is None:
        return problems
    return lint_codebook_text(text, str(path))
