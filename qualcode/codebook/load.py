"""Load a codebook YAML file into the model, and describe it (JSON tree).

:func:`load_codebook` validates with :mod:`qualcode.codebook.parser` and raises
:class:`~qualcode.codebook.parser.CodebookError` when any problem is an error (warnings
are tolerated). The returned :class:`Codebook` has ``source``, ``content_hash``, each
code's ``parent`` and ``line``, each rule's ``line``.

``content_hash`` is the sha256 of a canonical JSON of the semantic content (title,
language, unit, description, authors, declared version and every code with all its
fields and rules). Comments, key order, quoting, flow vs block style, ``example`` vs
``examples`` and surrounding whitespace of texts do not change it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from qualcode.codebook.model import Code, Codebook, Rule
from qualcode.codebook.parser import CodebookError, check_codebook_text, read_codebook_text
from qualcode.errors import QualcodeError


def load_codebook(path: str | Path) -> Codebook:
    """Read, validate and build the codebook in ``path``.

    Raises :class:`CodebookError` (a :class:`~qualcode.errors.QualcodeError`) listing the
    problems when the file is invalid, :class:`~qualcode.errors.InputError` when it
    cannot be read.
    """
    source = str(path)
    text, problems = read_codebook_text(path)
    if text is None:
        raise CodebookError(problems, path=source)
    return _build(text, source, source)


def codebook_unchanged(path: str | Path, codebook: Codebook) -> bool:
    """Whether the file ``path`` still holds ``codebook`` (same content hash): a command
    that read the codebook before taking the project's write lock checks it under the lock.
    A file whose text is one this process has built already is not parsed again (a large
    codebook takes half a second to parse)."""
    try:
        text, _problems = read_codebook_text(path)
        if text is not None and _BUILT.get(_text_key(text)) == codebook.content_hash:
            return True
        return load_codebook(path).content_hash == codebook.content_hash
    except QualcodeError:
        return False


#: sha256 of a codebook text -> the content hash of the codebook built from it, for the
#: texts built by this process (the content hash is a function of the text alone).
_BUILT: dict[str, str] = {}


def _text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def built_from(text: str, codebook: Codebook) -> bool:
    """Whether this process built ``codebook`` (its content hash) from exactly ``text``: then
    :func:`parse_codebook_text` of ``text`` gives that codebook again."""
    return _BUILT.get(_text_key(text)) == codebook.content_hash


def code_order_key(text: str) -> str:
    """The ``project_meta`` key under which the code paths of the codebook ``text``, in
    codebook order, are kept (autocode writes it; reports read it instead of parsing the
    text again). Named after the source of the code that reads codebooks too: a changed
    parser may read a codebook otherwise."""
    return f"codebook-order/{_reader_hash()} {_text_key(text)}"


@functools.cache
def _reader_hash() -> str:
    """A short hash of the source of the modules that turn a codebook text into a model."""
    digest = hashlib.sha256()
    for module in (Code.__module__, CodebookError.__module__, __name__):
        digest.update(Path(str(sys.modules[module].__file__)).read_bytes())
    return digest.hexdigest()[:16]


def parse_codebook_text(text: str, source: str = "<string>") -> Codebook:
    """Like :func:`load_codebook` for a YAML string. ``source`` names it in messages;
    ``Codebook.source`` is set to it unless it is the default ``"<string>"``."""
    return _build(text, source, None if source == "<string>" else source)


def _build(text: str, source: str, source_attr: str | None) -> Codebook:
    problems, codebook = check_codebook_text(text, source)
    if codebook is None or any(p.is_error for p in problems):
        raise CodebookError(problems, path=source)
    codebook.source = source_attr
    codebook.content_hash = compute_content_hash(codebook)
    _BUILT[_text_key(text)] = codebook.content_hash
    return codebook


# --------------------------------------------------------------------------- hashing


def _rule_canonical(rule: Rule) -> dict[str, Any]:
    return {"kind": rule.kind, "value": rule.value}


def code_canonical(code: Code) -> dict[str, Any]:
    """One code's semantic content (fields, rules, children), as hashed and compared."""
    return {
        "code": code.code,
        "label": code.label,
        "definition": code.definition,
        "full_definition": code.full_definition,
        "when_to_use": code.when_to_use,
        "when_not_to_use": code.when_not_to_use,
        "examples": list(code.examples),
        "color": code.color,
        "unit": code.unit,
        "rules": [_rule_canonical(r) for r in code.rules],
        "exclude": [_rule_canonical(r) for r in code.exclude],
        "children": [code_canonical(c) for c in code.children],
    }


def canonical_content(codebook: Codebook) -> dict[str, Any]:
    """The semantic content hashed into ``content_hash`` (no positions, no source)."""
    return {
        "title": codebook.title,
        "language": codebook.language,
        "unit": codebook.unit,
        "description": codebook.description,
        "authors": list(codebook.authors),
        "version": codebook.declared_version,
        "codes": [code_canonical(c) for c in codebook.codes],
    }


def compute_content_hash(codebook: Codebook) -> str:
    blob = json.dumps(
        canonical_content(codebook), sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- describe


def _rule_json(rule: Rule, code_path: str, exclude: bool) -> dict[str, Any]:
    return {
        "id": rule.rule_id(code_path, exclude=exclude),
        "kind": rule.kind,
        "value": rule.value,
        "index": rule.index,
        "line": rule.line,
    }


def _code_json(codebook: Codebook, code: Code) -> dict[str, Any]:
    return {
        "code": code.code,
        "path": code.path,
        "parent": code.parent,
        "label": code.label,
        "definition": code.definition,
        "full_definition": code.full_definition,
        "when_to_use": code.when_to_use,
        "when_not_to_use": code.when_not_to_use,
        "examples": list(code.examples),
        "color": code.color,
        "unit": code.unit,
        "effective_unit": codebook.unit_of(code),
        "line": code.line,
        "rules": [_rule_json(r, code.path, False) for r in code.rules],
        "exclude": [_rule_json(r, code.path, True) for r in code.exclude],
        "children": [_code_json(codebook, c) for c in code.children],
    }


def codebook_tree_json(codebook: Codebook) -> dict[str, Any]:
    """JSON-serialisable nested description (for ``codebook show --json``).

    ``version`` is the short content hash recorded on codings; ``declared_version`` is
    the optional ``version:`` written in the file.
    """
    return {
        "title": codebook.title,
        "language": codebook.language,
        "unit": codebook.unit,
        "description": codebook.description,
        "authors": list(codebook.authors),
        "declared_version": codebook.declared_version,
        "version": codebook.version,
        "content_hash": codebook.content_hash,
        "source": codebook.source,
        "n_codes": sum(1 for _ in codebook.walk()),
        "codes": [_code_json(codebook, c) for c in codebook.codes],
    }
